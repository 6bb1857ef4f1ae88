"""The patent navigation report: both languages, HTML and PDF, figures as the tables hold them."""

import re
import subprocess
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from navigation.analytics import Navigation, navigate
from pledge.disclosure import DisclosureRule
from reports.formatting import Formatter
from reports.i18n import Language
from reports.navigation import navigation_view, render_navigation
from reports.rendering import write
from tests.navigation.builders import dataset, pledge_frame

DAY = date(2019, 6, 30)


def pledges() -> pl.DataFrame:
    return pledge_frame(
        {
            "pledge_id": ["P1", "P2"],
            "registered_on": [date(2018, 5, 1), date(2019, 2, 1)],
            "released_on": [None, None],
            "bank": ["某银行", "<b>Bank</b>"],
            "industry": ["textiles", "biomedicine"],
            "patent_type": ["invention", "utility_model"],
            "enterprise": ["甲公司", "乙公司"],
            "patent_count": [1, 2],
            "secured_amount": [Decimal("3000000.00"), Decimal("1250000.50")],
            "outstanding": [Decimal("2000000.00"), Decimal("1000000.00")],
        }
    )


@pytest.fixture(scope="module")
def result() -> Navigation:
    rows = dataset(300, seed=21)
    rows[0]["applicant"] = "<script>alert(1)</script>"
    return navigate(pl.DataFrame(rows), DAY, pledges=pledges())


def _section(language: Language) -> str:
    return "<h2>Pledge financing</h2>" if language is Language.EN else "<h2>专利权质押融资</h2>"


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.parametrize(
    ("language", "title", "pages"),
    [
        (Language.ZH, "专利导航分析报告", r"第\s*1\s*页\s*共\s*(\d+)\s*页"),
        (Language.EN, "Patent navigation report", r"Page 1 of (\d+)"),
    ],
)
def test_pdf_in_both_languages_holds_the_tables_figures(
    result: Navigation, language: Language, title: str, pages: str, tmp_path: Path
) -> None:
    html = render_navigation(navigation_view(result, language=language), language)
    path = tmp_path / f"navigation_{language.value}.pdf"
    write(html, path)
    text = pdf_text(path)
    assert title in text
    formatter = Formatter(language)
    period = {r["metric"]: r for r in result.tables["period"].to_dicts()}
    for metric in ("applications", "grants", "valid_patents"):
        assert formatter.whole(period[metric]["current"]) in text
    total = result.tables["pledges"].row(0, named=True)["registered_amount"]
    assert formatter.money(total) in text
    capacity = result.tables["capacity"].row(0, named=True)
    assert formatter.amount(capacity["headroom"]) in text
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    count = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    footer = re.search(pages, text)
    assert footer is not None
    assert int(footer.group(1)) == count >= 3
    png = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(path), str(png)], check=True
    )
    assert next(tmp_path.glob("page*.png")).stat().st_size > 5_000


def test_html_is_self_contained_and_escapes_names(result: Navigation) -> None:
    html = render_navigation(navigation_view(result, language=Language.EN), Language.EN)
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Bank&lt;/b&gt;" in html
    assert html.count("<svg") == 3
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_no_capacity_anywhere_draws_no_capacity_chart(result: Navigation) -> None:
    """Capacity 0 for every firm (nothing free to pledge): the sentence says 0 firms and no
    empty chart frame is drawn; with borrowing shown the pairs of bars still are."""
    public = result.without_firm_borrowing()
    table = public.tables["capacity"].with_columns(
        pl.lit(Decimal(0)).alias("eligible_value"), pl.lit(Decimal(0)).alias("capacity")
    )
    nothing = replace(public, tables={**public.tables, "capacity": table})
    view = navigation_view(nothing, language=Language.EN)
    assert view.capacity_chart == ""
    html = render_navigation(view, Language.EN)
    assert "0 firms hold patents free to pledge" in html
    assert "Capacity: the loan the firm" not in html
    assert html.count("<svg") == 2  # the trend and the mix
    assert navigation_view(public, language=Language.EN).capacity_chart != ""


@pytest.mark.parametrize(
    ("language", "borrowed", "note"),
    [
        (Language.EN, "Borrowed", "What each firm borrows is not shown."),
        (Language.ZH, "现有借款", "不显示各企业的借款。"),
    ],
)
def test_without_firm_borrowing_no_firm_loan_is_printed(
    result: Navigation, language: Language, borrowed: str, note: str
) -> None:
    full = render_navigation(navigation_view(result, language=language), language)
    assert borrowed in full
    assert note not in full
    public = result.without_firm_borrowing()
    view = navigation_view(public, language=language)
    html = render_navigation(view, language)
    assert borrowed not in html
    assert note in html
    assert all(len(line.values) == 4 for line in view.capacity)  # counts, value, capacity
    table = public.tables["capacity"]
    assert view.firms_with_room == table.filter(pl.col("capacity") > 0).height
    assert view.room_total == table["capacity"].sum()
    assert Formatter(language).amount(table["capacity"][0]) in html


@pytest.mark.parametrize(
    ("language", "mark", "headline", "note"),
    [
        (Language.EN, "For publication", "their amounts are withheld for publication", "Rule: "),
        (Language.ZH, "公开发布", "公开发布版不显示其金额", "规则依据："),
    ],
)
def test_for_publication_the_withheld_amounts_are_printed_as_x(
    result: Navigation, language: Language, mark: str, headline: str, note: str
) -> None:
    # two pledges by two firms: fewer than three, so every pledge amount is withheld
    rule = DisclosureRule.standard()
    published = result.for_publication(pledges(), rule)
    html = render_navigation(navigation_view(published, language=language), language)
    full = render_navigation(navigation_view(result, language=language), language)
    formatter = Formatter(language)
    lines = [Decimal(a) for a in ("3000000.00", "1250000.50", "2000000.00", "1000000.00")]
    for shown in [*map(formatter.money, lines), formatter.headline_money(Decimal("4250000.50"))]:
        assert shown in full
        assert shown not in html
    assert headline in html
    assert headline not in full
    assert mark in html.split("<h2>", 1)[0]
    assert mark not in full.split("<h2>", 1)[0]
    section = html.split(_section(language), 1)[1].split("<h2>", 1)[0]
    assert section.count('<span class="withheld">x</span>') == 2 * 4  # 2 banks, 2 industries
    assert f"{note}{rule.source}" in html

"""The portfolio statement: the pledge statistics of a file, by bank, industry and period."""

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pledge.statistics import Dimension, pledge_statistics
from reports.formatting import Formatter
from reports.i18n import Language
from reports.patent_rows import InputError
from reports.portfolio import portfolio_statement, read_pledges, render_portfolio
from reports.rendering import html_to_pdf
from tests.reports.conftest import needs_poppler, page_count, pdf_text, png_pages, squeeze

AS_OF = date(2025, 6, 30)
BANKS = ("中国工商银行金华分行", "浙商银行", "Bank <b>of</b> Ningbo")


def pledge(i: int, **cells: Any) -> dict[str, Any]:
    registered = date(2022 + i % 4, 1 + i % 12, 10)
    released = registered + timedelta(days=400)
    data = {
        "pledge_id": f"P{i:03d}",
        "registered_on": registered.isoformat(),
        "released_on": released.isoformat() if i % 5 == 0 else "",
        "bank": BANKS[i % 3],
        "industry": ("electrical", "machinery", "pharmaceuticals")[i % 3],
        "patent_type": ("invention", "utility_model", "design")[i % 2],
        "enterprise": f"企业{i % 7}",
        "patent_count": str(1 + i % 4),
        "secured_amount": f"{(i + 1) * 100000}.50",
        "outstanding": f"{(i + 1) * 40000}.25",
    }
    data.update(cells)
    return data


@pytest.fixture(scope="module")
def pledge_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pledges") / "pledges.csv"
    pl.DataFrame([pledge(i) for i in range(40)]).write_csv(path)
    return path


def test_the_statement_is_pledge_statistics(pledge_file: Path) -> None:
    frame = read_pledges(pledge_file)
    statement = portfolio_statement(frame, AS_OF)
    totals = pledge_statistics(frame, AS_OF).row(0, named=True)
    assert statement.totals.deals == totals["deals"]
    assert statement.totals.outstanding == totals["outstanding"]
    by_bank = pledge_statistics(frame, AS_OF, [Dimension.BANK])
    assert {b.key: b.outstanding for b in statement.by_bank} == dict(
        by_bank.select("bank", "outstanding").iter_rows()
    )
    outstanding = [b.outstanding for b in statement.by_bank]
    assert outstanding == sorted(outstanding, reverse=True)
    assert len(statement.by_month) == 12
    assert statement.by_month[-1].key == "2025年6月"
    assert sum(m.deals for m in statement.by_month) > 0
    assert [y.key for y in statement.by_year] == ["2022", "2023", "2024", "2025"]
    assert {t.key for t in statement.by_patent_type} == {"发明", "实用新型"}
    assert {i.key for i in statement.by_industry} == {"电气", "机械制造", "医药"}


def test_mixed_types_and_an_unknown_industry_are_named_in_both_languages(tmp_path: Path) -> None:
    """The statistics' own keys: "mixed" (a pledge of patents of several types) and
    "unclassified" (a pledgor without an industry) print as words, never as keys."""
    rows = [
        pledge(1, patent_type="mixed", industry="unclassified"),
        pledge(2, industry="optics_electronics"),
    ]
    path = tmp_path / "pledges.csv"
    pl.DataFrame(rows).write_csv(path)
    frame = read_pledges(path)
    shown = {
        language: portfolio_statement(frame, AS_OF, language=language) for language in Language
    }
    assert {t.key for t in shown[Language.ZH].by_patent_type} == {"混合", "发明"}
    assert {t.key for t in shown[Language.EN].by_patent_type} == {"Mixed types", "Invention"}
    assert {i.key for i in shown[Language.ZH].by_industry} == {"未分类", "光学及电子产品"}
    assert {i.key for i in shown[Language.EN].by_industry} == {
        "Unclassified",
        "optics and electronics",
    }


@needs_poppler
@pytest.mark.parametrize("language", list(Language))
def test_the_statement_prints_in_both_languages(
    pledge_file: Path, language: Language, tmp_path: Path
) -> None:
    frame = read_pledges(pledge_file)
    statement = portfolio_statement(
        frame, AS_OF, prepared_for="金华市市场监督管理局", language=language
    )
    html = render_portfolio(statement, language)
    assert "Bank &lt;b&gt;of&lt;/b&gt; Ningbo" in html
    assert "<b>of</b>" not in html
    path = tmp_path / f"statement-{language}.pdf"
    path.write_bytes(html_to_pdf(html))
    text = pdf_text(path)
    fmt = Formatter(language)
    assert squeeze(fmt.headline_money(statement.totals.outstanding)) in text
    assert squeeze(fmt.headline_money(statement.totals.registered_amount)) in text
    for bank in statement.by_bank:
        assert squeeze(bank.key) in text
        assert squeeze(fmt.money(bank.outstanding)) in text
    assert "金华市市场监督管理局" in text
    pages = page_count(path)
    assert 2 <= pages <= 5
    assert len(png_pages(path, tmp_path)) == pages
    assert html.count("<svg") == 3


@pytest.mark.parametrize("language", list(Language))
def test_twelve_months_without_registrations_are_said_not_charted(
    pledge_file: Path, language: Language
) -> None:
    frame = read_pledges(pledge_file)
    later = date(2029, 6, 30)  # the file's last registration is in 2025
    quiet = portfolio_statement(frame, later, language=language)
    assert not quiet.registered_in_last_months
    html = render_portfolio(quiet, language)
    said = {
        Language.ZH: "截至2029年6月30日的十二个月内没有质押登记。",
        Language.EN: "No pledge was registered in the twelve months to June 30, 2029.",
    }
    assert said[language] in html
    assert html.count("<svg") == 2  # the bank and year charts, no empty monthly one
    busy = portfolio_statement(frame, AS_OF, language=language)
    assert busy.registered_in_last_months
    assert "no-registrations" not in render_portfolio(busy, language)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"registered_on": "2025-13-01"}, "row 1: registered_on: '2025-13-01' is not a date"),
        ({"secured_amount": "1.5e6"}, "secured_amount has cells that are not decimal numbers"),
        ({"released_on": "2020-01-01"}, "released before they were registered"),
    ],
)
def test_a_bad_pledge_file_is_refused(tmp_path: Path, cells: dict[str, Any], message: str) -> None:
    path = tmp_path / "bad.csv"
    pl.DataFrame([pledge(0, **cells), pledge(1)]).write_csv(path)
    with pytest.raises(InputError, match=message):
        read_pledges(path)


def test_parquet_pledges_with_typed_dates(tmp_path: Path) -> None:
    frame = pl.DataFrame([pledge(i) for i in range(5)]).with_columns(
        pl.col("registered_on").str.to_date(), pl.col("released_on").str.to_date(strict=False)
    )
    path = tmp_path / "p.parquet"
    frame.write_parquet(path)
    assert read_pledges(path)["registered_on"].dtype == pl.Date
    empty = portfolio_statement(read_pledges(path), date(2000, 1, 1), language=Language.EN)
    assert empty.totals.deals == 0
    assert empty.by_bank == ()
    assert "No pledges." in render_portfolio(empty, Language.EN)

"""The appraisal report in Chinese and English, as HTML and PDF, read back with poppler.

The figures looked for in the PDF text are the engine's (the appraisal's ``value_patent`` result
formatted as the report formats it), never numbers written into the test.
"""

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from reports.appraisal import AppraisalReport, PatentAppraisal, appraise, render_appraisal
from reports.formatting import Formatter
from reports.i18n import Language
from reports.rendering import html_to_pdf
from tests.reports.conftest import (
    BASE,
    DRAWS,
    SEED,
    TITLE,
    fonts,
    make_financials,
    make_info,
    make_patent,
    needs_poppler,
    page_count,
    page_texts,
    pdf_text,
    png_pages,
    squeeze,
)
from valuation.engine import ValuationResult

PARTS = {
    Language.ZH: (
        "一、委托人及其他资产评估报告使用人",
        "二、评估目的",
        "三、评估对象和评估范围",
        "四、价值类型",
        "五、评估基准日",
        "六、评估依据",
        "七、评估方法",
        "八、评估程序实施过程和情况",
        "九、评估假设",
        "十、评估结论",
        "十一、特别事项说明",
        "十二、资产评估报告使用限制说明",
        "十三、资产评估报告日",
        "十四、资产评估专业人员签名和资产评估机构印章",
    ),
    Language.EN: (
        "1. Client and other report users",
        "2. Purpose of the appraisal",
        "3. Object and scope of the appraisal",
        "4. Value type and its definition",
        "5. Base date",
        "6. Bases of the appraisal",
        "7. Methods chosen and why",
        "8. Procedures performed",
        "9. Assumptions",
        "10. Conclusion",
        "11. Special matters",
        "12. Limits of use",
        "13. Report date",
        "14. Signatures of the appraisers and seal of the firm",
    ),
}
PAGE = {Language.ZH: "第 {i} 页 共 {n} 页", Language.EN: "Page {i} of {n}"}


@pytest.fixture(scope="module")
def rendered(
    single_report: AppraisalReport, tmp_path_factory: pytest.TempPathFactory
) -> dict[Language, tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("appraisal")
    out = {}
    for language in Language:
        html = render_appraisal(single_report, language)
        path = folder / f"appraisal-{language}.pdf"
        path.write_bytes(html_to_pdf(html))
        out[language] = (html, path)
    return out


def engine_figures(appraisal: PatentAppraisal, language: Language) -> list[str]:
    """The engine's figures as the report prints them."""
    result, fmt = appraisal.result, Formatter(language)
    assert result.value
    assert result.pledge
    assert result.income
    assert result.market
    assert result.value_range
    assert result.reconciled_range
    assert result.cost.value
    figures = [
        fmt.headline_money(result.value),
        fmt.money(result.pledge.realisable_value),
        fmt.money(result.pledge.max_loan),
        fmt.money(result.income.value),
        fmt.money(result.market.value),
        fmt.money(result.cost.value),
        *(fmt.money(q) for q in result.reconciled_range),
        *(fmt.money(q) for q in (result.value_range.p10, result.value_range.p50)),
        fmt.money(result.value_range.p90),
        fmt.percent(result.pledge.haircut),
        fmt.percent(result.pledge.ltv_cap),
        fmt.number(result.score.total_score),
        fmt.years(result.remaining_term),
        result.audit.input_hash,
    ]
    figures += [fmt.money(bar.swing) for bar in result.tornado.bars] if result.tornado else []
    return figures


@needs_poppler
@pytest.mark.parametrize("language", list(Language))
def test_the_pdf_carries_the_engine_figures(
    rendered: dict[Language, tuple[str, Path]], single: PatentAppraisal, language: Language
) -> None:
    text = pdf_text(rendered[language][1])
    missing = [f for f in engine_figures(single, language) if squeeze(f) not in text]
    assert missing == []


@needs_poppler
@pytest.mark.parametrize("language", list(Language))
def test_the_fourteen_parts_come_in_order(
    rendered: dict[Language, tuple[str, Path]], language: Language
) -> None:
    text = pdf_text(rendered[language][1])
    positions = [text.find(squeeze(part)) for part in PARTS[language]]
    assert -1 not in positions, [
        p for p, at in zip(PARTS[language], positions, strict=False) if at < 0
    ]
    assert positions == sorted(positions)


@needs_poppler
@pytest.mark.parametrize("language", list(Language))
def test_pages_are_a4_numbered_page_x_of_y(
    rendered: dict[Language, tuple[str, Path]],
    single_report: AppraisalReport,
    language: Language,
    tmp_path: Path,
) -> None:
    path = rendered[language][1]
    pages = page_count(path)
    assert 8 <= pages <= 16
    texts = page_texts(path)
    assert len(texts) == pages
    for index, page in enumerate(texts, start=1):
        assert squeeze(PAGE[language].format(i=index, n=pages)) in page
        assert single_report.report_number in page
    images = png_pages(path, tmp_path)
    assert len(images) == pages


@needs_poppler
def test_fonts_are_embedded_subsets_and_the_file_is_small(
    rendered: dict[Language, tuple[str, Path]],
) -> None:
    path = rendered[Language.ZH][1]
    rows = fonts(path)
    assert any("Noto-Sans-CJK-SC" in row[0] for row in rows)
    assert all(row[-5:-3] == ["yes", "yes"] for row in rows), rows  # embedded, subset
    assert path.stat().st_size < 1_500_000


def test_harfbuzz_subsets_the_fonts() -> None:
    """Without libharfbuzz-subset0, WeasyPrint subsets CJK fonts with fontTools: seconds, not ms."""
    from weasyprint.pdf import fonts as weasy_fonts

    assert weasy_fonts.harfbuzz_subset is not None


@needs_poppler
def test_a_title_with_markup_prints_as_text(rendered: dict[Language, tuple[str, Path]]) -> None:
    html, path = rendered[Language.ZH]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert squeeze(TITLE) in pdf_text(path)


def test_the_html_is_self_contained(rendered: dict[Language, tuple[str, Path]]) -> None:
    html = rendered[Language.EN][0]
    assert html.count("<svg") == 2
    assert "<style>" in html
    assert not re.search(r"<script|<link|<img|\bsrc=|\bhref=", html)
    assert 'lang="en"' in html
    assert 'lang="zh-Hans"' in rendered[Language.ZH][0]


def test_a_source_not_yet_checked_is_marked_and_the_mark_explained(
    rendered: dict[Language, tuple[str, Path]],
) -> None:
    """Annex B marks with † each cited source whose figures are not yet checked against their
    primary source (``checked`` no in its sources file), says what is still to check, and
    explains the mark once; no raw to-do mark is printed."""
    legend = {Language.ZH: "† 尚未与原始出处核对", Language.EN: "† Not yet checked against"}
    still = {Language.ZH: "待核对：", Language.EN: "still to check: "}
    for language, (html, _) in rendered.items():
        assert "[verify" not in html
        assert html.count(legend[language]) == 1
        assert "<b>CN-ROYALTY-TEXTBOOK</b> † —" in html  # the textbook royalty table
        assert "<b>CN-CIT-LAW</b> —" in html  # the tax law, checked
        assert f"({still[language]}against GB/T 42748-2023)" in html


def test_a_value_range_chart_needs_the_monte_carlo() -> None:
    bare = appraise(make_patent(), make_financials(), base_date=BASE)
    assert bare.draws is None
    assert bare.result.value_range is None
    html = render_appraisal(AppraisalReport(make_info(), (bare,)), Language.EN)
    assert "<svg" not in html
    assert "No Monte Carlo simulation was requested for this appraisal" in html
    no_income = appraise(make_patent(), None, base_date=BASE, draws=DRAWS, seed=SEED)
    html = render_appraisal(AppraisalReport(make_info(), (no_income,)), Language.ZH)
    assert "无收入数据：未采用收益法" in html
    assert "无研发成本数据：未采用成本法" in html


def test_the_income_draws_are_those_of_the_range(single: PatentAppraisal) -> None:
    import numpy as np

    spread = single.result.value_range
    assert single.draws is not None
    assert spread is not None
    assert single.draws.size == DRAWS
    p10, p50, p90 = np.percentile(single.draws, (10, 50, 90))
    assert (round(p10, 2), round(p50, 2), round(p90, 2)) == tuple(
        float(q.amount) for q in (spread.p10, spread.p50, spread.p90)
    )


@needs_poppler
def test_a_portfolio_report_sums_the_patents(tmp_path: Path) -> None:
    appraisals = tuple(
        appraise(
            make_patent(serial=601862 + i, title=f"专利 {i}"),
            make_financials(revenue=str(10_000_000 * (i + 1))),
            base_date=BASE,
            draws=DRAWS,
            seed=SEED,
        )
        for i in range(3)
    )
    report = AppraisalReport(make_info(value_type="realisable_value"), appraisals)
    html = render_appraisal(report, Language.ZH)
    path = tmp_path / "portfolio.pdf"
    path.write_bytes(html_to_pdf(html))
    fmt = Formatter(Language.ZH)
    results = [a.result for a in appraisals]
    total_value = sum(r.value.amount for r in results if r.value)
    realisable = sum(r.pledge.realisable_value.amount for r in results if r.pledge)
    text = pdf_text(path)
    assert squeeze(fmt.amount(total_value)) in text
    assert (
        squeeze(fmt.headline_money(realisable)) in text
    )  # the conclusion of a realisable-value report
    assert squeeze("符合高价值发明专利至少一项标准的专利：3 件中 3 件") in text
    assert html.count("<svg") == 1 + 2 * 3  # the portfolio chart, each patent's two charts
    assert all(f"A.{i}" in text for i in (1, 2, 3))


def test_the_working_papers_can_be_left_out(single_report: AppraisalReport) -> None:
    full = render_appraisal(single_report, Language.EN)
    short = render_appraisal(single_report, Language.EN, working_papers=False)
    assert "Annex A. Working papers, patent by patent" in full
    assert "Annex A. Working papers, patent by patent" not in short
    assert "leaves out the working papers of each patent" in short
    assert "Annex B. Constants cited and their sources" in short
    assert "<svg" not in short


def _with_a_source_text_per_constant(node: object, texts: dict[str, str]) -> object:
    """A result's JSON as it was stored before each trail cited its sources once: every
    constant with its source's text, and no ``sources``."""
    if isinstance(node, dict):
        if "constants" in node and "sources" in node:
            texts.update(node["sources"])
            constants = [{**c, "source": texts[c["source_id"]]} for c in node["constants"]]
            rest = {k: v for k, v in node.items() if k != "sources"}
            return {**_with_a_source_text_per_constant(rest, texts), "constants": constants}
        return {k: _with_a_source_text_per_constant(v, texts) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_a_source_text_per_constant(v, texts) for v in node]
    return node


def test_a_result_stored_with_a_source_text_per_constant_reads_and_prints_as_before(
    single: PatentAppraisal,
) -> None:
    texts: dict[str, str] = {}
    stored = _with_a_source_text_per_constant(json.loads(single.result.model_dump_json()), texts)
    assert '"source":' in json.dumps(stored)
    assert '"sources":' not in json.dumps(stored)
    read = ValuationResult.model_validate_json(json.dumps(stored))
    assert read == single.result
    before = AppraisalReport(make_info(), (replace(single, result=read),))
    for language in Language:
        html = render_appraisal(before, language)
        assert html == render_appraisal(AppraisalReport(make_info(), (single,)), language)
        assert all(text in html for text in texts)

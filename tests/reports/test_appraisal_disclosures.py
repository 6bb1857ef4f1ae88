"""What the appraisal report states about its own figures: a patent no longer in force, work
done or not done, the sources behind each number, dates that do not fit.

Each report here is rendered as HTML and read for the sentences the figures call for (and for
those they rule out), in both languages where the wording matters.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from models.enums import LegalStatus
from reports.appraisal import AppraisalReport, appraisal_view, appraise, render_appraisal
from reports.formatting import Formatter
from reports.i18n import Language
from reports.rendering import html_to_pdf
from tests.reports.conftest import (
    BASE,
    DRAWS,
    SEED,
    make_financials,
    make_info,
    make_patent,
    needs_poppler,
    number,
    page_texts,
)
from valuation.reconcile import Approach

ENDED = number(2013, 2, 100873)


def ended_patent() -> AppraisalReport:
    """A utility model recorded in force whose ten-year term ended 2023-03-05, before the base
    date, with an invention in force beside it."""
    ended = make_patent(
        number=ENDED,
        patent_type="utility_model",
        filing_date=date(2013, 3, 5),
        grant_date=date(2013, 9, 1),
    )
    return AppraisalReport(
        make_info(),
        (
            appraise(make_patent(), make_financials(), base_date=BASE),
            appraise(ended, make_financials("5000000"), base_date=BASE),
        ),
    )


def test_a_patent_whose_term_ended_before_the_base_date_is_printed_as_expired() -> None:
    report = ended_patent()
    view = appraisal_view(report, Language.EN)
    assert [p.legal_status for p in view.patents] == [LegalStatus.IN_FORCE, LegalStatus.EXPIRED]
    assert report.appraisals[1].patent.legal_status is LegalStatus.IN_FORCE  # as recorded
    zh = render_appraisal(report, Language.ZH)
    en = render_appraisal(report, Language.EN)
    assert f"The term of patent {ENDED} ended on March 5, 2023, before the base date" in en
    assert "cannot be pledged" in en
    assert f"专利 {ENDED} 的保护期已于2023年3月5日届满，早于评估基准日2025年6月30日" in zh
    assert f"{ENDED}" in en.split("10. Conclusion")[1].split("11. Special matters")[0]
    row = zh.split(ENDED)[1].split("</tr>")[0]
    assert "期限届满" in row
    assert ">有效<" not in row


def test_a_patent_in_force_whose_approaches_agree_has_no_special_matter_of_its_own() -> None:
    income_only = {Approach.MARKET: Decimal(0)}  # one approach weighed: nothing to disagree
    report = AppraisalReport(
        make_info(),
        (appraise(make_patent(), make_financials(), base_date=BASE, weights=income_only),),
    )
    assert appraisal_view(report, Language.EN).notices == ()
    assert "Not in force at the base date" not in render_appraisal(report, Language.EN)


def test_approaches_far_apart_are_a_special_matter_in_both_languages() -> None:
    """Income on 20 M of revenue against the renewal model's market value: the factor between
    them is above reconcile_divergence_ratio (3), so the report says so among its special
    matters, with the figures of the working papers."""
    appraisal = appraise(make_patent(), make_financials(), base_date=BASE)
    report = AppraisalReport(make_info(), (appraisal,))
    lines = {line.approach: line.value for line in appraisal.result.reconciliation.lines}
    income, market = lines[Approach.INCOME], lines[Approach.MARKET]
    assert income is not None
    assert market is not None
    factor = income.amount / market.amount
    assert factor > 3
    (notice,) = appraisal_view(report, Language.EN).notices
    assert notice.values["factor"] == f"{factor:,.1f}"
    en = render_appraisal(report, Language.EN).split("11. Special matters")[1]
    number = appraisal.patent.number.patent_number
    assert (
        f"For patent {number} the income approach gives {Formatter(Language.EN).money(income)} "
        f"and the market approach {Formatter(Language.EN).money(market)}, a factor of "
        f"{factor:,.1f} apart (more than 3)"
    ) in en
    zh = render_appraisal(report, Language.ZH).split("十一、特别事项说明")[1]
    assert f"专利{number}的收益法评估值为{Formatter(Language.ZH).money(income)}" in zh


def body(html: str) -> str:
    """The report without its Annex A (the body, then Annex B)."""
    if "Annex A. Working papers" not in html:
        return html
    before, rest = html.split("Annex A. Working papers", 1)
    return before + rest.split("Annex B. Constants cited", 1)[1]


def test_without_draws_the_report_claims_no_simulation_and_no_range() -> None:
    bare = appraise(make_patent(), make_financials(), base_date=BASE)
    assert bare.result.income is not None
    html = render_appraisal(AppraisalReport(make_info(), (bare,)), Language.EN)
    assert "Monte Carlo simulation, and the sensitivity" not in html  # procedure 5
    assert "The value range (P10 to P90) describes" not in html  # special matter
    assert "value range, sensitivity" not in html  # the conclusion's list of Annex A
    assert "the income approach was not applied" not in html
    assert html.count("No Monte Carlo simulation or sensitivity analysis was requested") == 2
    assert "No Monte Carlo simulation was requested for this appraisal, so the income" in html
    zh = render_appraisal(AppraisalReport(make_info(), (bare,)), Language.ZH)
    assert "蒙特卡洛模拟" in zh  # says, in Chinese, that none was run
    assert "价值区间、敏感性分析" not in zh
    assert "未采用收益法，或未要求进行模拟" not in zh


def test_with_draws_the_report_states_the_simulation_it_ran() -> None:
    ran = appraise(make_patent(), make_financials(), base_date=BASE, draws=DRAWS, seed=SEED)
    html = render_appraisal(AppraisalReport(make_info(), (ran,)), Language.EN)
    assert "Estimated the range of the value by a seeded Monte Carlo simulation" in html
    assert "The value range (P10 to P90) describes" in html
    assert "value range, sensitivity, pledge outputs and audit trail" in html
    assert "was requested" not in html
    no_income = appraise(make_patent(), None, base_date=BASE, draws=DRAWS, seed=SEED)
    html = render_appraisal(AppraisalReport(make_info(), (no_income,)), Language.EN)
    assert "The income approach could not be applied to any patent" in html
    assert "No Monte Carlo range: the income approach was not applied to this patent." in html


def test_the_edition_without_working_papers_does_not_point_to_annex_a() -> None:
    ran = appraise(make_patent(), make_financials(), base_date=BASE, draws=DRAWS, seed=SEED)
    report = AppraisalReport(make_info(), (ran,))
    for language, annex in ((Language.EN, "Annex A"), (Language.ZH, "见附件一")):
        short = render_appraisal(report, language, working_papers=False)
        said = [line for line in short.splitlines() if annex in line]
        # Only Part 10's note that the annex was left out (and Part 8's saying so) name it.
        assert all(("leaves out" in line or "未附" in line) for line in said), said
    assert "see Annex A" in body(render_appraisal(report, Language.EN))


def test_a_report_issued_after_the_period_of_use_says_so_prominently() -> None:
    ran = appraise(make_patent(), make_financials(), base_date=BASE)
    late = AppraisalReport(make_info(report_date=date(2026, 12, 4)), (ran,))
    view = appraisal_view(late, Language.EN)
    assert view.out_of_date
    assert view.valid_until == date(2026, 6, 30)
    en = render_appraisal(late, Language.EN)
    assert en.count('class="key alert"') == 2  # in the conclusion and in the limits of use
    assert "after the period of use of its conclusion ended on June 30, 2026" in en
    zh = render_appraisal(late, Language.ZH)
    assert "评估结论的使用有效期已于2026年6月30日届满" in zh
    on_time = AppraisalReport(make_info(report_date=date(2026, 6, 30)), (ran,))
    assert 'class="key alert"' not in render_appraisal(on_time, Language.EN)


def annex_b(html: str) -> str:
    return html.split('<section class="annex">')[-1]


def test_the_market_model_and_every_source_it_uses_are_in_the_report() -> None:
    ran = appraise(make_patent(), make_financials(), base_date=BASE, draws=DRAWS, seed=SEED)
    market = ran.result.market
    assert market is not None
    assert market.model_id is not None
    assert market.model_id.startswith("renewal-")
    html = render_appraisal(AppraisalReport(make_info(), (ran,)), Language.EN)
    cited = annex_b(html)
    for source in (
        "MKT-CALIBRATION",
        "USPTO-FEES-FY2009",
        "USPTO-FEES-2011",
        "USPTO-FEES-2013",
        "PBOC-USDCNY",
        "MKT-DISCOUNT",
        "US-35USC41B",
        "PATENTVAL-RECONCILE",
    ):
        assert f"<b>{source}</b>" in cited, source
    assert "renewal_usd_cny_rate = 7.12" in cited
    assert "income = 0.6" in cited  # the default weights, with their source
    assert market.model_id in cited  # the model's identity, with its fit
    assert "5,618 patents" in cited or "5618 patents" in cited
    assert "β log1p_claims = " in cited
    assert f"{DRAWS} draws, seed {SEED}" in cited  # the audit block of Annex B
    audit = html.split("Audit trail", 1)[1].split("Annex B", 1)[0]
    assert market.model_id in audit
    assert f"{DRAWS} draws, seed {SEED}" in audit
    zh = annex_b(render_appraisal(AppraisalReport(make_info(), (ran,)), Language.ZH))
    assert "续展模型" in zh
    assert "2004—2005 年授权的美国高校发明专利" in zh  # the shipped sample, translated


def test_a_constant_stated_years_from_the_base_date_is_named_in_the_special_matters() -> None:
    early = date(2019, 11, 30)
    ran = appraise(make_patent(), make_financials(), base_date=early)
    report = AppraisalReport(make_info(base_date=early, report_date=early), (ran,))
    en = render_appraisal(report, Language.EN)
    special = en.split("11. Special matters", 1)[1].split("12. Limits of use", 1)[0]
    assert "The constant risk_free_rate = 0.017 (source CHINABOND-10Y" in special
    assert "is stated as at 2025, while the base date is November 30, 2019" in special
    assert "renewal_usd_cny_rate = 7.12 (source PBOC-USDCNY" in special
    zh = render_appraisal(report, Language.ZH)
    assert "常数 risk_free_rate = 0.017" in zh
    now = appraise(make_patent(), make_financials(), base_date=BASE)
    special = render_appraisal(AppraisalReport(make_info(), (now,)), Language.EN)
    assert "has not been updated to the base date" not in special


@needs_poppler
@pytest.mark.parametrize("restrictions", [8, 11])
def test_the_signature_block_stays_on_one_page(restrictions: int, tmp_path: Path) -> None:
    # Restrictions lengthen Part 8 so that Part 14 starts near a page's foot: with these counts
    # the appraisers used to be left on one page and the seal, firm and date on the next.
    lines = tuple(
        f"Restriction {i}: the site visit was not made; no effect on the conclusion."
        for i in range(restrictions)
    )
    ran = appraise(make_patent(), make_financials(), base_date=BASE)
    report = AppraisalReport(make_info(procedure_restrictions=lines), (ran,))
    path = tmp_path / "signed.pdf"
    path.write_bytes(html_to_pdf(render_appraisal(report, Language.EN, working_papers=False)))
    sealed = [page for page in page_texts(path) if "Sealoftheappraisalfirm" in page]
    assert len(sealed) == 1
    assert "14.Signaturesoftheappraisers" in sealed[0]
    assert "Appraiser:" in sealed[0]


def test_each_weight_is_printed_with_its_reason() -> None:
    ran = appraise(make_patent(), make_financials(), base_date=BASE)
    en = render_appraisal(AppraisalReport(make_info(), (ran,)), Language.EN)
    methods = en.split("7. Methods chosen and why", 1)[1].split("8. Procedures performed", 1)[0]
    assert "Reason for the weight" in methods
    assert "Primary method (CAS guidance)" in methods
    assert "A floor for corroboration: no weight unless" in methods
    annex = en.split("Reconciliation</h4>", 1)[1].split("</table>", 1)[0]
    assert "Default weight 60.00%, renormalised over the approaches applied to 60.00%." in annex
    assert "Applied for corroboration only: its weight is 0 (default 0.00%)." in annex
    assert "For corroboration" in annex  # the cost approach, applied at 0 %, is not "Yes"
    bare = appraise(make_patent(), None, base_date=BASE)
    en = render_appraisal(AppraisalReport(make_info(), (bare,)), Language.EN)
    annex = en.split("Reconciliation</h4>", 1)[1].split("</table>", 1)[0]
    assert "Not applied (see the reason), so no weight." in annex
    assert "renormalised over the approaches applied to 100.00%." in annex

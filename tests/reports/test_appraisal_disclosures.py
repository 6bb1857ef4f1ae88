"""What the appraisal report states about its own figures: a patent no longer in force, work
done or not done, the sources behind each number, dates that do not fit.

Each report here is rendered as HTML and read for the sentences the figures call for (and for
those they rule out), in both languages where the wording matters.
"""

from datetime import date

from models.enums import LegalStatus
from reports.appraisal import AppraisalReport, appraisal_view, appraise, render_appraisal
from reports.i18n import Language
from tests.reports.conftest import BASE, make_financials, make_info, make_patent, number

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


def test_a_patent_in_force_has_no_special_matter_of_its_own() -> None:
    report = AppraisalReport(
        make_info(), (appraise(make_patent(), make_financials(), base_date=BASE),)
    )
    assert appraisal_view(report, Language.EN).notices == ()
    assert "Not in force at the base date" not in render_appraisal(report, Language.EN)

"""The report's own inputs: pledge defaults, and refusal when a required part is empty."""

from dataclasses import replace
from datetime import date

import pytest
from pydantic import ValidationError

from models.enums import ValueType
from reports import wording
from reports.appraisal import AppraisalReport, PatentAppraisal, render_appraisal
from reports.i18n import Language
from reports.info import Appraiser, IncompleteReportError, ReportError, ReportInfo
from tests.reports.conftest import BASE, OWNER, make_info


def test_the_defaults_suit_a_pledge_appraisal() -> None:
    info = ReportInfo(client=OWNER, base_date=BASE)
    assert info.value_type is ValueType.MARKET_VALUE
    assert info.purpose == wording.PLEDGE_PURPOSE
    assert info.assumptions == wording.STANDARD_ASSUMPTIONS
    assert info.special_matters == wording.STANDARD_SPECIAL_MATTERS
    assert info.limits_of_use == wording.STANDARD_LIMITS_OF_USE
    assert info.other_users == wording.OTHER_USERS
    assert len(info.appraisers) == 2
    assert info.procedure_restrictions == ()
    assert info.missing() == ()
    info.check()


@pytest.mark.parametrize(
    ("field", "empty", "named"),
    [
        ("value_type", None, "value type (价值类型)"),
        ("base_date", None, "base date (评估基准日)"),
        ("assumptions", (), "assumptions (评估假设)"),
        ("special_matters", (), "special matters (特别事项说明)"),
        ("limits_of_use", (), "limits of use (资产评估报告使用限制说明)"),
        ("assumptions", ("", "   "), "assumptions (评估假设)"),
    ],
)
def test_an_empty_required_part_is_refused_by_name(
    single: PatentAppraisal, field: str, empty: object, named: str
) -> None:
    info = make_info(**{field: empty})
    assert info.missing() == (named,)
    with pytest.raises(IncompleteReportError, match=r"cannot be rendered: empty .*") as caught:
        render_appraisal(AppraisalReport(info, (single,)), Language.ZH)
    assert caught.value.missing == (named,)
    assert named in str(caught.value)


def test_every_missing_part_is_named_at_once() -> None:
    info = make_info(value_type=None, base_date=None, assumptions=(), special_matters=())
    with pytest.raises(IncompleteReportError) as caught:
        info.check()
    assert len(caught.value.missing) == 4
    assert "limits of use" not in str(caught.value)


def test_a_valuation_at_another_base_date_is_refused(single: PatentAppraisal) -> None:
    info = make_info(base_date=date(2025, 7, 1))
    with pytest.raises(ReportError, match="valued at 2025-06-30, the report's base date is"):
        render_appraisal(AppraisalReport(info, (single,)), Language.EN)
    with pytest.raises(ReportError, match="no patents"):
        render_appraisal(AppraisalReport(make_info(), ()), Language.EN)


def test_two_appraisers_at_least_and_no_blank_client() -> None:
    with pytest.raises(ValidationError, match="appraisers"):
        make_info(appraisers=(Appraiser(name="张三"),))
    with pytest.raises(ValidationError, match="client"):
        make_info(client="   ")
    with pytest.raises(ValidationError, match="Extra inputs"):
        make_info(colour="red")


def test_the_report_number_is_given_or_derived_from_the_inputs(
    single: PatentAppraisal,
) -> None:
    derived = AppraisalReport(make_info(), (single,))
    assert derived.report_number.startswith("PV-20250630-")
    assert len(derived.report_number) == len("PV-20250630-") + 8
    assert AppraisalReport(make_info(), (single,)).report_number == derived.report_number
    other = replace(derived, info=make_info(client="另一家公司"))
    assert other.report_number != derived.report_number
    given = AppraisalReport(make_info(report_number="浙评报字[2025]第001号"), (single,))
    assert given.report_number == "浙评报字[2025]第001号"


def test_a_report_dated_before_its_base_date_is_refused() -> None:
    with pytest.raises(ValidationError, match="report_date 2020-01-01 is before the base date"):
        make_info(report_date=date(2020, 1, 1))
    assert make_info(report_date=BASE).report_date == BASE

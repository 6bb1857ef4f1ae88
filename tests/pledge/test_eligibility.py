"""The pledge pre-check: each code from a minimal case, none in a clean case, bilingual messages."""

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from models import Money
from pledge.eligibility import EligibilityResult, check_patent, check_portfolio
from pledge.findings import (
    ACKNOWLEDGEABLE,
    Code,
    Finding,
    Severity,
    catalogue,
    finding,
    placeholders,
)
from pledge.policy import PatentValuation, PolicyBook, load_policies
from pledge.proposal import ContractTerms, ProposedLoan, Unchecked
from tests.pledge.builders import AT, OWNER, make_loan, make_patent, make_valuation
from tests.pledge.test_policy import SHIPPED as SHIPPED_POLICIES
from tests.pledge.test_policy import row as policy_row

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3}")
WARN = {
    Code.FEE_IN_GRACE,
    Code.DUAL_FILING_ACK_REQUIRED,
    Code.INVALIDATION_PENDING_ACK_REQUIRED,
    Code.FORFEITURE_CLAUSE,
}


def check(
    patent_fields: dict[str, object] | None = None,
    loan_fields: dict[str, object] | None = None,
    at: date = AT,
    **options: object,
) -> EligibilityResult:
    """Check a clean patent and loan with the fields given changed."""
    fields = dict(patent_fields or {})
    kind = str(fields.pop("kind", "invention"))
    patent = make_patent(kind, **fields)
    loan = make_loan(patent, **(loan_fields or {}))
    valuation = options.pop("valuation", make_valuation(patent, value="2000000"))
    return check_patent(patent, loan, at, valuation=valuation, **options)


def test_clean_case_has_no_finding() -> None:
    result = check()
    assert result.findings == ()
    assert result.eligible
    assert result.not_checked == ()
    # 2,000,000 × 25 % (default invention cap)
    assert result.indicative_max_loan == Money.of("500000")


def _co_owned() -> list[dict[str, object]]:
    return [
        {"name": OWNER, "share_percent": "60"},
        {"name": "乙公司", "share_percent": "40", "consents_to_pledge": False},
    ]


WITHOUT_SCOPE = ContractTerms(
    pledgor=OWNER,
    pledgee="示例银行",
    secured_amount=Money.of("200000"),
    term_months=24,
    patents=("ZL201910601862.2",),
    scope=" ",
)

CASES: dict[str, tuple[Code, Callable[[], EligibilityResult]]] = {
    "pledgor not owner": (
        Code.PLEDGOR_NOT_REGISTERED_OWNER,
        lambda: check(loan_fields={"pledgor": "别家公司"}),
    ),
    "no owners on the register": (
        Code.PLEDGOR_NOT_REGISTERED_OWNER,
        lambda: check({"owners": []}),
    ),
    "lapsed": (Code.PATENT_NOT_IN_FORCE, lambda: check({"legal_status": "lapsed"})),
    "invalidated": (Code.PATENT_NOT_IN_FORCE, lambda: check({"legal_status": "invalidated"})),
    "term ended, register not updated": (
        Code.PATENT_NOT_IN_FORCE,
        lambda: check(
            {"kind": "utility_model", "filing_date": date(2015, 3, 1), "fees_paid_through_year": 10}
        ),
    ),
    "application": (
        Code.NOT_GRANTED,
        lambda: check({"legal_status": "pending", "grant_date": None}),
    ),
    "granted after the check date": (
        Code.NOT_GRANTED,
        lambda: check({"grant_date": date(2025, 7, 1)}),
    ),
    "fee unpaid past the window": (Code.FEE_UNPAID, lambda: check({"fees_paid_through_year": 5})),
    "fee in the grace window": (Code.FEE_IN_GRACE, lambda: check(at=date(2025, 10, 15))),
    "ownership dispute": (Code.SUSPENDED_OR_PRESERVED, lambda: check({"ownership_dispute": True})),
    "preservation order": (Code.SUSPENDED_OR_PRESERVED, lambda: check({"preservation_until": AT})),
    "loan outlives the patent": (
        Code.TERM_EXCEEDS_PATENT_LIFE,
        lambda: check(
            {"kind": "utility_model", "filing_date": date(2016, 9, 1), "fees_paid_through_year": 9}
        ),
    ),
    "contract lacks its scope": (
        Code.CONTRACT_INCOMPLETE,
        lambda: check(loan_fields={"contract": WITHOUT_SCOPE}),
    ),
    "patent not in the contract's list": (
        Code.CONTRACT_INCOMPLETE,
        lambda: check_patent(
            make_patent(),
            make_loan(make_patent(serial=7)),
            AT,
            valuation=make_valuation(make_patent()),
        ),
    ),
    "co-owner has not consented": (
        Code.COOWNER_CONSENT_MISSING,
        lambda: check({"owners": _co_owned()}),
    ),
    "already pledged": (
        Code.ALREADY_PLEDGED,
        lambda: check(live_pledges=["ZL201910601862.2"]),
    ),
    "same-day twin filing": (
        Code.DUAL_FILING_ACK_REQUIRED,
        lambda: check(dual_filings=["201910601862.2"]),
    ),
    "invalidation pending": (
        Code.INVALIDATION_PENDING_ACK_REQUIRED,
        lambda: check({"invalidation_pending": True}),
    ),
    "forfeiture clause": (
        Code.FORFEITURE_CLAUSE,
        lambda: check(loan_fields={"forfeiture_clause": True}),
    ),
    "loan above the cap": (
        Code.LTV_EXCEEDS_POLICY,
        lambda: check(loan_fields={"amount": Money.of("500000.01")}),
    ),
    "valuation too old": (
        Code.VALUATION_EXPIRED,
        lambda: check(valuation=make_valuation(make_patent(), base_date=date(2024, 5, 31))),
    ),
    "term above the lender's": (
        Code.TERM_EXCEEDS_POLICY,
        lambda: check(loan_fields={"term_months": 37}),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_each_code_from_a_minimal_case(case: str) -> None:
    code, run = CASES[case]
    result = run()
    assert result.codes == (code,), [f.message_en for f in result.findings]
    (found,) = result.findings
    assert found.severity is (Severity.WARN if code in WARN else Severity.BLOCK)
    assert result.eligible is (code in WARN)
    assert CJK.search(found.message_zh)
    assert CJK.search(found.fix_zh)
    assert LATIN.search(found.message_en)
    assert LATIN.search(found.fix_en)


def test_every_code_but_input_invalid_has_a_single_patent_case() -> None:
    assert {code for code, _ in CASES.values()} == set(Code) - {Code.INPUT_INVALID}


@pytest.mark.parametrize("key", list(catalogue()), ids=lambda k: f"{k[0]}:{k[1]}")
def test_messages_exist_in_both_languages(key: tuple[Code, str]) -> None:
    entry = catalogue()[key]
    assert CJK.search(entry.message_zh)
    assert CJK.search(entry.fix_zh)
    assert LATIN.search(entry.message_en)
    assert LATIN.search(entry.fix_en)
    assert placeholders(entry.message_zh) == placeholders(entry.message_en)
    assert placeholders(entry.fix_zh) == placeholders(entry.fix_en)
    names = placeholders(entry.message_en) | placeholders(entry.fix_en)
    rendered = finding(entry.code, entry.variant, **dict.fromkeys(names, "X"))
    assert "{" not in rendered.message_zh + rendered.message_en + rendered.fix_zh + rendered.fix_en
    assert rendered.source_id


def test_every_code_has_a_message() -> None:
    assert {code for code, _ in catalogue()} == set(Code)


def test_names_are_listed_per_language() -> None:
    owners = [
        {"name": OWNER, "share_percent": "50"},
        {"name": "乙公司", "share_percent": "25"},
        {"name": "丙公司", "share_percent": "25"},
    ]
    (found,) = check({"owners": owners}).findings
    # sorted by code point, as the batch form sorts them: 丙 (U+4E19) before 乙 (U+4E59)
    assert "丙公司、乙公司" in found.message_zh
    assert "丙公司, 乙公司" in found.message_en


def test_co_owners_who_consented_are_not_listed() -> None:
    owners = _co_owned()
    owners[1]["consents_to_pledge"] = True
    assert check({"owners": owners}).findings == ()


# Fees: paid through year 6; year 7 falls due on 2025-09-01, the window ends 2026-02-28.
@pytest.mark.parametrize(
    ("at", "code", "surcharge"),
    [
        (date(2025, 8, 31), None, None),
        (date(2025, 9, 1), Code.FEE_IN_GRACE, "0.00"),  # month 1: no surcharge
        (date(2025, 10, 1), Code.FEE_IN_GRACE, "100.00"),  # month 2: 5 % of 2,000
        (date(2026, 2, 28), Code.FEE_IN_GRACE, "500.00"),  # month 6: 25 %
        (date(2026, 3, 1), Code.FEE_UNPAID, None),
    ],
)
def test_fee_grace_window(at: date, code: Code | None, surcharge: str | None) -> None:
    result = check(at=at, valuation=None)
    fee_codes = [f for f in result.findings if f.code in {Code.FEE_IN_GRACE, Code.FEE_UNPAID}]
    assert [f.code for f in fee_codes] == ([] if code is None else [code])
    if surcharge is not None:
        assert fee_codes[0].amount == Money.of(surcharge)
        assert f"CNY {surcharge}" in fee_codes[0].message_en
        assert f"¥{surcharge}" in fee_codes[0].message_zh


def test_surcharge_follows_the_fee_reduction() -> None:
    # 85 % reduction: the year-7 fee is 2,000 × 0.15 = 300; month 2 surcharge 5 % = 15.00
    result = check({"fee_reduction": "single"}, at=date(2025, 10, 1))
    assert result.findings[0].amount == Money.of("15.00")


def test_fees_unknown_are_not_checked() -> None:
    result = check({"fees_paid_through_year": None})
    assert result.findings == ()
    assert result.not_checked == (Unchecked.FEES,)


def test_preservation_ends_after_its_last_day() -> None:
    assert check({"preservation_until": date(2025, 5, 31)}).findings == ()


def test_loan_may_end_on_the_expiry_day() -> None:
    # utility model filed 2016-09-01 expires 2026-09-01; a 15-month loan from AT ends that day
    fields = {"kind": "utility_model", "filing_date": date(2016, 9, 1), "fees_paid_through_year": 9}
    assert check(fields, {"term_months": 15}).findings == ()
    assert check(fields, {"term_months": 16}).codes == (Code.TERM_EXCEEDS_PATENT_LIFE,)


def test_acknowledged_soft_findings_disappear() -> None:
    result = check(
        {"invalidation_pending": True},
        {"acknowledged": ACKNOWLEDGEABLE},
        dual_filings=["ZL201910601862.2"],
    )
    assert result.findings == ()


def test_only_soft_findings_can_be_acknowledged() -> None:
    with pytest.raises(ValueError, match="only soft findings"):
        make_loan(acknowledged={Code.FEE_UNPAID})


def test_each_missing_contract_item_is_named() -> None:
    result = check(loan_fields={"contract": ContractTerms(pledgor=OWNER)})
    fields = [f.field for f in result.findings]
    assert fields == [
        "contract.parties",
        "contract.secured_amount",
        "contract.term_months",
        "contract.patents",
        "contract.scope",
    ]


def test_without_contract_or_valuation_those_rules_are_not_checked() -> None:
    result = check(loan_fields={"contract": None}, valuation=None)
    assert result.eligible
    assert result.indicative_max_loan is None
    assert result.not_checked == (Unchecked.CONTRACT, Unchecked.VALUATION)


def test_a_blocked_patent_supports_no_loan() -> None:
    result = check({"ownership_dispute": True})
    assert result.indicative_max_loan == Money.of(0)


def test_the_appraisals_own_max_loan_caps_the_indicative_amount() -> None:
    patent = make_patent()
    valued = make_valuation(patent, max_loan=Money.of("150000"))
    result = check_patent(patent, make_loan(patent), AT, valuation=valued)
    assert result.indicative_max_loan == Money.of("150000")


def test_a_valuation_of_another_patent_is_refused() -> None:
    other = make_valuation(make_patent(serial=9))
    with pytest.raises(ValueError, match="does not belong"):
        check_patent(make_patent(), make_loan(), AT, valuation=other)


def test_result_refuses_an_inconsistent_eligible_flag() -> None:
    with pytest.raises(ValueError, match="eligible"):
        EligibilityResult(
            patent_number="ZL201910601862.2",
            as_of=AT,
            lender="default",
            eligible=True,
            findings=(finding(Code.ALREADY_PLEDGED, patent="x"),),
        )


# -- portfolios --------------------------------------------------------------------------------


def test_portfolio_totals_and_policy_fit() -> None:
    invention, utility = make_patent(), make_patent("utility_model", serial=11)
    valuations = [make_valuation(invention), make_valuation(utility)]
    loan = make_loan(invention, utility, amount=Money.of("400000"))
    result = check_portfolio([invention, utility], loan, AT, valuations=valuations)
    assert result.eligible
    assert result.fits_policy
    assert (result.patent_count, result.eligible_count) == (2, 2)
    assert result.appraised_total == Money.of("2000000")
    assert result.indicative_max_loan == Money.of("400000")  # 250,000 + 150,000
    assert result.ltv is not None
    assert result.ltv.cap == Decimal("0.2000")
    over = check_portfolio(
        [invention, utility],
        loan.model_copy(update={"amount": Money.of("400000.01")}),
        AT,
        valuations={v.patent_number: v for v in valuations},
    )
    assert not over.eligible
    assert over.fits_policy is False
    assert [f.code for f in over.findings] == [Code.LTV_EXCEEDS_POLICY]
    assert all(r.eligible for r in over.patents)


def test_portfolio_ltv_weighs_only_the_patents_that_can_be_pledged() -> None:
    """A lapsed patent secures nothing: the LTV test of a 300,000 loan on an invention (cap 25 %
    of 1,000,000) and a lapsed utility model (15 % of 1,000,000) weighs the invention alone, and
    fails, though the two values together would allow 400,000. A patent blocked only by the
    lender's policy (an expired valuation) still counts: it can be pledged once reappraised."""
    invention = make_patent()
    filed = date(2019, 9, 2)  # not the invention's twin
    lapsed = make_patent("utility_model", serial=11, filing_date=filed, legal_status="lapsed")
    loan = make_loan(invention, lapsed, amount=Money.of("300000"))
    valuations = [make_valuation(invention), make_valuation(lapsed)]
    result = check_portfolio([invention, lapsed], loan, AT, valuations=valuations)
    assert [r.codes for r in result.patents] == [(), (Code.PATENT_NOT_IN_FORCE,)]
    assert result.appraised_total == Money.of("1000000")
    assert result.ltv is not None
    assert (result.ltv.ltv, result.ltv.cap) == (Decimal("0.3000"), Decimal("0.2500"))
    assert result.ltv.policy_max_loan == Money.of("250000")
    assert [f.code for f in result.findings] == [Code.LTV_EXCEEDS_POLICY]
    assert "of the patents that can be pledged" in result.findings[0].message_en
    # money as the reports print it in Chinese; in English as the API writes it
    assert result.findings[0].message_zh.startswith("借款金额¥300,000.00为可质押专利评估价值¥1,000")
    assert result.findings[0].message_en.startswith("The loan of CNY 300,000.00 is 30.00 %")
    assert result.indicative_max_loan == Money.of("250000")

    utility = make_patent("utility_model", serial=11, filing_date=filed)
    stale = make_valuation(utility, base_date=date(2020, 1, 1))
    kept = check_portfolio(
        [invention, utility], loan, AT, valuations=[make_valuation(invention), stale]
    )
    assert kept.patents[1].codes == (Code.VALUATION_EXPIRED,)
    assert kept.appraised_total == Money.of("2000000")
    assert kept.findings == ()  # 300,000 is within the 400,000 of both values

    worthless = check_portfolio(
        [invention], make_loan(invention), AT, valuations=[make_valuation(invention, value="0")]
    )
    assert [(f.code, f.variant) for f in worthless.findings] == [
        (Code.LTV_EXCEEDS_POLICY, "no_collateral")
    ]
    assert worthless.findings[0].message_en == (
        "No patent that can be pledged carries an appraised value to secure the loan of "
        "CNY 200,000.00."
    )

    nothing = check_portfolio([lapsed], make_loan(lapsed), AT, valuations=[valuations[1]])
    assert nothing.ltv is not None
    assert nothing.ltv.ltv is None
    assert nothing.appraised_total == Money.of("0")
    assert nothing.findings == ()  # the patent's own finding says why; the LTV adds nothing


def test_portfolio_keeps_loan_findings_apart() -> None:
    patent = make_patent()
    loan = make_loan(patent, forfeiture_clause=True)
    result = check_portfolio([patent], loan, AT, valuations=[make_valuation(patent)])
    assert result.patents[0].findings == ()
    assert [f.code for f in result.findings] == [Code.FORFEITURE_CLAUSE]
    assert result.eligible  # a warning only


def test_same_day_twins_in_the_list_are_found() -> None:
    filed = date(2019, 9, 1)
    invention = make_patent(filing_date=filed)
    utility = make_patent("utility_model", filing_date=filed)
    other = make_patent("utility_model", serial=5, filing_date=date(2019, 9, 2))
    patents = [invention, utility, other]
    result = check_portfolio(patents, make_loan(*patents), AT)
    assert [r.codes for r in result.patents] == [
        (Code.DUAL_FILING_ACK_REQUIRED,),
        (Code.DUAL_FILING_ACK_REQUIRED,),
        (),
    ]
    assert result.fits_policy is None
    assert result.not_checked == (Unchecked.VALUATION,)


def test_portfolio_refuses_duplicates_and_empty_lists() -> None:
    patent = make_patent()
    with pytest.raises(ValueError, match="more than once"):
        check_portfolio([patent, patent], make_loan(patent), AT)
    with pytest.raises(ValueError, match="no patents"):
        check_portfolio([], make_loan(), AT)


def test_valuation_from_the_engine() -> None:
    from valuation.engine import value_patent

    patent = make_patent()
    valued = PatentValuation.from_result(value_patent(patent, base_date=date(2025, 1, 1)))
    assert valued.patent_number == patent.number.patent_number
    assert valued.max_loan is not None
    assert valued.max_loan <= valued.value
    result = check_patent(patent, make_loan(patent, amount=Money.of(1)), AT, valuation=valued)
    assert result.eligible


def test_proposed_loan_validation() -> None:
    with pytest.raises(ValueError, match="positive"):
        ProposedLoan(amount=Money.of(0), term_months=12, pledgor=OWNER)
    loan = ProposedLoan(amount=Money.of(1), term_months=12, pledgor=OWNER, start=date(2025, 1, 31))
    assert loan.end(AT) == date(2026, 1, 31)


# -- whose policy a finding names --------------------------------------------------------------


def _policy_findings(loan: ProposedLoan, book: PolicyBook) -> dict[Code, Finding]:
    """The TERM and LTV findings of an over-long, over-large loan on a patent, and the
    VALUATION_EXPIRED finding when its valuation has expired."""
    patent = make_patent()
    fresh = make_valuation(patent, value="100000")
    stale = fresh.model_copy(update={"base_date": date(2020, 1, 1)})
    found: dict[Code, Finding] = {}
    for valuation in (stale, fresh):
        result = check_portfolio([patent], loan, AT, valuations=[valuation], book=book)
        found |= {f.code: f for f in (*result.findings, *result.patents[0].findings)}
    wanted = {Code.TERM_EXCEEDS_POLICY, Code.VALUATION_EXPIRED, Code.LTV_EXCEEDS_POLICY}
    assert wanted <= set(found)
    return {code: found[code] for code in wanted}


def test_a_finding_names_the_policy_that_applied() -> None:
    """A lender without rows of its own is held to the default policy, and the findings say
    so; a lender with its own rows is named by its name (its id when the name is not given),
    in both languages, in the batch too."""
    book = load_policies(
        [
            *SHIPPED_POLICIES,
            policy_row("bank-a", "*", "ltv_cap", "0.30"),
            policy_row("bank-a", "*", "max_term_months", "24"),
        ]
    )
    patent = make_patent()
    loan = make_loan(patent, amount=Money.of("90000"), term_months=48)
    default = _policy_findings(loan.model_copy(update={"lender": "bank-b"}), book)
    for found in default.values():
        assert "默认贷款人政策" in found.message_zh, found.message_zh
        assert "the default lender policy" in found.message_en, found.message_en
        assert "bank-b" not in found.message_zh + found.message_en
    named = loan.model_copy(update={"lender": "bank-a", "lender_name": "甲银行"})
    own = _policy_findings(named, book)
    assert "超过甲银行的质押率上限" in own[Code.LTV_EXCEEDS_POLICY].message_zh
    assert "above 甲银行's pledge-rate cap" in own[Code.LTV_EXCEEDS_POLICY].message_en
    assert "超过甲银行对该类专利的最长期限" in own[Code.TERM_EXCEEDS_POLICY].message_zh
    # bank-a has no validity of its own: the default policy's applied
    assert "默认贷款人政策接受的" in own[Code.VALUATION_EXPIRED].message_zh
    by_id = _policy_findings(named.model_copy(update={"lender_name": None}), book)
    assert "超过bank-a的质押率上限" in by_id[Code.LTV_EXCEEDS_POLICY].message_zh

"""The batch pre-check agrees with the single one, row by row, message by message."""

from datetime import date, timedelta
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from models import LegalStatus, Money, Patent
from pledge.eligibility import check_portfolio
from pledge.eligibility_batch import EXTRA_COLUMNS, eligibility_batch
from pledge.findings import ACKNOWLEDGEABLE, Code
from pledge.policy import DEFAULT_LENDER, PatentValuation, load_policies
from pledge.proposal import ContractTerms, ProposedLoan
from tests.pledge.builders import AT, OWNER, cn_number, make_loan, make_patent, make_valuation
from tests.pledge.test_policy import SHIPPED, row

NAMES = (OWNER, "乙公司", "丙公司")
BOOK = load_policies(
    [*SHIPPED, row("bank-a", "*", "ltv_cap", "0.30"), row("bank-a", "*", "max_term_months", "24")]
)
"""The shipped policies and a lender with rows of its own (the others get the default)."""
FILING_DATES = (date(2009, 2, 28), date(2016, 8, 31), date(2019, 9, 1), date(2021, 6, 1))


def as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def frame_row(patent: Patent, valuation: PatentValuation | None, dual: bool) -> dict[str, Any]:
    """The patent as a batch row of text cells, as read from a CSV file."""
    row = {
        "patent_id": patent.number.format(spaced=True),
        "patent_type": patent.patent_type.value,
        "filing_date": patent.filing_date,
        "grant_date": patent.grant_date,
        "expiry_date": patent.expiry_date_given,
        "legal_status": patent.legal_status.value,
        "owners": ";".join(o.name for o in patent.owners) or None,
        "consenting_owners": "; ".join(o.name for o in patent.owners if o.consents_to_pledge),
        "fees_paid_through_year": patent.fees_paid_through_year,
        "fee_reduction": None if patent.fee_reduction is None else patent.fee_reduction.value,
        "ownership_dispute": patent.ownership_dispute,
        "preservation_until": patent.preservation_until,
        "invalidation_pending": patent.invalidation_pending,
        "dual_filing": "是" if dual else "否",
        "term_adjustment_days": patent.term_adjustment_days,
        "valuation_base_date": None if valuation is None else valuation.base_date,
        "appraised_value": None if valuation is None else valuation.value.amount,
    }
    return {key: as_text(value) for key, value in row.items()}


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String))


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Patent], list[PatentValuation], set[str], set[str]]:
    size = draw(st.integers(1, 12))
    patents, valuations, duals, live = [], [], set(), set()
    for serial in range(size):
        kind = draw(st.sampled_from(["invention", "utility_model", "design"]))
        filed = draw(st.sampled_from(FILING_DATES))
        status = draw(st.sampled_from(list(LegalStatus)))
        granted = None
        if status not in (LegalStatus.PENDING, LegalStatus.WITHDRAWN, LegalStatus.REJECTED):
            granted = filed + timedelta(days=draw(st.integers(200, 6000)))
        names = draw(st.lists(st.sampled_from(NAMES), min_size=0, max_size=3, unique=True))
        shares = [100 - 10 * (len(names) - 1)] + [10] * (len(names) - 1) if names else []
        owners = [
            {"name": n, "share_percent": s, "consents_to_pledge": draw(st.booleans())}
            for n, s in zip(names, shares, strict=True)
        ]
        age = max((AT - filed).days // 365, 0)
        patent = make_patent(
            kind,
            serial=serial,
            filing_date=filed,
            grant_date=granted,
            legal_status=status,
            owners=owners,
            fees_paid_through_year=draw(st.none() | st.integers(max(age - 1, 0), age + 2)),
            fee_reduction=draw(st.sampled_from([None, "single", "joint"])),
            ownership_dispute=draw(st.booleans()),
            preservation_until=draw(st.none() | st.dates(date(2025, 1, 1), date(2025, 12, 31))),
            invalidation_pending=draw(st.booleans()),
            term_adjustment_days=draw(st.sampled_from([0, 0, 400])),
        )
        patents.append(patent)
        if draw(st.booleans()) or draw(st.booleans()):
            base = draw(st.dates(date(2024, 3, 1), date(2025, 5, 31)))
            value = draw(st.integers(0, 5_000_000))
            valuations.append(
                make_valuation(patent, value=f"{value}.{serial % 100:02d}", base_date=base)
            )
        if draw(st.integers(0, 5)) == 0:
            duals.add(patent.number.patent_number)
        if draw(st.integers(0, 5)) == 0:
            live.add(patent.number.patent_number)
    return patents, valuations, duals, live


@st.composite
def loans(draw: st.DrawFn, patents: list[Patent]) -> ProposedLoan:
    listed = draw(st.lists(st.sampled_from(patents), unique_by=lambda p: p.number.patent_number))
    contract = ContractTerms(
        pledgor=OWNER,
        pledgee="示例银行",
        secured_amount=draw(st.none() | st.just(Money.of(1))),
        term_months=12,
        patents=tuple(p.number.patent_number for p in listed),
        scope=draw(st.sampled_from([None, "本金和利息"])),
    )
    return make_loan(
        amount=Money.of(draw(st.integers(1, 3_000_000))),
        term_months=draw(st.integers(1, 60)),
        pledgor=draw(st.sampled_from(NAMES)),
        contract=draw(st.none() | st.just(contract)),
        forfeiture_clause=draw(st.booleans()),
        acknowledged=draw(st.sets(st.sampled_from(sorted(ACKNOWLEDGEABLE)))),
        lender=draw(st.sampled_from([DEFAULT_LENDER, "bank-a", "bank-b"])),
        lender_name=draw(st.none() | st.just("甲银行")),
    )


@settings(max_examples=60, deadline=None)
@given(data=st.data(), at=st.dates(date(2025, 1, 1), date(2026, 6, 30)))
def test_batch_agrees_with_single(data: st.DataObject, at: date) -> None:
    patents, valuations, duals, live = data.draw(cases())
    loan = data.draw(loans(patents))
    single = check_portfolio(
        patents, loan, at, valuations=valuations, live_pledges=live, dual_filings=duals, book=BOOK
    )
    by_number = {v.patent_number: v for v in valuations}
    rows = [
        frame_row(p, by_number.get(p.number.patent_number), p.number.patent_number in duals)
        for p in patents
    ]
    batch = eligibility_batch(frame(rows), loan, at, live_pledges=live, book=BOOK)
    assert batch.findings.filter(pl.col("code") == Code.INPUT_INVALID).is_empty()
    for index, result in enumerate(single.patents):
        got = batch.findings.filter(pl.col("row") == index)
        assert got["patent_id"].unique().to_list() in ([], [result.patent_number])
        expected = [
            (f.code.value, f.severity.value, f.field, f.message_zh, f.message_en)
            for f in result.findings
        ]
        assert (
            got.select("code", "severity", "field", "message_zh", "message_en").rows() == expected
        )
    assert batch.loan_findings == single.findings
    assert batch.ltv == single.ltv


def test_a_bad_row_is_reported_and_the_others_checked() -> None:
    good = make_patent()
    rows = [
        frame_row(good, make_valuation(good), dual=False),
        {**frame_row(make_patent(serial=3), None, dual=False), "filing_date": "2019-13-01"},
        {**frame_row(make_patent(serial=4), None, dual=False), "ownership_dispute": "maybe"},
        {**frame_row(make_patent(serial=5), None, dual=False), "fee_reduction": "half"},
    ]
    batch = eligibility_batch(frame(rows), make_loan(good), AT)
    invalid = batch.findings.filter(pl.col("code") == Code.INPUT_INVALID)
    assert invalid["row"].to_list() == [1, 2, 3]
    messages = invalid["message_en"].to_list()
    assert "filing_date" in messages[0]
    assert "ownership_dispute: 'maybe' is not true or false" in messages[1]
    assert "fee_reduction: 'half' is not single or joint" in messages[2]
    assert batch.findings.filter(pl.col("row") == 0).is_empty()
    assert batch.ltv is None  # rows 1-3 have no valuation


def test_a_fee_in_grace_reads_as_in_the_single_check() -> None:
    """The fee and surcharge of the batch's messages are those of the single check, money
    printed per language (¥ in Chinese, CNY in English)."""
    patent = make_patent()  # year 7 falls due on 2025-09-01
    at = date(2025, 10, 1)  # month 2 of the grace window: 5 % of the fee
    single = check_portfolio([patent], make_loan(patent), at)
    batch = eligibility_batch(frame([frame_row(patent, None, dual=False)]), make_loan(patent), at)
    grace = batch.findings.filter(pl.col("code") == Code.FEE_IN_GRACE)
    expected = next(f for f in single.patents[0].findings if f.code is Code.FEE_IN_GRACE)
    assert grace["message_zh"].to_list() == [expected.message_zh]
    assert grace["message_en"].to_list() == [expected.message_en]
    assert "¥" in expected.message_zh
    assert "CNY" in expected.message_en


def test_typed_columns_and_missing_ones() -> None:
    patent = make_patent(ownership_dispute=True)
    typed = pl.DataFrame(
        {
            "patent_id": [patent.number.patent_number],
            "filing_date": [patent.filing_date],
            "grant_date": [patent.grant_date],
            "owners": [OWNER],
            "ownership_dispute": [True],
            "appraised_value": [2_000_000.0],
            "valuation_base_date": [date(2025, 1, 1)],
        }
    )
    batch = eligibility_batch(typed, make_loan(patent), AT)
    assert batch.findings["code"].to_list() == [Code.SUSPENDED_OR_PRESERVED]
    assert batch.ltv is not None
    # the suspended patent cannot be pledged: its value secures nothing, and the LTV test,
    # weighing the loan against nothing, adds no finding of its own
    assert batch.ltv.appraised_total == Money.of("0")
    assert batch.loan_findings == ()


def test_the_extra_columns_are_documented() -> None:
    import pledge.eligibility_batch as module

    assert module.__doc__ is not None
    for column in EXTRA_COLUMNS:
        assert f"``{column.name}``" in module.__doc__


def test_a_large_list_in_one_pass() -> None:
    patents = [make_patent(serial=i, fees_paid_through_year=i % 8) for i in range(2000)]
    rows = [frame_row(p, None, dual=False) for p in patents]
    batch = eligibility_batch(frame(rows), make_loan(*patents[:10]), AT)
    # patent year 6 at AT: paid through 0-5 is past the window of a fee due by 2024-09-01
    counts = dict(batch.findings["code"].value_counts().iter_rows())
    assert counts == {Code.FEE_UNPAID: 1500, Code.CONTRACT_INCOMPLETE: 1990}
    assert cn_number(2019, serial=0) in set(batch.findings["patent_id"])


def test_a_pledgor_column_checks_each_row_against_its_own_pledgor() -> None:
    own = make_patent(serial=1)
    other = make_patent(serial=2, owners=[{"name": "乙公司"}])
    rows = [frame_row(own, None, dual=False), frame_row(other, None, dual=False)]
    rows[0]["pledgor"], rows[1]["pledgor"] = None, " 乙公司 "
    batch = eligibility_batch(frame(rows), make_loan(own, other, contract=None), AT)
    # row 0 falls back to the loan's pledgor (the owner); row 1 names its own owner
    assert batch.findings.filter(pl.col("code") == Code.PLEDGOR_NOT_REGISTERED_OWNER).is_empty()
    rows[1]["pledgor"] = "丙公司"
    batch = eligibility_batch(frame(rows), make_loan(own, other, contract=None), AT)
    found = batch.findings.filter(pl.col("code") == Code.PLEDGOR_NOT_REGISTERED_OWNER)
    assert found["row"].to_list() == [1]
    assert "丙公司" in found["message_en"][0]

"""Repayment schedules: hand-computed oracles, numpy-financial cross-check, invariants."""

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models import DayCount, Loan, Money, RepaymentMethod
from pledge.schedule import (
    InterestBasis,
    PrepaymentMode,
    RowKind,
    Schedule,
    ScheduleError,
    add_months,
    allocate_payment,
    annuity_payment,
    build_schedule,
    day_fraction,
    days_30_360,
    payoff_amount,
    prepay,
    schedule_for_loan,
)

EI, EP = RepaymentMethod.EQUAL_INSTALMENTS, RepaymentMethod.EQUAL_PRINCIPAL
FEN = Decimal("0.01")
RATE = Decimal("0.0435")


def fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_EVEN)


def test_equal_instalments_oracle() -> None:
    # 1,000,000 at 4.35 % a year over 12 months; monthly rate i = 0.0435 / 12 = 0.003625.
    # (1 + i)^12 = 1.003625^12 = 1.0443778468709...
    # A = P·i·(1+i)^n / ((1+i)^n − 1) = 1,000,000 × 0.003625 × 1.04437784687 / 0.04437784687
    #   = 85,309.9003635... → 85,309.90 a month.
    s = build_schedule(Money.of("1000000"), RATE, 12, date(2024, 1, 15))
    assert s.level == Money.of("85309.90")
    first = s.rows[0]
    # Interest of month 1: 1,000,000 × 0.003625 = 3,625.00; principal 85,309.90 − 3,625 = 81,684.90.
    assert (first.interest, first.principal) == (Money.of("3625.00"), Money.of("81684.90"))
    assert first.closing_balance == Money.of("918315.10")
    assert all(row.payment == Money.of("85309.90") for row in s.rows[:-1])
    # The last instalment repays what remains: 12 × 85,309.90 would overpay by 0.01.
    assert s.rows[-1].payment == Money.of("85309.89")
    assert s.total_principal == Money.of("1000000")
    assert s.total_interest == Money.of("23718.79")  # 12 × 85,309.90 − 0.01 − 1,000,000
    assert s.total_payment == Money.of("1023718.79")


def test_equal_principal_oracle() -> None:
    # 1,200,000 over 12 months: 1,200,000 / 12 = 100,000 principal a month.
    # Interest of month k: (1,200,000 − 100,000·(k − 1)) × 0.003625 → 4,350.00 first, 362.50 last;
    # total 100,000 × 0.003625 × (12 + 11 + … + 1) = 362.50 × 78 = 28,275.00.
    s = build_schedule(Money.of("1200000"), RATE, 12, date(2024, 1, 15), EP)
    assert all(row.principal == Money.of("100000") for row in s.rows)
    assert s.rows[0].interest == Money.of("4350.00")
    assert s.rows[0].payment == Money.of("104350.00")
    assert s.rows[-1].interest == Money.of("362.50")
    assert s.total_interest == Money.of("28275.00")


def test_equal_principal_remainder_goes_to_the_last_instalment() -> None:
    # 1,000,000 / 12 = 83,333.333… → 83,333.33 × 11 = 916,666.63; the last repays 83,333.37.
    s = build_schedule(Money.of("1000000"), RATE, 12, date(2024, 1, 15), EP)
    assert [row.principal.amount for row in s.rows] == [Decimal("83333.33")] * 11 + [
        Decimal("83333.37")
    ]


def test_act_365_interest_by_days() -> None:
    # 15 Jan → 15 Feb 2024 is 31 days: 1,200,000 × 0.0435 × 31/365 = 4,433.4246… → 4,433.42;
    # 15 Feb → 15 Mar 2024 is 29 days: 1,100,000 × 0.0435 × 29/365 = 3,801.7808… → 3,801.78.
    s = build_schedule(Money.of("1200000"), RATE, 12, date(2024, 1, 15), EP, InterestBasis.ACT_365)
    assert [(r.days, r.accrual_days, r.year_days) for r in s.rows[:2]] == [
        (31, 31, 365),
        (29, 29, 365),
    ]
    assert [r.interest for r in s.rows[:2]] == [Money.of("4433.42"), Money.of("3801.78")]


def test_thirty_360_whole_months_accrue_as_the_monthly_rate() -> None:
    # 30E/360 counts every whole month as 30 days (31 Jan → 29 Feb: D1 31 → 30, D2 29 Feb is the
    # last of February → 30), so interest is balance × 0.0435 × 30/360 = balance × 0.003625.
    start = date(2024, 1, 31)
    thirty = build_schedule(Money.of("1000000"), RATE, 36, start, EI, InterestBasis.THIRTY_360)
    monthly = build_schedule(Money.of("1000000"), RATE, 36, start, EI, InterestBasis.MONTHLY)
    assert all(row.accrual_days == 30 for row in thirty.rows)
    assert [r.interest for r in thirty.rows] == [r.interest for r in monthly.rows]
    assert thirty.rows[0].interest == Money.of("3625.00")


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2024, 1, 15), date(2024, 7, 15), 180),  # six whole months
        (date(2024, 1, 31), date(2024, 2, 29), 30),  # D1 31 → 30; D2 last of February → 30
        (date(2024, 2, 29), date(2024, 3, 31), 30),  # D1 last of February → 30; D2 31 → 30
        (date(2024, 2, 28), date(2024, 3, 31), 32),  # 28 Feb 2024 is not the last: 30 + 30 − 28
        (date(2023, 2, 28), date(2023, 3, 28), 28),  # 28 Feb 2023 is the last: 30 + 28 − 30
        (date(2023, 3, 31), date(2023, 4, 30), 30),  # D1 31 → 30
        (date(2023, 3, 30), date(2023, 5, 31), 60),  # D2 31 → 30
        (date(2024, 5, 15), date(2024, 5, 31), 15),  # a broken period: 30 − 15
    ],
)
def test_30_360_days(start: date, end: date, days: int) -> None:
    assert days_30_360(start, end) == days
    assert day_fraction(start, end, DayCount.THIRTY_360) == Decimal(days) / 360


def test_act_365_fraction() -> None:
    assert day_fraction(date(2024, 1, 1), date(2025, 1, 1), DayCount.ACT_365) == Decimal(366) / 365
    assert day_fraction(date(2023, 1, 1), date(2024, 1, 1), DayCount.ACT_365) == 1
    assert day_fraction(date(2024, 1, 15), date(2024, 7, 15), DayCount.ACT_365) == Decimal(
        182
    ) / Decimal(365)


def test_due_dates_keep_the_start_day() -> None:
    assert [add_months(date(2024, 1, 31), k) for k in (1, 2, 3, 13)] == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2025, 2, 28),
    ]


def test_schedule_for_loan_uses_its_terms() -> None:
    loan = Loan(
        loan_id="L1",
        borrower_id="E1",
        lender_id="B1",
        principal=Money.of("1200000"),
        annual_rate="0.0435",
        term_months=12,
        repayment=EP,
        day_count=DayCount.ACT_365,
        maker="alice",
    )
    s = schedule_for_loan(loan, date(2024, 1, 15))
    assert (s.method, s.basis, s.term_months) == (EP, InterestBasis.ACT_365, 12)
    assert schedule_for_loan(loan, date(2024, 1, 15), InterestBasis.MONTHLY).total_interest == (
        Money.of("28275.00")
    )


def test_zero_rate_and_refusals() -> None:
    s = build_schedule(Money.of("1000"), Decimal(0), 3, date(2024, 1, 1))
    assert [r.payment.amount for r in s.rows] == [
        Decimal("333.33"),
        Decimal("333.33"),
        Decimal("333.34"),
    ]
    with pytest.raises(ScheduleError, match="principal must be positive"):
        build_schedule(Money.of("0"), RATE, 12, date(2024, 1, 1))
    with pytest.raises(ScheduleError, match="at least one month"):
        build_schedule(Money.of("100"), RATE, 0, date(2024, 1, 1))


def test_an_inconsistent_schedule_is_refused() -> None:
    s = build_schedule(Money.of("1000"), RATE, 2, date(2024, 1, 1))
    data = s.model_dump(exclude={"total_interest", "total_principal", "total_payment"})
    data["rows"][1]["principal"] = {"amount": "1.00", "currency": "CNY"}
    with pytest.raises(ValidationError, match="payment ≠ interest \\+ principal"):
        Schedule.model_validate(data)


def test_allocation_interest_first() -> None:
    due_interest, due_principal = Money.of("3625.00"), Money.of("81684.90")
    small = allocate_payment(Money.of("5000"), due_interest, due_principal)
    assert (small.interest, small.principal, small.unapplied) == (
        Money.of("3625.00"),
        Money.of("1375.00"),
        Money.of("0"),
    )
    tiny = allocate_payment(Money.of("1000"), due_interest, due_principal)
    assert (tiny.interest, tiny.principal) == (Money.of("1000"), Money.of("0"))
    big = allocate_payment(Money.of("100000"), due_interest, due_principal)
    assert big.unapplied == Money.of("14690.10")  # 100,000 − 3,625 − 81,684.90


def base() -> Schedule:
    return build_schedule(Money.of("1000000"), RATE, 12, date(2024, 1, 31))


def test_prepayment_on_a_due_date_keeping_the_term() -> None:
    # After instalment 3 (30 Apr 2024) the balance is 754,055.90; 300,000 on that day leaves
    # 454,055.90 over the 9 months left: A = 454,055.90 × 0.003625 / (1 − 1.003625^−9)
    # = 51,369.4853… → 51,369.49.
    s = prepay(base(), date(2024, 4, 30), Money.of("300000"))
    assert s.rows[2].closing_balance == Money.of("754055.90")
    row = s.rows[3]
    assert (row.kind, row.interest, row.principal) == (
        RowKind.PREPAYMENT,
        Money.of("0"),
        Money.of("300000"),
    )
    assert s.level == Money.of("51369.49")
    assert fen(annuity_payment(Decimal("454055.90"), RATE / 12, 9)) == Decimal("51369.49")
    assert s.term_months == 12
    assert all(r.payment == s.level for r in s.rows[4:-1])
    assert s.total_principal == Money.of("1000000")


def test_prepayment_on_a_due_date_keeping_the_instalment() -> None:
    # 454,055.90 at 85,309.90 a month: 5 months would need 91,801.13 a month, 6 months
    # 76,639.02 ≤ 85,309.90, so 6 instalments remain, the last one smaller.
    s = prepay(base(), date(2024, 4, 30), Money.of("300000"), PrepaymentMode.KEEP_INSTALMENT)
    assert s.term_months == 9  # 3 paid + 6 left
    assert s.level == Money.of("85309.90")
    assert all(r.payment == Money.of("85309.90") for r in s.rows[4:-1])
    assert s.rows[-1].payment < Money.of("85309.90")
    assert s.rows[-1].due_date == date(2024, 10, 31)
    assert s.total_principal == Money.of("1000000")


def test_prepayment_between_due_dates_pays_accrued_interest_first() -> None:
    # Last due date 30 Apr; 15 May is 15 actual days, counted over 360 (日利率 = 年利率 ÷ 360):
    # accrued interest 754,055.90 × 0.0435 × 15/360 = 1,366.7263… → 1,366.73;
    # principal 300,000 − 1,366.73 = 298,633.27.
    s = prepay(base(), date(2024, 5, 15), Money.of("300000"))
    row = s.rows[3]
    assert (row.due_date, row.accrual_days) == (date(2024, 5, 15), 15)
    assert (row.interest, row.principal) == (Money.of("1366.73"), Money.of("298633.27"))
    # The next period runs 15 May → 31 May: a broken period of 16 actual days over 360
    # (15 days under 30E/360).
    assert (s.rows[4].due_date, s.rows[4].accrual_days, s.rows[4].year_days) == (
        date(2024, 5, 31),
        16,
        360,
    )
    thirty = build_schedule(
        Money.of("1000000"), RATE, 12, date(2024, 1, 31), EI, InterestBasis.THIRTY_360
    )
    assert prepay(thirty, date(2024, 5, 15), Money.of("300000")).rows[4].accrual_days == 15
    assert payoff_amount(base(), date(2024, 5, 15)) == Money.of("755422.63")


def test_full_prepayment_closes() -> None:
    s = prepay(base(), date(2024, 5, 15))
    assert s.rows[-1].kind is RowKind.PREPAYMENT
    assert s.rows[-1].payment == Money.of("755422.63")  # 754,055.90 + 1,366.73
    assert s.rows[-1].closing_balance == Money.of("0")
    assert len(s.rows) == 4
    again = prepay(base(), date(2024, 5, 15), Money.of("755422.63"))
    assert again == s


def test_prepayment_refusals() -> None:
    with pytest.raises(ScheduleError, match="exceeds the payoff amount"):
        prepay(base(), date(2024, 5, 15), Money.of("800000"))
    with pytest.raises(ScheduleError, match="nothing would go to principal"):
        prepay(base(), date(2024, 5, 15), Money.of("1000"))
    with pytest.raises(ScheduleError, match="in USD"):
        prepay(base(), date(2024, 5, 15), Money.of("1000", "USD"))
    with pytest.raises(ScheduleError, match="already repaid"):
        prepay(base(), date(2025, 2, 1), Money.of("1000"))
    with pytest.raises(ScheduleError, match="before the loan starts"):
        prepay(base(), date(2024, 1, 1), Money.of("1000"))


PRINCIPALS = st.decimals(Decimal("1000"), Decimal("100000000"), places=2)
RATES = st.decimals(Decimal("0.001"), Decimal("0.24"), places=4)
TERMS = st.integers(1, 360)
STARTS = st.dates(date(2000, 1, 1), date(2040, 12, 31))


@settings(max_examples=200, deadline=None)
@given(PRINCIPALS, RATES, TERMS)
def test_level_payment_matches_numpy_financial(principal: Decimal, rate: Decimal, n: int) -> None:
    s = build_schedule(Money.of(principal), rate, n, date(2024, 1, 1))
    expected = Decimal(float(-npf.pmt(float(rate) / 12, n, float(principal))))
    exact = annuity_payment(principal, rate / 12, n)
    # The float pmt is within half a fen of the level payment, give or take its own rounding:
    # (1 + r)^n − 1 loses about 1e-16 / (r·n) of itself (1.3e-12 at r = 0.1 %/12, n = 1), so
    # 47,401,140.01 at 0.1 % for one month, exactly 47,405,090.1050008, is 47,405,090.1049429
    # in floats and the fen falls the other way.
    assert abs(s.level.amount - expected) <= Decimal("0.005") + expected * Decimal("1e-11")
    assert s.level.amount == fen(exact)


@settings(max_examples=200, deadline=None)
@given(
    PRINCIPALS,
    RATES,
    TERMS,
    STARTS,
    st.sampled_from(RepaymentMethod),
    st.sampled_from(InterestBasis),
)
def test_schedule_invariants(
    principal: Decimal,
    rate: Decimal,
    n: int,
    start: date,
    method: RepaymentMethod,
    basis: InterestBasis,
) -> None:
    s = build_schedule(Money.of(principal), rate, n, start, method, basis)
    assert s.total_principal == Money.of(principal)
    assert len(s.rows) <= n
    for row in s.rows:
        assert row.closing_balance.amount >= 0
        assert row.interest.amount >= 0
        assert row.principal.amount >= 0
        assert row.interest.amount == fen(
            row.opening_balance.amount * rate * row.accrual_days / row.year_days
        )
    if method is EP:
        assert all(r.principal == s.level for r in s.rows[:-1])


@settings(max_examples=150, deadline=None)
@given(
    PRINCIPALS,
    RATES,
    st.integers(2, 120),
    st.sampled_from(RepaymentMethod),
    st.sampled_from(InterestBasis),
    st.sampled_from(PrepaymentMode),
    st.integers(0, 3000),
    st.decimals(Decimal("0.05"), Decimal("0.95"), places=2),
)
def test_prepayment_invariants(
    principal: Decimal,
    rate: Decimal,
    n: int,
    method: RepaymentMethod,
    basis: InterestBasis,
    mode: PrepaymentMode,
    offset: int,
    share: Decimal,
) -> None:
    start = date(2024, 1, 31)
    s = build_schedule(Money.of(principal), rate, n, start, method, basis)
    on = date.fromordinal(start.toordinal() + offset % (s.rows[-1].due_date - start).days)
    payoff = payoff_amount(s, on)
    amount = Money.of(fen(payoff.amount * share))
    paid = [r for r in s.rows if r.due_date <= on]
    balance = paid[-1].closing_balance.amount if paid else principal
    if amount.amount <= payoff.amount - balance:
        # The amount does not exceed the interest accrued since the last due date: refused.
        with pytest.raises(ScheduleError, match="nothing would go to principal"):
            prepay(s, on, amount, mode)
        return
    after = prepay(s, on, amount, mode)
    assert after.total_principal == Money.of(principal)
    assert all(r.closing_balance.amount >= 0 for r in after.rows)
    assert after.term_months <= s.term_months
    # Keeping the term never extends it (a tiny balance may finish early: the level is rounded).
    assert after.rows[-1].due_date <= s.rows[-1].due_date
    assert prepay(s, on).rows[-1].payment == payoff

r"""Repayment schedules: equal instalments (等额本息) and equal principal (等额本金).

Interest of a period is the opening balance times the annual rate times the period's day
fraction, rounded half-even to the fen:

.. math::

    I_k = B_{k-1} \cdot r \cdot \frac{d_k}{Y}

where :math:`d_k / Y` depends on the interest basis:

* ``MONTHLY`` — the plain monthly rate :math:`r / 12` for a whole month, and actual days over
  360 for a broken period (after a prepayment between due dates): the PBOC conversions
  月利率 = 年利率 ÷ 12 and 日利率 = 年利率 ÷ 360 [2]_. Chinese banks quote both 等额本息 and
  等额本金 this way; it is the default of both methods.
* ``ACT_365`` — actual days over 365 (ACT/365 Fixed, ISDA 2006 §4.16(d)).
* ``THIRTY_360`` — 30E/360 (ISDA 2006 §4.16(h)): a day 31 or the last day of February counts as
  the 30th, at both ends, so every whole month is 30 days (the termination-date exception for
  February is not applied). Whole months therefore accrue exactly as under ``MONTHLY``.

Equal instalments pay a level amount from the annuity formula at the nominal monthly rate
:math:`i = r / 12` over the :math:`n` remaining periods (under every basis):

.. math::

    A = B \cdot \frac{i}{1 - (1 + i)^{-n}} \quad (A = B / n \text{ when } i = 0),

the principal part being :math:`A - I_k`. Under ACT/365 the interest of a period differs
slightly from :math:`B \cdot i`, so the principal parts absorb the difference; a principal part
is never negative (when a period's interest exceeds :math:`A`, the instalment is that interest,
and the loan may finish early). Equal principal repays :math:`B / n` each period plus that
period's interest. Every amount is rounded to the fen and the last instalment repays whatever
principal remains, so principal sums exactly to the loan.

Due dates fall monthly on the start's day of month (clipped to the month's end: 31 January gives
29 February, then 31 March). A payment goes to interest due first, then principal. A partial
prepayment recomputes the rest either keeping the term (a lower instalment) or keeping the
instalment (fewer periods); a full prepayment closes the schedule.

References
----------
.. [1] ISDA, *2006 ISDA Definitions*, §4.16 Day Count Fraction.
.. [2] PBOC, 《人民币利率管理规定》 (Provisions on the Administration of RMB Interest Rates), 1999.
.. [3] Apache Fineract, loan schedule generators (declining balance, equal principal).
.. [4] docs/DOMAIN.md §4 "Loan lifecycle".
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from models.dates import add_months
from models.enums import DayCount, RepaymentMethod
from models.lending import Loan
from models.money import Money, Rate, round_money, total

_ZERO = Decimal(0)
_MONTHS_PER_YEAR = 12


class InterestBasis(StrEnum):
    """How a period's day fraction is counted."""

    MONTHLY = "monthly"  # r / 12 per whole month; actual days / 360 for a broken period
    ACT_365 = "act/365"
    THIRTY_360 = "30/360"


class PrepaymentMode(StrEnum):
    """What a partial prepayment keeps unchanged."""

    KEEP_TERM = "keep_term"  # same number of periods, lower instalment (缩短月供)
    KEEP_INSTALMENT = "keep_instalment"  # same instalment, fewer periods (缩短期限)


class RowKind(StrEnum):
    INSTALMENT = "instalment"
    PREPAYMENT = "prepayment"


class ScheduleError(ValueError):
    """A schedule or a prepayment that cannot be built as asked."""


def basis_for(day_count: DayCount) -> InterestBasis:
    """The interest basis of a loan's day-count convention."""
    return InterestBasis(day_count.value)


def _day_30e(day: date) -> int:
    last_of_february = day.month == 2 and day.day == calendar.monthrange(day.year, 2)[1]
    return 30 if day.day == 31 or last_of_february else day.day


def days_30_360(start: date, end: date) -> int:
    """Days from ``start`` to ``end`` under 30E/360 (ISDA 2006 §4.16(h)), without the
    termination-date exception: day 31 and the last day of February count as the 30th."""
    months = 12 * (end.year - start.year) + end.month - start.month
    return 30 * months + _day_30e(end) - _day_30e(start)


def accrual_days(start: date, end: date, basis: InterestBasis, whole: bool) -> tuple[int, int]:
    """``(d, Y)`` of a period so that its day fraction is ``d / Y``.

    ``whole`` says the period is a full scheduled month, which the ``MONTHLY`` basis counts as
    30/360 = 1/12 whatever its calendar length; a broken period counts actual days over 360.
    """
    if end < start:
        raise ScheduleError(f"period ends {end} before it starts {start}")
    if basis is InterestBasis.ACT_365:
        return (end - start).days, 365
    if basis is InterestBasis.THIRTY_360:
        return days_30_360(start, end), 360
    return (30 if whole else (end - start).days), 360


def day_fraction(start: date, end: date, day_count: DayCount) -> Decimal:
    """The year fraction from ``start`` to ``end`` under ACT/365 Fixed or 30E/360."""
    days, year = accrual_days(start, end, basis_for(day_count), whole=False)
    return Decimal(days) / Decimal(year)


def annuity_payment(balance: Decimal, monthly_rate: Decimal, periods: int) -> Decimal:
    """Unrounded level payment :math:`B i / (1 - (1 + i)^{-n})`, or :math:`B / n` at zero rate."""
    if periods < 1:
        raise ScheduleError(f"an annuity needs at least one period, got {periods}")
    if monthly_rate == 0:
        return balance / periods
    return balance * monthly_rate / (1 - (1 + monthly_rate) ** -periods)


class ScheduleRow(BaseModel):
    """One period: interest = opening × rate × accrual_days / year_days; payment = interest +
    principal; closing = opening − principal. ``days`` counts calendar days."""

    model_config = ConfigDict(frozen=True)

    number: Annotated[int, Field(ge=1)]
    kind: RowKind = RowKind.INSTALMENT
    due_date: date
    days: Annotated[int, Field(ge=0)]
    accrual_days: Annotated[int, Field(ge=0)]
    year_days: Annotated[int, Field(gt=0)]
    opening_balance: Money
    interest: Money
    principal: Money
    payment: Money
    closing_balance: Money


class Schedule(BaseModel):
    """A repayment schedule: its terms, its rows, and their totals.

    ``level`` is the level instalment (equal instalments) or the level principal part (equal
    principal) of the periods still to come.
    """

    model_config = ConfigDict(frozen=True)

    method: RepaymentMethod
    basis: InterestBasis
    principal: Money
    annual_rate: Rate
    start: date
    level: Money
    rows: Annotated[tuple[ScheduleRow, ...], Field(min_length=1)]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_interest(self) -> Money:
        return total([row.interest for row in self.rows], self.principal.currency)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_principal(self) -> Money:
        return total([row.principal for row in self.rows], self.principal.currency)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_payment(self) -> Money:
        return total([row.payment for row in self.rows], self.principal.currency)

    @property
    def term_months(self) -> int:
        return sum(row.kind is RowKind.INSTALMENT for row in self.rows)

    @model_validator(mode="after")
    def _consistent(self) -> Schedule:
        balance, previous = self.principal, self.start
        for expected, row in enumerate(self.rows, start=1):
            if row.number != expected:
                raise ValueError(f"row {row.number} is out of sequence (expected {expected})")
            if row.due_date < previous:
                raise ValueError(f"row {row.number} falls due before the previous row")
            if row.opening_balance != balance:
                raise ValueError(f"row {row.number} opens at {row.opening_balance}, not {balance}")
            if row.payment != row.interest + row.principal:
                raise ValueError(f"row {row.number}: payment ≠ interest + principal")
            if row.closing_balance != row.opening_balance - row.principal:
                raise ValueError(f"row {row.number}: closing ≠ opening − principal")
            if min(row.interest.amount, row.principal.amount, row.closing_balance.amount) < 0:
                raise ValueError(f"row {row.number} has a negative amount")
            balance, previous = row.closing_balance, row.due_date
        if balance.amount != 0:
            raise ValueError(f"the schedule leaves {balance} unpaid")
        return self


class Allocation(BaseModel):
    """A payment split into interest, principal and what neither could absorb."""

    model_config = ConfigDict(frozen=True)

    interest: Money
    principal: Money
    unapplied: Money


def allocate_payment(amount: Money, interest_due: Money, principal_due: Money) -> Allocation:
    """Allocate a payment to interest due first, then principal; the excess stays unapplied."""
    if amount.amount < 0:
        raise ScheduleError(f"a payment cannot be negative, got {amount}")
    interest = min(amount, interest_due)
    principal = min(amount - interest, principal_due)
    return Allocation(
        interest=interest, principal=principal, unapplied=amount - interest - principal
    )


_Terms = tuple[RepaymentMethod, InterestBasis, Decimal, str]  # method, basis, annual rate, currency


def _rows(
    terms: _Terms,
    balance: Decimal,
    periods: Sequence[tuple[date, date, bool]],
    level: Decimal,
    first_number: int,
) -> list[ScheduleRow]:
    """Amortise ``balance`` over ``periods`` (start, due date, whole month?) at a level amount."""
    method, basis, annual_rate, currency = terms
    rows: list[ScheduleRow] = []
    for index, (start, due, whole) in enumerate(periods):
        days, year = accrual_days(start, due, basis, whole)
        interest = round_money(balance * annual_rate * days / year, currency)
        if index == len(periods) - 1:
            principal = balance
        elif method is RepaymentMethod.EQUAL_INSTALMENTS:
            principal = min(max(level - interest, _ZERO), balance)
        else:
            principal = min(level, balance)
        rows.append(
            ScheduleRow(
                number=first_number + index,
                due_date=due,
                days=(due - start).days,
                accrual_days=days,
                year_days=year,
                opening_balance=Money(amount=balance, currency=currency),
                interest=Money(amount=interest, currency=currency),
                principal=Money(amount=principal, currency=currency),
                payment=Money(amount=interest + principal, currency=currency),
                closing_balance=Money(amount=balance - principal, currency=currency),
            )
        )
        balance -= principal
        if balance == 0:
            break
    return rows


def _level(
    method: RepaymentMethod, balance: Decimal, annual_rate: Decimal, periods: int, currency: str
) -> Decimal:
    if method is RepaymentMethod.EQUAL_INSTALMENTS:
        monthly = annual_rate / _MONTHS_PER_YEAR
        return round_money(annuity_payment(balance, monthly, periods), currency)
    return round_money(balance / periods, currency)


def build_schedule(
    principal: Money,
    annual_rate: Decimal,
    term_months: int,
    start: date,
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALMENTS,
    basis: InterestBasis = InterestBasis.MONTHLY,
) -> Schedule:
    """The schedule of a loan of ``principal`` disbursed on ``start``, repaid monthly."""
    if principal.amount <= 0:
        raise ScheduleError(f"principal must be positive, got {principal}")
    if term_months < 1:
        raise ScheduleError(f"the term must be at least one month, got {term_months}")
    if annual_rate < 0:
        raise ScheduleError(f"the annual rate cannot be negative, got {annual_rate}")
    dues = [add_months(start, k) for k in range(term_months + 1)]
    periods = [(dues[k], dues[k + 1], True) for k in range(term_months)]
    level = _level(method, principal.amount, annual_rate, term_months, principal.currency)
    terms = (method, basis, annual_rate, principal.currency)
    rows = _rows(terms, principal.amount, periods, level, first_number=1)
    return Schedule(
        method=method,
        basis=basis,
        principal=principal,
        annual_rate=annual_rate,
        start=start,
        level=Money(amount=level, currency=principal.currency),
        rows=tuple(rows),
    )


def schedule_for_loan(loan: Loan, start: date, basis: InterestBasis | None = None) -> Schedule:
    """The schedule of ``loan`` disbursed on ``start``; the basis defaults to its day count."""
    return build_schedule(
        loan.principal,
        loan.annual_rate,
        loan.term_months,
        start,
        loan.repayment,
        basis_for(loan.day_count) if basis is None else basis,
    )


def _position(
    schedule: Schedule, on: date
) -> tuple[list[ScheduleRow], Decimal, Decimal, date, bool, list[date]]:
    """Rows paid by ``on``, the balance, interest accrued since, the last due date, whether
    ``on`` is that date, and the due dates still to come."""
    if on < schedule.start:
        raise ScheduleError(f"{on} is before the loan starts on {schedule.start}")
    paid = [row for row in schedule.rows if row.due_date <= on]
    balance = paid[-1].closing_balance.amount if paid else schedule.principal.amount
    if balance == 0:
        raise ScheduleError(f"the loan is already repaid by {on}")
    last = paid[-1].due_date if paid else schedule.start
    days, year = accrual_days(last, on, schedule.basis, whole=False)
    currency = schedule.principal.currency
    accrued = round_money(balance * schedule.annual_rate * days / year, currency)
    dues = [r.due_date for r in schedule.rows if r.due_date > on and r.kind is RowKind.INSTALMENT]
    return paid, balance, accrued, last, last == on, dues


def payoff_amount(schedule: Schedule, on: date) -> Money:
    """Balance plus interest accrued since the last due date: what closes the loan on ``on``.

    Instalments falling due on or before ``on`` are taken as paid as scheduled.
    """
    _, balance, accrued, _, _, _ = _position(schedule, on)
    return Money(amount=balance + accrued, currency=schedule.principal.currency)


def _keep_instalment_periods(schedule: Schedule, balance: Decimal, available: int) -> int:
    level, currency = schedule.level.amount, schedule.principal.currency
    if schedule.method is RepaymentMethod.EQUAL_PRINCIPAL:
        needed = int((balance / level).to_integral_value(rounding=ROUND_CEILING))
        return max(1, min(needed, available))
    monthly = schedule.annual_rate / _MONTHS_PER_YEAR
    for periods in range(1, available + 1):
        if round_money(annuity_payment(balance, monthly, periods), currency) <= level:
            return periods
    return available


def prepay(
    schedule: Schedule,
    on: date,
    amount: Money | None = None,
    mode: PrepaymentMode = PrepaymentMode.KEEP_TERM,
) -> Schedule:
    """The schedule after a prepayment of ``amount`` on ``on`` (``None``: pay off in full).

    Instalments due on or before ``on`` are taken as paid. The prepayment goes to the interest
    accrued since the last due date first, then to principal. Paying the payoff amount closes the
    schedule; less recomputes the rest by ``mode`` over the remaining due dates.
    """
    paid, balance, accrued, last, on_due_date, dues = _position(schedule, on)
    currency = schedule.principal.currency
    payoff = Money(amount=balance + accrued, currency=currency)
    amount = payoff if amount is None else amount
    if amount.currency != currency:
        raise ScheduleError(f"the prepayment is in {amount.currency}, the loan in {currency}")
    if amount > payoff:
        raise ScheduleError(f"the prepayment {amount} exceeds the payoff amount {payoff} on {on}")
    split = allocate_payment(
        amount,
        Money(amount=accrued, currency=currency),
        Money(amount=balance, currency=currency),
    )
    if split.principal.amount <= 0:
        raise ScheduleError(
            f"the prepayment {amount} does not exceed the accrued interest "
            f"{Money(amount=accrued, currency=currency)}: nothing would go to principal"
        )
    remaining = balance - split.principal.amount
    days, year = accrual_days(last, on, schedule.basis, whole=False)
    row = ScheduleRow(
        number=len(paid) + 1,
        kind=RowKind.PREPAYMENT,
        due_date=on,
        days=(on - last).days,
        accrual_days=days,
        year_days=year,
        opening_balance=Money(amount=balance, currency=currency),
        interest=split.interest,
        principal=split.principal,
        payment=amount,
        closing_balance=Money(amount=remaining, currency=currency),
    )
    level = schedule.level.amount
    rows = [*paid, row]
    if remaining > 0:
        count = len(dues)
        if mode is PrepaymentMode.KEEP_INSTALMENT:
            count = _keep_instalment_periods(schedule, remaining, len(dues))
        else:
            level = _level(schedule.method, remaining, schedule.annual_rate, count, currency)
        starts, ends = [on, *dues[: count - 1]], dues[:count]
        periods = [
            (s, e, k > 0 or on_due_date) for k, (s, e) in enumerate(zip(starts, ends, strict=True))
        ]
        terms = (schedule.method, schedule.basis, schedule.annual_rate, currency)
        rows += _rows(terms, remaining, periods, level, first_number=len(rows) + 1)
    level_money = Money(amount=level, currency=currency)
    return Schedule(**{**dict(schedule), "rows": tuple(rows), "level": level_money})

"""Double-entry postings of a pledge-secured loan.

A journal entry is a set of legs, each debiting or crediting one account of the chart with a
positive amount; an entry refuses to exist unless its debits equal its credits in every currency.
Entries are never updated: a mistake is undone by :func:`reverse`, which posts the mirror entry
(every debit becomes a credit and back) referencing the original.

Postings (borrower's loan seen from the lender's books):

================  ==================================  ==================================
event             debit                               credit
================  ==================================  ==================================
disbursement      loans receivable                    cash
interest accrual  interest receivable                 interest income
repayment         cash                                interest receivable (interest part),
                                                      loans receivable (principal part)
write-off         credit-loss expense                 loans receivable, interest receivable
reschedule (old)  cash                                loans receivable
reschedule (new)  loans receivable                    cash
================  ==================================  ==================================

A reschedule moves the old loan's principal to its successor as the old loan repaid by the new
one's proceeds: a repayment entry on the old loan and a disbursement entry on the successor, the
same amount on the same day, so cash nets to nothing (no money leaves the bank) and the
principal is owed once, by the successor. Each names the other loan in its memo.

A balance is debits minus credits, so asset and expense accounts carry positive balances and
income accounts negative ones; over any set of balanced entries the balances sum to zero per
currency (the trial balance).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.money import DEFAULT_CURRENCY, Money


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class Account(StrEnum):
    """The chart of accounts of loan postings."""

    CASH = "cash"
    LOANS_RECEIVABLE = "loans_receivable"
    INTEREST_RECEIVABLE = "interest_receivable"
    INTEREST_INCOME = "interest_income"
    CREDIT_LOSS_EXPENSE = "credit_loss_expense"

    @property
    def type(self) -> AccountType:
        return _ACCOUNT_TYPES[self]


_ACCOUNT_TYPES = {
    Account.CASH: AccountType.ASSET,
    Account.LOANS_RECEIVABLE: AccountType.ASSET,
    Account.INTEREST_RECEIVABLE: AccountType.ASSET,
    Account.INTEREST_INCOME: AccountType.INCOME,
    Account.CREDIT_LOSS_EXPENSE: AccountType.EXPENSE,
}


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class EntryKind(StrEnum):
    DISBURSEMENT = "disbursement"
    INTEREST_ACCRUAL = "interest_accrual"
    REPAYMENT = "repayment"
    WRITE_OFF = "write_off"
    REVERSAL = "reversal"


class Leg(BaseModel):
    """One line of an entry: an account debited or credited with a positive amount."""

    model_config = ConfigDict(frozen=True)

    account: Account
    side: Side
    amount: Money

    @property
    def signed(self) -> Decimal:
        """The amount as a balance sees it: positive for a debit, negative for a credit."""
        return self.amount.amount if self.side is Side.DEBIT else -self.amount.amount


class JournalEntry(BaseModel):
    """A balanced, immutable set of legs about one loan."""

    model_config = ConfigDict(frozen=True)

    entry_id: Annotated[str, Field(min_length=1)]
    loan_id: Annotated[str, Field(min_length=1)]
    kind: EntryKind
    posted_on: date
    legs: Annotated[tuple[Leg, ...], Field(min_length=2)]
    reverses: str | None = None
    memo: str = ""

    @model_validator(mode="after")
    def _balanced(self) -> JournalEntry:
        net: defaultdict[str, Decimal] = defaultdict(Decimal)
        for leg in self.legs:
            if leg.amount.amount <= 0:
                raise ValueError(
                    f"entry {self.entry_id}: the {leg.side} to {leg.account} is {leg.amount}; "
                    "every leg must be a positive amount"
                )
            net[leg.amount.currency] += leg.signed
        for currency, difference in net.items():
            if difference != 0:
                raise ValueError(
                    f"entry {self.entry_id}: debits exceed credits by {currency} {difference} "
                    "(Σ debit must equal Σ credit in every currency)"
                )
        if (self.kind is EntryKind.REVERSAL) != (self.reverses is not None):
            raise ValueError(
                f"entry {self.entry_id}: a reversal, and only a reversal, "
                "names the entry it reverses"
            )
        return self


def _legs(side: Side, parts: Iterable[tuple[Account, Money]]) -> list[Leg]:
    return [Leg(account=a, side=side, amount=m) for a, m in parts if m.amount != 0]


def _entry(
    entry_id: str,
    loan_id: str,
    kind: EntryKind,
    on: date,
    debits: Iterable[tuple[Account, Money]],
    credits: Iterable[tuple[Account, Money]],
    memo: str,
) -> JournalEntry:
    legs = _legs(Side.DEBIT, debits) + _legs(Side.CREDIT, credits)
    if not legs:
        raise ValueError(f"{kind.value} {entry_id} of zero: nothing to post")
    return JournalEntry(
        entry_id=entry_id, loan_id=loan_id, kind=kind, posted_on=on, legs=tuple(legs), memo=memo
    )


def disburse(entry_id: str, loan_id: str, amount: Money, on: date, memo: str = "") -> JournalEntry:
    """Dr loans receivable, Cr cash: the principal paid out to the borrower."""
    return _entry(
        entry_id,
        loan_id,
        EntryKind.DISBURSEMENT,
        on,
        [(Account.LOANS_RECEIVABLE, amount)],
        [(Account.CASH, amount)],
        memo,
    )


def accrue_interest(
    entry_id: str, loan_id: str, amount: Money, on: date, memo: str = ""
) -> JournalEntry:
    """Dr interest receivable, Cr interest income: interest earned and not yet paid."""
    return _entry(
        entry_id,
        loan_id,
        EntryKind.INTEREST_ACCRUAL,
        on,
        [(Account.INTEREST_RECEIVABLE, amount)],
        [(Account.INTEREST_INCOME, amount)],
        memo,
    )


def repay(
    entry_id: str, loan_id: str, interest: Money, principal: Money, on: date, memo: str = ""
) -> JournalEntry:
    """Dr cash; Cr interest receivable (interest part) and loans receivable (principal part).

    Split the payment first with :func:`pledge.schedule.allocate_payment` (interest due first);
    interest is expected to have been accrued before it is paid.
    """
    return _entry(
        entry_id,
        loan_id,
        EntryKind.REPAYMENT,
        on,
        [(Account.CASH, interest + principal)],
        [(Account.INTEREST_RECEIVABLE, interest), (Account.LOANS_RECEIVABLE, principal)],
        memo,
    )


def write_off(
    entry_id: str,
    loan_id: str,
    principal: Money,
    on: date,
    interest: Money | None = None,
    memo: str = "",
) -> JournalEntry:
    """Dr credit-loss expense; Cr loans receivable (principal) and interest receivable."""
    interest = Money.zero(principal.currency) if interest is None else interest
    return _entry(
        entry_id,
        loan_id,
        EntryKind.WRITE_OFF,
        on,
        [(Account.CREDIT_LOSS_EXPENSE, principal + interest)],
        [(Account.LOANS_RECEIVABLE, principal), (Account.INTEREST_RECEIVABLE, interest)],
        memo,
    )


def reschedule_out(
    entry_id: str, loan_id: str, principal: Money, on: date, successor_id: str
) -> JournalEntry:
    """Dr cash, Cr loans receivable: the rescheduled loan's principal settled by its successor."""
    return repay(
        entry_id,
        loan_id,
        Money.zero(principal.currency),
        principal,
        on,
        f"rescheduled: principal moved to {successor_id}",
    )


def reschedule_in(
    entry_id: str, loan_id: str, principal: Money, on: date, rescheduled_id: str
) -> JournalEntry:
    """Dr loans receivable, Cr cash: the successor takes over the rescheduled loan's principal."""
    return disburse(
        entry_id, loan_id, principal, on, f"rescheduled: principal taken over from {rescheduled_id}"
    )


def reverse(
    entry: JournalEntry, entry_id: str | None = None, on: date | None = None, memo: str = ""
) -> JournalEntry:
    """The mirror of ``entry`` (debits and credits swapped), referencing it.

    The id defaults to ``<original id>:reversal`` and the date to the original's.
    """
    flipped = {Side.DEBIT: Side.CREDIT, Side.CREDIT: Side.DEBIT}
    return JournalEntry(
        entry_id=f"{entry.entry_id}:reversal" if entry_id is None else entry_id,
        loan_id=entry.loan_id,
        kind=EntryKind.REVERSAL,
        posted_on=entry.posted_on if on is None else on,
        legs=tuple(leg.model_copy(update={"side": flipped[leg.side]}) for leg in entry.legs),
        reverses=entry.entry_id,
        memo=memo or f"reversal of {entry.entry_id}",
    )


def check_journal(entries: Iterable[JournalEntry]) -> None:
    """Refuse a journal with a repeated entry id, or a reversal of an unknown or already-reversed
    entry (an entry may be reversed once; its reversal may be reversed in turn)."""
    seen: set[str] = set()
    reversed_ids: Counter[str] = Counter()
    for entry in entries:
        if entry.entry_id in seen:
            raise ValueError(f"entry id {entry.entry_id!r} is posted twice")
        if entry.reverses is not None:
            if entry.reverses not in seen:
                raise ValueError(
                    f"{entry.entry_id!r} reverses {entry.reverses!r}, which is not posted before it"
                )
            reversed_ids[entry.reverses] += 1
            if reversed_ids[entry.reverses] > 1:
                raise ValueError(f"entry {entry.reverses!r} is reversed more than once")
        seen.add(entry.entry_id)


def balances(
    entries: Iterable[JournalEntry], loan_id: str | None = None
) -> dict[tuple[Account, str], Money]:
    """Debits minus credits per (account, currency), of one loan or of all."""
    net: defaultdict[tuple[Account, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if loan_id is None or entry.loan_id == loan_id:
            for leg in entry.legs:
                net[leg.account, leg.amount.currency] += leg.signed
    return {key: Money(amount=value, currency=key[1]) for key, value in net.items()}


def trial_balance(entries: Iterable[JournalEntry]) -> dict[str, Money]:
    """The sum of all balances per currency: zero for any set of balanced entries."""
    result: dict[str, Money] = {}
    for (_, currency), amount in balances(entries).items():
        result[currency] = result.get(currency, Money.zero(currency)) + amount
    return result


def outstanding_principal(
    entries: Iterable[JournalEntry], loan_id: str, currency: str = DEFAULT_CURRENCY
) -> Money:
    """The loan's principal not yet repaid or written off: its loans-receivable balance."""
    found = balances(entries, loan_id)
    others = {c for (a, c) in found if a is Account.LOANS_RECEIVABLE and c != currency}
    if others:
        raise ValueError(f"loan {loan_id} has principal in {sorted(others)}, not only {currency}")
    return found.get((Account.LOANS_RECEIVABLE, currency), Money.zero(currency))


def accrued_interest(
    entries: Iterable[JournalEntry], loan_id: str, currency: str = DEFAULT_CURRENCY
) -> Money:
    """The loan's interest accrued and not yet paid or written off."""
    found = balances(entries, loan_id)
    return found.get((Account.INTEREST_RECEIVABLE, currency), Money.zero(currency))

"""The journal in the database: entries of :mod:`pledge.ledger` posted, read back and summed.

An entry's legs are inserted before its header; the header seals the entry, and the database
refuses it unless the legs balance (the migrations hold the triggers). Entries are never updated
or deleted; :func:`pledge.ledger.reverse` undoes one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, case, func, insert, select
from sqlalchemy.orm import Session

from models.money import Money
from pledge.ledger import Account, EntryKind, JournalEntry, Leg, Side
from storage.errors import DomainError
from storage.tables import JournalEntryRow, JournalLegRow, table_of

_INSERT_LEGS = insert(table_of(JournalLegRow))
_INSERT_HEADER = insert(table_of(JournalEntryRow))
_COUNT_ENTRIES = select(func.count()).where(JournalEntryRow.loan_id == bindparam("loan_id"))
SIGNED_AMOUNT = case(
    (JournalLegRow.side == Side.DEBIT.value, JournalLegRow.amount), else_=-JournalLegRow.amount
)


def post(session: Session, entry: JournalEntry) -> JournalEntry:
    """Insert ``entry``: its legs, then the header that seals them."""
    currencies = {leg.amount.currency for leg in entry.legs}
    if len(currencies) != 1:
        raise DomainError("legs", f"entry {entry.entry_id} mixes currencies {sorted(currencies)}")
    session.execute(
        _INSERT_LEGS,
        [
            {
                "entry_id": entry.entry_id,
                "line": line,
                "account": leg.account.value,
                "side": leg.side.value,
                "amount": leg.amount.amount,
            }
            for line, leg in enumerate(entry.legs, start=1)
        ],
    )
    session.execute(
        _INSERT_HEADER,
        {
            "entry_id": entry.entry_id,
            "loan_id": entry.loan_id,
            "kind": entry.kind.value,
            "posted_on": entry.posted_on,
            "currency": currencies.pop(),
            "reverses": entry.reverses,
            "memo": entry.memo,
            "recorded_at": datetime.now(UTC),
        },
    )
    return entry


def next_entry_id(session: Session, loan_id: str) -> str:
    """The id of the loan's next entry: ``<loan id>/<n>``, n counting from 00001.

    Call it while holding the loan's lock, as the loan commands do."""
    count = session.execute(_COUNT_ENTRIES, {"loan_id": loan_id}).scalar_one()
    return f"{loan_id}/{count + 1:05d}"


def entries(session: Session, loan_id: str | None = None) -> list[JournalEntry]:
    """The posted entries (of one loan, or all), in posting order."""
    query = select(JournalEntryRow).order_by(JournalEntryRow.recorded_at, JournalEntryRow.entry_id)
    if loan_id is not None:
        query = query.where(JournalEntryRow.loan_id == loan_id)
    headers = list(session.execute(query).scalars())
    ids = [h.entry_id for h in headers]
    legs: defaultdict[str, list[Leg]] = defaultdict(list)
    if ids:
        rows = session.execute(
            select(JournalLegRow)
            .where(JournalLegRow.entry_id.in_(ids))
            .order_by(JournalLegRow.entry_id, JournalLegRow.line)
        ).scalars()
        currency = {h.entry_id: h.currency for h in headers}
        for row in rows:
            legs[row.entry_id].append(
                Leg(
                    account=Account(row.account),
                    side=Side(row.side),
                    amount=Money.of(row.amount, currency[row.entry_id]),
                )
            )
    return [
        JournalEntry(
            entry_id=h.entry_id,
            loan_id=h.loan_id,
            kind=EntryKind(h.kind),
            posted_on=h.posted_on,
            legs=tuple(legs[h.entry_id]),
            reverses=h.reverses,
            memo=h.memo,
        )
        for h in headers
    ]


def get_entry(session: Session, entry_id: str) -> JournalEntryRow | None:
    """The header of entry ``entry_id``, if posted."""
    return session.get(JournalEntryRow, entry_id)


def reversal_of(session: Session, entry_id: str) -> str | None:
    """The id of the entry that reverses ``entry_id``, if any."""
    query = select(JournalEntryRow.entry_id).where(JournalEntryRow.reverses == entry_id)
    return session.execute(query).scalar_one_or_none()


def balances(
    session: Session, loan_ids: Iterable[str] | None = None, as_of: date | None = None
) -> dict[tuple[str, Account, str], Money]:
    """Debits minus credits per (loan, account, currency), from entries posted by ``as_of``."""
    query = (
        select(
            JournalEntryRow.loan_id,
            JournalLegRow.account,
            JournalEntryRow.currency,
            func.sum(SIGNED_AMOUNT),
        )
        .join(JournalEntryRow, JournalEntryRow.entry_id == JournalLegRow.entry_id)
        .group_by(JournalEntryRow.loan_id, JournalLegRow.account, JournalEntryRow.currency)
    )
    if loan_ids is not None:
        query = query.where(JournalEntryRow.loan_id.in_(list(loan_ids)))
    if as_of is not None:
        query = query.where(JournalEntryRow.posted_on <= as_of)
    return {
        (loan_id, Account(account), currency): Money.of(amount, currency)
        for loan_id, account, currency, amount in session.execute(query)
    }


def loan_balance(session: Session, loan_id: str, account: Account, currency: str) -> Money:
    """One account's balance for one loan (zero when nothing is posted)."""
    found = balances(session, [loan_id])
    return found.get((loan_id, account, currency), Money.zero(currency))


def trial_balance(session: Session) -> dict[str, Decimal]:
    """Σ debits − Σ credits per currency over the whole journal: zero when it balances."""
    query = (
        select(JournalEntryRow.currency, func.sum(SIGNED_AMOUNT))
        .join(JournalEntryRow, JournalEntryRow.entry_id == JournalLegRow.entry_id)
        .group_by(JournalEntryRow.currency)
    )
    return dict(session.execute(query).all())

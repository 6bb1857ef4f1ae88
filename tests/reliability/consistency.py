"""What must hold in a database after any crash: nothing half-written, the ledger balanced, the
audit chain intact. Each check reads the tables directly and returns what is wrong."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from api.cli import app
from api.idempotency import new_id
from storage import ledger, loans
from storage.database import make_engine
from storage.tables import (
    HttpIdempotencyRow,
    JournalEntryRow,
    JournalLegRow,
    LoanRow,
    PledgedPatentRow,
    PledgeRow,
    RepaymentRow,
)

CREATED_BY_KEY = {"pledge": ("pl", PledgeRow), "loan": ("ln", LoanRow)}
"""Records whose id an Idempotency-Key names (``api.idempotency.new_id``)."""


def _half_written(session: Session) -> list[str]:
    wrong = []
    patents = dict(
        session.execute(
            select(PledgedPatentRow.pledge_id, func.count()).group_by(PledgedPatentRow.pledge_id)
        ).all()
    )
    for pledge_id, status in session.execute(select(PledgeRow.pledge_id, PledgeRow.status)):
        if not patents.get(pledge_id):
            wrong.append(f"pledge {pledge_id} ({status}) has no patents")
    legs: defaultdict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for entry_id, side, amount in session.execute(
        select(JournalLegRow.entry_id, JournalLegRow.side, JournalLegRow.amount)
    ):
        legs[entry_id].append((side, amount))
    headers = set(session.execute(select(JournalEntryRow.entry_id)).scalars())
    for entry_id in headers | set(legs):
        debit = sum((a for s, a in legs[entry_id] if s == "debit"), Decimal(0))
        credit = sum((a for s, a in legs[entry_id] if s == "credit"), Decimal(0))
        if entry_id not in headers:
            wrong.append(f"legs of {entry_id} without their entry")
        elif len(legs[entry_id]) < 2 or debit != credit:
            wrong.append(f"entry {entry_id}: {len(legs[entry_id])} legs, {debit} ≠ {credit}")
    for repayment_id, entry_id in session.execute(
        select(RepaymentRow.repayment_id, RepaymentRow.entry_id)
    ):
        if entry_id not in headers:
            wrong.append(f"repayment {repayment_id} without its journal entry {entry_id}")
    return wrong


def _balances(session: Session) -> list[str]:
    wrong = [
        f"trial balance {currency}: {total}"
        for currency, total in ledger.trial_balance(session).items()
        if total != 0
    ]
    repaid: defaultdict[str, Decimal] = defaultdict(Decimal)
    for loan_id, principal in session.execute(select(RepaymentRow.loan_id, RepaymentRow.principal)):
        repaid[loan_id] += principal
    for loan in session.execute(select(LoanRow)).scalars():
        outstanding = loans.position(session, loan.loan_id).principal.amount
        if loan.disbursed_on is None:
            expected = Decimal(0)
        else:
            expected = loan.principal - repaid[loan.loan_id]
        if loan.status != "written_off" and outstanding != expected:
            wrong.append(f"loan {loan.loan_id} ({loan.status}): owes {outstanding}, {expected}")
    return wrong


def _keys(session: Session) -> list[str]:
    """An answered key's record exists; an unanswered claim (its request died) left none."""
    wrong = []
    for row in session.execute(select(HttpIdempotencyRow)).scalars():
        kind = row.key.split(":", 1)[1].split("-", 1)[0]
        if kind not in CREATED_BY_KEY:
            continue
        prefix, table = CREATED_BY_KEY[kind]
        record_id = new_id(prefix, f"http:{row.key}")
        exists = session.get(table, record_id) is not None
        if row.body is not None:
            named = json.loads(row.body)[f"{kind}_id"]
            if named != record_id or not exists:
                wrong.append(f"key {row.key} answered with {named}, which is not stored")
        elif exists:
            wrong.append(f"key {row.key} was never answered, yet {record_id} is stored")
    return wrong


def problems(url: str) -> list[str]:
    """Everything wrong in the database at ``url`` (empty: consistent)."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return _half_written(session) + _balances(session) + _keys(session)
    finally:
        engine.dispose()


def audit_verify(url: str) -> Result:
    """``patentval audit verify`` on ``url`` (the command itself, run in this process)."""
    return CliRunner().invoke(app, ["audit", "verify", "--database-url", url])

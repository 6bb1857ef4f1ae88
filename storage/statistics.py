"""The pledge frame of :mod:`pledge.statistics`, read from the database.

One row per pledge that was ever registered: its pledgee's name as ``bank``, its pledgor's
industry (``unclassified`` when the party has none), the patent type of its patents (``mixed``
when they differ), and as ``outstanding`` the principal its loans owed by the frame's date,
summed from the journal (entries posted on or before that date).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from pledge.disclosure import DisclosureRule
from pledge.ledger import Account
from pledge.statistics import MIXED_TYPES, SCHEMA, UNCLASSIFIED, Dimension, pledge_statistics
from storage import ledger
from storage.tables import LoanRow, PartyRow, PatentRow, PledgedPatentRow, PledgeRow

PLEDGED_PATENTS = "pledged_patents"
_MONEY = pl.Decimal(20, 2)


def pledge_frame(
    session: Session, as_of: date | None = None, *, pledgee_id: str | None = None
) -> pl.DataFrame:
    """The registered pledges as :mod:`pledge.statistics` reads them, outstanding at ``as_of``
    (default: everything posted); only those held by ``pledgee_id`` when given."""
    pledgor, pledgee = aliased(PartyRow), aliased(PartyRow)
    query = (
        select(
            PledgeRow.pledge_id,
            PledgeRow.registered_on,
            PledgeRow.released_on,
            pledgee.name,
            pledgor.industry,
            PledgeRow.pledgor_id,
            PledgeRow.secured_amount,
        )
        .join(pledgor, pledgor.party_id == PledgeRow.pledgor_id)
        .join(pledgee, pledgee.party_id == PledgeRow.pledgee_id)
        .where(PledgeRow.registered_on.is_not(None))
        .order_by(PledgeRow.pledge_id)
    )
    if pledgee_id is not None:
        query = query.where(PledgeRow.pledgee_id == pledgee_id)
    rows = session.execute(query).all()
    types: defaultdict[str, set[str]] = defaultdict(set)
    counts: defaultdict[str, int] = defaultdict(int)
    for pledge_id, patent_type in session.execute(
        select(PledgedPatentRow.pledge_id, PatentRow.patent_type).join(
            PatentRow, PatentRow.patent_id == PledgedPatentRow.patent_id
        )
    ):
        types[pledge_id].add(patent_type)
        counts[pledge_id] += 1
    owed: defaultdict[str, Decimal] = defaultdict(Decimal)
    loan_pledge: dict[str, str] = {
        loan_id: pledge_id
        for loan_id, pledge_id in session.execute(select(LoanRow.loan_id, LoanRow.pledge_id))
        if pledge_id is not None
    }
    for (loan_id, account, _), amount in ledger.balances(session, as_of=as_of).items():
        if account is Account.LOANS_RECEIVABLE and loan_id in loan_pledge:
            owed[loan_pledge[loan_id]] += amount.amount
    data = {
        "pledge_id": [r.pledge_id for r in rows],
        "registered_on": [r.registered_on for r in rows],
        "released_on": [r.released_on for r in rows],
        "bank": [r.name for r in rows],
        "industry": [r.industry or UNCLASSIFIED for r in rows],
        "patent_type": [
            next(iter(types[r.pledge_id])) if len(types[r.pledge_id]) == 1 else MIXED_TYPES
            for r in rows
        ],
        "enterprise": [r.pledgor_id for r in rows],
        "patent_count": [counts[r.pledge_id] for r in rows],
        "secured_amount": [r.secured_amount for r in rows],
        "outstanding": [owed[r.pledge_id].quantize(Decimal("0.01")) for r in rows],
    }
    schema = {**SCHEMA, "secured_amount": _MONEY, "outstanding": _MONEY}
    return pl.DataFrame(data, schema=schema)


def statistics(
    session: Session,
    as_of: date,
    by: tuple[Dimension, ...] = (),
    *,
    disclosure: DisclosureRule | None = None,
) -> pl.DataFrame:
    """:func:`pledge.statistics.pledge_statistics` of the stored pledges as of ``as_of``
    (for publication with ``disclosure``)."""
    return pledge_statistics(pledge_frame(session, as_of), as_of, by, disclosure=disclosure)


def navigation_pledges(session: Session, as_of: date) -> pl.DataFrame:
    """The pledge frame as patent navigation reads it: the pledgor's name as ``enterprise``
    (matched with a patent's applicant) and the numbers each pledge lists as
    ``pledged_patents`` (separated by ``;``)."""
    frame = pledge_frame(session, as_of)
    names = dict(session.execute(select(PartyRow.party_id, PartyRow.name)).all())
    listed: defaultdict[str, list[str]] = defaultdict(list)
    for pledge_id, patent_id in session.execute(
        select(PledgedPatentRow.pledge_id, PledgedPatentRow.patent_id).order_by(
            PledgedPatentRow.pledge_id, PledgedPatentRow.position
        )
    ):
        listed[pledge_id].append(patent_id)
    return frame.with_columns(
        pl.col("enterprise").replace_strict(names, default=pl.col("enterprise")),
        pl.Series(
            PLEDGED_PATENTS,
            [";".join(listed[p]) for p in frame["pledge_id"].to_list()],
            dtype=pl.String,
        ),
    )

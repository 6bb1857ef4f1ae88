"""Parties: enterprises, banks, guarantors, insurers, funds, appraisal firms."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models.enums import PartyKind
from models.parties import Party
from pledge.policy import DEFAULT_LENDER
from storage import audit
from storage.commands import atomic
from storage.errors import DomainError, NotFoundError
from storage.tables import PartyRow

_COLUMNS = (
    PartyRow.party_id,
    PartyRow.kind,
    PartyRow.name,
    PartyRow.credit_code,
    PartyRow.region,
    PartyRow.industry,
)
_ONE = select(*_COLUMNS).where(PartyRow.party_id == bindparam("party_id"))
"""One party's columns (the statement is built once: most requests read one)."""


def party_of(row: object) -> Party:
    """The domain party of a row (a mapped row, or a row of :data:`_COLUMNS`)."""
    return Party.model_validate(row, from_attributes=True)


def save_party(session: Session, party: Party, *, actor: str) -> Party:
    """Insert or update a party; an unchanged party writes nothing."""
    with atomic(session):
        row = session.get(PartyRow, party.party_id)
        if row is not None and party_of(row) == party:
            return party
        if row is None:
            row = PartyRow(party_id=party.party_id)
            session.add(row)
        row.kind, row.name = party.kind.value, party.name
        row.credit_code, row.region, row.industry = party.credit_code, party.region, party.industry
        audit.append(
            session,
            actor=actor,
            action="party.save",
            subject_type="party",
            subject_id=party.party_id,
            payload=party,
        )
    return party


def get_party(session: Session, party_id: str) -> Party:
    """The party ``party_id``; :class:`NotFoundError` when there is none."""
    row = session.execute(_ONE, {"party_id": party_id}).one_or_none()
    if row is None:
        raise NotFoundError("party_id", f"no party {party_id!r}")
    return party_of(row)


def names_of_kind(session: Session, kind: PartyKind, limit: int = 200) -> dict[str, str]:
    """Party id → name of the parties of ``kind`` (the first ``limit`` by name)."""
    query = (
        select(PartyRow.party_id, PartyRow.name)
        .where(PartyRow.kind == kind.value)
        .order_by(PartyRow.name, PartyRow.party_id)
        .limit(limit)
    )
    return dict(session.execute(query).all())


LENDER_KINDS = frozenset({PartyKind.BANK})
"""Who lends against a pledge (and whose policy a pre-check applies)."""


def lender_name(session: Session, lender: str) -> str | None:
    """The name of the lender party ``lender``, as a pre-check's findings name it; None for the
    default policy's lender, or an id that names no party (a lender of the policy file only:
    the findings then give the id). A party that is not a bank is refused (``lender``,
    ``WRONG_PARTY_KIND``): its name would print as the lender's on the certificate."""
    if lender == DEFAULT_LENDER:
        return None
    row = session.execute(_ONE, {"party_id": lender}).one_or_none()
    if row is None:
        return None
    if PartyKind(row.kind) not in LENDER_KINDS:
        raise DomainError(
            "lender",
            f"{lender} is a party of kind {row.kind}, not a lender: name a bank",
            code="WRONG_PARTY_KIND",
        )
    return str(row.name)


def require_parties(session: Session, ids: Iterable[str]) -> dict[str, Party]:
    """The parties ``ids`` by id; :class:`NotFoundError` naming the first that is missing."""
    wanted = list(dict.fromkeys(ids))
    rows = session.execute(select(PartyRow).where(PartyRow.party_id.in_(wanted))).scalars()
    found = {row.party_id: party_of(row) for row in rows}
    for party_id in wanted:
        if party_id not in found:
            raise NotFoundError("party_id", f"no party {party_id!r}")
    return found


def require_kind(party: Party, kinds: Collection[PartyKind], field: str, part: str) -> None:
    """Refuse ``party`` in a ``part`` (e.g. "the pledgor") that its kind does not take:
    :class:`DomainError` ``WRONG_PARTY_KIND`` on ``field``."""
    if party.kind not in kinds:
        allowed = " or ".join(sorted(k.value for k in kinds))
        raise DomainError(
            field,
            f"{party.party_id} is of kind {party.kind.value}: {part} is of kind {allowed}",
            code="WRONG_PARTY_KIND",
        )

"""Patents and their appraisals: the register's record of each patent, and what it was worth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from datetime import date
from enum import Enum
from typing import Any, Final, Literal

from pydantic import BaseModel
from sqlalchemy import Select, bindparam, delete, insert, select
from sqlalchemy.orm import Session, aliased

from models.enums import LegalStatus, PatentType
from models.lending import AppraisalSummary
from models.money import Money, total
from models.patent import Licence, Owner, Patent
from pledge.policy import PatentValuation
from pledge.proposal import normalise_number
from storage import audit
from storage.commands import atomic
from storage.errors import AlreadyExistsError, DomainError, NotFoundError, RefusedError
from storage.tables import (
    LIVE_PLEDGE_STATUSES,
    AppraisalRow,
    PartyRow,
    PatentOwnerRow,
    PatentRow,
    PledgedPatentRow,
    PledgeRow,
    ValuationRow,
    table_of,
)
from storage.types import DocumentText
from valuation.engine import ValuationResult

_APPRAISALS = table_of(AppraisalRow)
_APPRAISAL_TAKEN = select(_APPRAISALS.c.appraisal_id).where(
    _APPRAISALS.c.appraisal_id == bindparam("appraisal_id")
)
_INSERT_APPRAISAL = insert(_APPRAISALS)
_INSERT_VALUATIONS = insert(table_of(ValuationRow))


def _row_fields(patent: Patent) -> dict[str, Any]:
    """The row's columns for ``patent``."""
    return {
        "jurisdiction": patent.jurisdiction,
        "patent_type": patent.patent_type.value,
        "title": patent.title,
        "filing_date": patent.filing_date,
        "grant_date": patent.grant_date,
        "legal_status": patent.legal_status.value,
        "industry": patent.industry,
        "record": patent.model_dump(mode="json"),
    }


_LIVE_PLEDGOR = (
    select(PledgeRow.pledgor_id)
    .join(PledgedPatentRow, PledgedPatentRow.pledge_id == PledgeRow.pledge_id)
    .where(PledgedPatentRow.patent_id == bindparam("number"))
    .where(PledgedPatentRow.pledge_status.in_([s.value for s in LIVE_PLEDGE_STATUSES]))
)


def _refuse_transfer(session: Session, row: PatentRow, record: dict[str, Any]) -> None:
    """Refuse the new ``record`` of ``row`` when a live pledge holds the patent and the record
    changes its owners (who, their shares, their consents) or its licences: while the pledge
    lasts the patent is neither transferred, in whole or in part, nor licensed (Civil Code art.
    444), and the pledgee's agreement to either is not a record this service keeps. A pledge
    whose pledgor the stored record never named (drafted before the owner rule) does not freeze
    the record."""
    pledgor = session.execute(_LIVE_PLEDGOR, {"number": row.patent_id}).scalar_one_or_none()
    stored = row.record
    if pledgor is None or all(o.get("party_id") != pledgor for o in stored.get("owners", [])):
        return
    for name, what in (
        ("owners", "its owners, their shares and consents"),
        ("licences", "its licences"),
    ):
        if _meaning(name, record) != _meaning(name, stored):
            raise RefusedError(
                name,
                f"{row.patent_id} is in a live pledge given by its owner {pledgor}: {what} stay "
                "as they are until the pledge is released (no transfer or licence while it "
                "lasts without the pledgee's agreement, Civil Code art. 444)",
                code="PLEDGED",
            )


def _meaning(name: str, record: Mapping[str, Any]) -> Counter[BaseModel]:
    """The owners or licences of a stored ``record`` as what they say, in no order: read back
    into their models, whose decimals compare by value (a share of "100.00" is one of "100")."""
    model: type[BaseModel] = Owner if name == "owners" else Licence
    return Counter(model.model_validate(entry) for entry in record.get(name, []))


def save_patent(session: Session, patent: Patent, *, actor: str) -> Patent:
    """Insert or update a patent's record and its owner rows; an unchanged patent writes
    nothing. While a live pledge holds a patent, an update that changes its owners or its
    licences is refused (``PLEDGED``, :func:`_refuse_transfer`)."""
    number = patent.number.patent_number
    with atomic(session):
        # locked: a pledge drafted meanwhile (storage.pledges) reads the owners this writes
        row = session.get(PatentRow, number, with_for_update=True, populate_existing=True)
        fields = _row_fields(patent)
        if row is not None and row.record == fields["record"]:
            return patent
        if row is not None:
            _refuse_transfer(session, row, fields["record"])
        if row is None:
            row = PatentRow(patent_id=number)
            session.add(row)
        for name, value in fields.items():
            setattr(row, name, value)
        session.execute(delete(PatentOwnerRow).where(PatentOwnerRow.patent_id == number))
        session.add_all(
            PatentOwnerRow(
                patent_id=number, position=position, name=owner.name, party_id=owner.party_id
            )
            for position, owner in enumerate(patent.owners)
        )
        audit.append(
            session,
            actor=actor,
            action="patent.save",
            subject_type="patent",
            subject_id=number,
            payload=patent,
        )
    return patent


_PATENTS = select(PatentRow).where(PatentRow.patent_id.in_(bindparam("numbers", expanding=True)))


def get_patents(session: Session, numbers: Iterable[str]) -> list[Patent]:
    """The patents ``numbers`` in the order given; :class:`NotFoundError` for a missing one."""
    wanted = [normalise_number(n) for n in numbers]
    rows = session.execute(_PATENTS, {"numbers": wanted}).scalars()
    found = {row.patent_id: Patent.model_validate(row.record) for row in rows}
    _refuse_missing(wanted, found)
    return [found[n] for n in wanted]


def _refuse_missing(wanted: Iterable[str], found: Container[str]) -> None:
    """:class:`NotFoundError` naming the first of ``wanted`` that is not ``found``."""
    for number in wanted:
        if number not in found:
            raise NotFoundError("patents", f"no patent {number} in the register")


_REGISTERED = select(PatentRow.patent_id).where(
    PatentRow.patent_id.in_(bindparam("numbers", expanding=True))
)


def require_registered(session: Session, numbers: Iterable[str]) -> None:
    """:class:`NotFoundError` for the first of ``numbers`` not in the register (the records
    are not read)."""
    wanted = [normalise_number(n) for n in numbers]
    _refuse_missing(wanted, set(session.execute(_REGISTERED, {"numbers": wanted}).scalars()))


def owned_by(session: Session, party_id: str) -> list[str]:
    """The numbers of the registered patents that name party ``party_id`` an owner, in order."""
    query = (
        select(PatentOwnerRow.patent_id)
        .where(PatentOwnerRow.party_id == party_id)
        .distinct()
        .order_by(PatentOwnerRow.patent_id)
    )
    return list(session.execute(query).scalars())


def register(session: Session) -> list[tuple[Patent, str | None]]:
    """Every registered patent, by number, with the region of its first owner's party (None
    when the owner is not a known party or has no region)."""
    regions = dict(
        session.execute(
            select(PatentOwnerRow.patent_id, PartyRow.region)
            .join(PartyRow, PartyRow.party_id == PatentOwnerRow.party_id)
            .where(PatentOwnerRow.position == 0)
        ).all()
    )
    rows = session.execute(select(PatentRow).order_by(PatentRow.patent_id)).scalars()
    return [(Patent.model_validate(row.record), regions.get(row.patent_id)) for row in rows]


def set_legal_status(session: Session, number: str, status: LegalStatus) -> Patent:
    """The patent with its legal status changed (within the caller's command)."""
    row = session.get(PatentRow, normalise_number(number), with_for_update=True)
    if row is None:
        raise NotFoundError("patent", f"no patent {number} in the register")
    patent = Patent.model_validate({**row.record, "legal_status": status})
    row.legal_status, row.record = status.value, patent.model_dump(mode="json")
    return patent


def save_appraisal(
    session: Session,
    summary: AppraisalSummary,
    valuations: Sequence[PatentValuation],
    *,
    actor: str,
    appraiser_id: str | None = None,
    results: Mapping[str, ValuationResult] | None = None,
    inputs: Mapping[str, dict[str, Any]] | None = None,
    requested_by: str | None = None,
) -> AppraisalSummary:
    """Store an appraisal and its per-patent values (with the engine's results and what it
    valued, when given); ``requested_by``: the party that asked for it through the service
    (:func:`storage.appraisals.request_appraisal` records the request)."""
    results, inputs = results or {}, inputs or {}
    listed = [p.patent_number for p in summary.patents]
    if sorted(listed) != sorted(v.patent_number for v in valuations):
        raise DomainError("valuations", f"value each patent of the appraisal once: {listed}")
    for valuation in valuations:
        if valuation.base_date != summary.base_date:
            raise DomainError(
                "base_date",
                f"{valuation.patent_number} is valued at {valuation.base_date}, "
                f"the appraisal at {summary.base_date}",
            )
    currency = summary.market_value.currency
    with atomic(session):
        taken = session.execute(_APPRAISAL_TAKEN, {"appraisal_id": summary.appraisal_id})
        if taken.first() is not None:
            raise AlreadyExistsError("appraisal_id", f"appraisal {summary.appraisal_id} exists")
        require_registered(session, listed)
        session.execute(
            _INSERT_APPRAISAL,
            {
                "appraisal_id": summary.appraisal_id,
                "appraiser_id": appraiser_id,
                "base_date": summary.base_date,
                "value_type": summary.value_type.value,
                "currency": currency,
                "market_value": summary.market_value.amount,
                "realisable_value": summary.realisable_value.amount,
                "max_loan": summary.max_loan.amount,
                "engine_version": summary.engine_version,
            },
        )
        rows = []
        for valuation in valuations:
            result = results.get(valuation.patent_number)
            rows.append(
                {
                    "appraisal_id": summary.appraisal_id,
                    "patent_id": valuation.patent_number,
                    "patent_type": valuation.patent_type.value,
                    "base_date": valuation.base_date,
                    "currency": valuation.value.currency,
                    "value": valuation.value.amount,
                    "max_loan": None if valuation.max_loan is None else valuation.max_loan.amount,
                    "input_hash": None if result is None else result.audit.input_hash,
                    "result": None if result is None else DocumentText(result.model_dump_json()),
                    "inputs": inputs.get(valuation.patent_number),
                    "requested_by": requested_by,
                }
            )
        session.execute(_INSERT_VALUATIONS, rows)
        audit.append(
            session,
            actor=actor,
            action="appraisal.save",
            subject_type="appraisal",
            subject_id=summary.appraisal_id,
            payload={"summary": summary, "valuations": list(valuations)},
        )
    return summary


def save_valuation_result(
    session: Session,
    result: ValuationResult,
    *,
    appraisal_id: str,
    actor: str,
    appraiser_id: str | None = None,
    inputs: dict[str, Any] | None = None,
    requested_by: str | None = None,
) -> AppraisalSummary:
    """Store one engine result (``valuation.engine.value_patent``) as a one-patent appraisal,
    with the ``inputs`` it was valued from (JSON) when given (``requested_by`` as
    :func:`save_appraisal`'s)."""
    valuation = PatentValuation.from_result(result)
    pledge = result.pledge
    summary = AppraisalSummary(
        appraisal_id=appraisal_id,
        patents=[result.patent_id],  # type: ignore[list-item]
        base_date=result.base_date,
        market_value=valuation.value,
        realisable_value=valuation.value if pledge is None else pledge.realisable_value,
        max_loan=valuation.max_loan or Money.zero(valuation.value.currency),
        engine_version=result.audit.engine_version,
    )
    return save_appraisal(
        session,
        summary,
        [valuation],
        actor=actor,
        appraiser_id=appraiser_id,
        results={valuation.patent_number: result},
        inputs=None if inputs is None else {valuation.patent_number: inputs},
        requested_by=requested_by,
    )


def summarise(
    appraisal_id: str,
    valuations: Sequence[PatentValuation],
    *,
    method: str,
    realisable: Money | None = None,
) -> AppraisalSummary:
    """The summary of an appraisal made outside the engine (``method`` says how, in the
    summary's ``engine_version``): totals of its per-patent values."""
    currency = valuations[0].value.currency
    market = total([v.value for v in valuations], currency)
    max_loan = total([v.max_loan or Money.zero(currency) for v in valuations], currency)
    return AppraisalSummary(
        appraisal_id=appraisal_id,
        patents=[v.patent_number for v in valuations],  # type: ignore[misc]
        base_date=valuations[0].base_date,
        market_value=market,
        realisable_value=realisable or market,
        max_loan=max_loan,
        engine_version=method,
    )


def _latest_query(*, relied_on: bool) -> Select[Any]:
    """The patents ``:numbers``, each once with its latest valuation with a base date on or
    before ``:on`` (of two, the greater appraisal id), without the stored result; ``relied_on``:
    two, the latest that party ``:party`` asked for and the latest made outside the service,
    for the caller to take the later.

    Driven by the patents: for each, one descent of an index that ends in (base date,
    appraisal) finds each latest appraisal id, and the primary key its row."""
    columns = ("appraisal_id", "patent_type", "base_date", "value", "max_loan", "currency")
    query = select(PatentRow.patent_id).where(
        PatentRow.patent_id.in_(bindparam("numbers", expanding=True))
    )
    kinds = ("own", "outside") if relied_on else ("any",)
    for name in kinds:
        v, earlier = aliased(ValuationRow, name=name), aliased(ValuationRow)
        newest = select(earlier.appraisal_id).where(
            earlier.patent_id == PatentRow.patent_id, earlier.base_date <= bindparam("on")
        )
        if name == "own":
            newest = newest.where(earlier.requested_by == bindparam("party"))
        elif name == "outside":
            newest = newest.where(earlier.requested_by.is_(None))
        latest = (
            newest.order_by(earlier.base_date.desc(), earlier.appraisal_id.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = query.outerjoin_from(
            PatentRow, v, (v.patent_id == PatentRow.patent_id) & (v.appraisal_id == latest)
        ).add_columns(*(getattr(v, c).label(f"{name}_{c}") for c in columns))
    return query


_LATEST_VALUATIONS = _latest_query(relied_on=False)
_LATEST_RELIED_ON = _latest_query(relied_on=True)
"""Built once: a subquery costs more to build than the look-up does to run."""


class Reliance(Enum):
    """Whose valuations count, besides a party's own (:func:`latest_valuations`)."""

    EVERY = "every valuation"


EVERY_VALUATION: Final = Reliance.EVERY
"""``relied_on_by`` of :func:`latest_valuations` for an operator, who reads every appraisal (a
sentinel, not None: a missing party id can never stand for it)."""


def _valuation(row: Any, name: str) -> PatentValuation | None:
    """The valuation of the ``name`` columns of a :func:`_latest_query` row (None: no such)."""
    mapping = row._mapping
    if mapping[f"{name}_appraisal_id"] is None:
        return None
    currency = mapping[f"{name}_currency"]
    max_loan = mapping[f"{name}_max_loan"]
    return PatentValuation(
        patent_number=row.patent_id,
        patent_type=PatentType(mapping[f"{name}_patent_type"]),
        base_date=mapping[f"{name}_base_date"],
        value=Money.of(mapping[f"{name}_value"], currency),
        max_loan=None if max_loan is None else Money.of(max_loan, currency),
    )


def _later(row: Any) -> PatentValuation | None:
    """Of a relied-on row's two valuations, the later (base date, then appraisal id)."""
    mapping = row._mapping
    found = [
        (mapping[f"{n}_base_date"], mapping[f"{n}_appraisal_id"], n)
        for n in ("own", "outside")
        if mapping[f"{n}_appraisal_id"] is not None
    ]
    return _valuation(row, max(found)[2]) if found else None


def latest_valuations(
    session: Session,
    numbers: Iterable[str],
    on: date,
    *,
    relied_on_by: str | Literal[Reliance.EVERY],
) -> list[PatentValuation]:
    """Each patent's most recent valuation with a base date on or before ``on`` (if any); of
    two on one base date, the one with the greater appraisal id.

    ``relied_on_by`` is the party that relies on the values (the bank that lends, the party
    that pre-checks): only the appraisals it asked for count, and those made outside the
    service (loaded with no requester, such as an appraisal firm's). Another party's appraisal
    is its own (the tenancy rule), so it never moves this party's figures.
    :data:`EVERY_VALUATION` counts every appraisal.

    Only those rows are read (one index descent for each: the party's latest and the latest
    made outside the service), and none of the stored result: a patent appraised many times, by
    any number of parties, costs no more to look up than one appraised once."""
    wanted = [normalise_number(n) for n in numbers]
    if relied_on_by is EVERY_VALUATION:
        rows = session.execute(_LATEST_VALUATIONS, {"numbers": wanted, "on": on})
        latest = {row.patent_id: _valuation(row, "any") for row in rows}
    else:
        parameters = {"numbers": wanted, "on": on, "party": relied_on_by}
        rows = session.execute(_LATEST_RELIED_ON, parameters)
        latest = {row.patent_id: _later(row) for row in rows}
    return [found for number in wanted if (found := latest.get(number)) is not None]

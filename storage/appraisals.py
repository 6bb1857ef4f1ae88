"""Appraisals the service makes on request: stored with who asked, read back whole.

:func:`request_appraisal` stores one engine result (``valuation.engine.value_patent``) as a
one-patent appraisal (:func:`storage.patents.save_valuation_result`) together with the party
that asked for it, once per idempotency key. :func:`get_appraisal` reads an appraisal back with
its per-patent values and, where the engine made them, the engine's results and audit trails.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models.enums import PatentType, ValueType
from models.lending import AppraisalSummary
from models.money import Money
from models.patent import Patent
from pledge.policy import PatentValuation
from storage.commands import execute
from storage.errors import DomainError, NotFoundError
from storage.listings import Page, page_of
from storage.parties import get_party
from storage.patents import save_valuation_result
from storage.tables import AppraisalRequestRow, AppraisalRow, ValuationRow, table_of
from valuation.audit import input_hash
from valuation.engine import Financials, ValuationResult
from valuation.reconcile import Approach

_INSERT_REQUEST = insert(table_of(AppraisalRequestRow))


class AppraisalInputs(BaseModel):
    """What the engine valued: the patent as it stood, its financials, the reconciliation
    weights and the Monte Carlo draws and seed (``valuation.engine.value_patent``'s inputs)."""

    model_config = ConfigDict(frozen=True)

    patent: Patent
    financials: Financials = Financials()
    weights: dict[Approach, Decimal] | None = None
    draws: int | None = None
    seed: int | None = None

    def hash_for(self, base_date: date) -> str:
        """The engine's input hash of these inputs at ``base_date``."""
        return input_hash(
            self.patent, self.financials, base_date, self.weights, self.draws, self.seed
        )

    def valued(self, result: ValuationResult) -> bool:
        """Whether ``result`` is the engine's result of exactly these inputs (its audit trail's
        input hash is theirs)."""
        return self.hash_for(result.base_date) == result.audit.input_hash


class StoredValuation(BaseModel):
    """One patent's value in a stored appraisal, with the engine's result when there is one."""

    model_config = ConfigDict(frozen=True)

    patent_number: str
    patent_type: PatentType
    base_date: date
    value: Money
    max_loan: Money | None
    input_hash: str | None
    result: ValuationResult | None
    inputs: AppraisalInputs | None = None


class StoredAppraisal(BaseModel):
    """An appraisal as stored: its summary, who asked and who appraised, its values."""

    model_config = ConfigDict(frozen=True)

    summary: AppraisalSummary
    appraiser_id: str | None
    requested_by: str | None
    requested_at: datetime | None
    valuations: tuple[StoredValuation, ...]


def request_appraisal(
    session: Session,
    result: ValuationResult,
    *,
    appraisal_id: str,
    requested_by: str,
    actor: str,
    request: Any,
    inputs: AppraisalInputs | None = None,
    idempotency_key: str | None = None,
) -> StoredAppraisal:
    """Store ``result`` as appraisal ``appraisal_id`` asked for by ``requested_by``, with the
    ``inputs`` the engine valued (refused when they are not the result's); the appraisal as
    stored (the same as :func:`get_appraisal` reads back, without reading it).

    ``request`` is what was asked (patent, inputs, base date): a repeat under the same key with
    the same request returns the first appraisal, whatever id this one would have had."""
    if inputs is not None and not inputs.valued(result):
        raise DomainError("inputs", "the inputs given are not those the result was valued from")
    stored: list[StoredAppraisal] = []

    def work() -> AppraisalSummary:
        get_party(session, requested_by)
        summary = save_valuation_result(
            session,
            result,
            appraisal_id=appraisal_id,
            actor=actor,
            inputs=None if inputs is None else inputs.model_dump(mode="json"),
            requested_by=requested_by,
        )
        requested_at = datetime.now(UTC)
        session.execute(
            _INSERT_REQUEST,
            {
                "appraisal_id": appraisal_id,
                "requested_by": requested_by,
                "actor": actor,
                "requested_at": requested_at,
            },
        )
        valuation = PatentValuation.from_result(result)
        stored.append(
            StoredAppraisal(
                summary=summary,
                appraiser_id=None,
                requested_by=requested_by,
                requested_at=requested_at,
                valuations=(
                    StoredValuation(
                        patent_number=valuation.patent_number,
                        patent_type=valuation.patent_type,
                        base_date=valuation.base_date,
                        value=valuation.value,
                        max_loan=valuation.max_loan,
                        input_hash=result.audit.input_hash,
                        result=result,
                        inputs=inputs,
                    ),
                ),
            )
        )
        return summary

    asked = {"request": request, "requested_by": requested_by, "actor": actor}
    summary = execute(session, "appraisal.request", asked, AppraisalSummary, work, idempotency_key)
    if stored:
        return stored[0]
    return get_appraisal(session, summary.appraisal_id)  # a repeat: the first appraisal


def _stored_valuation(row: ValuationRow, whole: bool) -> StoredValuation:
    """The stored value of one patent (``whole``: with the engine's result)."""
    return StoredValuation(
        patent_number=row.patent_id,
        patent_type=PatentType(row.patent_type),
        base_date=row.base_date,
        value=Money.of(row.value, row.currency),
        max_loan=None if row.max_loan is None else Money.of(row.max_loan, row.currency),
        input_hash=row.input_hash,
        result=None
        if row.result is None or not whole
        else ValuationResult.model_validate(row.result),
        inputs=None
        if row.inputs is None or not whole
        else AppraisalInputs.model_validate(row.inputs),
    )


def _appraisal(
    row: AppraisalRow,
    request: AppraisalRequestRow | None,
    values: Sequence[ValuationRow],
    whole: bool = True,
) -> StoredAppraisal:
    """The stored appraisal of its rows."""
    summary = AppraisalSummary(
        appraisal_id=row.appraisal_id,
        patents=[v.patent_id for v in values],  # type: ignore[misc]
        base_date=row.base_date,
        value_type=ValueType(row.value_type),
        market_value=Money.of(row.market_value, row.currency),
        realisable_value=Money.of(row.realisable_value, row.currency),
        max_loan=Money.of(row.max_loan, row.currency),
        engine_version=row.engine_version,
    )
    return StoredAppraisal(
        summary=summary,
        appraiser_id=row.appraiser_id,
        requested_by=None if request is None else request.requested_by,
        requested_at=None if request is None else request.requested_at,
        valuations=tuple(_stored_valuation(v, whole) for v in values),
    )


def _values(session: Session, appraisal_id: str) -> list[ValuationRow]:
    """The per-patent rows of an appraisal, in patent order."""
    query = (
        select(ValuationRow)
        .where(ValuationRow.appraisal_id == appraisal_id)
        .order_by(ValuationRow.patent_id)
    )
    return list(session.execute(query).scalars())


def get_appraisal(session: Session, appraisal_id: str) -> StoredAppraisal:
    """The appraisal ``appraisal_id``; :class:`NotFoundError` when there is none."""
    row = session.get(AppraisalRow, appraisal_id)
    if row is None:
        raise NotFoundError("appraisal_id", f"no appraisal {appraisal_id!r}")
    request = session.get(AppraisalRequestRow, appraisal_id)
    return _appraisal(row, request, _values(session, appraisal_id))


def requester_of(session: Session, appraisal_id: str) -> str | None:
    """The party that asked for an appraisal (None for one made outside the service)."""
    row = session.get(AppraisalRequestRow, appraisal_id)
    return None if row is None else row.requested_by


def list_appraisals(
    session: Session,
    *,
    requested_by: str | None = None,
    patent: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[StoredAppraisal]:
    """Appraisals (asked for by one party, of one patent), newest base date first; their
    values without the engine's results (:func:`get_appraisal` has them)."""
    query = select(AppraisalRow).order_by(AppraisalRow.base_date.desc(), AppraisalRow.appraisal_id)
    if requested_by is not None:
        query = query.join(
            AppraisalRequestRow, AppraisalRequestRow.appraisal_id == AppraisalRow.appraisal_id
        ).where(AppraisalRequestRow.requested_by == requested_by)
    if patent is not None:
        query = query.where(
            AppraisalRow.appraisal_id.in_(
                select(ValuationRow.appraisal_id).where(ValuationRow.patent_id == patent)
            )
        )
    rows, total = page_of(session, query, limit, offset)
    ids = [r.appraisal_id for r in rows]
    requests = {
        r.appraisal_id: r
        for r in session.execute(
            select(AppraisalRequestRow).where(AppraisalRequestRow.appraisal_id.in_(ids))
        ).scalars()
    }
    values: dict[str, list[ValuationRow]] = {i: [] for i in ids}
    for value in session.execute(
        select(ValuationRow)
        .where(ValuationRow.appraisal_id.in_(ids))
        .order_by(ValuationRow.patent_id)
    ).scalars():
        values[value.appraisal_id].append(value)
    items = [
        _appraisal(r, requests.get(r.appraisal_id), values[r.appraisal_id], whole=False)
        for r in rows
    ]
    return Page(items, total)

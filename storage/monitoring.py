"""Collateral monitoring, persisted: margin calls on loans and impairment of pledged patents.

:func:`check_collateral` compares a loan's outstanding principal (from the journal) with a
current collateral value (a revaluation) and stores a margin call when it is above the limit
(:func:`pledge.monitoring.check_collateral`). :func:`record_legal_status` stores a pledged
patent's new legal status; when the patent is no longer in force it stores an impairment alert
and turns each registered pledge holding it IMPAIRED.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import LegalStatus, PledgeStatus
from models.money import Money
from pledge.lifecycle import ImpairmentReason, PledgeEvent
from pledge.monitoring import ImpairmentAlert, MarginCall, check_patent_status
from pledge.monitoring import check_collateral as margin_check
from storage import audit, loans, pledges
from storage.commands import atomic
from storage.patents import set_legal_status
from storage.tables import AlertRow, LoanRow, PledgeRow

IMPAIRMENT_REASONS = {
    LegalStatus.LAPSED: ImpairmentReason.LAPSED,
    LegalStatus.INVALIDATED: ImpairmentReason.INVALIDATED,
    LegalStatus.EXPIRED: ImpairmentReason.LAPSED,
    LegalStatus.SURRENDERED: ImpairmentReason.LAPSED,
}
"""The impairment a registered pledge records when a patent it holds ends this way."""


def _store(session: Session, alert: MarginCall | ImpairmentAlert, actor: str) -> None:
    """Store an alert and its audit event."""
    row = AlertRow(
        kind=alert.event.value,
        as_of=alert.as_of,
        loan_id=alert.loan_id,
        detail=alert.model_dump(mode="json"),
    )
    if isinstance(alert, MarginCall):
        row.currency, row.shortfall = alert.shortfall.currency, alert.shortfall.amount
        row.message = (
            f"loan {alert.loan_id}: outstanding {alert.outstanding} above {alert.ltv_limit} × "
            f"{alert.collateral_value}; shortfall {alert.shortfall}"
        )
    else:
        row.patent_id, row.message = alert.patent_id, alert.message
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action=f"alert.{alert.event.value}",
        subject_type="alert",
        subject_id=str(row.alert_id),
        payload=alert,
    )


def check_collateral(
    session: Session,
    loan_id: str,
    collateral_value: Money,
    ltv_limit: Decimal,
    *,
    as_of: date,
    actor: str,
) -> MarginCall | None:
    """A stored margin call when the loan's outstanding exceeds value × limit, else None."""
    with atomic(session):
        owed = loans.position(session, loan_id)
        call = margin_check(loan_id, as_of, owed.principal, collateral_value, ltv_limit)
        if call is not None:
            _store(session, call, actor)
    return call


def record_legal_status(
    session: Session, number: str, status: LegalStatus, *, on: date, actor: str
) -> list[ImpairmentAlert]:
    """Store a patent's new legal status; impair the registered pledge holding a dead patent."""
    with atomic(session):
        # Row locks first (patent, then pledge), the audit chain's lock last: no deadlock with a
        # command on the pledge, which locks the pledge and then the chain.
        patent = set_legal_status(session, number, status)
        patent_id = patent.number.patent_number
        holder = pledges.live_pledges(session, [patent_id]).get(patent_id)
        alert = None
        if holder is not None:
            loans_of = select(LoanRow.loan_id).where(LoanRow.pledge_id == holder)
            loan_id = session.execute(loans_of.order_by(LoanRow.loan_id)).scalars().first()
            alert = check_patent_status(patent_id, status, on, loan_id)
            reason = IMPAIRMENT_REASONS.get(status)
            registered = session.get(PledgeRow, holder)
            impair = registered is not None and registered.status == PledgeStatus.REGISTERED
            if alert is not None and reason is not None and impair:
                pledges.transition(
                    session, holder, PledgeEvent.IMPAIR, on=on, actor=actor, impairment=reason
                )
        audit.append(
            session,
            actor=actor,
            action="patent.legal_status",
            subject_type="patent",
            subject_id=patent_id,
            payload={"legal_status": status, "on": on},
        )
        if alert is not None:
            _store(session, alert, actor)
    return [] if alert is None else [alert]

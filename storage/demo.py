"""Loading the demo portfolio (:func:`pledge.demo.jinhua_portfolio`) through the commands.

Everything goes in through the same repository functions as real work (pre-check, registration,
approval by a second person, disbursement checks, postings, audit events), in one transaction and
under one idempotency key: loading twice changes nothing the second time.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from models.enums import LegalStatus
from models.money import Money
from pledge.demo import DemoFinancing, DemoPortfolio, jinhua_portfolio
from pledge.lifecycle import LoanEvent, PledgeEvent
from pledge.proposal import ContractTerms, ProposedLoan
from storage import loans, monitoring, parties, patents, pledges
from storage.commands import execute, request_hash
from storage.errors import RefusedError
from storage.tables import IdempotencyKeyRow

DEMO_KEY = "demo.load:jinhua"
ACTOR = "demo-loader"
SCOPE = "本金、利息、违约金、损害赔偿金及实现质权的费用"
APPRAISAL = "synthetic demo appraisal"


class DemoLoad(BaseModel):
    """What loading the demo wrote (or had written, when it was loaded before)."""

    model_config = ConfigDict(frozen=True)

    city: str
    label: str
    parties: int
    patents: int
    pledges: int
    repayments: int
    as_of: date
    registered_total: Money
    already_loaded: bool = False


def _financing(session: Session, item: DemoFinancing, portfolio: DemoPortfolio) -> int:
    """Replay one financing; return the repayments posted."""
    pledge, loan = item.pledge, item.loan
    numbers = [n.patent_number for n in pledge.patents]
    summary = patents.summarise(item.appraisal_id, list(item.valuations), method=APPRAISAL)
    patents.save_appraisal(
        session, summary, item.valuations, actor=ACTOR, appraiser_id=portfolio.appraiser_id
    )
    pledges.create_pledge(session, pledge, on=item.drafted_on, actor=ACTOR)
    pledgor = parties.get_party(session, pledge.pledgor_id)
    pledgee = parties.get_party(session, pledge.pledgee_id)
    proposal = ProposedLoan(
        amount=loan.principal,
        term_months=loan.term_months,
        pledgor=pledgor.name,
        lender=pledge.pledgee_id,
        lender_name=pledgee.name,
        start=item.disbursed_on,
        contract=ContractTerms(
            pledgor=pledgor.name,
            pledgee=pledgee.name,
            secured_amount=pledge.secured_amount,
            term_months=loan.term_months,
            patents=tuple(numbers),
            scope=SCOPE,
        ),
    )
    outcome = pledges.precheck(session, pledge.pledge_id, proposal, on=item.drafted_on, actor=ACTOR)
    if not outcome.result.eligible:
        raise RefusedError("demo", f"{pledge.pledge_id} fails its pre-check")
    pledges.transition(
        session, pledge.pledge_id, PledgeEvent.SUBMIT, on=item.submitted_on, actor=ACTOR
    )
    pledges.transition(
        session,
        pledge.pledge_id,
        PledgeEvent.REGISTER,
        on=item.registered_on,
        actor=ACTOR,
        registration_number=item.registration_number,
    )
    loans.create_loan(session, loan, on=item.submitted_on, actor=loan.maker)
    loans.transition(
        session, loan.loan_id, LoanEvent.APPROVE, on=item.registered_on, actor=item.approver
    )
    loans.transition(
        session, loan.loan_id, LoanEvent.DISBURSE, on=item.disbursed_on, actor=loan.maker
    )
    rows = item.schedule().rows[: item.instalments_paid]
    for row in rows:
        if row.interest.amount > 0:
            loans.accrue_interest(session, loan.loan_id, row.interest, on=row.due_date, actor=ACTOR)
        loans.repay(session, loan.loan_id, row.payment, on=row.due_date, actor=ACTOR)
    if item.release_requested_on is not None and item.released_on is not None:
        pledges.transition(
            session,
            pledge.pledge_id,
            PledgeEvent.REQUEST_RELEASE,
            on=item.release_requested_on,
            actor=ACTOR,
        )
        pledges.transition(
            session, pledge.pledge_id, PledgeEvent.RELEASE, on=item.released_on, actor=ACTOR
        )
    return len(rows)


def load_demo(session: Session, portfolio: DemoPortfolio | None = None) -> DemoLoad:
    """Write the demo portfolio, once: a second load returns the first load's summary."""
    portfolio = portfolio or jinhua_portfolio()
    request = {"city": portfolio.city, "portfolio": request_hash("demo", portfolio)}
    if session.get(IdempotencyKeyRow, DEMO_KEY) is not None:
        earlier = execute(session, "demo.load", request, DemoLoad, _never, DEMO_KEY)
        return earlier.model_copy(update={"already_loaded": True})

    def work() -> DemoLoad:
        for party in portfolio.parties:
            parties.save_party(session, party, actor=ACTOR)
        for patent in portfolio.patents:
            patents.save_patent(session, patent, actor=ACTOR)
        repayments = sum(_financing(session, item, portfolio) for item in portfolio.financings)
        for lapse in portfolio.lapses:
            monitoring.record_legal_status(
                session, lapse.patent_number, LegalStatus.LAPSED, on=lapse.on, actor=ACTOR
            )
        for check in portfolio.revaluations:
            monitoring.check_collateral(
                session,
                check.loan_id,
                check.collateral_value,
                check.ltv_limit,
                as_of=check.on,
                actor=ACTOR,
            )
        return DemoLoad(
            city=portfolio.city,
            label=portfolio.label,
            parties=len(portfolio.parties),
            patents=len(portfolio.patents),
            pledges=len(portfolio.financings),
            repayments=repayments,
            as_of=portfolio.as_of,
            registered_total=portfolio.registered_total,
        )

    return execute(session, "demo.load", request, DemoLoad, work, DEMO_KEY)


def _never() -> DemoLoad:
    """The work of a replayed load, which never runs."""
    raise AssertionError("a stored demo load is replayed, never rerun")

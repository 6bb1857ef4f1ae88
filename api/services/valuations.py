"""Appraisals on request and the pledge pre-check: the engine and the pledge rules run on
registered patents."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import InvalidOperation
from typing import Literal

from sqlalchemy.orm import Session

from api.errors import forbidden
from api.idempotency import idempotent, new_id
from api.schemas.appraisals import AppraisalCreate, AppraisalRead
from api.schemas.common import PageRead
from api.schemas.eligibility import EligibilityCreate, EligibilityRead, ProposedLoanIn
from api.security import Principal
from api.services.tenancy import usable_patent, usable_patents, visible_appraisal
from models.enums import Role
from models.money import AMOUNT_LIMIT, within_limit
from models.patent import Patent
from pledge.eligibility import PortfolioResult, check_portfolio
from pledge.policy import DEFAULT_LENDER, PatentValuation
from pledge.proposal import ProposedLoan
from reports.constants import default_seed
from reports.eligibility import engine_valuation
from storage import appraisals
from storage.database import reading
from storage.errors import DomainError, domain_errors, request_paths
from storage.parties import get_party, lender_name, require_kind
from storage.patents import Reliance, latest_valuations
from storage.pledges import PLEDGOR_KINDS, live_pledges
from valuation.engine import BeforeFilingError, Financials, value_patent
from valuation.uncertainty import default_draws

APPRAISAL_PATHS = {
    **request_paths(AppraisalCreate.model_fields),
    **request_paths(Financials.model_fields, at="body.financials"),
    "Financials": "body.financials",
    "IncomeInputs": "body.financials",
}
"""Where the engine's inputs come from in an appraisal request (for its errors)."""
LOAN_PATHS = {
    **request_paths(ProposedLoanIn.model_fields, at="body.loan"),
    "ProposedLoan": "body.loan",
    "ContractTerms": "body.loan.contract",
}
"""Where a proposed loan's fields come from in a pre-check request (for its errors)."""
_DEFAULT_DRAWS = (default_draws(), default_seed())
"""The Monte Carlo draws and seed of an appraisal that asks for none: the engine's ``mc_draws``
and the report seed of ``reports/data/``."""
INDICATIONS_KEPT = 4096
"""The engine's indications a worker remembers (:func:`_indication`), a few hundred bytes each."""


def request_appraisal(
    session: Session, principal: Principal, body: AppraisalCreate, key: str | None
) -> AppraisalRead:
    """Value a registered patent with the engine and store the appraisal for the caller."""
    if (body.draws is None) != (body.seed is None):
        raise DomainError("body.draws", "draws and seed go together: give both, or neither")
    # neither: the range a report's conclusion gives (docs/DOMAIN.md §5), as the pages and the
    # command line draw it, so that the same request always gives the same range
    draws, seed = (body.draws, body.seed) if body.draws is not None else _DEFAULT_DRAWS
    # Read without the write lock, and value before the writes begin: on SQLite the writers
    # then queue only for the writes (the patents are never deleted in between).
    with reading(session) as reader:
        [patent] = usable_patents(reader, principal, [body.patent_number])
    request = body.model_dump(mode="json")

    def work(storage_key: str | None) -> AppraisalRead:
        with domain_errors(APPRAISAL_PATHS):
            inputs = appraisals.AppraisalInputs(
                patent=patent,
                financials=body.financials.financials(),
                weights=body.weight_map(),  # type: ignore[arg-type]
                draws=draws,
                seed=seed,
            )
            try:
                result = value_patent(
                    patent,
                    inputs.financials,
                    base_date=body.base_date,
                    weights=inputs.weights,
                    draws=draws,
                    seed=seed,
                )
            except BeforeFilingError as error:
                raise DomainError("body.base_date", str(error)) from None
            except (InvalidOperation, OverflowError):
                raise DomainError("body.financials", _BEYOND_LIMIT) from None
            if result.value is not None and not within_limit(result.value):
                raise DomainError(
                    "body.financials", f"the value would be {result.value}; {_BEYOND_LIMIT}"
                )
        stored = appraisals.request_appraisal(
            session,
            result,
            appraisal_id=new_id("ap", storage_key),
            requested_by=principal.party_id,
            actor=principal.actor,
            request=request,
            inputs=inputs,
            idempotency_key=storage_key,
        )
        return AppraisalRead.of(stored)

    return idempotent(session, principal, key, "appraisal.request", request, AppraisalRead, work)


_BEYOND_LIMIT = (
    f"the figures these financials give grow beyond what the service values (amounts are below "
    f"{AMOUNT_LIMIT:,}): check the revenue, its growth and the discount rate"
)


def read_appraisal(session: Session, principal: Principal, appraisal_id: str) -> AppraisalRead:
    """An appraisal the caller asked for."""
    visible_appraisal(session, principal, appraisal_id)
    return AppraisalRead.of(appraisals.get_appraisal(session, appraisal_id))


def list_appraisals(
    session: Session, principal: Principal, *, patent: str | None, limit: int, offset: int
) -> PageRead[AppraisalRead]:
    """The appraisals the caller asked for, newest base date first."""
    number = None if patent is None else usable_patent(session, principal, patent)
    page = appraisals.list_appraisals(
        session, requested_by=principal.party_id, patent=number, limit=limit, offset=offset
    )
    return PageRead[AppraisalRead].of(page, AppraisalRead.of, limit=limit, offset=offset)


@dataclass(frozen=True, slots=True)
class PreCheck:
    """A pre-check of registered patents: the patents, the valuations its indicative loans
    rest on, the result; ``engine``: the numbers the engine valued for the check."""

    patents: tuple[Patent, ...]
    valuations: tuple[PatentValuation, ...]
    result: PortfolioResult
    engine: frozenset[str] = frozenset()


def pre_check(session: Session, principal: Principal, body: EligibilityCreate) -> PreCheck:
    """Pre-check registered patents against a proposed loan, with their stored valuations and
    the live pledges (:func:`registered_check`), for the patents the caller may use."""
    patents = usable_patents(session, principal, body.patents)
    if len({p.number.patent_number for p in patents}) != len(patents):
        raise DomainError("body.patents", "a patent is listed twice")
    if principal.role is Role.ENTERPRISE:
        if body.pledgor not in (None, principal.party_id):
            raise forbidden("an enterprise pre-checks its own pledges", code="NOT_YOUR_PARTY")
        pledgor = get_party(session, principal.party_id)
    elif body.pledgor is None:
        raise DomainError("body.pledgor", "name the enterprise that pledges (its party id)")
    else:
        pledgor = get_party(session, body.pledgor)
        require_kind(pledgor, PLEDGOR_KINDS, "body.pledgor", "the pledgor")
    lender = body.loan.lender or (
        principal.party_id if principal.role is Role.BANK else DEFAULT_LENDER
    )
    with domain_errors(LOAN_PATHS):
        loan = body.loan.proposed(pledgor.name, lender, lender_name(session, lender))
    return registered_check(session, patents, loan, body.as_of, relied_on_by=principal.party_id)


def registered_check(
    session: Session,
    patents: Sequence[Patent],
    loan: ProposedLoan,
    as_of: date,
    *,
    relied_on_by: str | Literal[Reliance.EVERY],
) -> PreCheck:
    """Pre-check the registered ``patents`` (each once) against ``loan`` as of ``as_of``:
    their latest stored valuations that party ``relied_on_by`` may rely on
    (:func:`storage.patents.latest_valuations`), and the live pledges that already hold any.

    A patent with no such valuation is valued by the engine at ``as_of`` from its registered
    record, for the indicative loan only, as the certificate of a file's patents is
    (:func:`reports.eligibility.check_eligibility`): the check then says so."""
    held = tuple(patents)
    numbers = [p.number.patent_number for p in held]
    stored = latest_valuations(session, numbers, as_of, relied_on_by=relied_on_by)
    valued = {v.patent_number for v in stored}
    indicated = [
        _indicated(patent, as_of) for patent in held if patent.number.patent_number not in valued
    ]
    valuations = (*stored, *indicated)
    with domain_errors():
        result = check_portfolio(
            held,
            loan,
            as_of,
            valuations=valuations,
            live_pledges=live_pledges(session, numbers),
        )
    return PreCheck(held, valuations, result, frozenset(v.patent_number for v in indicated))


def _indicated(patent: Patent, as_of: date) -> PatentValuation:
    """The engine's indication of ``patent`` at ``as_of`` (:func:`_indication`); 422 on
    ``as_of`` for a day the engine cannot value it at (before the patent's filing date, or
    with its term running past year 9999)."""
    try:
        return _indication(patent.model_dump_json(), as_of)
    except BeforeFilingError as error:
        raise DomainError("as_of", str(error)) from None
    except (ValueError, OverflowError) as error:
        number = patent.number.patent_number
        raise DomainError(
            "as_of", f"the engine cannot value {number} at {as_of}: {error}"
        ) from None


@functools.lru_cache(maxsize=INDICATIONS_KEPT)
def _indication(record: str, as_of: date) -> PatentValuation:
    """The engine's value of the registered patent ``record`` (its JSON) at ``as_of``, without
    financials: the same inputs always give the same value (the engine and its fitted model do
    not change while the worker runs), so a patent checked again that day is not valued again."""
    return engine_valuation(Patent.model_validate_json(record), Financials(), as_of)


def check_eligibility(
    session: Session, principal: Principal, body: EligibilityCreate
) -> EligibilityRead:
    """Pre-check registered patents against a proposed loan (:func:`pre_check`)."""
    check = pre_check(session, principal, body)
    return EligibilityRead.of(check.result, check.valuations, check.engine)

"""What each page shows, built from the service functions the JSON API uses and from the
reports' views and charts (:mod:`reports.appraisal`, :mod:`reports.portfolio`,
:mod:`reports.navigation`); nothing here computes a figure of its own.

A service refusal (an unknown patent, a party that is not the caller's, an engine error) becomes
an error on the form field it concerns, so a bad input shows the form again, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.errors import ApiError
from api.pages.forms import EligibilityInput, Form
from api.pages.refusals import refusal
from api.pages.web import PageUser
from api.schemas.appraisals import AppraisalCreate, AppraisalRead
from api.schemas.eligibility import EligibilityCreate
from api.schemas.financing import LoanRead
from api.services import loans, patents, reports, tenancy, valuations
from api.services import navigation as navigation_service
from models.money import Money
from reports import charts
from reports.appraisal import AppraisalView, appraisal_view
from reports.eligibility import EligibilityCertificate
from reports.formatting import Formatter
from reports.i18n import N_, Language, gettext_for
from reports.navigation import NavigationView, latest_filing_year, navigation_view
from reports.portfolio import PortfolioStatement, portfolio_statement
from reports.vocabulary import label
from storage.errors import DomainError
from storage.parties import get_party
from storage.pledges import patents_of_pledges
from storage.statistics import pledge_frame

LISTED = 50
FIELDS_OF_API = {
    "patent_number": "patent_number",
    "base_date": "base_date",
    "financials.revenue": "revenue",
    "financials.revenue_growth": "revenue_growth",
    "financials.royalty_rate": "royalty_rate",
    "financials.discount_rate": "discount_rate",
    "financials.economic_life": "economic_life",
    "financials.rd_cost": "rd_cost",
    "loan.lender": "lender",
    "loan.amount": "amount",
    "loan.term_months": "term_months",
    "as_of": "as_of",
}
"""Which form field an API field (a dotted path of the request body) is."""


def _field(path: str, default: str) -> str:
    for api_field, form_field in FIELDS_OF_API.items():
        if path.removeprefix("body.").startswith(api_field):
            return form_field
    return default


def _refused(form: Form, error: Exception, default: str, language: Language) -> None:
    """Put a service's refusal on the form field it concerns, in the page's language."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        path, reason = ".".join(str(p) for p in first["loc"]), first["msg"]
    elif isinstance(error, DomainError):
        path, reason = error.field, error.reason
    elif isinstance(error, ApiError):
        path, reason = error.field or "", error.message
    else:
        return
    form.fail(
        _field(path, default), N_("Not accepted: %(reason)s"), reason=refusal(language, reason)
    )


# -- enterprise: eligibility -------------------------------------------------------------------


def check_eligibility(
    session: Session, user: PageUser, form: Form, given: EligibilityInput, language: Language
) -> EligibilityCertificate | None:
    """The pre-check of the form's patents for the caller (the certificate's content); None
    with errors on the form when a patent is not the caller's or the check is refused."""
    for number in given.patents:
        try:
            tenancy.usable_patent(session, user.principal, number)
        except ApiError:
            form.fail(
                "patents", N_("%(value)s is not one of your registered patents."), value=number
            )
    if not form.ok:
        return None
    try:
        body = EligibilityCreate.model_validate(given.body())
        return reports.certificate(session, user.principal, body)
    except (ValidationError, DomainError, ApiError) as error:
        _refused(form, error, "patents", language)
        return None


def my_patents(session: Session, user: PageUser) -> list[str]:
    """The numbers of the enterprise's own registered patents (a hint beside the form)."""
    page = patents.list_patents(
        session,
        user.principal,
        patent_type=None,
        legal_status=None,
        industry=None,
        owner=None,
        limit=LISTED,
        offset=0,
    )
    return [p.patent_number for p in page.items]


# -- bank: appraisals and loans ------------------------------------------------------------------


def request_appraisal(
    session: Session, user: PageUser, form: Form, body: dict[str, object], language: Language
) -> AppraisalRead | None:
    """Request the appraisal of the form (once per form: its id is the Idempotency-Key)."""
    key = form.values.get("form_id") or None
    try:
        request = AppraisalCreate.model_validate(body)
        return valuations.request_appraisal(
            session, user.principal, request, None if key is None else f"page:{key[:60]}"
        )
    except (ValidationError, DomainError, ApiError) as error:
        _refused(form, error, "patent_number", language)
        return None


@dataclass(frozen=True, slots=True)
class AppraisalPage:
    """A stored appraisal as its page shows it: the report's view and an approaches chart."""

    appraisal_id: str
    view: AppraisalView
    approaches_chart: Markup


def appraisal_page(
    session: Session, user: PageUser, appraisal_id: str, language: Language
) -> AppraisalPage:
    """The page of an appraisal the bank asked for (404 for another's)."""
    tenancy.visible_appraisal(session, user.principal, appraisal_id)
    view = appraisal_view(reports.stored_report(session, appraisal_id, language), language)
    result = view.patents[0].result
    lines = [line for line in result.reconciliation.lines if line.value is not None]
    labels = [label(language, line.approach) for line in lines]
    amounts = [line.value.amount for line in lines if line.value is not None]
    if result.value is not None:
        labels.append(gettext_for(language, N_("Reconciled value")))
        amounts.append(result.value.amount)
    chart = charts.bars(
        labels,
        amounts,
        formatter=Formatter(language),
        title=gettext_for(language, N_("Value by approach")),
    )
    return AppraisalPage(appraisal_id, view, chart)


@dataclass(frozen=True, slots=True)
class BankHome:
    appraisals: list[AppraisalRead]
    appraisal_total: int
    loans: list[LoanRead]
    loan_total: int
    borrowers: dict[str, str]
    """The name of each borrower of the listed loans, by party id."""
    collateral: dict[str, list[str]]
    """The patent numbers of each listed loan's pledge, by pledge id."""


def bank_home(session: Session, user: PageUser) -> BankHome:
    """The bank's appraisals (newest base date first) and loans, with its borrowers' names."""
    found = valuations.list_appraisals(session, user.principal, patent=None, limit=LISTED, offset=0)
    lent = loans.list_loans(
        session, user.principal, status=None, pledge_id=None, limit=LISTED, offset=0
    )
    borrowers = {}
    for party_id in {loan.borrower_id for loan in lent.items}:
        try:
            borrowers[party_id] = get_party(session, party_id).name
        except DomainError:
            borrowers[party_id] = party_id
    pledged = patents_of_pledges(session, {loan.pledge_id for loan in lent.items if loan.pledge_id})
    return BankHome(found.items, found.total, lent.items, lent.total, borrowers, pledged)


def money(read: object) -> Money | None:
    """The money of an HTTP shape (for the formatter)."""
    amount = getattr(read, "amount", None)
    currency = getattr(read, "currency", "CNY")
    return None if amount is None else Money.of(Decimal(amount), currency)


# -- regulator: statistics; navigation ----------------------------------------------------------


def statistics_page(
    session: Session, user: PageUser, as_of: date, language: Language
) -> PortfolioStatement:
    """The pledge statistics of every registered pledge live on ``as_of`` (aggregates only)."""
    frame = pledge_frame(session, as_of)
    return portfolio_statement(frame, as_of, prepared_for=user.party_name, language=language)


def navigation_page(session: Session, as_of: date, language: Language) -> NavigationView:
    """The navigation figures of the database's patents, as the report lays them out; the
    industry mix of the last year in which one of them was applied for (the register holds
    patents, rarely this year's applications)."""
    result = navigation_service.navigation(session, as_of)
    return navigation_view(result, language=language, mix_year=latest_filing_year(result))

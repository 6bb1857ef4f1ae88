"""The pages' handlers: read the form, call one view or service function, render.

* ``/``, ``/signin``, ``POST /signout`` (anyone): home; sign in with an API key; sign out;
* ``/enterprise``, ``POST /enterprise/eligibility``, ``POST /enterprise/certificate``
  (enterprise): check patents for a loan; the certificate PDF;
* ``/bank``, ``/bank/appraisals/new``, ``POST /bank/appraisals``, ``/bank/appraisals/{id}``,
  ``/bank/appraisals/{id}/report`` (bank): appraisals and loans; request an appraisal; its
  result with charts; its report;
* ``/regulator``, ``/regulator/statement`` (regulator): pledge statistics as of a day, with
  charts; the statement (``for_publication=true``: with the amounts of small lines withheld);
* ``/navigation``, ``/navigation/download`` (regulator, admin): the navigation figures with
  charts; HTML, PDF, XLSX or JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, TypeVar
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from api.deps import CommittingRoute, SessionDep, SettingsDep
from api.errors import ApiError
from api.pages import forms, views
from api.pages.refusals import refusals
from api.pages.web import (
    HOME,
    NUL_IN_FORM,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    SIGNIN_PATH,
    PageRefused,
    PageUser,
    SignInRequired,
    business_day,
    check_csrf,
    current_user,
    language_of,
    new_token,
    redirect,
    render,
    require,
    session_cookie,
    signed_in,
    signin_cookie,
)
from api.routes.reports import sent
from api.services import navigation as navigation_service
from api.services import reports
from api.services.reports import Document, NavigationFormat, ReportFormat, safe_filename
from models.enums import PartyKind, Role
from reports.constants import default_seed
from reports.eligibility import render_certificate
from reports.i18n import N_
from storage.errors import DomainError
from storage.parties import names_of_kind
from storage.web_sessions import close_session, open_session
from valuation.uncertainty import default_draws

router = APIRouter(include_in_schema=False, route_class=CommittingRoute)


async def _posted(request: Request) -> FormData:
    """The posted form, read on the event loop; the handler then runs in a worker thread
    (:class:`api.deps.CommittingRoute`), so that its reads, writes, key check, valuation or
    PDF never hold up the loop. A body that cannot be read as a form (a broken multipart body,
    too many fields) is an error page (400), as every refusal of a page is, not JSON."""
    try:
        form = await request.form()
    except HTTPException as error:
        if error.status_code != 400:
            raise
        raise PageRefused(
            400, N_("The form could not be read: open the page and send it again.")
        ) from None
    for name, value in form.multi_items():  # PostgreSQL keeps no NUL in text (api.text_guard)
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            raise PageRefused(422, NUL_IN_FORM, name=name.replace("\x00", ""))
    return form


Posted = Annotated[FormData, Depends(_posted)]
F = TypeVar("F", ReportFormat, NavigationFormat)
T = TypeVar("T")
AppraisalId = Annotated[str, Path(max_length=64)]
JSON_MEDIA_TYPE = "application/json"


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep) -> HTMLResponse:
    """The home page: what the service does, and where to sign in."""
    user = current_user(request, session)
    return render(request, "home.html", language_of(request), user=user, home=HOME)


# -- signing in and out ----------------------------------------------------------------------


def _signin_form(
    request: Request, error: str | None = None, status: int = 200, next_path: str = ""
) -> HTMLResponse:
    token = new_token()
    response = render(
        request,
        "signin.html",
        language_of(request),
        csrf=token,
        error=error,
        next_path=next_path,
        status=status,
    )
    signin_cookie(response, token)
    return response


@router.get(SIGNIN_PATH, response_class=HTMLResponse)
def signin_page(request: Request) -> HTMLResponse:
    """The sign-in form."""
    return _signin_form(request, next_path=request.query_params.get("next", ""))


@router.post(SIGNIN_PATH, response_class=HTMLResponse)
def signin(request: Request, session: SessionDep, settings: SettingsDep, data: Posted) -> Response:
    """Check the API key; start a session; go to the role's page (or the one asked for)."""
    check_csrf(data.get("csrf_token"), request.cookies.get(SIGNIN_COOKIE) or "")
    key = data.get("api_key")
    next_path = str(data.get("next") or "")
    if not isinstance(key, str) or not key.strip():
        return _signin_form(request, N_("Fill this in."), 422, next_path)
    try:
        principal = request.app.state.verifier.principal(session, f"Bearer {key.strip()}")
    except ApiError:
        return _signin_form(request, N_("Unknown or revoked API key."), 401, next_path)
    token, _csrf = open_session(
        session, principal.credential_id, timedelta(hours=settings.session_hours)
    )
    landing = HOME[principal.role]
    if next_path.startswith(landing):
        landing = next_path
    response = redirect(landing)
    session_cookie(response, token, settings)
    response.delete_cookie(SIGNIN_COOKIE, path=SIGNIN_PATH)
    return response


@router.post("/signout")
def signout(request: Request, session: SessionDep, data: Posted) -> Response:
    """End the session."""
    user = current_user(request, session)
    if user is not None:
        check_csrf(data.get("csrf_token"), user.csrf_token)
        close_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- enterprise ----------------------------------------------------------------------------------


@router.get("/enterprise", response_class=HTMLResponse)
def enterprise(request: Request, session: SessionDep) -> HTMLResponse:
    """The eligibility form."""
    user = require(request, session, Role.ENTERPRISE)
    form = forms.Form({"as_of": business_day(request).isoformat()})
    return _eligibility(request, session, user, form)


def _eligibility(
    request: Request,
    session: SessionDep,
    user: PageUser,
    form: forms.Form,
    status: int = 200,
    **context: object,
) -> HTMLResponse:
    return render(
        request,
        "enterprise.html",
        language_of(request),
        user=user,
        form=form,
        own=views.my_patents(session, user),
        banks=names_of_kind(session, PartyKind.BANK),
        status=status,
        **context,
    )


def _eligibility_form(data: FormData, user: PageUser) -> forms.Form:
    check_csrf(data.get("csrf_token"), user.csrf_token)
    return forms.Form.of(data, forms.ELIGIBILITY_FIELDS)


@router.post("/enterprise/eligibility", response_class=HTMLResponse)
def eligibility(request: Request, session: SessionDep, data: Posted) -> HTMLResponse:
    """The verdict per patent, with reasons, fixes and the indicative loan amount."""
    user = require(request, session, Role.ENTERPRISE)
    form = _eligibility_form(data, user)
    given = forms.eligibility_input(form, business_day(request))
    found = (
        None
        if given is None
        else views.check_eligibility(session, user, form, given, language_of(request))
    )
    if found is None:
        return _eligibility(request, session, user, form, status=422)
    return _eligibility(request, session, user, form, certificate=found, given=given)


@router.post("/enterprise/certificate")
def certificate(request: Request, session: SessionDep, data: Posted) -> Response:
    """The eligibility certificate of the form, as a PDF."""
    user = require(request, session, Role.ENTERPRISE)
    form = _eligibility_form(data, user)
    given = forms.eligibility_input(form, business_day(request))
    found = (
        None
        if given is None
        else views.check_eligibility(session, user, form, given, language_of(request))
    )
    if found is None or given is None or given.amount is None:
        if given is not None and given.amount is None:
            form.fail("amount", N_("Give the loan amount and term for a certificate."))
        return _eligibility(request, session, user, form, status=422)
    language = language_of(request)
    html = render_certificate(found, language)
    return sent(
        reports.document(html, ReportFormat.PDF, "certificate", found.number, language.value)
    )


# -- bank ----------------------------------------------------------------------------------------


@router.get("/bank", response_class=HTMLResponse)
def bank(request: Request, session: SessionDep) -> HTMLResponse:
    """The bank's appraisals and loans."""
    user = require(request, session, Role.BANK)
    listing = views.bank_home(session, user)
    return render(
        request,
        "bank.html",
        language_of(request),
        user=user,
        listing=listing,
        money=views.money,
        rate=Decimal,
    )


def _appraisal_form(
    request: Request, user: PageUser, form: forms.Form, status: int = 200
) -> HTMLResponse:
    return render(
        request, "appraisal_form.html", language_of(request), user=user, form=form, status=status
    )


@router.get("/bank/appraisals/new", response_class=HTMLResponse)
def new_appraisal(request: Request, session: SessionDep) -> HTMLResponse:
    """The appraisal form (a registered patent and its financials), the patent filled in when
    the address names one (``?patent_number=``, the bank page's links to a loan's collateral)."""
    user = require(request, session, Role.BANK)
    values = {"base_date": business_day(request).isoformat(), "form_id": new_token()}
    # a link from a loan's collateral names the patent; the form checks it when it is sent
    chosen = request.query_params.get("patent_number", "")[: forms.PATENT_NUMBER_LENGTH]
    form = forms.Form({**values, "patent_number": chosen} if chosen else values)
    return _appraisal_form(request, user, form)


@router.post("/bank/appraisals", response_class=HTMLResponse)
def appraise(request: Request, session: SessionDep, data: Posted) -> Response:
    """Value the patent, store the appraisal, show it."""
    user = require(request, session, Role.BANK)
    check_csrf(data.get("csrf_token"), user.csrf_token)
    form = forms.Form.of(data, forms.APPRAISAL_FIELDS)
    body = forms.appraisal_body(
        form, draws=default_draws(), seed=default_seed(), today=business_day(request)
    )
    made = (
        None
        if body is None
        else views.request_appraisal(session, user, form, body, language_of(request))
    )
    if made is None:
        return _appraisal_form(request, user, form, status=422)
    return redirect(f"/bank/appraisals/{made.appraisal_id}")


@router.get("/bank/appraisals/{appraisal_id}", response_class=HTMLResponse)
def appraisal(request: Request, session: SessionDep, appraisal_id: AppraisalId) -> HTMLResponse:
    """An appraisal's result with its charts."""
    user = require(request, session, Role.BANK)
    language = language_of(request)
    page = _page_or_404(lambda: views.appraisal_page(session, user, appraisal_id, language))
    return render(request, "appraisal.html", language, user=user, page=page)


_FLAG = TypeAdapter(bool)


def _flag(request: Request, name: str, *, default: bool) -> bool:
    """A yes/no query parameter, read as the API reads a boolean (true/false, 1/0, yes/no,
    on/off); 422 otherwise."""
    given = request.query_params.get(name)
    if given is None:
        return default
    try:
        return bool(_FLAG.validate_python(given))
    except ValidationError:
        reason = N_("%(name)s is true or false, not %(value)s.")
        raise PageRefused(422, reason, name=name, value=given) from None


@router.get("/bank/appraisals/{appraisal_id}/report")
def appraisal_report(request: Request, session: SessionDep, appraisal_id: AppraisalId) -> Response:
    """The appraisal report, PDF (``?format=html`` for HTML)."""
    user = require(request, session, Role.BANK)
    output = _format(request, ReportFormat)
    language = language_of(request)
    papers = _flag(request, "working_papers", default=True)
    return sent(
        _page_or_404(
            lambda: reports.appraisal_report(
                session, user.principal, appraisal_id, language, output, working_papers=papers
            )
        )
    )


# -- regulator and navigation --------------------------------------------------------------------


def _dashboard_day(request: Request) -> tuple[forms.Form, date | None]:
    """A dashboard's form and its day: the address's ``as_of``, else the business date, which
    the form then shows; None when the address's is wrong (the error is in the form)."""
    form = forms.Form.of(request.query_params, ("as_of",))
    as_of = form.day("as_of", default=business_day(request))
    if as_of is not None and not form.values["as_of"]:
        form.values["as_of"] = as_of.isoformat()
    return form, as_of


@router.get("/regulator", response_class=HTMLResponse)
def regulator(request: Request, session: SessionDep) -> HTMLResponse:
    """Pledge statistics as of a day: totals, by bank, industry, type and period."""
    user = require(request, session, Role.REGULATOR)
    form, as_of = _dashboard_day(request)
    if as_of is None:
        return render(
            request, "regulator.html", language_of(request), user=user, form=form, status=422
        )
    language = language_of(request)
    statement = views.statistics_page(session, user, as_of, language)
    return render(request, "regulator.html", language, user=user, form=form, statement=statement)


def _download_day(request: Request) -> date:
    """The ``as_of`` day of a download (today when not given); 422 when it is not a date or
    not one the service accepts."""
    form = forms.Form.of(request.query_params, ("as_of",))
    as_of = form.day("as_of", default=business_day(request))
    error = form.error_of("as_of")  # day() records why it gives no day
    if as_of is None and error is not None:
        raise PageRefused(422, error.message, **error.params)
    assert as_of is not None
    return as_of


@router.get("/regulator/statement")
def regulator_statement(request: Request, session: SessionDep) -> Response:
    """The statement of the dashboard's day, PDF (``?format=html`` for HTML)."""
    user = require(request, session, Role.REGULATOR)
    as_of = _download_day(request)
    output = _format(request, ReportFormat)
    publication = _flag(request, "for_publication", default=False)
    document = reports.statement_document(
        session, user.principal, as_of, language_of(request), output, for_publication=publication
    )
    return sent(document)


@router.get("/navigation", response_class=HTMLResponse)
def navigation(request: Request, session: SessionDep) -> HTMLResponse:
    """The navigation dashboard of the database's patents as of a day."""
    user = require(request, session, Role.REGULATOR, Role.ADMIN)
    form, as_of = _dashboard_day(request)
    language = language_of(request)
    if as_of is None:
        return render(request, "navigation.html", language, user=user, form=form, status=422)
    try:
        view = views.navigation_page(session, as_of, language)
    except DomainError:
        return render(request, "navigation.html", language, user=user, form=form, empty=True)
    return render(request, "navigation.html", language, user=user, form=form, view=view)


@router.get("/navigation/download")
def navigation_download(request: Request, session: SessionDep) -> Response:
    """The navigation figures: report (HTML, PDF), workbook (XLSX) or every figure (JSON)."""
    require(request, session, Role.REGULATOR, Role.ADMIN)
    as_of = _download_day(request)
    publication = _flag(request, "for_publication", default=False)
    if request.query_params.get("format") == "json":
        figures = navigation_service.figures(session, as_of, for_publication=publication)
        body = json.dumps(figures, ensure_ascii=False, indent=1).encode("utf-8")
        number = as_of.isoformat() + ("-publication" if publication else "")
        name = safe_filename("patentval", "navigation", number, suffix="json")
        return sent(Document(body, JSON_MEDIA_TYPE, name))
    output = _format(request, NavigationFormat)
    document = reports.navigation_document(
        session, as_of, language_of(request), output, for_publication=publication
    )
    return sent(document)


def _format(request: Request, kind: type[F]) -> F:
    text = request.query_params.get("format", "pdf")
    try:
        return kind(text)
    except ValueError:
        raise PageRefused(404, N_("No such download.")) from None


def _page_or_404(build: Callable[[], T]) -> T:
    """The page ``build`` makes; a record that is not the caller's (or missing) is a 404 page."""
    try:
        return build()
    except ApiError as error:
        if error.status == 404:
            raise PageRefused(404, N_("No such record.")) from None
        raise
    except DomainError as error:
        if error.code == "NOT_FOUND":
            raise PageRefused(404, N_("No such record.")) from None
        raise PageRefused(
            409, N_("This report cannot be made: %(reason)s"), reason=error.reason
        ) from None


async def _signed_in_for_error(request: Request) -> PageUser | None:
    """The signed-in browser of an error page: the one the page's handler found, else (a form
    that could not be read, before the handler ran) the session cookie's, read in a worker
    thread on the read-only engine."""
    user = signed_in(request)
    if user is not None or not request.cookies.get(SESSION_COOKIE):
        return user

    def look() -> PageUser | None:
        with Session(request.app.state.reader) as session:
            return current_user(request, session)

    return await anyio.to_thread.run_sync(look)


def install(app: FastAPI) -> None:
    """Add the pages and their error pages to ``app``."""

    async def to_signin(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInRequired)
        return redirect(f"{SIGNIN_PATH}?next={quote(error.next_path, safe='/')}")

    async def refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageRefused)
        return render(
            request,
            "error.html",
            language_of(request),
            user=await _signed_in_for_error(request),
            status=error.status,
            message=error.message,
            params=refusals(language_of(request), error.params),
        )

    app.add_exception_handler(SignInRequired, to_signin)
    app.add_exception_handler(PageRefused, refused)
    app.include_router(router)

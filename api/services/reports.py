"""Reports from the database: the appraisal report of a stored appraisal, the eligibility
certificate of a pre-check, the pledge portfolio statement and the navigation report, as HTML or
PDF in Chinese or English. The endpoints, the pages and the ``patentval report`` commands call
these same functions.

A stored appraisal's report prints the figures the engine stored, never values again: the
patent and financials it was valued from are stored with it (``valuations.inputs``, checked
against the result's input hash), and only the Monte Carlo draws of the distribution chart are
drawn again from them (:func:`reports.appraisal.redraw`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from api.schemas.eligibility import EligibilityCreate
from api.security import Principal
from api.services import navigation as navigation_service
from api.services.tenancy import visible_appraisal
from api.services.valuations import PreCheck, pre_check
from models.enums import Role
from pledge.disclosure import DisclosureRule
from pledge.policy import DEFAULT_LENDER
from reports.appraisal import AppraisalReport, render_appraisal, stored_appraisal
from reports.eligibility import EligibilityCertificate, certify, render_certificate
from reports.i18n import Language
from reports.info import MIN_APPRAISERS, REPORT_ZONE, Appraiser, ReportError, ReportInfo
from reports.navigation import latest_filing_year, navigation_view, render_navigation
from reports.portfolio import portfolio_statement, render_portfolio
from reports.rendering import html_to_pdf, names
from storage import appraisals, parties
from storage.appraisals import StoredAppraisal
from storage.errors import RefusedError
from storage.statistics import pledge_frame

HTML_MEDIA_TYPE = "text/html; charset=utf-8"
PDF_MEDIA_TYPE = "application/pdf"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
NAME_CHARS = 80


class ReportFormat(StrEnum):
    """What a report is sent as."""

    HTML = "html"
    PDF = "pdf"


@dataclass(frozen=True, slots=True)
class Document:
    """A rendered report: its bytes, media type and a safe file name."""

    content: bytes
    media_type: str
    filename: str

    @property
    def disposition(self) -> str:
        """The ``Content-Disposition`` header: an attachment under its file name."""
        return f'attachment; filename="{self.filename}"'


WITHOUT_PAPERS = "without-working-papers"
"""Part of the file name of an appraisal report without Annex A."""


def safe_filename(*parts: str, suffix: str) -> str:
    """A file name of ``parts`` joined by ``-``: ASCII letters, digits, ``.``, ``_`` and ``-``
    only (anything else becomes ``-``), no leading dot, at most :data:`NAME_CHARS` characters."""
    stem = "-".join(_UNSAFE.sub("-", part).strip("-.") for part in parts if part)
    stem = re.sub(r"-{2,}", "-", stem)[:NAME_CHARS].strip("-.") or "report"
    return f"{stem}.{suffix}"


def document(html: str, output: ReportFormat, *name: str) -> Document:
    """The report ``html`` as HTML or PDF, named ``patentval-<name…>.<format>``."""
    filename = safe_filename("patentval", *name, suffix=output.value)
    if output is ReportFormat.PDF:
        return Document(html_to_pdf(html), PDF_MEDIA_TYPE, filename)
    return Document(html.encode("utf-8"), HTML_MEDIA_TYPE, filename)


# -- the appraisal report of a stored appraisal ----------------------------------------------------


def _report_date(stored: StoredAppraisal) -> date:
    asked = stored.requested_at
    when = asked if asked is not None else datetime.now(REPORT_ZONE)
    return when.astimezone(REPORT_ZONE).date() if when.tzinfo else when.date()


def stored_report(session: Session, appraisal_id: str, language: Language) -> AppraisalReport:
    """The appraisal report of stored appraisal ``appraisal_id``: its stored results, the
    patents as they were valued, the client its owners; refused (409 ``REPORT_UNAVAILABLE``)
    for an appraisal stored without the engine's results and inputs (one made outside the
    service, such as the demo's)."""
    stored = appraisals.get_appraisal(session, appraisal_id)
    items = []
    for valuation in stored.valuations:
        result, inputs = valuation.result, valuation.inputs
        if result is None or inputs is None:
            raise RefusedError(
                "appraisal_id",
                f"appraisal {appraisal_id} was stored without the engine's result and the "
                "inputs it valued (it was made outside the service), so no report can show "
                "its figures",
                code="REPORT_UNAVAILABLE",
            )
        if not inputs.valued(result):
            raise RefusedError(
                "appraisal_id",
                f"the stored inputs of {valuation.patent_number} are not those its result was "
                "valued from",
                code="REPORT_UNAVAILABLE",
            )
        items.append(stored_appraisal(inputs.patent, inputs.financials, result))
    owners = list(dict.fromkeys(o.name for item in items for o in item.patent.owners))
    if stored.requested_by is not None and not owners:
        owners = [parties.get_party(session, stored.requested_by).name]
    issued, base = _report_date(stored), stored.summary.base_date
    if base is not None and issued < base:
        raise RefusedError(
            "appraisal_id",
            f"appraisal {appraisal_id} values at {base}, after the day it was requested "
            f"({issued}): a report cannot be issued before the date it values at",
            code="REPORT_UNAVAILABLE",
        )
    info = ReportInfo(
        client=names(language, owners) if owners else "—",
        base_date=stored.summary.base_date,
        value_type=stored.summary.value_type,
        appraisers=(Appraiser(),) * MIN_APPRAISERS,
        report_date=issued,
        report_number=None,
    )
    return AppraisalReport(info, tuple(items))


def appraisal_report(
    session: Session,
    principal: Principal,
    appraisal_id: str,
    language: Language,
    output: ReportFormat,
    *,
    working_papers: bool = True,
) -> Document:
    """The report of an appraisal the caller asked for (without Annex A, the working papers,
    when ``working_papers`` is false: its file name then says so)."""
    visible_appraisal(session, principal, appraisal_id)
    report = stored_report(session, appraisal_id, language)
    try:
        html = render_appraisal(report, language, working_papers=working_papers)
    except ReportError as error:
        raise RefusedError("appraisal_id", str(error), code="REPORT_UNAVAILABLE") from None
    name = ("appraisal", appraisal_id, *(() if working_papers else (WITHOUT_PAPERS,)))
    return document(html, output, *name, language.value)


# -- the eligibility certificate ---------------------------------------------------------------


def certificate(
    session: Session, principal: Principal, body: EligibilityCreate
) -> EligibilityCertificate:
    """The eligibility certificate of a pre-check (the same check as ``POST /v1/eligibility``:
    stored valuations, live pledges)."""
    return certificate_of(pre_check(session, principal, body))


def certificate_of(check: PreCheck, number: str | None = None) -> EligibilityCertificate:
    """The certificate of a pre-check of registered patents (numbered as
    :func:`reports.eligibility.certify` does, unless ``number`` is given)."""
    return certify(
        check.result, check.patents, check.valuations, engine=check.engine, number=number
    )


def certificate_document(
    session: Session,
    principal: Principal,
    body: EligibilityCreate,
    language: Language,
    output: ReportFormat,
) -> Document:
    """The certificate as HTML or PDF."""
    found = certificate(session, principal, body)
    html = render_certificate(found, language)
    return document(html, output, "certificate", found.number, language.value)


# -- the portfolio statement and the navigation report -------------------------------------------


def statement_document(
    session: Session,
    principal: Principal,
    as_of: date,
    language: Language,
    output: ReportFormat,
    *,
    for_publication: bool = False,
) -> Document:
    """The pledge portfolio statement as of ``as_of``: a bank's of the pledges it holds, a
    regulator's of all (aggregates only: by bank, industry, type and period); for publication,
    with the amounts of lines of few enterprises withheld (:mod:`pledge.disclosure`)."""
    holder = principal.party_id if principal.role is Role.BANK else None
    rule = DisclosureRule.standard() if for_publication else None
    html = portfolio_html(session, as_of, language, pledgee_id=holder, disclosure=rule)
    number = as_of.isoformat() + ("-publication" if for_publication else "")
    return document(html, output, "statement", number, language.value)


def portfolio_html(
    session: Session,
    as_of: date,
    language: Language,
    *,
    pledgee_id: str | None = None,
    disclosure: DisclosureRule | None = None,
) -> str:
    """The statement's HTML, prepared for the pledgee (its own pledges) or for all (for
    publication with ``disclosure``)."""
    frame = pledge_frame(session, as_of, pledgee_id=pledgee_id)
    prepared_for = None if pledgee_id is None else parties.get_party(session, pledgee_id).name
    statement = portfolio_statement(
        frame, as_of, prepared_for=prepared_for, language=language, disclosure=disclosure
    )
    return render_portfolio(statement, language)


class NavigationFormat(StrEnum):
    """What the navigation figures are sent as: the report (HTML, PDF) or a workbook."""

    HTML = "html"
    PDF = "pdf"
    XLSX = "xlsx"


def navigation_document(
    session: Session,
    as_of: date,
    language: Language,
    output: NavigationFormat,
    lender: str = DEFAULT_LENDER,
    *,
    for_publication: bool = False,
) -> Document:
    """The navigation report of the database's patents and pledges, or its workbook; for
    publication, with the amounts of pledge lines of few enterprises withheld."""
    result = navigation_service.navigation(session, as_of, lender, for_publication=for_publication)
    number = as_of.isoformat() + ("-publication" if for_publication else "")
    if output is NavigationFormat.XLSX:
        name = safe_filename("patentval", "navigation", number, suffix="xlsx")
        return Document(
            navigation_service.workbook(result), navigation_service.XLSX_MEDIA_TYPE, name
        )
    # the register rarely holds this year's applications: the mix is of the last year it does
    view = navigation_view(result, language=language, mix_year=latest_filing_year(result))
    html = render_navigation(view, language)
    return document(html, ReportFormat(output.value), "navigation", number, language.value)

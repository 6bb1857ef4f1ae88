"""Reports as files: the appraisal report of a stored appraisal, the eligibility certificate of
a pre-check, the pledge portfolio statement, and patent navigation (figures and report)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.deps import Borrowing, CommittingRoute, Navigators, ReadSessionDep, StatementReaders
from api.routes.common import AsOf, ForPublication
from api.schemas.eligibility import EligibilityCreate
from api.services import navigation, reports
from api.services.reports import Document, NavigationFormat, ReportFormat
from pledge.policy import DEFAULT_LENDER
from reports.i18n import DEFAULT_LANGUAGE, Language

router = APIRouter(prefix="/v1", tags=["reports"], route_class=CommittingRoute)
Lang = Annotated[Language, Query(description="Language of the report: zh (default) or en.")]
Format = Annotated[ReportFormat, Query(alias="format", description="html or pdf (default).")]
WorkingPapers = Annotated[
    bool,
    Query(
        description="Include Annex A, each patent's working papers (default); false for the "
        "report without them, a few pages for a portfolio instead of about four a patent."
    ),
]
Lender = Annotated[
    str, Query(max_length=64, description="Lender whose policy caps the pledge capacity.")
]


def _file(media_types: tuple[str, ...], what: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {m: {} for m in media_types}, "description": what}}


REPORT = _file((reports.HTML_MEDIA_TYPE, reports.PDF_MEDIA_TYPE), "the report, as an attachment")
NAVIGATION_FILES = _file(
    (reports.HTML_MEDIA_TYPE, reports.PDF_MEDIA_TYPE, navigation.XLSX_MEDIA_TYPE),
    "the navigation report (HTML or PDF) or workbook (XLSX), as an attachment",
)


def sent(found: Document) -> Response:
    """A rendered document as an attachment under its safe file name."""
    return Response(
        found.content,
        media_type=found.media_type,
        headers={"Content-Disposition": found.disposition},
    )


@router.get("/appraisals/{appraisal_id}/report", response_class=Response, responses=REPORT)
def appraisal_report(
    appraisal_id: Annotated[str, Path(max_length=64)],
    session: ReadSessionDep,
    caller: Borrowing,
    lang: Lang = DEFAULT_LANGUAGE,
    output: Format = ReportFormat.PDF,
    working_papers: WorkingPapers = True,
) -> Response:
    """The appraisal report of an appraisal the caller asked for: the stored figures, never
    valued again (409 REPORT_UNAVAILABLE for one stored without the engine's inputs)."""
    document = reports.appraisal_report(
        session, caller, appraisal_id, lang, output, working_papers=working_papers
    )
    return sent(document)


@router.post("/eligibility/certificate", response_class=Response, responses=REPORT)
def eligibility_certificate(
    body: EligibilityCreate,
    session: ReadSessionDep,
    caller: Borrowing,
    lang: Lang = DEFAULT_LANGUAGE,
    output: Format = ReportFormat.PDF,
) -> Response:
    """The eligibility certificate of a pre-check (the same check as POST /v1/eligibility)."""
    return sent(reports.certificate_document(session, caller, body, lang, output))


@router.get("/statistics/pledges/statement", response_class=Response, responses=REPORT)
def pledge_statement(
    as_of: AsOf,
    session: ReadSessionDep,
    caller: StatementReaders,
    lang: Lang = DEFAULT_LANGUAGE,
    output: Format = ReportFormat.PDF,
    for_publication: ForPublication = False,
) -> Response:
    """The pledge portfolio statement as of a day: a bank's of the pledges it holds, a
    regulator's of all; aggregates only (by bank, industry, patent type and period)."""
    document = reports.statement_document(
        session, caller, as_of, lang, output, for_publication=for_publication
    )
    return sent(document)


@router.get("/navigation")
def navigation_figures(
    as_of: AsOf,
    session: ReadSessionDep,
    caller: Navigators,
    lender: Lender = DEFAULT_LENDER,
    for_publication: ForPublication = False,
) -> dict[str, Any]:
    """Every patent navigation figure of the database's patents and pledges as of a day
    (regulator, admin): flows, grant rates, top applicants, high-value patents, pledge
    financing and each firm's pledge capacity; money as decimal strings."""
    return navigation.figures(session, as_of, lender, for_publication=for_publication)


@router.get("/navigation/report", response_class=Response, responses=NAVIGATION_FILES)
def navigation_report(
    as_of: AsOf,
    session: ReadSessionDep,
    caller: Navigators,
    lang: Lang = DEFAULT_LANGUAGE,
    output: Annotated[
        NavigationFormat, Query(alias="format", description="html, pdf (default) or xlsx.")
    ] = NavigationFormat.PDF,
    lender: Lender = DEFAULT_LENDER,
    for_publication: ForPublication = False,
) -> Response:
    """The navigation report (HTML or PDF, in Chinese or English) or workbook (XLSX)."""
    document = reports.navigation_document(
        session, as_of, lang, output, lender, for_publication=for_publication
    )
    return sent(document)

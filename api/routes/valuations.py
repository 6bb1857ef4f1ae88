"""/v1/appraisals, /v1/eligibility and /v1/valuations/batch: the engine on registered patents
and on uploaded files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import (
    Borrowing,
    CommittingRoute,
    IdempotencyKey,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
    Valuers,
)
from api.errors import ErrorBody
from api.routes.common import Limit, Offset
from api.schemas.appraisals import AppraisalCreate, AppraisalRead
from api.schemas.common import Day, PageRead
from api.schemas.eligibility import EligibilityCreate, EligibilityRead
from api.services import batch, valuations

router = APIRouter(prefix="/v1", tags=["valuation"], route_class=CommittingRoute)
AppraisalId = Annotated[str, Path(max_length=64)]


@router.post("/appraisals", status_code=201)
def request_appraisal(
    body: AppraisalCreate, session: SessionDep, caller: Borrowing, key: IdempotencyKey = None
) -> AppraisalRead:
    """Value a registered patent at a base date and store the appraisal."""
    return valuations.request_appraisal(session, caller, body, key)


@router.get("/appraisals/{appraisal_id}")
def get_appraisal(
    appraisal_id: AppraisalId, session: ReadSessionDep, caller: Borrowing
) -> AppraisalRead:
    """An appraisal the caller asked for."""
    return valuations.read_appraisal(session, caller, appraisal_id)


@router.get("/appraisals")
def list_appraisals(
    session: ReadSessionDep,
    caller: Borrowing,
    patent: Annotated[str | None, Query(max_length=60)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageRead[AppraisalRead]:
    """The appraisals the caller asked for, newest base date first."""
    return valuations.list_appraisals(session, caller, patent=patent, limit=limit, offset=offset)


@router.post("/eligibility")
def check_eligibility(
    body: EligibilityCreate, session: ReadSessionDep, caller: Borrowing
) -> EligibilityRead:
    """Pre-check one patent or a list against a proposed loan (amount, term, lender)."""
    return valuations.check_eligibility(session, caller, body)


@router.post(
    "/valuations/batch",
    response_class=Response,
    responses={
        200: {
            "content": {media: {} for media in batch.MEDIA_TYPES.values()},
            "description": "one row per input row",
        },
        413: {"model": ErrorBody, "description": "the upload is over the size limit"},
    },
)
async def value_batch(
    settings: SettingsDep,
    caller: Valuers,
    file: Annotated[UploadFile, File(description="Patents in the batch schema, CSV or Parquet.")],
    base_date: Annotated[Day, Form()],
    output: Annotated[batch.BatchFormat, Form(alias="format")] = batch.BatchFormat.JSON,
) -> Response:
    """Value every patent of an uploaded CSV or Parquet file."""
    data = await batch.read_upload(file, settings.max_upload_bytes)
    result = await run_in_threadpool(
        batch.value_upload,
        file.filename or "",
        data,
        base_date=base_date,
        output=output,
        max_rows=settings.max_batch_rows,
    )
    return Response(result, media_type=batch.MEDIA_TYPES[output])

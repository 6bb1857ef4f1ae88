"""One error format for every response that is not a success, and the one place where errors
become HTTP statuses.

Every error body is ``{"error": {"code": ..., "message": ..., "field": ...}}``: ``code`` a stable
upper-case identifier, ``message`` for people, ``field`` the request field concerned (a dotted
path such as ``body.loan.amount``) or null. Domain errors map by their kind: invalid → 422,
not found → 404, conflict → 409, refused (a rule refuses the request in the record's current
state) → 409. Request validation errors are 422 naming the first field at fault; unknown routes
404; an unexpected failure 500 with code ``INTERNAL`` and nothing of its internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from storage.database import LOCKED
from storage.errors import DomainError, ErrorKind, plain_reason

log = logging.getLogger("patentval.api")

BUSY_RETRY_SECONDS = 1
"""What a 503 for a busy database tells the client to wait (Retry-After)."""

STATUS_OF_KIND = {
    ErrorKind.INVALID: 422,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.REFUSED: 409,
}
_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID",
    429: "TOO_MANY_REQUESTS",
}


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class ApiError(Exception):
    """An error raised by the HTTP layer itself (authentication, roles, limits)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers


def forbidden(message: str, code: str = "FORBIDDEN") -> ApiError:
    """A 403: the caller's role may not do this."""
    return ApiError(403, code, message)


def not_found(field: str, message: str) -> ApiError:
    """A 404 that reads the same whether the record is missing or another tenant's."""
    return ApiError(404, "NOT_FOUND", message, field)


def error_response(
    status: int, code: str, message: str, field: str | None = None, headers: Any = None
) -> JSONResponse:
    """A JSON error response in the one format."""
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _field_path(location: Any) -> str:
    """A validation error's location as a dotted path (``body.loan.amount``)."""
    return ".".join(str(part) for part in location)


async def _api_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return error_response(
        error.status, error.code, error.message, error.field, error.headers or None
    )


async def _domain_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    return error_response(STATUS_OF_KIND[error.kind], error.code, error.reason, error.field)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    unverified = getattr(request.state, "unverified", None)
    if unverified is not None:  # the caller's key and role come first (api.deps.allow)
        try:
            await run_in_threadpool(unverified)
        except ApiError as refused:
            return await _api_error(request, refused)
        except (OperationalError, PoolTimeoutError) as failed:
            return await _database_error(request, failed)
    problems = list(error.errors())
    first = problems[0] if problems else {"loc": (), "msg": "invalid request"}
    field = _field_path(first.get("loc", ())) or None
    message = plain_reason(first)
    if len(problems) > 1:
        others = "; ".join(
            f"{_field_path(p.get('loc', ()))}: {plain_reason(p)}" for p in problems[1:4]
        )
        message = f"{message} (also: {others})"
    return error_response(422, "VALIDATION_ERROR", message, field)


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, f"HTTP_{error.status_code}")
    message = str(error.detail) if error.status_code != 404 else "no such route"
    return error_response(error.status_code, code, message, None, error.headers)


def _busy(error: Exception) -> bool:
    """Whether ``error`` says the database is too busy to answer now: SQLite's write lock, or
    no pooled connection, not taken within its timeout."""
    if isinstance(error, PoolTimeoutError):
        return True
    return isinstance(error, OperationalError) and LOCKED in str(error.orig)


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    if not _busy(error):
        return await _unexpected(request, error)
    log.warning("database busy: %s", error)
    return error_response(
        503,
        "BUSY",
        "the database is busy; try again shortly",
        None,
        {"Retry-After": str(BUSY_RETRY_SECONDS)},
    )


async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=error)
    return error_response(500, "INTERNAL", "the service failed; the failure is logged")


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the service can raise to the one format."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(PoolTimeoutError, _database_error)
    app.add_exception_handler(Exception, _unexpected)


def _described(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _described("the body cannot be read (not UTF-8 JSON, a broken multipart form)"),
    401: _described("no valid API key (`Authorization: Bearer pv_…`)"),
    403: _described("the caller's role may not use this operation"),
    404: _described("no such record, or not one of the caller's (the same answer)"),
    409: _described("the record's state or another record refuses the request"),
    422: _described("the request is malformed or breaks a rule; `field` names the culprit"),
    429: _described(
        "too many failed authentications from this client or for this key; `Retry-After` "
        "says when to try again"
    ),
    503: _described("the database is busy (overload); `Retry-After` says when to try again"),
}
"""The error responses every /v1 operation documents."""

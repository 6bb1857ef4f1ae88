"""Domain errors of the storage layer: each has a code, the field concerned, and the reason.

The HTTP layer maps them in one place by :attr:`DomainError.kind` (not found, conflict, refused,
invalid); nothing here knows about HTTP. :func:`domain_errors` turns the pure pledge package's
exceptions into these, so a caller handles one family.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from pledge.lifecycle import (
    FourEyesError,
    IllegalTransitionError,
    InterestUnpaidError,
    LtvExceedsPolicyError,
    MissingEventDataError,
    PledgeNotRegisteredError,
    TermExceedsPatentLifeError,
    ValuationNotValidError,
)
from pledge.schedule import ScheduleError


class ErrorKind(StrEnum):
    """What sort of failure an error is (an HTTP layer maps these to status codes)."""

    INVALID = "invalid"  # the request itself is malformed or inconsistent
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # the database already holds something that excludes the request
    REFUSED = "refused"  # a business rule refuses the request in the current state


class DomainError(Exception):
    """A command refused with a code, the field concerned and the reason."""

    code: str = "INVALID"
    kind: ErrorKind = ErrorKind.INVALID

    def __init__(self, field: str, reason: str, *, code: str | None = None) -> None:
        self.field, self.reason = field, reason
        if code is not None:
            self.code = code
        super().__init__(f"{field}: {reason}")


class NotFoundError(DomainError):
    code, kind = "NOT_FOUND", ErrorKind.NOT_FOUND


class AlreadyPledgedError(DomainError):
    """A patent is already in a live pledge."""

    code, kind = "ALREADY_PLEDGED", ErrorKind.CONFLICT


class AlreadyExistsError(DomainError):
    code, kind = "ALREADY_EXISTS", ErrorKind.CONFLICT


class IdempotencyConflictError(DomainError):
    """An idempotency key reused for a different request."""

    code, kind = "IDEMPOTENCY_KEY_REUSED", ErrorKind.CONFLICT


class RefusedError(DomainError):
    """A business rule refuses the command in the current state."""

    code, kind = "REFUSED", ErrorKind.REFUSED


_PLEDGE_ERRORS: tuple[tuple[type[Exception], str, str], ...] = (
    (IllegalTransitionError, "ILLEGAL_TRANSITION", "status"),
    (MissingEventDataError, "MISSING_EVENT_DATA", "event"),
    (FourEyesError, "FOUR_EYES", "approver"),
    (PledgeNotRegisteredError, "PLEDGE_NOT_REGISTERED", "pledge_id"),
    (ValuationNotValidError, "VALUATION_NOT_VALID", "valuation"),
    (TermExceedsPatentLifeError, "TERM_EXCEEDS_PATENT_LIFE", "term_months"),
    (InterestUnpaidError, "INTEREST_UNPAID", "interest"),
    (LtvExceedsPolicyError, "LTV_EXCEEDS_POLICY", "principal"),
    (ScheduleError, "SCHEDULE_INVALID", "schedule"),
)


def plain_reason(problem: Mapping[str, Any]) -> str:
    """A pydantic error's message in plain words, without its "Value error, " prefix."""
    return str(problem.get("msg", "invalid")).removeprefix("Value error, ")


def request_paths(names: Iterable[str], at: str = "body") -> dict[str, str]:
    """Domain field → request path for fields a request carries under the same name at ``at``
    (``principal`` → ``body.principal``)."""
    return {name: f"{at}.{name}" for name in names}


@contextmanager
def domain_errors(paths: Mapping[str, str] | None = None) -> Iterator[None]:
    """Re-raise the pledge package's refusals and validation errors as :class:`DomainError`.

    ``paths`` maps a domain model's field (the first part of an error's location) or the
    model's name (for an error of the whole model) to the request path it comes from, so that
    the error names the field of the request (``principal`` → ``body.principal``); a
    :class:`DomainError` on such a field is renamed the same way."""
    paths = paths or {}
    try:
        yield
    except DomainError as error:
        if error.field in paths:
            error.field = paths[error.field]
        raise
    except ValidationError as error:
        first = error.errors()[0]
        location = [str(part) for part in first["loc"]]
        if location and location[0] in paths:
            location[0] = paths[location[0]]
        field = ".".join(location) or paths.get(error.title, error.title)
        raise DomainError(field, plain_reason(first)) from error
    except ValueError as error:
        for kind, code, field in _PLEDGE_ERRORS:
            if isinstance(error, kind):
                raise RefusedError(field, str(error), code=code) from error
        raise DomainError("request", str(error)) from error

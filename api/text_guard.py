"""Refuse a NUL character in the text of a request body, naming the field.

JSON may carry U+0000 in a string (``"\\u0000"``), a form ``%00``. SQLite stores it; PostgreSQL
refuses it in any text column, so on a PostgreSQL deployment such a request failed in the
database. No field of the service takes it, on either engine: the body is refused first, 422 with
the path of the first string that holds one (``body.title``, ``body.owners.0.name``).

Only a body that holds the escape or the byte at all is parsed here (a scan of its bytes), so
the others pass through as they came, read once.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from api.pages.web import NUL_IN_FORM, language_of, render

_JSON_NUL, _FORM_NUL = b"\\u0000", b"%00"
_MESSAGE = "contains a NUL character (U+0000), which no text field takes"


def _first_nul(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The path of the first string (or key) of ``value`` that holds a NUL, if any."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return (*path, key)
            found = _first_nul(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_nul(item, (*path, str(index)))
            if found is not None:
                return found
    return None


def nul_field(body: bytes, content_type: str) -> str | None:
    """The field path (``body.…``) of the first NUL in ``body``, or None."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        if _FORM_NUL not in body and b"\x00" not in body:
            return None
        for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return f"body.{name.replace(chr(0), '')}"
        return None
    if _JSON_NUL not in body:
        return None
    try:
        found = _first_nul(json.loads(body))
    except ValueError:  # not JSON: the route's own parsing answers
        return None
    return None if found is None else ".".join(("body", *found))


class NulGuard:
    """ASGI middleware: a JSON or form body with a NUL in its text is 422 naming the field."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", ())) if scope["type"] == "http" else {}
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if "json" not in content_type and "x-www-form-urlencoded" not in content_type:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay(b"".join(chunks), message, receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        field = nul_field(body, content_type)
        if field is not None:
            await _refusal(scope, field)(scope, receive, send)
            return
        await self.app(scope, _replay(body, None, receive), send)


def _refusal(scope: Scope, field: str) -> Response:
    """The 422: in the error format for the API, an error page for a page's form."""
    if str(scope.get("path", "")).startswith("/v1/"):
        return error_response(422, "VALIDATION_ERROR", _MESSAGE, field)
    request = Request(scope)
    name = field.removeprefix("body.")
    return render(
        request,
        "error.html",
        language_of(request),
        status=422,
        message=NUL_IN_FORM,
        params={"name": name},
    )


def _replay(body: bytes, last: Message | None, receive: Receive) -> Receive:
    """A receive that gives the body read so far in one message (and then ``last``, the
    message that ended the reading early, when there is one), then the original's."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": last is not None}]
    if last is not None:
        pending.append(last)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed

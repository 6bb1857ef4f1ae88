"""Refuse a NUL character in a request's text, naming the field: in the path, in the query
string, or in the text of a JSON body.

JSON may carry U+0000 in a string (``"\\u0000"``, or the character itself in a UTF-16 or UTF-32
body). SQLite stores it; PostgreSQL refuses it in any text column, so on a PostgreSQL deployment
such a request failed in the database. No field of the service takes it, on either engine: the
body is refused first, 422 with the path of the first string that holds one (``body.title``,
``body.owners.0.name``). A page's form is checked where the pages read it
(``api.pages.routes._posted``), so that its refusal is an error page.

Only a body that holds the escape or a zero byte at all is parsed here (a scan of its bytes), so
the others pass through as they came, read once. A path or a query string with a NUL (``%00``)
is refused before any route reads it: 422 on ``path`` or on ``query.<name>``, in the error format
on the API and as a short page elsewhere.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

_JSON_NUL, _ZERO = b"\\u0000", b"\x00"
MESSAGE = "contains a NUL character (U+0000), which no text field takes"


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


def nul_field(body: bytes) -> str | None:
    """The field path (``body.…``) of the first NUL in the JSON ``body``, or None (also when
    it is not JSON: the route's own parsing answers that)."""
    if _JSON_NUL not in body and _ZERO not in body:
        return None
    try:  # json.loads reads UTF-8, UTF-16 and UTF-32, as the routes do
        found = _first_nul(json.loads(body))
    except (ValueError, RecursionError):
        return None
    return None if found is None else ".".join(("body", *found))


def address_nul_field(path: str, query: bytes) -> str | None:
    """``path`` when the (decoded) path holds a NUL, ``query.<name>`` when a parameter of the
    query string does (its name or its value), else None."""
    if "\x00" in path:
        return "path"
    if b"%00" not in query and _ZERO not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return f"query.{name}"
    return None


_PAGE = (
    '<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>422</title>'
    "<p>地址含有 NUL 字符（U+0000），无法处理。</p>"
    '<p lang="en">The address contains a NUL character (U+0000), which no page takes.</p></html>'
)
_API_PREFIXES = ("/v1/", "/health", "/docs", "/openapi")


class NulGuard:
    """ASGI middleware: a NUL in the path, the query string or the text of a JSON body is 422
    naming the field."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            field = address_nul_field(scope.get("path", ""), scope.get("query_string", b""))
            if field is not None:
                response: Response
                if scope.get("path", "").startswith(_API_PREFIXES):
                    response = error_response(422, "VALIDATION_ERROR", MESSAGE, field)
                else:
                    response = HTMLResponse(_PAGE, status_code=422)
                await response(scope, receive, send)
                return
        headers = dict(scope.get("headers", ())) if scope["type"] == "http" else {}
        if b"json" not in headers.get(b"content-type", b"").lower():
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
        field = nul_field(body)
        if field is not None:
            await error_response(422, "VALIDATION_ERROR", MESSAGE, field)(scope, receive, send)
            return
        await self.app(scope, _replay(body, None, receive), send)


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

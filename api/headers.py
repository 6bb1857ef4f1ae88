"""Security headers on every response: pages, reports, the JSON API and the API's docs.

* ``Content-Security-Policy``: nothing loads from anywhere by default; pages and reports may load
  their own scripts (never inline ones), images and SVG from the service or ``data:`` URLs, and
  styles from the service or inline (``'unsafe-inline'`` for styles only: the reports are
  self-contained HTML whose CSS and SVG charts are inline, and a style cannot run code); forms
  post only to the service; no page may be framed (``frame-ancestors 'none'``). JSON answers get
  ``default-src 'none'``. The API docs (``/docs``) load Swagger UI from its CDN and run one inline
  script, allowed by its SHA-256 hash rather than ``'unsafe-inline'``. A PDF gets no policy: it
  runs no page script, and a browser's PDF viewer runs under the policy of the document.
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy:
  no-referrer``, ``Cross-Origin-Opener-Policy: same-origin``, ``Cross-Origin-Resource-Policy:
  same-origin`` and a ``Permissions-Policy`` that turns off what no page uses.
* ``Cache-Control: no-store`` on ``/v1`` answers (they carry borrower records and, once, new keys)
  unless the route set its own.
* ``Strict-Transport-Security`` when the service is served over TLS (``PATENTVAL_HSTS_SECONDS``
  above 0; behind a TLS-terminating proxy set it there or here).

A header a route set itself is kept: a route knows better (the docs' policy, a download's
caching).
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.openapi.docs import get_swagger_ui_html
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
"""Pages and reports: own scripts only, inline styles allowed (see the module)."""
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""JSON answers: nothing may load."""
SWAGGER_CDN = "https://cdn.jsdelivr.net"
FIXED_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def script_hashes(html: str) -> list[str]:
    """CSP sources (``'sha256-…'``) of the inline scripts of ``html``."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def docs_policy(openapi_url: str, title: str) -> str:
    """The policy of Swagger UI as FastAPI serves it: its CDN, and its one inline script by
    hash."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} - Swagger UI",
        oauth2_redirect_url="/docs/oauth2-redirect",
    ).body
    scripts = " ".join([SWAGGER_CDN, *script_hashes(bytes(page).decode())])
    return (
        f"default-src 'none'; script-src {scripts}; style-src {SWAGGER_CDN}; "
        "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """Pure ASGI middleware adding the headers above to every HTTP response."""

    def __init__(
        self, app: ASGIApp, *, docs_paths: dict[str, str] | None = None, hsts_seconds: int = 0
    ) -> None:
        self.app = app
        self.docs_paths = docs_paths or {}
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains" if hsts_seconds > 0 else None

    def _policy(self, path: str, content_type: str) -> str | None:
        if path in self.docs_paths:
            return self.docs_paths[path]
        if content_type.startswith(("text/html", "image/svg")):
            return PAGE_POLICY
        if content_type.startswith("application/pdf"):
            return None
        return API_POLICY

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                content_type = headers.get("content-type", "")
                policy = self._policy(path, content_type)
                if policy is not None:
                    headers.setdefault("content-security-policy", policy)
                for name, value in FIXED_HEADERS.items():
                    headers.setdefault(name, value)
                if path.startswith("/v1/"):
                    headers.setdefault("cache-control", "no-store")
                if self.hsts is not None:
                    headers.setdefault("strict-transport-security", self.hsts)
            await send(message)

        await self.app(scope, receive, send_with_headers)

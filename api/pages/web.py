"""What every page shares: its language, rendering, the signed-in browser and CSRF.

**Language**: ``?lang=zh|en`` chooses it (and is remembered in a cookie); without a choice, the
browser's ``Accept-Language``; Chinese by default.

**Rendering**: the reports' Jinja2 environment of the language (:func:`reports.rendering.
environment`): autoescaping on, the gettext catalog of ``reports/locale``, and the reports'
money, number and date filters — one way to format money and dates. Pages are sent with
``Cache-Control: no-store`` and ``Vary: Accept-Language, Cookie``.

**Signing in**: the sign-in form takes an API key, checks it as the JSON API does, and starts a
server-side session (:mod:`storage.web_sessions`); the cookie holds only the session's random
token — ``HttpOnly``, ``Secure``, ``SameSite=Strict``, path ``/`` — never the key. Signing out
ends the session.

**CSRF**: every form that POSTs carries a token: the session's own once signed in; on the
sign-in form, a random one that must equal the one in a short-lived ``SameSite=Strict`` cookie
(double submit). A POST without the right token is refused (403).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.security import Principal
from api.settings import Settings
from models.enums import Role
from reports.i18n import DEFAULT_LANGUAGE, N_, Language
from reports.rendering import environment
from storage.parties import get_party
from storage.web_sessions import find_session
from valuation import ENGINE_VERSION

SESSION_COOKIE = "pv_session"
SIGNIN_COOKIE = "pv_signin"
LANG_COOKIE = "pv_lang"
SIGNIN_PATH = "/signin"
SIGNIN_SECONDS = 15 * 60
YEAR_SECONDS = 365 * 24 * 3600
HOME = {
    Role.ENTERPRISE: "/enterprise",
    Role.BANK: "/bank",
    Role.REGULATOR: "/regulator",
    Role.ADMIN: "/navigation",
}
"""Where each role lands after signing in."""
MENUS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.ENTERPRISE: (("/enterprise", N_("Eligibility check")),),
    Role.BANK: (
        ("/bank", N_("Appraisals and loans")),
        ("/bank/appraisals/new", N_("New appraisal")),
    ),
    Role.REGULATOR: (("/regulator", N_("Pledge statistics")), ("/navigation", N_("Navigation"))),
    Role.ADMIN: (("/navigation", N_("Navigation")),),
}
ROLE_NAMES = {
    Role.ENTERPRISE: N_("Enterprise"),
    Role.BANK: N_("Bank"),
    Role.REGULATOR: N_("Regulator"),
    Role.ADMIN: N_("Administrator"),
}


@dataclass(frozen=True, slots=True)
class PageUser:
    """A signed-in browser: whom it acts for and the CSRF token of its forms."""

    principal: Principal
    party_name: str
    csrf_token: str

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.principal.role]

    @property
    def menu(self) -> tuple[tuple[str, str], ...]:
        return MENUS[self.principal.role]


class SignInRequired(Exception):  # noqa: N818 - reads as what the page needs
    """The page needs a signed-in browser: it is sent to the sign-in form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


NUL_IN_FORM = N_("The field %(name)s holds a NUL character (U+0000), which no field takes.")
"""The error page of a form whose text holds a NUL (:mod:`api.text_guard`)."""


class PageRefused(Exception):  # noqa: N818 - reads as what happened
    """The page cannot be shown to this browser (403, 404): an error page says why."""

    def __init__(self, status: int, message: str, **params: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.params = status, message, params


def language_of(request: Request) -> Language:
    """``?lang=`` when it names a language, else the remembered one, else the browser's first
    choice among ours (``Accept-Language``), else Chinese."""
    for text in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if text in (Language.ZH.value, Language.EN.value):
            return Language(text)
    return accepted_language(request.headers.get("accept-language", ""))


def accepted_language(header: str) -> Language:
    """The language of ours an ``Accept-Language`` header ranks highest (RFC 9110 §12.5.4: by
    quality, then by order; ``zh-CN`` is ``zh``, ``*`` any), else Chinese."""
    best: tuple[float, int, Language] | None = None
    for order, item in enumerate(header.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        chosen = DEFAULT_LANGUAGE if primary == "*" else _LANGUAGES.get(primary)
        if chosen is None or not 0 < quality <= 1:
            continue
        if best is None or (quality, -order) > (best[0], -best[1]):
            best = (quality, order, chosen)
    return DEFAULT_LANGUAGE if best is None else best[2]


_LANGUAGES = {language.value: language for language in Language}


def _switch(request: Request, language: Language) -> str:
    """The current page's address in ``language`` (GET pages; a POST result goes home)."""
    path = request.url.path if request.method == "GET" else home_of(request)
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    return f"{path}?{urlencode({**query, 'lang': language.value})}"


def home_of(request: Request) -> str:
    return request.url.path.rsplit("/", 1)[0] or "/"


def business_day(request: Request) -> date:
    """The day a form or dashboard given no day starts from: the service's business date
    (:attr:`api.settings.Settings.business_date`), else today in China."""
    settings: Settings = request.app.state.settings
    return settings.today()


def render(
    request: Request,
    template: str,
    language: Language,
    *,
    user: PageUser | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` (under ``templates/pages``) in ``language``."""
    html = (
        environment(language)
        .get_template(f"pages/{template}")
        .render(
            user=user,
            version=ENGINE_VERSION,
            path=request.url.path,
            business_date=request.app.state.settings.business_date,
            switch={lang.value: _switch(request, lang) for lang in Language},
            **context,
        )
    )
    headers = {"Cache-Control": "no-store", "Vary": "Accept-Language, Cookie"}
    response = HTMLResponse(html, status_code=status, headers=headers)
    if request.query_params.get("lang") == language.value:
        response.set_cookie(
            LANG_COOKIE, language.value, max_age=YEAR_SECONDS, httponly=True, samesite="lax"
        )
    return response


def current_user(request: Request, session: Session) -> PageUser | None:
    """The signed-in browser of the request, or None; remembered on the request, so that an
    error page raised later (:class:`PageRefused`) keeps the signed-in header."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = find_session(session, token)
    if found is None:
        return None
    credential = found.credential
    principal = Principal(
        credential_id=credential.credential_id,
        party_id=credential.party_id,
        role=credential.role,
        label=credential.label,
    )
    party = get_party(session, credential.party_id)
    user = PageUser(principal, party.name, found.csrf_token)
    request.state.page_user = user
    return user


def signed_in(request: Request) -> PageUser | None:
    """The signed-in browser :func:`current_user` found for this request, if it looked."""
    user = getattr(request.state, "page_user", None)
    return user if isinstance(user, PageUser) else None


def require(request: Request, session: Session, *roles: Role) -> PageUser:
    """The signed-in browser, in one of ``roles``: else to the sign-in form, or 403."""
    user = current_user(request, session)
    if user is None:
        raise SignInRequired(request.url.path)
    if user.principal.role not in roles:
        raise PageRefused(403, N_("This page is not for your role."))
    return user


def check_csrf(given: object, expected: str) -> None:
    """Refuse (403) a form whose CSRF token is missing or wrong."""
    if not isinstance(given, str) or not given or not hmac.compare_digest(given, expected):
        raise PageRefused(403, N_("The form has expired or did not come from this site."))


def new_token() -> str:
    """A random token for a form or cookie."""
    return secrets.token_urlsafe(32)


def session_cookie(response: Response, token: str, settings: Settings) -> None:
    """Set the session cookie (HttpOnly, Secure, SameSite=Strict)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(timedelta(hours=settings.session_hours).total_seconds()),
        httponly=True,
        secure=True,
        samesite="strict",
        path="/",
    )


def signin_cookie(response: Response, token: str) -> None:
    """Set the sign-in form's CSRF cookie (short-lived, HttpOnly, Secure, SameSite=Strict)."""
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        max_age=SIGNIN_SECONDS,
        httponly=True,
        secure=True,
        samesite="strict",
        path=SIGNIN_PATH,
    )


def redirect(path: str) -> RedirectResponse:
    """See other: after a POST, or to another page (never to another site)."""
    safe = path if path.startswith("/") and not path.startswith("//") else "/"
    return RedirectResponse(safe, status_code=303)

"""The service's refusals a page shows, in the page's language.

A refusal of the service (an unknown patent, a base date before the filing date, a report that
cannot be made) is written in English for the JSON API. A page shows it inside its own message
("Not accepted: %(reason)s"), read back through the patterns here and the engine's
(:data:`reports.vocabulary.ENGINE_PATTERNS`) and printed translated with its figures; a text
that matches none is shown as it is. Each pattern reads as the service's f-string does
(``tests/api/test_pages.py`` checks its words are in the code).
"""

from __future__ import annotations

from typing import Any

from reports.i18n import N_, Language, gettext_for
from reports.vocabulary import ENGINE_PATTERNS, phrase

SERVICE_PATTERNS: tuple[str, ...] = (
    # api.services.tenancy: a patent that is not in the caller's register
    N_("no patent '%(number)s' in the register"),
    # api.services.valuations: a pre-check the engine cannot value
    N_("the engine cannot value %(number)s at %(day)s: %(reason)s"),
    # api.services.reports: an appraisal without the engine's stored results
    N_(
        "appraisal %(appraisal)s was stored without the engine's result and the inputs it "
        "valued (it was made outside the service), so no report can show its figures"
    ),
    N_("the stored inputs of %(number)s are not those its result was valued from"),
    # Python's dates, for a day whose valuation runs past the year 9999
    N_("year %(year)s is out of range"),
)
"""The service's refusals with figures in them, each figure a ``%(name)s`` placeholder."""

SERVICE_PHRASES: tuple[str, ...] = (
    # api.services.valuations: the same patent twice (in two spellings of its number)
    N_("a patent is listed twice"),
)
"""The service's refusals without figures."""

_PATTERNS = SERVICE_PATTERNS + ENGINE_PATTERNS


def refusal(language: Language, text: str) -> str:
    """The service's or the engine's refusal ``text`` in ``language`` (as it is when it is not
    one of theirs)."""
    if text in SERVICE_PHRASES:
        return gettext_for(language, text)
    return phrase(language, text, _PATTERNS)


def refusals(language: Language, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters of a page's message, each text among them read as a refusal."""
    return {k: refusal(language, v) if isinstance(v, str) else v for k, v in params.items()}

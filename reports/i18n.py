"""Languages of the reports and their gettext catalogs.

Every piece of text a report prints that is not data is an English message id, marked in the
templates (``{% trans %}``, ``_()``) or in ``reports/*.py`` (``N_()``), and translated in
``reports/locale/<language>/LC_MESSAGES/messages.po``. English reads the ids as they are; Chinese
needs every id translated (``tests/reports/test_catalog.py`` fails otherwise). The ``.po`` sources
are compiled to ``.mo`` in memory the first time a language is used (Babel's ``pofile`` and
``mofile``), so a fresh checkout needs no build step and no compiled file is committed.

Update the catalog after changing a message (see the README, "Reports")::

    .venv/bin/pybabel extract -F reports/babel.cfg -o reports/locale/messages.pot .
    .venv/bin/pybabel update -i reports/locale/messages.pot -d reports/locale --no-fuzzy-matching
"""

from __future__ import annotations

import gettext
from enum import StrEnum
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"


class Language(StrEnum):
    """The languages a report can be written in; Chinese is the default."""

    ZH = "zh"
    EN = "en"

    @property
    def locale(self) -> Locale:
        """The Babel locale that formats money, numbers and dates in this language."""
        return _LOCALES[self]

    @property
    def html_lang(self) -> str:
        """The ``lang`` attribute of the report (it picks the CJK font's Simplified forms)."""
        return "zh-Hans" if self is Language.ZH else "en"

    @property
    def shows_compact_money(self) -> bool:
        """Whether headline amounts also appear in 万元 / 亿元."""
        return self is Language.ZH


_LOCALES = {Language.ZH: Locale("zh", "CN", script="Hans"), Language.EN: Locale("en")}
DEFAULT_LANGUAGE = Language.ZH


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated where it is printed."""
    return message


def po_path(language: Language) -> Path:
    """The ``.po`` source of ``language``'s catalog."""
    return LOCALE_DIR / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: Language) -> Catalog:
    """The parsed ``.po`` catalog of ``language``."""
    with po_path(language).open("rb") as source:
        return read_po(source, locale=language.locale, domain=DOMAIN)


@cache
def translations(language: Language) -> gettext.NullTranslations:
    """``language``'s gettext translations, compiled from its ``.po`` source in memory."""
    if language is Language.EN:
        return gettext.NullTranslations()  # the message ids are English
    compiled = BytesIO()
    write_mo(compiled, read_catalog(language), use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def gettext_for(language: Language, message: str) -> str:
    """``message`` in ``language`` (as it is when the catalog has no translation)."""
    return translations(language).gettext(message)

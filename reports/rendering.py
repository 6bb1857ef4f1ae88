"""From a template to self-contained HTML, and from HTML to PDF.

One Jinja2 environment per language, built once per process: autoescaping on (a value holding
``<script>`` prints as text), the ``jinja2.ext.i18n`` extension with the language's catalog
(:mod:`reports.i18n`), and the formatting filters of :mod:`reports.formatting`. The HTML carries
its CSS and SVG charts inline and needs no script. PDF is made by WeasyPrint from that HTML: A4
pages numbered "page X of Y" by CSS counters, the Noto CJK fonts embedded as subsets (HarfBuzz
subsets them in milliseconds; ``libharfbuzz-subset0`` is one of the Debian packages
``scripts/setup.sh`` installs).
"""

from __future__ import annotations

import gc
from enum import StrEnum
from functools import cache, partial
from pathlib import Path
from typing import Any

from babel.lists import format_list
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from reports.formatting import Formatter, page_counter_content
from reports.i18n import N_, Language, gettext_for, translations
from reports.vocabulary import label, phrase, tornado_input

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


class OutputFormat(StrEnum):
    """What a report is written as, chosen by the file's suffix."""

    HTML = "html"
    PDF = "pdf"

    @classmethod
    def of(cls, path: Path) -> OutputFormat:
        """The format of ``path`` (``.html`` or ``.pdf``); ValueError for any other suffix."""
        suffix = path.suffix.lower().lstrip(".")
        try:
            return cls(suffix)
        except ValueError:
            raise ValueError(f"{path}: expected a .pdf or .html file") from None


def given_or_standard(language: Language, text: str) -> str:
    """Standard wording in ``language``; text someone wrote, as written."""
    return gettext_for(language, text) if text else ""


def names(language: Language, items: list[str] | tuple[str, ...]) -> str:
    """Names as a list in ``language`` (``甲、乙和丙`` / ``A, B, and C``); a dash for none."""
    return format_list(list(items), locale=language.locale) if items else "—"


def codes(language: Language, items: list[str] | tuple[str, ...]) -> str:
    """Codes listed with the language's separator (``CN、US、EP`` / ``CN, US, EP``)."""
    separator = language.locale.list_patterns["standard"]["middle"].format("", "")
    return separator.join(items) if items else "—"


@cache
def environment(language: Language) -> Environment:
    """The Jinja2 environment of ``language``'s reports."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(("html",), default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(Formatter(language).filters())
    env.filters.update(
        label=partial(label, language),
        phrase=partial(phrase, language),
        tr=partial(given_or_standard, language),
        names=partial(names, language),
        codes=partial(codes, language),
        tornado_input=partial(tornado_input, language),
    )
    env.globals.update(
        lang=language.html_lang,
        language=language.value,
        page_counter=Markup(page_counter_content(language)),  # noqa: S704 - built from the catalog
        semicolon=gettext_for(language, N_("; ")),
        comma=gettext_for(language, N_(", ")),
        full_stop=gettext_for(language, N_(".")),
    )
    return env


def render_html(template: str, language: Language, **context: Any) -> str:
    """The HTML of ``template`` in ``language``."""
    return environment(language).get_template(template).render(**context)


@cache
def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration  # heavy: imported for PDF only

    return FontConfiguration()


def html_to_pdf(html: str) -> bytes:
    """The PDF of a report's HTML (A4, fonts embedded as subsets).

    WeasyPrint makes hundreds of thousands of short-lived objects; the objects the process
    already holds (the engine, its models, the fonts) are frozen out of the garbage collector's
    scans for the time of the render, which spares it ~15 % of the render time.
    """
    from weasyprint import HTML  # heavy: imported for PDF only

    gc.freeze()
    try:
        pdf: bytes = HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf(
            font_config=_font_config()
        )
    finally:
        gc.unfreeze()
    return pdf


def write(html: str, path: Path) -> OutputFormat:
    """Write the report to ``path`` as HTML or PDF, by its suffix."""
    kind = OutputFormat.of(path)
    if kind is OutputFormat.PDF:
        path.write_bytes(html_to_pdf(html))
    else:
        path.write_text(html, encoding="utf-8")
    return kind

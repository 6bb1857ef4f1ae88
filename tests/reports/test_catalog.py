"""Every message of the report and page templates, of reports/*.py and of api/pages/*.py is
translated, and nothing else."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

from reports import vocabulary, wording
from reports.i18n import Language, gettext_for, po_path, read_catalog, translations
from reports.rendering import TEMPLATES_DIR
from tests.reports.conftest import make_financials, make_patent
from valuation.engine import value_patent

ROOT = Path(__file__).resolve().parents[2]
JINJA = "jinja2.ext:babel_extract"
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}


def extracted() -> Iterator[str | tuple[str, ...]]:
    """Message ids of the report and page templates (Jinja2) and of reports/*.py and
    api/pages/*.py (gettext keywords)."""
    for folder in ("reports", "pages"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            TEMPLATES_DIR / folder,
            method_map=[("**.html", JINJA)],
            options_map={"**.html": JINJA_OPTIONS},
        ):
            yield message
    for folder in (ROOT / "reports", ROOT / "api" / "pages"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            folder, method_map=[("**.py", "python")]
        ):
            yield message


def msgid(message: str | tuple[str, ...]) -> str:
    return message if isinstance(message, str) else message[0]


@pytest.fixture(scope="module")
def zh() -> Catalog:
    return read_catalog(Language.ZH)


def test_every_template_and_code_message_has_a_chinese_translation(zh: Catalog) -> None:
    messages = list(extracted())
    assert len(messages) > 200
    untranslated = []
    for message in messages:
        entry = zh.get(msgid(message))
        strings = entry.string if entry is not None else None
        empty = not all(strings) if isinstance(strings, tuple | list) else not strings
        if entry is None or empty or entry.fuzzy:
            untranslated.append(msgid(message))
    assert untranslated == [], f"translate in {po_path(Language.ZH)}: {untranslated}"


def test_the_catalog_holds_no_message_the_sources_no_longer_use(zh: Catalog) -> None:
    used = {msgid(m) for m in extracted()}
    stale = sorted(m.id if isinstance(m.id, str) else m.id[0] for m in zh if m.id)
    assert [m for m in stale if m not in used] == []


def test_translations_keep_their_placeholders(zh: Catalog) -> None:
    problems = [(m.id, errors) for m in zh if m.id for errors in [list(m.check(zh))] if errors]
    assert problems == []


def test_english_reads_the_message_ids_and_chinese_is_compiled_in_memory() -> None:
    assert gettext_for(Language.EN, "Base date") == "Base date"
    assert gettext_for(Language.ZH, "Base date") == "评估基准日"
    assert gettext_for(Language.ZH, "text no one translated") == "text no one translated"
    assert translations(Language.ZH) is translations(Language.ZH)


def test_every_member_of_a_printed_closed_set_has_a_label() -> None:
    for kind in vocabulary.LABELLED_ENUMS:
        for member in kind:
            assert member in vocabulary.LABELS, f"{kind.__name__}.{member.name} has no label"
            assert vocabulary.label(Language.ZH, member) != vocabulary.LABELS[member]


def test_the_standard_wording_is_translated() -> None:
    texts = (
        wording.PLEDGE_PURPOSE,
        *wording.STANDARD_ASSUMPTIONS,
        *wording.STANDARD_SPECIAL_MATTERS,
        *wording.STANDARD_LIMITS_OF_USE,
        *wording.OTHER_USERS,
    )
    for text in texts:
        assert gettext_for(Language.ZH, text) != text


def test_the_engine_step_names_are_known_phrases() -> None:
    """A step the engine adds must be added to reports.vocabulary (and translated)."""
    result = value_patent(
        make_patent(), make_financials(), base_date=date(2025, 6, 30), draws=50, seed=1
    )
    steps = [
        *result.audit.steps[:2],
        *(result.income.audit.steps if result.income else ()),
        *result.cost.audit.steps,
        *(result.pledge.audit.steps if result.pledge else ()),
        *(result.value_range.audit.steps if result.value_range else ()),
    ]
    unknown = {s.name for s in steps} - set(vocabulary.ENGINE_PHRASES)
    assert unknown == set()
    assert vocabulary.phrase(Language.ZH, "period n") == "收益期 n"
    assert vocabulary.phrase(Language.ZH, "relief from royalty over 3 years") == (
        "relief from royalty over 3 years"
    )
    assert vocabulary.tornado_input(Language.ZH, "growth") == "增长率 g"
    assert vocabulary.tornado_input(Language.ZH, "something_new") == "something_new"

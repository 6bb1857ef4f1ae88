"""Every message of the report and page templates, of reports/*.py and of api/pages/*.py is
translated, and nothing else."""

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

from models.patent import Patent
from reports import vocabulary, wording
from reports.i18n import Language, gettext_for, po_path, read_catalog, translations
from reports.rendering import TEMPLATES_DIR
from tests.reports.conftest import make_financials, make_patent, number
from valuation.engine import Financials, value_patent
from valuation.market import HedonicModel
from valuation.renewal import RenewalModel

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
        "许可费节省法，收益期 3 年"
    )
    assert vocabulary.phrase(Language.ZH, "C = 1 + 2") == "C = 1 + 2"  # a formula as it is
    # Money inside a phrase prints as the report prints money (CLDR's symbols).
    floor = "reconciled value CNY 1,234.50 is below the cost floor CNY 20,000.00: check the inputs"
    assert vocabulary.phrase(Language.ZH, floor) == (
        "综合价值 ¥1,234.50 低于成本法底限 ¥20,000.00：请核对输入"
    )
    assert vocabulary.phrase(Language.EN, floor) == (
        "reconciled value CN¥1,234.50 is below the cost floor CN¥20,000.00: check the inputs"
    )
    assert vocabulary.tornado_input(Language.ZH, "growth") == "增长率 g"
    assert vocabulary.tornado_input(Language.ZH, "something_new") == "something_new"


ENGLISH_WORD = re.compile(r"(?<![A-Za-z])[a-z]{3,}(?![A-Za-z])")
"""A word in lower case: what is left of an English phrase (codes and names are upper case)."""


def _engine_texts(patent: Patent, financials: Financials, **options: Any) -> list[str]:
    """Every reason, note, model label and method the engine writes for ``patent`` that a
    report or a page prints."""
    result = value_patent(patent, financials, base_date=date(2025, 6, 30), **options)
    texts = [line.reason for line in result.reconciliation.lines]
    texts += [*result.reconciliation.notes, result.cost.reason or "", result.audit.method]
    texts += [result.high_value.eligibility_reason, *(c.reason for c in result.high_value.criteria)]
    texts += [result.market.model] if result.market else []
    if result.income is not None:
        texts += [result.income.period_reason, *result.income.warnings]
    texts += [result.value_range.audit.method] if result.value_range else []
    return [t for t in texts if t]


CASES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "invention in force, family abroad, ranges": ({}, {}, {"draws": 50, "seed": 1}),
    "utility model, no family abroad": (
        {"number": number(2017, 2, 601862), "family_countries": ["CN"], "industry": "锂电池"},
        {},
        {},
    ),
    "lapsed, filed long ago": (
        {
            "number": number(2009, 1, 601862),
            "legal_status": "lapsed",
            "filing_date": date(2009, 1, 5),
            "grant_date": date(2011, 3, 1),
        },
        {},
        {},
    ),
    "no revenue": ({}, {"revenue": None}, {}),
    "an industry without a royalty band": ({"industry": "未列行业"}, {}, {}),
    "maintained over ten years, IPC only": (
        {"number": number(2012, 1, 601862), "filing_date": date(2012, 3, 1), "industry": None},
        {},
        {},
    ),
    "economic life below the term, profit basis": (
        {},
        {
            "royalty_basis": "profit",
            "operating_margin": "0.2",
            "royalty_rate": "0.6",
            "economic_life": "3",
        },
        {},
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_engine_reasons_print_in_chinese(case: str) -> None:
    """Each reason the engine writes, with its figures, reads in Chinese in a Chinese report
    (reports.vocabulary.ENGINE_PATTERNS), and as the engine wrote it in an English one."""
    fields, money, options = CASES[case]
    financials = Financials.model_validate({**make_financials().model_dump(), **money})
    texts = _engine_texts(make_patent(**fields), financials, **options)
    assert texts
    for text in texts:
        chinese = vocabulary.phrase(Language.ZH, text)
        data = re.sub(r"'[^']*'|\[[^\]]*\]", "", chinese)  # quoted data: the patent's own
        assert not ENGLISH_WORD.search(data), f"{text!r} → {chinese!r}"
        english = vocabulary.phrase(Language.EN, text)
        printed = re.sub(r"\bCNY ", "CN¥", text)  # money as the report prints it
        assert english.lower() == printed.replace("_", " ").lower(), (text, english)


def test_each_engine_pattern_reads_as_the_engine_writes_it() -> None:
    """Each text between the placeholders of a pattern is in the engine's code: a change of the
    engine's wording fails here rather than print English in a Chinese report."""
    code = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "valuation").glob("*.py"))
    code = re.sub(r'"\s*\n\s*"', "", code)  # strings continued on the next line, joined
    kinds = (RenewalModel.kind, HedonicModel.kind)  # a model's label starts with its kind
    missing = [
        (template, piece)
        for template in vocabulary.ENGINE_PATTERNS
        for piece in re.split(r"%\(\w+\)s", template)
        if piece.strip() and _unquoted(piece, kinds) not in code
    ]
    assert missing == []


def _unquoted(piece: str, kinds: tuple[str, ...]) -> str:
    """A pattern's text as the engine's code holds it: without a model's kind before it, and
    without the spaces at its ends (where the engine joins two strings)."""
    for kind in kinds:
        piece = piece.removeprefix(kind)
    return piece.strip()

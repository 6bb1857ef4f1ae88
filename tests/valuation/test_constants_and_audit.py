"""Valuation constants are data with sources; results cite them and hash their inputs."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from models import Money
from valuation import ENGINE_VERSION
from valuation.audit import AuditTrail, CitedConstant, Step, cite, input_hash
from valuation.constants import Constant, UnknownConstantError, parameter, read_table, sources
from valuation.schema import markdown_table


def test_parameters_cite_known_sources() -> None:
    tax = parameter("corporate_tax_rate")
    assert tax.value == Decimal("0.25")
    assert tax.source_id in sources()


def test_unknown_parameter_and_table_are_named() -> None:
    with pytest.raises(UnknownConstantError, match="no_such_thing"):
        parameter("no_such_thing")
    with pytest.raises(UnknownConstantError, match="no_such_table"):
        read_table("no_such_table")


def test_a_trail_gives_each_cited_source_text_once() -> None:
    tax, free = cite(parameter("corporate_tax_rate")), cite(parameter("risk_free_rate"))
    trail = AuditTrail(input_hash=input_hash(1), method="test", constants=(tax, tax, free))
    assert tax.source_id == "CN-CIT-LAW"
    assert set(trail.sources) == {"CN-CIT-LAW", free.source_id}
    assert "Enterprise Income Tax Law" in trail.sources["CN-CIT-LAW"]
    assert AuditTrail.model_validate_json(trail.model_dump_json()) == trail


def test_a_trail_stored_with_a_source_text_per_constant_reads_as_before() -> None:
    """Results stored before sources were cited once per trail carry ``source`` on each constant:
    the text they stored is the text they show."""
    stored = {
        "input_hash": "sha256:0",
        "method": "test",
        "constants": [
            {"name": "a", "value": "0.25", "unit": "", "source_id": "X", "source": "Old title — 1"},
            {"name": "b", "value": "2", "unit": "y", "source_id": "X", "source": "Old title — 1"},
        ],
    }
    trail = AuditTrail.model_validate_json(json.dumps(stored))
    assert trail.sources == {"X": "Old title — 1"}
    assert [c.value for c in trail.constants] == [Decimal("0.25"), Decimal("2")]
    assert "source" not in trail.model_dump()["constants"][0]


def test_a_constant_whose_source_has_no_text_is_refused() -> None:
    orphan = CitedConstant(name="a", value=Decimal(1), unit="", source_id="NO-SUCH-SOURCE")
    with pytest.raises(ValidationError, match="NO-SUCH-SOURCE"):
        AuditTrail(input_hash="sha256:0", method="test", constants=(orphan,))
    with pytest.raises(UnknownConstantError, match="NO-SUCH-SOURCE"):
        cite(Constant(name="a", value=Decimal(1), unit="", source_id="NO-SUCH-SOURCE"))


def test_input_hash_is_canonical() -> None:
    a = input_hash({"revenue": Money.of("1.10"), "rate": Decimal("0.050")})
    b = input_hash({"rate": Decimal("0.05"), "revenue": Money.of("1.1")})
    assert a == b
    assert a.startswith("sha256:")
    assert a != input_hash({"rate": Decimal("0.06"), "revenue": Money.of("1.1")})


def test_audit_trail_records_the_engine_version() -> None:
    trail = AuditTrail(input_hash=input_hash(1), method="test")
    assert trail.engine_version == ENGINE_VERSION


def test_readme_lists_every_batch_column() -> None:
    readme = Path(__file__).resolve().parents[2] / "README.md"
    assert markdown_table() in readme.read_text(encoding="utf-8")


def test_a_step_read_back_from_json_is_what_was_written() -> None:
    """A figure is a Decimal again after JSON (where it is a string), as text or as the data a
    JSON column reads back; a text stays a text."""
    steps = [
        Step(name="score", formula="Σ", value=Decimal("70.85557837097878165639972621")),
        Step(name="n", formula="given", value=Decimal("50")),
        Step(name="eligibility", formula="why", value="True"),
        Step(name="value", formula="Σ w·V / Σ w", value="1234.50 CNY"),
        Step(name="nan", formula="text that looks numeric", value="NaN"),
    ]
    for step in steps:
        for back in (
            Step.model_validate_json(step.model_dump_json()),
            Step.model_validate(step.model_dump(mode="json")),
        ):
            assert back == step
            assert type(back.value) is type(step.value)


@pytest.mark.parametrize(
    "shape",
    [
        {"constants": 5},
        {"constants": [[1]]},
        {"constants": [{"name": "a"}]},
        {"constants": [{"name": "a", "value": "1", "unit": "", "source_id": 7}]},
        {"sources": 5, "constants": [{"name": "a", "value": "1", "unit": "", "source_id": "X"}]},
        {"sources": {"X": 1}, "constants": []},
    ],
)
def test_a_malformed_trail_is_a_validation_error(shape: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AuditTrail.model_validate({"input_hash": "sha256:0", "method": "test", **shape})


def test_a_source_says_whether_its_figures_were_checked(tmp_path: Path) -> None:
    """A source's ``checked`` is yes or no; what is still to check is given only for one not
    checked. The royalty table comes from textbooks that cite a survey: not yet checked."""
    from models.datafiles import Source

    textbook = sources()["CN-ROYALTY-TEXTBOOK"]
    assert not textbook.checked
    assert "[verify" not in textbook.title
    assert sources()["CN-CIT-LAW"].checked
    assert all(s.checked or not s.to_check or s.to_check.strip() for s in sources().values())
    row = {"source_id": "X", "title": "t", "reference": "r", "checked": "yes", "to_check": ""}
    assert Source.of_row(row, "f.csv") == Source("X", "t", "r")
    with pytest.raises(UnknownConstantError, match=r"f\.csv: source 'X': checked must be yes"):
        Source.of_row({**row, "checked": "maybe"}, "f.csv")
    with pytest.raises(UnknownConstantError, match="names something to check"):
        Source.of_row({**row, "to_check": "against the law"}, "f.csv")
    unchecked = Source.of_row({**row, "checked": "no", "to_check": "against the law"}, "f.csv")
    assert (unchecked.checked, unchecked.to_check) == (False, "against the law")

"""Valuation constants are data with sources; results cite them and hash their inputs."""

from decimal import Decimal
from pathlib import Path

import pytest

from models import Money
from valuation import ENGINE_VERSION
from valuation.audit import AuditTrail, Step, cite, input_hash
from valuation.constants import UnknownConstantError, parameter, read_table, sources
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


def test_cited_constant_carries_its_source_text() -> None:
    cited = cite(parameter("corporate_tax_rate"))
    assert cited.source_id == "CN-CIT-LAW"
    assert "Enterprise Income Tax Law" in cited.source


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

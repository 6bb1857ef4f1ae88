"""Fuzzing of every operation of the OpenAPI document with schemathesis, as each role.

For each role (a bank, an enterprise, a regulator, an admin) and each operation, schemathesis
generates requests from the document — well-formed ones and malformed ones — and sends them to
the app on a copy of the test world, where path parameters are, half of the time, the ids of
real records of the calling side (so handlers get past the 404 and work on real pledges and
loans). Every answer must be no 5xx, have a documented status code and content type, and match
the documented schema of its status (headers included).

The bounded run here (``PATENTVAL_FUZZ_EXAMPLES`` examples per operation and role, 6 by default,
derandomised, so a CI run is repeatable) takes about a minute; ``scripts/fuzz.sh`` runs the long
one (see the README's Reliability section).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi import checks as openapi_checks

from api.app import create_app
from api.settings import Settings
from tests.api.routes_spec import path_values
from tests.api.world import World, copy_world

EXAMPLES = int(os.environ.get("PATENTVAL_FUZZ_EXAMPLES", "6"))
ROLE_KEYS = {"bank": "bank-a", "enterprise": "ent-a", "regulator": "regulator", "admin": "admin"}
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]


@pytest.fixture(scope="module")
def fuzz_world(world: World, tmp_path_factory: pytest.TempPathFactory) -> World:
    return copy_world(world, tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def fuzz_app(fuzz_world: World) -> Iterator[FastAPI]:
    yield create_app(Settings(database_url=fuzz_world.url, environment="test"))


COVERAGE = os.environ.get("PATENTVAL_FUZZ_COVERAGE", "1") == "1"
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 8,
        "generation": {"mode": "all", "deterministic": True, "max-examples": EXAMPLES},
        "phases": {"coverage": {"enabled": COVERAGE}},
    }
)
schema = schemathesis.openapi.from_dict(
    create_app(Settings(database_url="sqlite://")).openapi(), config=CONFIG
)
REAL_IDS: dict[str, str] = {}
"""The ids of side A's records (filled by the ``real_ids`` fixture before any case is made)."""


@schema.hook
def flatmap_path_parameters(_context: Any, parameters: dict[str, Any] | None) -> Any:
    """The generated path parameters, or the same with the ids of real records."""
    if not parameters:
        return st.just(parameters)
    known = {name: REAL_IDS.get(name, value) for name, value in parameters.items()}
    return st.sampled_from([parameters, known])


@pytest.fixture(scope="module")
def real_ids(fuzz_world: World) -> dict[str, str]:
    REAL_IDS.update(path_values(fuzz_world, "a"))
    return REAL_IDS


@pytest.mark.parametrize("role", sorted(ROLE_KEYS))
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_as_every_role(
    case: Any, role: str, fuzz_app: FastAPI, fuzz_world: World, real_ids: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {fuzz_world.keys[ROLE_KEYS[role]]}"}
    case.call_and_validate(headers=headers, checks=CHECKS, app=fuzz_app)

"""Fuzzing of every operation of the OpenAPI document with schemathesis, as each role.

For each operation schemathesis makes two kinds of requests from the document: its *coverage*
cases (every boundary and every malformed value of each parameter and body field, missing and
unexpected fields, wrong types, unexpected methods) and *generated* ones (random well-formed and
malformed requests). They go to the app on a copy of the test world, where path parameters are,
half of the time, the ids of real records of the calling side (so handlers get past the 404 and
work on real pledges and loans). Every generated request is sent as each of the four roles (a
bank, an enterprise, a regulator, an admin); every coverage case as the first role that may use
the operation (``routes_spec``: a role that may not gets 403 before its input is read, so its
coverage cases would all be the same 403), or, in the long run, as every such role. Every
answer must be no 5xx, have a documented status code and content type, and match the documented
schema of its status (headers included).

Three runs, by ``PATENTVAL_FUZZ`` (every one derandomised, so that a run is repeatable):

- ``quick`` (the default, in ``make test`` and CI): generated requests only, 2 per operation,
  each as every role;
- ``bounded`` (``make reliability``, marked ``reliability``): ``PATENTVAL_FUZZ_EXAMPLES``
  generated requests per operation (4 by default), the coverage cases, two unexpected methods
  per path; about a minute on this project's busy 2-core machine;
- ``long`` (``scripts/fuzz.sh``): more examples, every coverage case as every allowed role,
  every unexpected method (see the README's Reliability section).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi import checks as openapi_checks

from api.app import create_app
from api.settings import Settings
from tests.api.routes_spec import cases, path_values
from tests.api.world import World, copy_world

RUN = os.environ.get("PATENTVAL_FUZZ", "quick")
if RUN not in ("quick", "bounded", "long"):
    raise ValueError(f"PATENTVAL_FUZZ={RUN!r}: not one of quick, bounded, long")
pytestmark = [] if RUN == "quick" else [pytest.mark.reliability]
QUICK = RUN == "quick"
EXAMPLES = 2 if QUICK else int(os.environ.get("PATENTVAL_FUZZ_EXAMPLES", "4"))
LONG = RUN == "long"
"""The long run: each coverage case as every role allowed the operation, not only the first,
and every unexpected method on every path (the bounded run tries two)."""
ROLES = ("bank", "enterprise", "admin", "regulator")
ROLE_KEYS = {"bank": "bank-a", "enterprise": "ent-a", "regulator": "regulator", "admin": "admin"}
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]
SENT: dict[tuple[str, str], int] = {}
"""Requests sent by operation and phase (printed at the end, for the README's figures)."""


@pytest.fixture(scope="module")
def fuzz_world(world: World, tmp_path_factory: pytest.TempPathFactory) -> World:
    return copy_world(world, tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def fuzz_app(fuzz_world: World) -> FastAPI:
    return create_app(Settings(database_url=fuzz_world.url, environment="test"))


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 8,
        "generation": {"mode": "all", "deterministic": True, "max-examples": EXAMPLES},
        "phases": {
            "coverage": {
                "enabled": not QUICK,
                **({} if LONG else {"unexpected-methods": ["delete", "patch"]}),
            }
        },
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


@pytest.fixture(scope="module")
def allowed(fuzz_world: World) -> dict[tuple[str, str], tuple[str, ...]]:
    """The roles that may use each operation, in :data:`ROLES` order."""
    return {
        route: tuple(role for role in ROLES if role in case.allowed)
        for route, case in cases(fuzz_world).items()
    }


@pytest.fixture(scope="module", autouse=True)
def _report() -> Any:
    yield
    if SENT:
        coverage = sum(n for (_, phase), n in SENT.items() if phase == TestPhase.COVERAGE)
        print(
            f"\nfuzz: {len({op for op, _ in SENT})} operations, {sum(SENT.values())} requests "
            f"({coverage} coverage cases, {sum(SENT.values()) - coverage} generated)"
        )


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
    case: Any,
    fuzz_app: FastAPI,
    fuzz_world: World,
    real_ids: dict[str, str],
    allowed: dict[tuple[str, str], tuple[str, ...]],
) -> None:
    operation = case.operation
    may = allowed.get((operation.method.upper(), operation.path), ROLES) or ROLES
    phase = case.meta.phase.name if case.meta is not None else TestPhase.FUZZING
    coverage_roles = may if LONG else may[:1]
    roles = coverage_roles if phase == TestPhase.COVERAGE else ROLES
    for role in roles:
        headers = {"Authorization": f"Bearer {fuzz_world.keys[ROLE_KEYS[role]]}"}
        case.call_and_validate(headers=headers, checks=CHECKS, app=fuzz_app)
        SENT[(operation.label, phase)] = SENT.get((operation.label, phase), 0) + 1

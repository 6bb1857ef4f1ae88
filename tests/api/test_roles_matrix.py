"""Every route × every role, generated from the app's routes: who is served, who gets 403, who
gets 404; then each tenant reaching for the other's records (404), and no key at all (401)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from api.settings import Settings
from tests.api.routes_spec import (
    BANK,
    ENTERPRISE,
    RECORD_PARAMS,
    Case,
    cases,
    path_values,
)
from tests.api.world import World

ROLE_KEYS = {"bank": "bank-a", "enterprise": "ent-a", "regulator": "regulator", "admin": "admin"}
OTHER_TENANT = {BANK: "bank-b", ENTERPRISE: "ent-b"}
UNAUTHENTICATED_ROUTES = {("GET", "/v1/health")}
CSV = b"patent_id,filing_date,claims\nZL201710601862.3,2017-07-01,10\n"


def v1_routes() -> set[tuple[str, str]]:
    """Every /v1 operation the app serves, from the OpenAPI document it builds of its routes."""
    paths = create_app(Settings(database_url="sqlite://")).openapi()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/v1")
        for method in operations
    }


def call(
    client: TestClient, method: str, path: str, case: Case, values: dict[str, str], key: str | None
) -> Response:
    url = path.format(**values)
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    options: dict[str, Any] = {"headers": headers, "params": case.query}
    if case.upload:
        options["files"] = {"file": ("patents.csv", CSV, "text/csv")}
        options["data"] = {"base_date": "2025-06-01", "format": "json"}
    elif case.body is not None:
        options["json"] = case.body
    return client.request(method, url, **options)


def test_every_route_has_an_expected_outcome_for_every_role(world: World) -> None:
    table = cases(world)
    assert v1_routes() == set(table), "routes and the role matrix differ"
    for case in table.values():
        assert {case.expected(role) for role in ROLE_KEYS} <= {"served", 403, 404}


def _served(response: Response) -> bool:
    return response.status_code in (200, 201, 409)


def test_the_matrix_of_routes_and_roles(client: TestClient, own_world: World) -> None:
    table = cases(own_world)
    values = path_values(own_world, "a")
    wrong: list[str] = []
    for (method, path), case in sorted(table.items()):
        for role, key_name in ROLE_KEYS.items():
            expected = case.expected(role)
            response = call(client, method, path, case, values, own_world.keys[key_name])
            ok = _served(response) if expected == "served" else response.status_code == expected
            if not ok:
                wrong.append(f"{method} {path} as {role}: {response.status_code} {response.text}")
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}, response.text
    assert not wrong, "\n".join(wrong)


def test_a_tenant_reaching_for_another_tenants_records_gets_404(
    client: TestClient, own_world: World
) -> None:
    table = cases(own_world)
    values = path_values(own_world, "a")
    wrong: list[str] = []
    checked = 0
    for (method, path), case in sorted(table.items()):
        if not any(f"{{{name}}}" in path for name in RECORD_PARAMS):
            continue
        for role, other in OTHER_TENANT.items():
            if case.expected(role) == 403:
                continue
            response = call(client, method, path, case, values, own_world.keys[other])
            checked += 1
            body = response.json()
            if response.status_code != 404 or body["error"]["code"] != "NOT_FOUND":
                wrong.append(f"{method} {path} as {other}: {response.status_code} {body}")
    assert checked > 40
    assert not wrong, "\n".join(wrong)


def test_another_tenants_record_reads_as_a_missing_one(client: TestClient, world: World) -> None:
    bank_b = world.headers("bank-b")
    theirs = client.get(f"/v1/loans/{world.records['a']['loan']}", headers=bank_b)
    missing = client.get("/v1/loans/ln-nothing", headers=bank_b)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["error"]["code"] == missing.json()["error"]["code"] == "NOT_FOUND"


def test_listings_hold_only_the_callers_records(client: TestClient, world: World) -> None:
    a, b = world.records["a"], world.records["b"]
    for key, mine in (("bank-a", a), ("ent-b", b)):
        headers = world.headers(key)
        loans = {x["loan_id"] for x in client.get("/v1/loans", headers=headers).json()["items"]}
        pledges = client.get("/v1/pledges", headers=headers).json()["items"]
        patents = client.get("/v1/patents", headers=headers).json()["items"]
        assert loans == {mine["loan"]}
        assert {p["pledge_id"] for p in pledges} == {mine["pledge"]}
        assert {p["patent_number"] for p in patents} == {mine["patent"]}
    appraisals = client.get("/v1/appraisals", headers=world.headers("bank-b")).json()
    assert [x["appraisal_id"] for x in appraisals["items"]] == [b["appraisal"]]
    assert client.get("/v1/appraisals", headers=world.headers("ent-a")).json()["total"] == 0
    every = client.get("/v1/patents", headers=world.headers("admin")).json()
    assert every["total"] == 2


def test_no_key_a_bad_key_or_a_revoked_key_is_401(client: TestClient, world: World) -> None:
    for (method, path), case in sorted(cases(world).items()):
        if (method, path) in UNAUTHENTICATED_ROUTES:
            continue
        response = call(client, method, path, case, path_values(world, "a"), None)
        assert response.status_code == 401, f"{method} {path}: {response.text}"
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    key = world.keys["ent-a"]
    forged = key[:-4] + ("0000" if not key.endswith("0000") else "1111")
    for header in (f"Bearer {forged}", "Bearer nonsense", f"Basic {key}", key):
        response = client.get("/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
    spare = world.records["spare"]["credential"]
    admin = world.headers("admin")
    issued = client.post(
        "/v1/credentials",
        json={"party_id": "ent-a", "role": "enterprise", "label": "x"},
        headers=admin,
    ).json()
    new_key = {"Authorization": f"Bearer {issued['key']}"}
    assert client.get("/v1/me", headers=new_key).status_code == 200
    revoked = client.post(
        f"/v1/credentials/{issued['credential']['credential_id']}/revoke", headers=admin
    )
    assert revoked.status_code == 200
    assert client.get("/v1/me", headers=new_key).status_code == 401
    assert spare  # the spare key of the world is untouched

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
from tests.api.world import AS_OF, PARTIES, World, cn_number, money, patent_body

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


def test_another_partys_appraisal_moves_none_of_this_partys_figures(
    client: TestClient, own_world: World
) -> None:
    """An appraisal is its requester's record: another bank's or enterprise's pre-check, and
    the collateral of another bank's loan, never rest on it."""
    h, a, b = own_world.headers, own_world.records["a"], own_world.records["b"]
    loan = {"amount": money("1000000"), "term_months": 12}
    body = {"patents": [a["patent"]], "pledgor": "ent-a", "as_of": AS_OF.isoformat(), "loan": loan}
    appraised = client.get(f"/v1/appraisals/{a['appraisal']}", headers=h("bank-a")).json()
    mine = client.post("/v1/eligibility", json=body, headers=h("bank-a")).json()
    assert mine["patents"][0]["value"] == appraised["market_value"]
    assert mine["patents"][0]["valued_by_engine"] is False
    # the patent is in ent-a's registered pledge: it secures nothing more
    assert mine["appraised_total"] == money("0.00")
    owner = {k: v for k, v in body.items() if k != "pledgor"}
    for caller, payload in (("bank-b", body), ("ent-a", owner)):
        theirs = client.post("/v1/eligibility", json=payload, headers=h(caller)).json()
        # no appraisal of the caller's own: the engine's indication, from the register alone
        assert theirs["patents"][0]["valued_by_engine"] is True
        assert theirs["patents"][0]["value"] not in (None, appraised["market_value"])

    def collateral() -> str:
        url = f"/v1/monitoring/loans/{b['loan']}"
        position = client.get(url, params={"as_of": "2025-07-01"}, headers=h("bank-b"))
        return str(position.json()["collateral_value"])

    before = collateral()
    later = {
        "patent_number": b["patent"],
        "base_date": "2025-06-15",
        "financials": {"revenue": money("900000000"), "royalty_rate": "0.05"},
    }
    assert client.post("/v1/appraisals", json=later, headers=h("bank-a")).status_code == 201
    assert collateral() == before  # bank-a's appraisal of bank-b's collateral
    assert client.post("/v1/appraisals", json=later, headers=h("bank-b")).status_code == 201
    assert collateral() != before  # the lender's own


def test_no_answer_tells_a_tenant_of_another_tenants_pledge_or_loan(
    client: TestClient, own_world: World
) -> None:
    h, a = own_world.headers, own_world.records["a"]
    draft = {
        "patents": [a["patent"]],
        "pledgor_id": "ent-a",
        "secured_amount": money("1000"),
        "on": AS_OF.isoformat(),
    }
    held = client.post("/v1/pledges", json=draft, headers=h("bank-b"))
    assert held.status_code == 409
    assert held.json()["error"]["code"] == "ALREADY_PLEDGED"
    assert a["patent"] in held.json()["error"]["message"]
    assert a["pledge"] not in held.text  # bank-a's pledge is not named
    # a bank's draft holds its patents: only for a pledgor that owns them
    crossed = client.post("/v1/pledges", json={**draft, "pledgor_id": "ent-b"}, headers=h("bank-b"))
    assert crossed.status_code == 422, crossed.text
    assert crossed.json()["error"] == {
        "code": "PLEDGOR_NOT_OWNER",
        "message": f"ent-b is not named an owner of {a['patent']}: a patent is pledged by its "
        "patentee",
        "field": "body.pledgor_id",
    }
    # ids are the service's: a caller cannot probe for another tenant's by choosing one
    chosen = client.post(
        "/v1/pledges", json={**draft, "pledge_id": a["pledge"]}, headers=h("bank-b")
    )
    assert chosen.status_code == 422
    assert chosen.json()["error"]["field"] == "body.pledge_id"
    loan = {
        "borrower_id": "ent-b",
        "principal": money("1000"),
        "annual_rate": "0.04",
        "term_months": 12,
        "on": AS_OF.isoformat(),
    }
    chosen = client.post("/v1/loans", json={**loan, "loan_id": a["loan"]}, headers=h("bank-b"))
    assert chosen.status_code == 422
    assert chosen.json()["error"]["field"] == "body.loan_id"
    # a loan is secured by its borrower's own pledge to the lender
    crossed = client.post("/v1/loans", json={**loan, "pledge_id": a["pledge"]}, headers=h("bank-a"))
    assert crossed.status_code == 422
    assert crossed.json()["error"]["field"] == "body.pledge_id"
    assert "not given by the borrower ent-b" in crossed.json()["error"]["message"]
    listed = client.get("/v1/loans", headers=h("ent-b")).json()
    assert all(item["pledge_id"] != a["pledge"] for item in listed["items"])


def test_a_banks_draft_does_not_stop_the_pledgor_asking_another_bank(
    client: TestClient, own_world: World
) -> None:
    """Drafts hold nothing (the pledgor's application does): two banks draft a pledge of one
    patent, and the pledgor withdraws the one it does not want."""
    h = own_world.headers
    enterprise = next(p for p in PARTIES if p.party_id == "ent-a")
    number = cn_number(777_001)
    registered = client.post(
        "/v1/patents", json=patent_body(number, enterprise), headers=h("ent-a")
    )
    assert registered.status_code == 201
    draft = {
        "patents": [number],
        "pledgor_id": "ent-a",
        "secured_amount": money("1000"),
        "on": AS_OF.isoformat(),
    }
    first = client.post("/v1/pledges", json=draft, headers=h("bank-a"))
    second = client.post("/v1/pledges", json=draft, headers=h("bank-b"))
    assert (first.status_code, second.status_code) == (201, 201), second.text
    url = f"/v1/pledges/{first.json()['pledge_id']}/withdraw"
    withdrawn = client.post(url, json={"on": AS_OF.isoformat()}, headers=h("ent-a"))
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "cancelled"
    kept = client.get(f"/v1/pledges/{second.json()['pledge_id']}", headers=h("ent-a"))
    assert kept.json()["status"] == "draft"


def test_a_pledged_patent_is_not_transferred_away_from_its_pledgor(
    client: TestClient, own_world: World
) -> None:
    """Side A's patent is in ent-a's registered pledge: an admin's record that names another
    owner is 409 PLEDGED and changes nothing; the owner's own correction is saved."""
    number, h = own_world.records["a"]["patent"], own_world.headers
    owner = next(p for p in PARTIES if p.party_id == "ent-a")
    buyer = next(p for p in PARTIES if p.party_id == "ent-b")
    before = client.get(f"/v1/patents/{number}", headers=h("ent-a")).json()
    sold = client.put(f"/v1/patents/{number}", json=patent_body(number, buyer), headers=h("admin"))
    assert sold.status_code == 409, sold.text
    assert (sold.json()["error"]["code"], sold.json()["error"]["field"]) == ("PLEDGED", "owners")
    assert client.get(f"/v1/patents/{number}", headers=h("ent-a")).json() == before
    body = patent_body(number, owner, fees_paid_through_year=7)
    fixed = client.put(f"/v1/patents/{number}", json=body, headers=h("ent-a"))
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["fees_paid_through_year"] == 7

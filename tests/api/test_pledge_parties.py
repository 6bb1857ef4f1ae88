"""Who acts on a pledge: the pledgor submits the application for registration (so a bank
cannot register a pledge of an enterprise's patents alone), and a released pledge secures its
loan no longer."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.api.world import AS_OF, PARTIES, World, cn_number, money, patent_body

ON = {"on": AS_OF.isoformat()}


def test_only_the_pledgor_submits_a_pledge_for_registration(
    client: TestClient, own_world: World
) -> None:
    bank, ent = own_world.headers("bank-a"), own_world.headers("ent-a")
    owner = next(p for p in PARTIES if p.party_id == "ent-a")
    number = cn_number(700_321)
    assert (
        client.post("/v1/patents", json=patent_body(number, owner), headers=ent).status_code == 201
    )
    drafted = client.post(
        "/v1/pledges",
        json={
            "patents": [number],
            "pledgor_id": "ent-a",
            "secured_amount": money("100000.00"),
            **ON,
        },
        headers=bank,
    )
    assert drafted.status_code == 201, drafted.text
    pledge = drafted.json()["pledge_id"]
    checked = client.post(
        f"/v1/pledges/{pledge}/precheck",
        json={"loan": {"amount": money("100000.00"), "term_months": 12}, **ON},
        headers=bank,
    )
    assert checked.json()["pledge"]["status"] == "ready", checked.text
    by_bank = client.post(f"/v1/pledges/{pledge}/submit", json=ON, headers=bank)
    assert by_bank.status_code == 403, by_bank.text
    assert "only the pledgor records submit" in by_bank.json()["error"]["message"]
    assert client.get(f"/v1/pledges/{pledge}", headers=bank).json()["status"] == "ready"
    registered = client.post(
        f"/v1/pledges/{pledge}/register",
        json={**ON, "registration_number": "Y-ALONE"},
        headers=bank,
    )
    assert registered.status_code == 409  # not submitted: nothing to register
    by_pledgor = client.post(f"/v1/pledges/{pledge}/submit", json=ON, headers=ent)
    assert by_pledgor.status_code == 200, by_pledgor.text
    assert by_pledgor.json()["status"] == "submitted"


def test_a_released_pledge_secures_its_loan_no_longer(client: TestClient, own_world: World) -> None:
    record = own_world.records["a"]
    bank, ent = own_world.headers("bank-a"), own_world.headers("ent-a")
    url = f"/v1/monitoring/loans/{record['loan']}"
    before = client.get(url, params={"as_of": AS_OF.isoformat()}, headers=bank).json()
    assert before["secured"] is True
    assert float(before["collateral_value"]["amount"]) > 0
    released_on = {"on": (AS_OF + timedelta(days=1)).isoformat()}
    pledge = record["pledge"]
    asked = client.post(f"/v1/pledges/{pledge}/request-release", json=released_on, headers=ent)
    assert asked.status_code == 200, asked.text
    done = client.post(f"/v1/pledges/{pledge}/release", json=released_on, headers=bank)
    assert done.json()["status"] == "cancelled", done.text
    later = (AS_OF + timedelta(days=10)).isoformat()
    after = client.get(url, params={"as_of": later}, headers=bank).json()
    assert after["secured"] is False
    assert after["collateral_value"]["amount"] == "0.00"
    assert after["outstanding"] == before["outstanding"]
    assert after["breach"] is True
    assert after["shortfall"]["amount"] == after["outstanding"]["amount"]
    # the day before the release, the pledge still held the patent
    still = client.get(url, params={"as_of": AS_OF.isoformat()}, headers=bank).json()
    assert still["collateral_value"] == before["collateral_value"]
    shortfalls = client.get(
        "/v1/monitoring/shortfalls", params={"as_of": later}, headers=bank
    ).json()
    assert record["loan"] in {s["loan_id"] for s in shortfalls}


def test_a_pre_check_names_an_enterprise_as_pledgor(client: TestClient, own_world: World) -> None:
    body = {
        "patents": [own_world.records["a"]["patent"]],
        "loan": {"amount": money("1000.00"), "term_months": 12},
        "as_of": AS_OF.isoformat(),
    }
    headers = own_world.headers("bank-a")
    refused = client.post("/v1/eligibility", json={**body, "pledgor": "bank-b"}, headers=headers)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == ("WRONG_PARTY_KIND", "body.pledgor")
    checked = client.post("/v1/eligibility", json={**body, "pledgor": "ent-a"}, headers=headers)
    assert checked.status_code == 200, checked.text


def test_a_party_of_the_wrong_kind_is_named_by_its_request_field(
    client: TestClient, own_world: World
) -> None:
    bank = own_world.headers("bank-a")
    pledge = {
        "patents": [own_world.records["a"]["patent"]],
        "pledgor_id": "bank-b",
        "secured_amount": money("1000.00"),
        **ON,
    }
    refused = client.post("/v1/pledges", json=pledge, headers=bank)
    assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == (
        "WRONG_PARTY_KIND",
        "body.pledgor_id",
    )
    loan = {
        "borrower_id": "bank-b",
        "principal": money("1000.00"),
        "annual_rate": "0.04",
        "term_months": 12,
        **ON,
    }
    lent = client.post("/v1/loans", json=loan, headers=bank)
    assert (lent.json()["error"]["code"], lent.json()["error"]["field"]) == (
        "WRONG_PARTY_KIND",
        "body.borrower_id",
    )
    unknown = client.post("/v1/loans", json={**loan, "borrower_id": "nobody"}, headers=bank)
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (404, "body.borrower_id")

"""Bad input over HTTP: a 4xx in the one error format naming the request field, never a 500,
and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.world import AS_OF, PARTIES, World, cn_number, money, patent_body


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def _appraise(client: TestClient, world: World, **financials: str) -> Any:
    body = {
        "patent_number": world.records["a"]["patent"],
        "base_date": AS_OF.isoformat(),
        "financials": {"revenue": money("80000000"), "royalty_rate": "0.04", **financials},
    }
    return client.post("/v1/appraisals", json=body, headers=world.headers("bank-a"))


def _loan(client: TestClient, world: World, rate: str) -> Any:
    body = {
        "borrower_id": "ent-a",
        "principal": money("1000000"),
        "annual_rate": rate,
        "term_months": 12,
        "on": AS_OF.isoformat(),
    }
    return client.post("/v1/loans", json=body, headers=world.headers("bank-a"))


@pytest.mark.parametrize("rate", ["0.123456789012", "1", "12.5", "-0.01", "١٠", "０.05"])
def test_a_loan_rate_the_loan_cannot_keep_is_422_on_the_rate(
    client: TestClient, own_world: World, rate: str
) -> None:
    error = _error(_loan(client, own_world, rate), 422)
    assert error["field"] == "body.annual_rate"
    assert "pattern" not in error["message"]
    assert "Value error" not in error["message"]


def test_a_loan_rate_of_eight_places_is_kept_exactly(client: TestClient, own_world: World) -> None:
    created = _loan(client, own_world, "0.04351234")
    assert created.status_code == 201, created.text
    assert created.json()["annual_rate"] == "0.04351234"


def test_a_royalty_decay_of_one_keeps_the_first_years_royalty_only(
    client: TestClient, own_world: World
) -> None:
    decayed = _appraise(client, own_world, royalty_decay="1")
    assert decayed.status_code == 201, decayed.text
    whole = _appraise(client, own_world, royalty_decay="0")
    value = {r["approach"]: r["value"] for r in decayed.json()["patents"][0]["approaches"]}
    full = {r["approach"]: r["value"] for r in whole.json()["patents"][0]["approaches"]}
    assert 0 < float(value["income"]["amount"]) < float(full["income"]["amount"])


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("revenue_growth", "999999999999999999"),
        ("revenue_growth", "-1"),
        ("discount_rate", "-0.05"),
        ("discount_rate", "0"),
        ("economic_life", "0"),
        ("economic_life", "500"),
    ],
)
def test_income_inputs_out_of_their_bounds_are_422_with_the_range(
    client: TestClient, own_world: World, name: str, text: str
) -> None:
    error = _error(_appraise(client, own_world, **{name: text}), 422)
    assert error["field"] == f"body.financials.{name}"
    assert "outside the range accepted" in error["message"]


def test_digits_of_other_scripts_are_refused_in_plain_words(
    client: TestClient, own_world: World
) -> None:
    error = _error(_appraise(client, own_world, royalty_decay="٠.١"), 422)
    assert error["field"] == "body.financials.royalty_decay"
    assert error["message"].startswith("'٠.١' is not a plain decimal number")
    assert "^" not in error["message"]


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/v1/statistics/pledges/statement?as_of={day}", "regulator"),
        ("/v1/statistics/pledges?as_of={day}", "regulator"),
        ("/v1/navigation?as_of={day}", "regulator"),
        ("/v1/navigation/report?as_of={day}", "regulator"),
        ("/v1/monitoring/shortfalls?as_of={day}", "bank-a"),
    ],
)
@pytest.mark.parametrize("day", ["0001-06-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_a_day_outside_the_services_range_is_422_on_the_query(
    client: TestClient, own_world: World, path: str, role: str, day: str
) -> None:
    response = client.get(path.format(day=day), headers=own_world.headers(role))
    error = _error(response, 422)
    assert error["field"] == "query.as_of"
    assert "1900-01-01 to 2999-12-31" in error["message"]


def test_a_day_outside_the_range_in_a_body_is_422_on_its_field(
    client: TestClient, own_world: World
) -> None:
    body = {"amount": money("10.00"), "paid_on": "9999-12-31"}
    loan = own_world.records["a"]["loan"]
    response = client.post(
        f"/v1/loans/{loan}/repayments", json=body, headers=own_world.headers("bank-a")
    )
    assert _error(response, 422)["field"] == "body.paid_on"


def test_a_registration_without_its_number_is_422_on_the_number(
    client: TestClient, own_world: World
) -> None:
    number = own_world.records["a"]["patent"]
    pledge = client.post(
        "/v1/pledges",
        json={
            "patents": [number],
            "pledgor_id": "ent-a",
            "secured_amount": money("1000"),
            "on": AS_OF.isoformat(),
        },
        headers=own_world.headers("bank-a"),
    )
    # the patent is held by the world's pledge: draft one of side b's instead
    assert pledge.status_code == 409
    registered = own_world.records["a"]["pledge"]
    on = {"on": AS_OF.isoformat()}
    refused = client.post(
        f"/v1/pledges/{registered}/register", json=on, headers=own_world.headers("bank-a")
    )
    error = _error(refused, 422)
    assert (error["code"], error["field"]) == ("MISSING_EVENT_DATA", "body.registration_number")
    impaired = client.post(
        f"/v1/pledges/{registered}/impair", json=on, headers=own_world.headers("bank-a")
    )
    assert _error(impaired, 422)["field"] == "body.impairment"


def test_a_pledge_without_its_pledgee_or_pledgor_is_422_on_that_field(
    client: TestClient, own_world: World
) -> None:
    body = {
        "patents": [own_world.records["a"]["patent"]],
        "secured_amount": money("1000"),
        "on": AS_OF.isoformat(),
    }
    enterprise = client.post("/v1/pledges", json=body, headers=own_world.headers("ent-a"))
    assert _error(enterprise, 422)["field"] == "body.pledgee_id"
    bank = client.post("/v1/pledges", json=body, headers=own_world.headers("bank-a"))
    assert _error(bank, 422)["field"] == "body.pledgor_id"
    nobody = client.post(
        "/v1/pledges", json={**body, "pledgee_id": "no-bank"}, headers=own_world.headers("ent-a")
    )
    assert _error(nobody, 404)["field"] == "body.pledgee_id"


def test_a_registration_number_another_pledge_records_is_409_in_plain_words(
    client: TestClient, own_world: World
) -> None:
    enterprise = next(p for p in PARTIES if p.party_id == "ent-a")
    number = cn_number(601870)
    headers, theirs = own_world.headers("bank-a"), own_world.headers("ent-a")
    patent = client.post("/v1/patents", json=patent_body(number, enterprise), headers=theirs)
    assert patent.status_code == 201, patent.text
    draft = client.post(
        "/v1/pledges",
        json={
            "patents": [number],
            "pledgor_id": "ent-a",
            "secured_amount": money("1000"),
            "on": AS_OF.isoformat(),
        },
        headers=headers,
    )
    assert draft.status_code == 201, draft.text
    pledge_id = draft.json()["pledge_id"]
    contract = {
        "pledgor": enterprise.name,
        "pledgee": "bank-a",
        "secured_amount": money("1000"),
        "term_months": 12,
        "patents": [number],
        "scope": "本金、利息、违约金及实现质权的费用",
    }
    loan = {"amount": money("1000"), "term_months": 12, "contract": contract}
    on = {"on": AS_OF.isoformat()}
    checked = client.post(
        f"/v1/pledges/{pledge_id}/precheck", json={"loan": loan, **on}, headers=headers
    )
    assert checked.json()["pledge"]["status"] == "ready", checked.text
    submitted = client.post(f"/v1/pledges/{pledge_id}/submit", json=on, headers=theirs)
    assert submitted.status_code == 200, submitted.text
    twice = client.post(
        f"/v1/pledges/{pledge_id}/register",
        json={**on, "registration_number": "Y2025-a"},
        headers=headers,
    )
    assert _error(twice, 409) == {
        "code": "ALREADY_EXISTS",
        "message": "registration number Y2025-a is already recorded for another pledge",
        "field": "body.registration_number",
    }
    assert client.get(f"/v1/pledges/{pledge_id}", headers=headers).json()["status"] == "submitted"


def test_a_domain_refusal_names_the_request_field_without_a_prefix(
    client: TestClient, own_world: World
) -> None:
    body = {
        "borrower_id": "ent-a",
        "principal": money("0.00"),
        "annual_rate": "0.04",
        "term_months": 12,
        "on": AS_OF.isoformat(),
    }
    loan = client.post("/v1/loans", json=body, headers=own_world.headers("bank-a"))
    assert _error(loan, 422) == {
        "code": "INVALID",
        "message": "principal must be positive, got CNY 0.00",
        "field": "body.principal",
    }
    enterprise = next(p for p in PARTIES if p.party_id == "ent-a")
    owners = [{"name": enterprise.name, "party_id": "ent-a", "share_percent": "150"}]
    patent = patent_body(cn_number(601871), enterprise, owners=owners)
    error = _error(client.post("/v1/patents", json=patent, headers=own_world.headers("admin")), 422)
    assert error["field"].startswith("body.owners"), error
    assert not error["message"].startswith("Value error")


def test_a_lender_that_is_not_a_bank_is_422_on_the_lender(
    client: TestClient, own_world: World
) -> None:
    """A pre-check names its lender on the certificate: an enterprise's id as the lender would
    print the enterprise's name there. A lender of the policy file only (no party) is kept."""
    loan = {"amount": money("100000"), "term_months": 12}
    body = {"patents": [own_world.records["a"]["patent"]], "as_of": AS_OF.isoformat()}
    headers = own_world.headers("ent-a")
    refused = client.post(
        "/v1/eligibility", json={**body, "loan": {**loan, "lender": "ent-b"}}, headers=headers
    )
    error = _error(refused, 422)
    assert (error["field"], error["code"]) == ("body.loan.lender", "WRONG_PARTY_KIND")
    assert "ent-b is a party of kind enterprise, not a lender" in error["message"]
    for lender in ("bank-b", "policy-only-lender"):
        kept = client.post(
            "/v1/eligibility", json={**body, "loan": {**loan, "lender": lender}}, headers=headers
        )
        assert kept.status_code == 200, kept.text

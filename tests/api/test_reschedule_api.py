"""POST /v1/loans/{loan_id}/reschedule: the successor loan in the answer, the link on both
loans, the Idempotency-Key, the field of bad terms, another tenant's loan, and the debt counted
once by the statistics, the statement and monitoring."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.database import make_engine
from storage.tables import LoanRow
from tests.api.world import World

TERMS = {
    "annual_rate": "0.0385",
    "term_months": 36,
    "repayment": "equal_principal",
    "on": "2025-06-30",
}
DAY = {"as_of": "2025-06-30"}


def _loans(world: World) -> int:
    engine = make_engine(world.url)
    with Session(engine) as session:
        count = session.execute(select(func.count()).select_from(LoanRow)).scalar_one()
    engine.dispose()
    return int(count)


def _reschedule(client: TestClient, world: World, body: dict[str, Any], **headers: str) -> Any:
    loan = world.records["a"]["loan"]
    sent = {**world.headers("bank-a"), **headers}
    return client.post(f"/v1/loans/{loan}/reschedule", json=body, headers=sent)


def test_the_successor_is_returned_and_both_loans_show_the_link(
    client: TestClient, own_world: World
) -> None:
    old = own_world.records["a"]["loan"]
    headers = own_world.headers("bank-a")
    response = _reschedule(client, own_world, TERMS)
    assert response.status_code == 201, response.text
    successor = response.json()
    assert successor["loan_id"] != old
    assert (successor["status"], successor["rescheduled_from"]) == ("active", old)
    assert successor["principal"]["amount"] == own_world.records["a"]["principal"]
    assert (successor["annual_rate"], successor["term_months"]) == ("0.0385", 36)
    assert successor["repayment"] == "equal_principal"
    assert successor["pledge_id"] == own_world.records["a"]["pledge"]
    day = TERMS["on"]
    assert (successor["submitted_on"], successor["disbursed_on"]) == (day, day)
    assert successor["ended_on"] is None
    shown = client.get(f"/v1/loans/{old}", headers=headers).json()
    assert (shown["status"], shown["rescheduled_to"], shown["allowed_events"]) == (
        "rescheduled",
        successor["loan_id"],
        [],
    )
    assert shown["ended_on"] == day  # the reschedule's day
    assert shown["disbursed_on"] is not None
    assert shown["submitted_on"] <= shown["disbursed_on"] <= day
    assert client.get(f"/v1/loans/{successor['loan_id']}", headers=headers).json() == successor
    owed = client.get(f"/v1/loans/{old}/position", headers=headers).json()
    assert owed["principal"]["amount"] == "0.00"
    borrower = client.get(f"/v1/loans/{old}", headers=own_world.headers("ent-a")).json()
    assert borrower["rescheduled_to"] == successor["loan_id"]
    listed = client.get("/v1/loans", headers=headers).json()["items"]
    assert {(x["loan_id"], x["rescheduled_from"], x["rescheduled_to"]) for x in listed} == {
        (old, None, successor["loan_id"]),
        (successor["loan_id"], old, None),
    }


def test_a_repeat_with_the_key_returns_the_same_successor(
    client: TestClient, own_world: World
) -> None:
    before = _loans(own_world)
    key = {"Idempotency-Key": "reschedule-2025-06"}
    first = _reschedule(client, own_world, TERMS, **key)
    again = _reschedule(client, own_world, TERMS, **key)
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert _loans(own_world) == before + 1
    other = _reschedule(client, own_world, {**TERMS, "term_months": 30}, **key)
    assert (other.status_code, other.json()["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")


def test_bad_terms_are_422_on_the_field_and_write_nothing(
    client: TestClient, own_world: World
) -> None:
    before = _loans(own_world)
    for change, field in (
        ({"term_months": 0}, "body.term_months"),
        ({"term_months": 361}, "body.term_months"),
        ({"annual_rate": "1.2"}, "body.annual_rate"),
        ({"annual_rate": "abc"}, "body.annual_rate"),
        ({"repayment": "balloon"}, "body.repayment"),
        ({"day_count": "ACT/360"}, "body.day_count"),
        ({"on": "2025-13-01"}, "body.on"),
        ({"principal": {"amount": "1", "currency": "CNY"}}, "body.principal"),
    ):
        response = _reschedule(client, own_world, {**TERMS, **change})
        assert response.status_code == 422, (change, response.text)
        assert response.json()["error"]["field"] == field, (change, response.text)
    missing = _reschedule(client, own_world, {"on": "2025-06-30"})
    assert (missing.status_code, missing.json()["error"]["field"]) == (422, "body.annual_rate")
    assert _loans(own_world) == before


def test_refusals_name_the_field(client: TestClient, own_world: World) -> None:
    before = _loans(own_world)
    # the pledged invention was filed in 2019: it expires in 2039, before a 360-month term ends
    beyond = _reschedule(client, own_world, {**TERMS, "term_months": 360})
    assert beyond.status_code == 409
    error = beyond.json()["error"]
    assert (error["code"], error["field"]) == ("TERM_EXCEEDS_PATENT_LIFE", "body.term_months")
    early = _reschedule(client, own_world, {**TERMS, "on": "2025-05-31"})
    assert (early.status_code, early.json()["error"]["field"]) == (422, "body.on")
    assert _loans(own_world) == before


def test_another_tenants_loan_is_404_and_untouched(client: TestClient, own_world: World) -> None:
    loan = own_world.records["a"]["loan"]
    before = _loans(own_world)
    theirs = client.post(
        f"/v1/loans/{loan}/reschedule", json=TERMS, headers=own_world.headers("bank-b")
    )
    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "NOT_FOUND"
    borrower = client.post(
        f"/v1/loans/{loan}/reschedule", json=TERMS, headers=own_world.headers("ent-a")
    )
    assert borrower.status_code == 403
    assert _loans(own_world) == before
    shown = client.get(f"/v1/loans/{loan}", headers=own_world.headers("bank-a")).json()
    assert (shown["status"], shown["rescheduled_to"]) == ("active", None)


def test_the_debt_is_counted_once_before_and_after(client: TestClient, own_world: World) -> None:
    regulator, bank = own_world.headers("regulator"), own_world.headers("bank-a")

    def seen() -> tuple[Any, ...]:
        figures = client.get("/v1/statistics/pledges", params=DAY, headers=regulator).json()
        statement = client.get(
            "/v1/statistics/pledges/statement", params={**DAY, "format": "html"}, headers=bank
        )
        shortfalls = client.get("/v1/monitoring/shortfalls", params=DAY, headers=bank).json()
        return figures["rows"], statement.text, len(shortfalls)

    before = seen()
    # both sides' loans are outstanding in full: twice CNY 1,217,549.02, side A's in the statement
    principals = [own_world.records[side]["principal"] for side in ("a", "b")]
    assert before[0][0]["outstanding"] == str(sum(Decimal(p) for p in principals))
    assert f"{Decimal(principals[0]):,}" in before[1]
    assert _reschedule(client, own_world, TERMS).status_code == 201
    assert seen() == before

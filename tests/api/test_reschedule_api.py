"""/v1/loans/{loan_id}/reschedules: one officer asks, another approves (four eyes); the
successor loan in the approval's answer, the link on both loans, one request awaiting a decision
at a time, the Idempotency-Key, the field of bad terms, the checks made at the request and again
at the approval, another tenant's loan, and the debt counted once by the statistics, the
statement and monitoring."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.database import make_engine
from storage.tables import LoanRescheduleRequestRow, LoanRow
from tests.api.world import World, money

TERMS = {
    "annual_rate": "0.0385",
    "term_months": 36,
    "repayment": "equal_principal",
    "on": "2025-06-30",
}
DAY = {"as_of": "2025-06-30"}


def _rows(world: World) -> tuple[int, int]:
    """How many loans and reschedule requests the database holds."""
    engine = make_engine(world.url)
    with Session(engine) as session:
        counts = tuple(
            int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (LoanRow, LoanRescheduleRequestRow)
        )
    engine.dispose()
    return counts[0], counts[1]


def _loan(world: World) -> str:
    return world.records["a"]["loan"]


def _ask(
    client: TestClient, world: World, body: dict[str, Any], who: str = "bank-a", **headers: str
) -> Any:
    sent = {**world.headers(who), **headers}
    return client.post(f"/v1/loans/{_loan(world)}/reschedules", json=body, headers=sent)


def _decide(
    client: TestClient,
    world: World,
    request_id: str,
    decision: str = "approve",
    who: str = "bank-a2",
    **headers: str,
) -> Any:
    url = f"/v1/loans/{_loan(world)}/reschedules/{request_id}/{decision}"
    return client.post(url, json={"note": "示例"}, headers={**world.headers(who), **headers})


def _asked(client: TestClient, world: World, body: dict[str, Any] = TERMS) -> str:
    response = _ask(client, world, body)
    assert response.status_code == 201, response.text
    request_id: str = response.json()["request_id"]
    return request_id


def test_a_second_officer_approves_and_the_successor_is_returned_with_the_links(
    client: TestClient, own_world: World
) -> None:
    old, headers = _loan(own_world), own_world.headers("bank-a")
    asked = _ask(client, own_world, TERMS)
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert (request["status"], request["loan_id"], request["on"]) == ("submitted", old, TERMS["on"])
    assert (request["annual_rate"], request["term_months"]) == ("0.0385", 36)
    assert request["requested_by"].endswith(":bank-a")
    assert (request["decided_by"], request["successor_id"]) == (None, None)
    # asked for, not done: the loan is as it was
    assert client.get(f"/v1/loans/{old}", headers=headers).json()["status"] == "active"

    response = _decide(client, own_world, request["request_id"])
    assert response.status_code == 201, response.text
    successor = response.json()
    assert successor["loan_id"] != old
    assert (successor["status"], successor["rescheduled_from"]) == ("active", old)
    assert successor["principal"]["amount"] == own_world.records["a"]["principal"]
    assert (successor["annual_rate"], successor["term_months"]) == ("0.0385", 36)
    assert successor["repayment"] == "equal_principal"
    assert successor["pledge_id"] == own_world.records["a"]["pledge"]
    # the new credit decision's four eyes: the officer who asked made it, the other approved
    assert successor["maker"] == request["requested_by"]
    assert successor["approver"].endswith(":bank-a2")
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
    # the loan's requests: the world's, rejected, then this one, approved
    requests = client.get(f"/v1/loans/{old}/reschedules", headers=own_world.headers("ent-a"))
    assert [(r["status"], r["successor_id"]) for r in requests.json()] == [
        ("rejected", None),
        ("approved", successor["loan_id"]),
    ]
    assert requests.json()[1]["decided_by"] == successor["approver"]
    assert requests.json()[1]["decision_note"] == "示例"


def test_the_officer_who_asked_cannot_approve(client: TestClient, own_world: World) -> None:
    request_id = _asked(client, own_world)
    before = _rows(own_world)
    response = _decide(client, own_world, request_id, who="bank-a")
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("FOUR_EYES", "approver")
    assert "another person must approve" in error["message"]
    assert _rows(own_world) == before
    listed = client.get(
        f"/v1/loans/{_loan(own_world)}/reschedules", headers=own_world.headers("bank-a")
    )
    assert listed.json()[-1]["status"] == "submitted"
    assert _decide(client, own_world, request_id).status_code == 201  # the other officer can


def test_one_request_awaits_a_decision_at_a_time(client: TestClient, own_world: World) -> None:
    first = _asked(client, own_world)
    second = _ask(client, own_world, {**TERMS, "term_months": 30}, who="bank-a2")
    assert second.status_code == 409
    error = second.json()["error"]
    assert (error["code"], error["field"]) == ("RESCHEDULE_PENDING", "loan_id")
    assert first in error["message"]
    # withdrawn by the officer who asked: a rejection, and the loan may be asked for again
    withdrawn = _decide(client, own_world, first, "reject", who="bank-a")
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["status"], withdrawn.json()["decision_note"]) == ("rejected", "示例")
    assert _ask(client, own_world, {**TERMS, "term_months": 30}).status_code == 201


def test_a_decided_request_is_decided_once(client: TestClient, own_world: World) -> None:
    rejected = own_world.records["a"]["reschedule"]
    for decision in ("approve", "reject"):
        response = _decide(client, own_world, rejected, decision)
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "RESCHEDULE_DECIDED"
    approved = _asked(client, own_world)
    assert _decide(client, own_world, approved).status_code == 201
    again = _decide(client, own_world, approved)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "RESCHEDULE_DECIDED")


def test_a_repeat_with_the_key_returns_the_first_answer(
    client: TestClient, own_world: World
) -> None:
    loans, requests = _rows(own_world)
    key = {"Idempotency-Key": "reschedule-2025-06"}
    first = _ask(client, own_world, TERMS, **key)
    again = _ask(client, own_world, TERMS, **key)
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    other = _ask(client, own_world, {**TERMS, "term_months": 30}, **key)
    assert (other.status_code, other.json()["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    request_id = first.json()["request_id"]
    approval = {"Idempotency-Key": "approve-2025-06"}
    done = _decide(client, own_world, request_id, **approval)
    redone = _decide(client, own_world, request_id, **approval)
    assert done.status_code == redone.status_code == 201
    assert done.content == redone.content
    assert _rows(own_world) == (loans + 1, requests + 1)


def test_bad_terms_are_422_on_the_field_and_write_nothing(
    client: TestClient, own_world: World
) -> None:
    before = _rows(own_world)
    for change, field in (
        ({"term_months": 0}, "body.term_months"),
        ({"term_months": 361}, "body.term_months"),
        ({"annual_rate": "1.2"}, "body.annual_rate"),
        ({"annual_rate": "abc"}, "body.annual_rate"),
        ({"repayment": "balloon"}, "body.repayment"),
        ({"day_count": "ACT/360"}, "body.day_count"),
        ({"on": "2025-13-01"}, "body.on"),
        ({"principal": money("1")}, "body.principal"),
    ):
        response = _ask(client, own_world, {**TERMS, **change})
        assert response.status_code == 422, (change, response.text)
        assert response.json()["error"]["field"] == field, (change, response.text)
    missing = _ask(client, own_world, {"on": "2025-06-30"})
    assert (missing.status_code, missing.json()["error"]["field"]) == (422, "body.annual_rate")
    long = client.post(
        f"/v1/loans/{_loan(own_world)}/reschedules/{own_world.records['a']['reschedule']}/reject",
        json={"note": "x" * 501},
        headers=own_world.headers("bank-a2"),
    )
    assert (long.status_code, long.json()["error"]["field"]) == (422, "body.note")
    assert _rows(own_world) == before


def test_a_reschedule_that_cannot_be_done_is_refused_when_asked(
    client: TestClient, own_world: World
) -> None:
    before = _rows(own_world)
    # the pledged invention was filed in 2019: it expires in 2039, before a 360-month term ends
    beyond = _ask(client, own_world, {**TERMS, "term_months": 360})
    assert beyond.status_code == 409
    error = beyond.json()["error"]
    assert (error["code"], error["field"]) == ("TERM_EXCEEDS_PATENT_LIFE", "body.term_months")
    early = _ask(client, own_world, {**TERMS, "on": "2025-05-31"})
    assert (early.status_code, early.json()["error"]["field"]) == (422, "body.on")
    assert _rows(own_world) == before


def test_the_approval_checks_again(client: TestClient, own_world: World) -> None:
    request_id = _asked(client, own_world)
    accrued = client.post(
        f"/v1/loans/{_loan(own_world)}/interest-accruals",
        json={"amount": money("10.00"), "on": "2025-06-15"},
        headers=own_world.headers("bank-a"),
    )
    assert accrued.status_code == 201, accrued.text
    before = _rows(own_world)
    response = _decide(client, own_world, request_id)
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["field"]) == (
        409,
        "INTEREST_UNPAID",
        "interest",
    )
    assert _rows(own_world) == before
    shown = client.get(f"/v1/loans/{_loan(own_world)}", headers=own_world.headers("bank-a"))
    assert (shown.json()["status"], shown.json()["rescheduled_to"]) == ("active", None)


def test_another_tenants_loan_or_request_is_404_and_untouched(
    client: TestClient, own_world: World
) -> None:
    loan = _loan(own_world)
    before = _rows(own_world)
    theirs = _ask(client, own_world, TERMS, who="bank-b")
    assert (theirs.status_code, theirs.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert _ask(client, own_world, TERMS, who="ent-a").status_code == 403
    request_id = _asked(client, own_world)
    for who in ("bank-b", "bank-b2"):
        response = _decide(client, own_world, request_id, who=who)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert _decide(client, own_world, request_id, who="ent-a").status_code == 403
    listed = client.get(f"/v1/loans/{loan}/reschedules", headers=own_world.headers("ent-b"))
    assert listed.status_code == 404
    # side B's request named under side A's loan, and a request that does not exist
    for other in (own_world.records["b"]["reschedule"], "rs-nothing"):
        response = _decide(client, own_world, other)
        assert (response.status_code, response.json()["error"]["field"]) == (404, "request_id")
    assert _rows(own_world) == (before[0], before[1] + 1)
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
    assert _decide(client, own_world, _asked(client, own_world)).status_code == 201
    assert seen() == before

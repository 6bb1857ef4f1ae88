"""Idempotency-Key on creates, the one error format, and bad input that never yields a 500."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.idempotency import STALE_AFTER
from storage import database
from storage.commands import request_hash
from storage.database import make_engine
from storage.tables import HttpIdempotencyRow, RepaymentRow
from tests.api.routes_spec import cases, path_values
from tests.api.test_roles_matrix import ROLE_KEYS
from tests.api.world import World, client_for, money


def _repayments(world: World) -> int:
    engine = make_engine(world.url)
    with Session(engine) as session:
        count = session.execute(select(func.count()).select_from(RepaymentRow)).scalar_one()
    engine.dispose()
    return int(count)


def test_a_repeat_returns_the_first_response_and_writes_nothing(
    client: TestClient, own_world: World
) -> None:
    loan = own_world.records["a"]["loan"]
    headers = {**own_world.headers("bank-a"), "Idempotency-Key": "repay-2025-07"}
    body = {"amount": money("1000.00"), "paid_on": "2025-07-01"}
    before = _repayments(own_world)
    first = client.post(f"/v1/loans/{loan}/repayments", json=body, headers=headers)
    again = client.post(f"/v1/loans/{loan}/repayments", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert first.json()["principal"]["amount"] == "1000.00"  # nothing accrued: all principal
    assert _repayments(own_world) == before + 1
    other = client.post(
        f"/v1/loans/{loan}/repayments",
        json={**body, "amount": money("2000.00")},
        headers=headers,
    )
    assert other.status_code == 422
    assert other.json()["error"] == {
        "code": "IDEMPOTENCY_KEY_REUSED",
        "message": "this Idempotency-Key was used with another request; use a new key",
        "field": "Idempotency-Key",
    }
    # The key belongs to the credential: another key may use the same text.
    mine = {**own_world.headers("bank-a2"), "Idempotency-Key": "repay-2025-07"}
    assert client.post(f"/v1/loans/{loan}/repayments", json=body, headers=mine).status_code == 201
    assert _repayments(own_world) == before + 2


def test_a_refused_request_frees_its_key(client: TestClient, own_world: World) -> None:
    loan = own_world.records["a"]["loan"]
    headers = {**own_world.headers("bank-a"), "Idempotency-Key": "too-much"}
    huge = {"amount": money("999999999.00"), "paid_on": "2025-07-01"}
    refused = client.post(f"/v1/loans/{loan}/repayments", json=huge, headers=headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "OVERPAYMENT"
    fine = {"amount": money("10.00"), "paid_on": "2025-07-01"}
    assert (
        client.post(f"/v1/loans/{loan}/repayments", json=fine, headers=headers).status_code == 201
    )


def test_creates_with_a_key_name_the_same_record_every_time(
    client: TestClient, own_world: World
) -> None:
    a = own_world.records["a"]
    headers = {**own_world.headers("bank-a"), "Idempotency-Key": "appraise-once"}
    body = {"patent_number": a["patent"], "base_date": "2025-06-01"}
    first = client.post("/v1/appraisals", json=body, headers=headers)
    again = client.post("/v1/appraisals", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    listed = client.get("/v1/appraisals", headers=own_world.headers("bank-a")).json()
    assert listed["total"] == 2  # the world's and this one, once


def _claim(world: World, key: str, fingerprint: str, age: timedelta) -> None:
    """A claim of ``key`` left by a request of bank A's first key that is still running."""
    engine = make_engine(world.url)
    credential = world.keys["bank-a"].split("_")[1]
    with Session(engine) as session, session.begin():
        session.add(
            HttpIdempotencyRow(
                key=f"{credential}:{key}",
                fingerprint=fingerprint,
                created_at=datetime.now(UTC) - age,
            )
        )
    engine.dispose()


def test_a_repeat_while_the_first_runs_gets_409_until_its_claim_is_stale(
    client: TestClient, own_world: World
) -> None:
    loan = own_world.records["a"]["loan"]
    body = {"amount": money("10.00"), "paid_on": "2025-07-01"}
    fingerprint = request_hash("loan.repay", {"loan_id": loan, **body})
    _claim(own_world, "in-flight", fingerprint, timedelta(seconds=1))
    headers = {**own_world.headers("bank-a"), "Idempotency-Key": "in-flight"}
    response = client.post(f"/v1/loans/{loan}/repayments", json=body, headers=headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
    _claim(own_world, "died", fingerprint, STALE_AFTER + timedelta(seconds=1))
    headers = {**own_world.headers("bank-a"), "Idempotency-Key": "died"}
    taken_over = client.post(f"/v1/loans/{loan}/repayments", json=body, headers=headers)
    assert taken_over.status_code == 201


def test_concurrent_twins_one_runs_the_other_gets_the_answer_or_409(
    client: TestClient, own_world: World
) -> None:
    loan = own_world.records["a"]["loan"]
    headers = {**own_world.headers("bank-a"), "Idempotency-Key": "twins"}
    body = {"amount": money("50.00"), "paid_on": "2025-07-01"}
    statuses: list[int] = []
    bodies: list[Any] = []
    before = _repayments(own_world)

    def send() -> None:
        response = client.post(f"/v1/loans/{loan}/repayments", json=body, headers=headers)
        statuses.append(response.status_code)
        bodies.append(response.json())

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    assert _repayments(own_world) == before + 1
    answers = [b for s, b in zip(statuses, bodies, strict=True) if s == 201]
    assert all(a == answers[0] for a in answers)
    conflicts = [b for s, b in zip(statuses, bodies, strict=True) if s == 409]
    assert all(c["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE" for c in conflicts)


def test_validation_errors_are_422_with_the_field_path(client: TestClient, world: World) -> None:
    headers = world.headers("bank-a")
    loan = world.records["a"]["loan"]
    response = client.post(
        f"/v1/loans/{loan}/repayments",
        json={"amount": {"amount": 1000.5}, "paid_on": "2025-07-01"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "body.amount.amount"
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    finer = client.post(
        f"/v1/loans/{loan}/repayments",
        json={"amount": money("1.005"), "paid_on": "2025-07-01"},
        headers=headers,
    )
    assert finer.status_code == 422
    unknown = client.get("/v1/no-such-thing", headers=headers)
    assert unknown.status_code == 404
    assert unknown.json() == {
        "error": {"code": "NOT_FOUND", "message": "no such route", "field": None}
    }
    method = client.delete("/v1/loans", headers=headers)
    assert method.status_code == 405
    assert method.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_the_key_and_the_role_are_checked_before_the_body(client: TestClient, world: World) -> None:
    """The key is verified where the handler runs (api.deps.Claim); a malformed request is
    still refused for its key or its role first, never answered with the body's 422."""
    loan = world.records["a"]["loan"]
    path = f"/v1/loans/{loan}/repayments"
    malformed = {"amount": {"amount": 1000.5}, "paid_on": "someday"}
    key = world.keys["bank-a"]
    forged = {"Authorization": f"Bearer {key[:-4]}{'0000' if not key.endswith('0000') else '1111'}"}
    for headers in ({}, forged, {"Authorization": "Bearer nonsense"}):
        response = client.post(path, json=malformed, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    enterprise = client.post(path, json=malformed, headers=world.headers("ent-a"))
    assert enterprise.status_code == 403, enterprise.text
    assert "only: bank" in enterprise.json()["error"]["message"]
    bank = client.post(path, json=malformed, headers=world.headers("bank-a"))
    assert bank.status_code == 422
    assert bank.json()["error"]["field"] == "body.amount.amount"
    bad_path = client.get("/v1/loans/" + "x" * 300, headers=forged)
    assert bad_path.status_code == 401


MALFORMED_BODIES: list[Any] = [
    b"{not json",
    b"[]",
    b"null",
    b'"text"',
    b'{"on": "2025-13-45"}',
    b'{"amount": 1.5, "paid_on": 7, "patents": "ZL1", "loan": [], "principal": {"amount": 1e400}}',
    b'{"patent_number": "\\u0000../../etc/passwd", "base_date": "2025-06-01"}',
    b'{"patents": ["ZL201910601862.2", "ZL201910601862.2"], "as_of": "2025-06-01"}',
]
BAD_PATH_VALUES = ["..%2F..%2Fetc%2Fpasswd", "x" * 300, "%00", "ZL0000", "漢字"]
BAD_QUERIES: list[dict[str, Any]] = [
    {"limit": "-1"},
    {"limit": "a lot"},
    {"offset": "1e99"},
    {"as_of": "yesterday"},
    {"by": "borrower"},
    {"status": "everything"},
]


def test_bad_input_never_yields_a_500(client: TestClient, world: World) -> None:
    failures: list[str] = []
    values = path_values(world, "a")
    for (method, path), case in sorted(cases(world).items()):
        role = sorted(case.allowed)[0]
        headers = {**world.headers(ROLE_KEYS[role]), "Content-Type": "application/json"}
        url = path.format(**values)
        attempts: list[tuple[str, dict[str, Any]]] = []
        if method in ("POST", "PUT"):
            attempts += [(url, {"content": body}) for body in MALFORMED_BODIES]
        attempts += [(url, {"params": {**case.query, **query}}) for query in BAD_QUERIES]
        if "{" in path:
            for bad in BAD_PATH_VALUES:
                attempts.append((path.format(**dict.fromkeys(values, bad)), {"json": case.body}))
        for target, options in attempts:
            response = client.request(method, target, headers=headers, **options)
            if response.status_code >= 500:
                failures.append(f"{method} {target} {options}: {response.status_code}")
            elif response.status_code >= 400:
                error = response.json().get("error", {})
                if set(error) != {"code", "message", "field"}:
                    failures.append(f"{method} {target}: not the error format: {response.text}")
    assert not failures, "\n".join(failures)


def test_a_busy_database_answers_503_with_retry_after_and_loses_nothing(
    own_world: World, monkeypatch: Any
) -> None:
    """Another writer holds SQLite's write lock past the busy timeout: the write is refused
    with 503 and Retry-After, not a 500, and goes through once the lock is free."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_SECONDS", 0.3)
    loan = own_world.records["a"]["loan"]
    body = {"amount": money("1000.00"), "paid_on": "2025-07-01"}
    headers = own_world.headers("bank-a")
    before = _repayments(own_world)
    with client_for(own_world.url) as client:
        holder = sqlite3.connect(own_world.url.removeprefix("sqlite:///"))
        holder.execute("BEGIN IMMEDIATE")
        try:
            busy = client.post(f"/v1/loans/{loan}/repayments", json=body, headers=headers)
            read = client.get(f"/v1/loans/{loan}", headers=headers)
        finally:
            holder.rollback()
            holder.close()
        again = client.post(f"/v1/loans/{loan}/repayments", json=body, headers=headers)
    assert busy.status_code == 503
    assert busy.json()["error"]["code"] == "BUSY"
    assert busy.headers["Retry-After"] == "1"
    assert read.status_code == 200  # a reader does not wait for the writer
    assert again.status_code == 201
    assert _repayments(own_world) == before + 1


def test_a_pre_check_list_names_the_first_patent_the_caller_may_not_use(
    client: TestClient, world: World
) -> None:
    own, other = world.records["a"]["patent"], world.records["b"]["patent"]
    loan = {"amount": money("100000"), "term_months": 12}

    def check(*patents: str) -> Any:
        body = {"patents": list(patents), "loan": loan, "as_of": "2025-06-01"}
        return client.post("/v1/eligibility", json=body, headers=world.headers("ent-a"))

    for listed, named in (([own, other], other), ([own, "CN 12"], "CN 12")):
        refused = check(*listed)
        assert refused.status_code == 404
        assert refused.json()["error"]["message"] == f"no patent {named!r} in the register"
    repeated = check(own, own.replace("ZL", "").lower())
    assert repeated.status_code == 422
    assert repeated.json()["error"] == {
        "code": "INVALID",
        "message": "a patent is listed twice",
        "field": "body.patents",
    }
    assert check(own).status_code == 200


def test_a_check_date_the_engine_cannot_value_at_is_422(client: TestClient, world: World) -> None:
    """bank-b has no appraisal of side A's patent: the engine would value it for the
    indication, and at the end of year 9999 its term would run past the calendar; the day is
    refused first, as outside the days the service accepts."""
    body = {
        "patents": [world.records["a"]["patent"]],
        "pledgor": "ent-a",
        "as_of": "9999-12-31",
        "loan": {"amount": money("1000"), "term_months": 12},
    }
    for path in ("/v1/eligibility", "/v1/eligibility/certificate"):
        response = client.post(path, json=body, headers=world.headers("bank-b"))
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == "body.as_of"
        assert "outside the days the service accepts" in response.json()["error"]["message"]


def test_a_date_before_the_patents_filing_is_422_and_stores_nothing(
    client: TestClient, own_world: World
) -> None:
    """Side A's patent was filed on 2019-09-01 (tests.api.world.patent_body): the engine values
    nothing the day before, neither for an appraisal nor for a pre-check's indication."""
    patent = own_world.records["a"]["patent"]
    headers = own_world.headers("bank-b")

    def appraisals() -> int:
        listed = client.get("/v1/appraisals", headers=headers)
        assert listed.status_code == 200, listed.text
        total: int = listed.json()["total"]
        return total

    before = appraisals()
    for day, status in (("2019-08-31", 422), ("2019-09-01", 201)):
        body = {"patent_number": patent, "base_date": day}
        response = client.post("/v1/appraisals", json=body, headers=headers)
        assert response.status_code == status, response.text
        if status == 422:
            assert response.json()["error"] == {
                "code": "INVALID",
                "message": f"2019-08-31 is before the filing date 2019-09-01 of {patent}",
                "field": "body.base_date",
            }
            assert appraisals() == before
    assert appraisals() == before + 1
    check = {
        "patents": [patent],
        "pledgor": "ent-a",
        "as_of": "2019-08-31",
        "loan": {"amount": money("1000"), "term_months": 12},
    }
    response = client.post("/v1/eligibility", json=check, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "as_of"
    assert "is before the filing date 2019-09-01" in error["message"]

"""Races through HTTP, on ``patentval serve --workers 2`` against PostgreSQL: many clients
applying to register pledges of one patent at once, and many repaying one loan at once.

Each race starts its requests together (a barrier) on fresh connections, which the kernel
spreads over both workers. Every draft stands; exactly one application for registration wins
and every other gets 409 ``ALREADY_PLEDGED`` in the one error format; every repayment is
applied once, to the fen, and of several requests paying off the rest of the loan exactly one is
taken.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.api.world import PARTIES, money
from tests.reliability import servers
from tests.reliability.conftest import postgres_database
from tests.reliability.consistency import problems
from tests.reliability.seed import ON, Seeded, seed

pytestmark = pytest.mark.reliability

CLIENTS = 24


def together(count: int, request: Callable[[httpx.Client, int], httpx.Response]) -> list[Any]:
    """Send ``count`` requests at once, each from its own connection; their answers, in
    order."""
    barrier = threading.Barrier(count)
    answers: list[Any] = [None] * count

    def one(n: int) -> None:
        with httpx.Client(timeout=60) as http:
            barrier.wait()
            answers[n] = request(http, n)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    for url in postgres_database():
        yield seed(url, patents=1, loans=1)


@pytest.fixture(scope="module")
def server(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    log = tmp_path_factory.mktemp("races") / "server.log"
    running = servers.start(seeded.url, log, workers=2, ready_workers=2)
    yield running
    running.stop()


def _workers(server: servers.Server) -> set[int]:
    seen = set()
    for _ in range(20):
        with httpx.Client(timeout=10) as fresh:
            seen.add(fresh.get(f"{server.base}/health").json()["worker"])
    return seen


def test_of_many_concurrent_pledges_of_one_patent_exactly_one_is_submitted(
    seeded: Seeded, server: servers.Server
) -> None:
    """Drafts hold no patent, so all of them stand; of their applications for registration,
    sent together, exactly one is taken."""
    patent = seeded.patents[0]
    bank, ent = seeded.headers("bank"), seeded.headers("enterprise")
    appraisal = {
        "patent_number": patent,
        "base_date": ON,
        "financials": {"revenue": money("80000000"), "royalty_rate": "0.04"},
    }
    valued = httpx.post(f"{server.base}/v1/appraisals", json=appraisal, headers=bank)
    assert valued.status_code == 201, valued.text

    def draft(http: httpx.Client, n: int) -> httpx.Response:
        by_bank = n % 2 == 0
        body: dict[str, Any] = {
            "patents": [patent],
            "secured_amount": money(f"{10000 + n}.00"),
            "on": ON,
        }
        body["pledgor_id" if by_bank else "pledgee_id"] = "ent-a" if by_bank else "bank-a"
        headers = seeded.headers(
            "bank" if by_bank else "enterprise", **{"Idempotency-Key": f"p{n}"}
        )
        return http.post(f"{server.base}/v1/pledges", json=body, headers=headers)

    drafts = together(CLIENTS, draft)
    assert [a.status_code for a in drafts] == [201] * CLIENTS, [a.text for a in drafts]
    ids = [a.json()["pledge_id"] for a in drafts]
    for n, pledge_id in enumerate(ids):
        amount = money(f"{10000 + n}.00")
        contract = {
            "pledgor": next(p.name for p in PARTIES if p.party_id == "ent-a"),
            "pledgee": "bank-a",
            "secured_amount": amount,
            "term_months": 12,
            "patents": [patent],
            "scope": "本金、利息、违约金及实现质权的费用",
        }
        loan = {"amount": amount, "term_months": 12, "contract": contract}
        url = f"{server.base}/v1/pledges/{pledge_id}/precheck"
        checked = httpx.post(url, json={"loan": loan, "on": ON}, headers=bank, timeout=60)
        assert checked.json()["pledge"]["status"] == "ready", checked.text

    def submit(http: httpx.Client, n: int) -> httpx.Response:
        url = f"{server.base}/v1/pledges/{ids[n]}/submit"
        return http.post(url, json={"on": ON}, headers=ent)

    answers = together(CLIENTS, submit)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * (CLIENTS - 1), [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json() == {
                "error": {
                    "code": "ALREADY_PLEDGED",
                    "message": answer.json()["error"]["message"],
                    "field": "patents",
                }
            }
    [winner] = [a.json() for a in answers if a.status_code == 200]
    listed = httpx.get(
        f"{server.base}/v1/pledges",
        params={"patent": patent, "limit": 100},
        headers=seeded.headers("bank"),
    ).json()
    statuses_of = {p["pledge_id"]: p["status"] for p in listed["items"]}
    assert statuses_of == {i: "submitted" if i == winner["pledge_id"] else "ready" for i in ids}
    assert len(_workers(server)) == 2
    assert problems(seeded.url) == []


def test_concurrent_repayments_of_one_loan_are_each_applied_once_to_the_fen(
    seeded: Seeded, server: servers.Server
) -> None:
    loan = seeded.loans[0]
    bank = seeded.headers("bank")
    before = httpx.get(f"{server.base}/v1/loans/{loan}/position", headers=bank).json()
    amounts = [Decimal(f"{n * 37 + 1}.{n:02d}") for n in range(CLIENTS)]

    def repay(http: httpx.Client, n: int) -> httpx.Response:
        body = {"amount": money(str(amounts[n])), "paid_on": "2025-07-01"}
        headers = seeded.headers("bank", **{"Idempotency-Key": f"r{n}"})
        return http.post(f"{server.base}/v1/loans/{loan}/repayments", json=body, headers=headers)

    answers = together(CLIENTS, repay)
    assert [a.status_code for a in answers] == [201] * CLIENTS, [a.text for a in answers]
    paid = sum(amounts, Decimal(0))
    after = httpx.get(f"{server.base}/v1/loans/{loan}/position", headers=bank).json()
    assert Decimal(after["principal"]["amount"]) == Decimal(before["principal"]["amount"]) - paid
    listed = httpx.get(f"{server.base}/v1/loans/{loan}/repayments", headers=bank).json()
    assert sorted(Decimal(r["principal"]["amount"]) for r in listed) == sorted(amounts)
    # Each saw the one before it: in the order they were applied, each left the balance the
    # one before left, less its own amount.
    applied = sorted(
        (a.json() for a in answers),
        key=lambda r: Decimal(r["position"]["principal"]["amount"]),
        reverse=True,
    )
    balance = Decimal(before["principal"]["amount"])
    for repayment in applied:
        balance -= Decimal(repayment["principal"]["amount"])
        assert Decimal(repayment["position"]["principal"]["amount"]) == balance

    rest = after["principal"]["amount"]

    def pay_off(http: httpx.Client, n: int) -> httpx.Response:
        body = {"amount": money(rest), "paid_on": "2025-07-02"}
        headers = seeded.headers("bank", **{"Idempotency-Key": f"off{n}"})
        return http.post(f"{server.base}/v1/loans/{loan}/repayments", json=body, headers=headers)

    offs = together(8, pay_off)
    assert sorted(a.status_code for a in offs) == [201] + [409] * 7, [a.text for a in offs]
    closed = httpx.get(f"{server.base}/v1/loans/{loan}/position", headers=bank).json()
    assert closed["status"] == "closed"
    assert closed["principal"]["amount"] == "0.00"
    assert problems(seeded.url) == []
    logged = server.log.read_text(errors="replace")
    assert "POST /v1/loans" in logged  # the access log is on …
    assert not any(key in logged for key in seeded.keys.values())  # … and holds no key

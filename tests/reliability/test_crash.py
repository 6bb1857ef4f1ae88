"""Crash safety: SIGKILL the server in the middle of a burst of writes, on SQLite and on
PostgreSQL, restart it, and check that nothing acknowledged is lost and nothing is half-written.

The burst: pledges, loans and repayments sent by eight clients at once through ``patentval
serve --workers 2``, each with an Idempotency-Key. Once enough writes are acknowledged, the
server's process group is killed with SIGKILL while requests are in flight. After a restart on
the same database:

* every write that got a 2xx is there, as it was answered;
* every request that got no answer, sent again with its key, is answered 201 (and names the
  record its key names) or 409 ``IDEMPOTENCY_KEY_IN_USE`` (its claim outlives the dead process
  for two minutes) — never a second record;
* no pledge without its patents, no journal entry without balanced legs, no repayment without
  its entry, every loan's principal outstanding equal to its principal less its repayments,
  the trial balance zero, and every answered key's record stored (an unanswered claim left
  nothing);
* ``patentval audit verify`` passes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.idempotency import new_id
from tests.api.world import money
from tests.reliability import servers
from tests.reliability.consistency import audit_verify, problems
from tests.reliability.seed import ON, Seeded, seed

pytestmark = pytest.mark.reliability

CLIENTS = 8
KILL_AFTER = 24
"""Acknowledged writes before the kill."""
REPAYMENT = "100.00"


@dataclass(frozen=True)
class Write:
    """One create: its kind, Idempotency-Key, path and body."""

    kind: str
    key: str
    path: str
    body: dict[str, Any]


@dataclass
class Outcome:
    """What came back for a write: a response, or a transport error (no answer)."""

    write: Write
    status: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def burst(seeded: Seeded) -> list[Write]:
    """Pledges of each free patent, new loans, and repayments of the active loans, mixed."""
    pledges = [
        Write(
            "pledge",
            f"pledge-{n}",
            "/v1/pledges",
            {
                "patents": [number],
                "pledgor_id": "ent-a",
                "secured_amount": money("50000.00"),
                "on": ON,
            },
        )
        for n, number in enumerate(seeded.patents)
    ]
    loans = [
        Write(
            "loan",
            f"loan-{n}",
            "/v1/loans",
            {
                "borrower_id": "ent-a",
                "principal": money("20000.00"),
                "annual_rate": "0.05",
                "term_months": 12,
                "on": ON,
            },
        )
        for n in range(len(seeded.patents))
    ]
    repayments = [
        Write(
            "repayment",
            f"repayment-{n}",
            f"/v1/loans/{seeded.loans[n % len(seeded.loans)]}/repayments",
            {"amount": money(REPAYMENT), "paid_on": "2025-07-01"},
        )
        for n in range(len(seeded.patents) * 2)
    ]
    mixed = []
    for n in range(len(repayments)):
        mixed.append(repayments[n])
        if n % 2 == 0:
            mixed.extend((pledges[n // 2], loans[n // 2]))
    return mixed


def fire(server: servers.Server, seeded: Seeded, writes: list[Write]) -> list[Outcome]:
    """Send ``writes`` from :data:`CLIENTS` clients at once; kill the server once
    :data:`KILL_AFTER` are acknowledged, while the others are in flight."""
    queue = iter(writes)
    lock = threading.Lock()
    outcomes: list[Outcome] = []
    acknowledged = threading.Semaphore(0)
    dead = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=server.base, timeout=30) as http:
            while not dead.is_set():
                with lock:
                    write = next(queue, None)
                if write is None:
                    return
                headers = seeded.headers("bank", **{"Idempotency-Key": write.key})
                try:
                    response = http.post(write.path, json=write.body, headers=headers)
                except httpx.TransportError as error:
                    outcomes.append(Outcome(write, error=type(error).__name__))
                    return
                outcomes.append(Outcome(write, response.status_code, response.json()))
                if response.is_success:
                    acknowledged.release()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for _ in range(KILL_AFTER):
        assert acknowledged.acquire(timeout=120), "the burst stalled"
    server.kill()
    dead.set()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def record_id(seeded: Seeded, write: Write) -> str:
    """The id of the record a pledge's or loan's key names."""
    prefix = "pl" if write.kind == "pledge" else "ln"
    return new_id(prefix, f"http:{seeded.credential_ids['bank']}:{write.key}")


def check_acknowledged(http: httpx.Client, seeded: Seeded, outcome: Outcome) -> None:
    """The acknowledged write reads back as it was answered."""
    headers = seeded.headers("bank")
    write, body = outcome.write, outcome.body
    if write.kind == "repayment":
        listed = http.get(write.path, headers=headers).json()
        assert body["repayment_id"] in {r["repayment_id"] for r in listed}, body
        return
    assert body[f"{write.kind}_id"] == record_id(seeded, write)
    stored = http.get(f"{write.path}/{body[f'{write.kind}_id']}", headers=headers)
    assert stored.status_code == 200, stored.text
    assert stored.json() == body


@pytest.fixture
def seeded(database_url: str) -> Seeded:
    return seed(database_url, patents=16, loans=2)


def test_a_killed_server_loses_no_acknowledged_write_and_leaves_nothing_half_written(
    seeded: Seeded, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    # Two workers on PostgreSQL, as in production; one on SQLite (its writers take turns anyway).
    # The restart needs one only: it reads back.
    workers = 2 if seeded.url.startswith("postgresql") else 1
    server = servers.start(seeded.url, log, workers=workers)
    try:
        started = time.monotonic()
        outcomes = fire(server, seeded, burst(seeded))
        burst_seconds = time.monotonic() - started
    finally:
        server.stop()
    acked = [o for o in outcomes if o.status is not None and 200 <= o.status < 300]
    lost = [o for o in outcomes if o.status is None]
    refused = [o for o in outcomes if o.status is not None and o.status >= 300]
    assert not refused, [(o.write.key, o.status, o.body) for o in refused]
    assert len(acked) >= KILL_AFTER
    assert lost, "the kill caught no request in flight"
    assert {o.write.kind for o in acked} == {"pledge", "loan", "repayment"}
    retried = {201: 0, 409: 0}

    assert problems(seeded.url) == []
    restarted = servers.start(seeded.url, log, workers=1)
    try:
        with httpx.Client(base_url=restarted.base, timeout=30) as http:
            for outcome in acked:
                check_acknowledged(http, seeded, outcome)
            for outcome in lost:
                write = outcome.write
                headers = seeded.headers("bank", **{"Idempotency-Key": write.key})
                again = http.post(write.path, json=write.body, headers=headers)
                assert again.status_code in retried, again.text
                retried[again.status_code] += 1
                if again.status_code == 409:
                    assert again.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
                    continue
                if write.kind != "repayment":
                    assert again.json()[f"{write.kind}_id"] == record_id(seeded, write)
    finally:
        restarted.stop()
    assert problems(seeded.url) == []
    verified = audit_verify(seeded.url)
    assert verified.exit_code == 0, verified.output
    logged = log.read_text(errors="replace")
    assert not any(key in logged for key in seeded.keys.values()), "a key reached the log"
    print(
        f"\ncrash ({seeded.url.split(':')[0]}): killed {burst_seconds:.1f} s into the burst with "
        f"{len(acked)} writes acknowledged and {len(lost)} in flight; after restart all "
        f"{len(acked)} read back as answered; the {len(lost)} resent: {retried[201]} → 201, "
        f"{retried[409]} → 409 (claim of the dead process); consistent; audit chain verified"
    )

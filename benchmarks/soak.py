"""A bounded soak on loopback: a real ``patentval serve`` under a steady mix of reads and writes
for a fixed time, with errors, latency percentiles per interval and the servers' memory.

The load is open-loop: requests start at a fixed rate whatever the answers (at most
``--concurrency`` in flight; a request that cannot start on time is counted late), so a slowing
service shows as growing latency, not as fewer requests. The mix, in turn: an eligibility check,
a loan's position, a page of the patent register, a repayment of 0.01 CNY (with an
Idempotency-Key) on one of the seeded loans, an appraisal. The database is a fresh SQLite file (or a
database on ``--postgres-url``), seeded through the service with registered patents and
disbursed loans.

It passes (exit 0) when, after the warm-up (``--warmup``, 20 s: the first appraisal loads the
market model, and each of a worker's threads gets its allocator arena, so memory rises at first
and then stays):

* no request failed (a 5xx, a transport error, or any status but the expected one);
* no interval's p95 is above ``--p95-bound-ms`` (500) or above 3 × the first steady interval's
  p95 (``p95_growth``);
* the database is consistent afterwards (``tests/reliability/consistency.py``);
* the servers' resident memory (supervisor and workers together) grew by at most
  ``--rss-bound-mib`` from the end of the warm-up to the end.

    .venv/bin/python benchmarks/soak.py [--seconds 120] [--rate 40] [--workers 2]
        [--interval 10] [--postgres-url URL] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.api.world import money  # noqa: E402
from tests.reliability import servers  # noqa: E402
from tests.reliability.conftest import postgres_database  # noqa: E402
from tests.reliability.consistency import problems  # noqa: E402
from tests.reliability.seed import ON, Seeded, seed  # noqa: E402


@dataclass
class Interval:
    """One interval's figures."""

    start_s: float
    requests: int = 0
    errors: int = 0
    late: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    rss_mib: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Work out the percentiles (once every request of the interval is answered)."""
        ordered = sorted(self.latencies)
        if ordered:

            def at(share: float) -> float:
                return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

            self.p50_ms, self.p95_ms, self.p99_ms = at(0.50), at(0.95), at(0.99)
            self.max_ms = ordered[-1] * 1000


@dataclass
class Soak:
    """What a soak measured, and whether it stayed within its bounds."""

    seconds: float
    rate: float
    workers: int
    database: str
    intervals: list[Interval]
    failures: dict[str, int]
    rss_growth_mib: float
    rss_bound_mib: float
    p95_bound_ms: float
    consistent: list[str]
    broken: list[str]
    p95_by_request_ms: dict[str, float] = field(default_factory=dict)

    def table(self) -> str:
        lines = [
            f"soak: {self.seconds:.0f} s at {self.rate:g} requests/s, {self.workers} workers, "
            f"{self.database}",
            " t (s) | requests | errors | late | p50 ms | p95 ms | p99 ms | max ms | RSS MiB",
        ]
        for i in self.intervals:
            lines.append(
                f"{i.start_s:6.0f} | {i.requests:8d} | {i.errors:6d} | {i.late:4d} | "
                f"{i.p50_ms:6.1f} | {i.p95_ms:6.1f} | {i.p99_ms:6.1f} | {i.max_ms:6.0f} | "
                f"{i.rss_mib:7.1f}"
            )
        total = sum(i.requests for i in self.intervals)
        lines.append(
            f"{total} requests, {sum(i.errors for i in self.intervals)} errors; RSS growth after "
            f"the warm-up {self.rss_growth_mib:+.1f} MiB (bound {self.rss_bound_mib:g}); "
            + ("PASS" if not self.broken else "FAIL: " + "; ".join(self.broken))
        )
        lines.append(
            "p95 by request after warm-up: "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in self.p95_by_request_ms.items())
        )
        if self.failures:
            lines.append(f"failures: {self.failures}")
        return "\n".join(lines)


def _server_rss_mib(server: servers.Server) -> float:
    return sum(servers.rss_kib(pid) for pid in server.pids()) / 1024


def _requests(seeded: Seeded) -> list[tuple[str, str, str, dict[str, Any] | None, int]]:
    """The mix: (name, method, path, body, expected status); the repayment's key is added when
    it is sent."""
    loan = seeded.loans[0]
    patent = seeded.patents[0]
    eligibility = {
        "patents": [patent],
        "as_of": ON,
        "loan": {"amount": money("100000.00"), "term_months": 12},
        "pledgor": "ent-a",
    }
    appraisal = {"patent_number": patent, "base_date": ON}
    return [
        ("eligibility", "POST", "/v1/eligibility", eligibility, 200),
        ("position", "GET", f"/v1/loans/{loan}/position", None, 200),
        ("patents", "GET", "/v1/patents?limit=20", None, 200),
        ("repayment", "POST", "", {"amount": money("0.01"), "paid_on": "2025-07-01"}, 201),
        ("appraisal", "POST", "/v1/appraisals", appraisal, 201),
    ]


async def _drive(
    server: servers.Server,
    seeded: Seeded,
    seconds: float,
    rate: float,
    interval: float,
    cap: int,
    warmup: float,
) -> tuple[list[Interval], dict[str, int], dict[str, float]]:
    mix = _requests(seeded)
    bank = seeded.headers("bank")
    intervals = [Interval(0.0)]
    failures: dict[str, int] = {}
    by_name: dict[str, list[float]] = {name: [] for name, *_ in mix}
    in_flight = asyncio.Semaphore(cap)
    limits = httpx.Limits(max_connections=cap, max_keepalive_connections=cap)
    started = time.monotonic()

    async def one(client: httpx.AsyncClient, n: int, slot: Interval) -> None:
        name, method, path, body, expected = mix[n % len(mix)]
        headers = dict(bank)
        if name == "repayment":
            loan = seeded.loans[n % len(seeded.loans)]
            path = f"/v1/loans/{loan}/repayments"
            headers["Idempotency-Key"] = f"soak-{started}-{n}"
        t0 = time.perf_counter()
        try:
            response = await client.request(method, path, json=body, headers=headers)
            status: int | str = response.status_code
        except httpx.HTTPError as error:
            status = type(error).__name__
        finally:
            in_flight.release()
        slot.latencies.append(time.perf_counter() - t0)
        slot.requests += 1
        if slot.start_s >= warmup:
            by_name[name].append(slot.latencies[-1])
        if status != expected:
            slot.errors += 1
            failures[f"{name} {status}"] = failures.get(f"{name} {status}", 0) + 1

    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=30) as client:
        tasks = []
        total = int(seconds * rate)
        for n in range(total):
            if time.monotonic() > started + seconds + interval:
                # The service stalled: what could not start by then counts as failed, so a
                # stalled server ends the soak instead of holding it for ever.
                failures["not sent in time"] = total - n
                intervals[-1].errors += total - n
                break
            due = started + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elapsed = time.monotonic() - started
            while elapsed >= interval * len(intervals):
                intervals[-1].rss_mib = _server_rss_mib(server)
                intervals.append(Interval(interval * len(intervals)))
            slot = intervals[-1]
            if in_flight.locked():
                slot.late += 1
            await in_flight.acquire()
            tasks.append(asyncio.create_task(one(client, n, slot)))
        await asyncio.gather(*tasks)
    intervals[-1].rss_mib = _server_rss_mib(server)
    for slot in intervals:
        slot.close()
    p95 = {
        name: sorted(found)[int(0.95 * (len(found) - 1))] * 1000
        for name, found in by_name.items()
        if found
    }
    return [i for i in intervals if i.requests], failures, p95


def run(
    *,
    seconds: float,
    rate: float,
    workers: int = 2,
    interval: float = 10,
    concurrency: int = 32,
    postgres_url: str | None = None,
    warmup: float = 20,
    rss_bound_mib: float = 64,
    p95_bound_ms: float = 500,
    p95_growth: float = 3,
    folder: Path | None = None,
) -> Soak:
    """Seed a database, start the server, soak it, stop it, and judge the figures."""
    folder = folder or Path(tempfile.mkdtemp(prefix="soak-"))
    databases = None
    if postgres_url:
        databases = postgres_database(postgres_url)
        url = next(databases)
    else:
        url = f"sqlite:///{folder / 'soak.db'}"
    try:
        seeded = seed(url, patents=2, loans=2)
        server = servers.start(url, folder / "server.log", workers=workers, ready_workers=workers)
        try:
            intervals, failures, p95 = asyncio.run(
                _drive(server, seeded, seconds, rate, interval, concurrency, warmup)
            )
        finally:
            server.stop()
        consistent = problems(url)
    finally:
        if databases is not None:
            next(databases, None)
    warming = [i for i in intervals if i.start_s < warmup] or intervals[:1]
    steady = intervals[len(warming) :] or intervals[-1:]
    growth = steady[-1].rss_mib - warming[-1].rss_mib
    broken = []
    if failures:
        broken.append(f"{sum(failures.values())} failed requests")
    reference = steady[0].p95_ms
    for i in steady:
        if i.p95_ms > p95_bound_ms or i.p95_ms > p95_growth * max(reference, 5.0):
            broken.append(f"p95 {i.p95_ms:.0f} ms at {i.start_s:.0f} s")
    if growth > rss_bound_mib:
        broken.append(f"RSS grew {growth:.0f} MiB")
    if consistent:
        broken.append(f"database inconsistent: {consistent[:3]}")
    return Soak(
        seconds,
        rate,
        workers,
        "PostgreSQL" if postgres_url else "SQLite",
        intervals,
        failures,
        growth,
        rss_bound_mib,
        p95_bound_ms,
        consistent,
        broken,
        p95,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--rate", type=float, default=40, help="requests per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=20, help="seconds not judged")
    parser.add_argument("--rss-bound-mib", type=float, default=64)
    parser.add_argument("--p95-bound-ms", type=float, default=500)
    parser.add_argument("--postgres-url", help="a PostgreSQL server; a fresh database is made")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    soak = run(
        seconds=args.seconds,
        rate=args.rate,
        workers=args.workers,
        interval=args.interval,
        concurrency=args.concurrency,
        warmup=args.warmup,
        postgres_url=args.postgres_url,
        rss_bound_mib=args.rss_bound_mib,
        p95_bound_ms=args.p95_bound_ms,
    )
    print(soak.table())
    if args.json:
        figures = asdict(soak)
        for i in figures["intervals"]:
            i.pop("latencies")
        args.json.write_text(json.dumps(figures, indent=2))
    raise SystemExit(1 if soak.broken else 0)


if __name__ == "__main__":
    main()

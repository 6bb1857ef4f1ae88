"""Load on the HTTP API over loopback: a real `patentval serve`, an asyncio httpx client with N
concurrent connections.

Scenarios: single-patent appraisal without PDF (target p95 < 50 ms at 50 clients); eligibility
checks with 2 workers (target ≥ 300 requests/s). The database is a fresh SQLite file (or
``--postgres-url``, a server URL whose database is used as is) seeded with two parties, one
patent and a key for each.

    .venv/bin/python benchmarks/bench_api.py [--clients 50] [--seconds 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.enums import Role  # noqa: E402
from storage import credentials, parties, patents  # noqa: E402
from storage.database import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.api.world import PARTIES, cn_number, patent_body  # noqa: E402


def _seed(url: str) -> tuple[str, str, str]:
    """Parties, one patent; a bank key and an enterprise key. Returns (number, bank, ent)."""
    from models.patent import Patent

    engine = make_engine(url)
    upgrade(engine)
    enterprise = next(p for p in PARTIES if p.party_id == "ent-a")
    number = cn_number(601862)
    with Session(engine) as session, session.begin():
        for party in PARTIES:
            parties.save_party(session, party, actor="bench")
        body = patent_body(number, enterprise)
        patents.save_patent(session, Patent.model_validate(body), actor="bench")
        bank = credentials.issue_credential(session, "bank-a", Role.BANK, label="b", actor="b")
        ent = credentials.issue_credential(session, "ent-a", Role.ENTERPRISE, label="e", actor="b")
    engine.dispose()
    return number, bank.key, ent.key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = Path(sys.executable).parent / "patentval"
    server = subprocess.Popen(
        [
            str(command),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--database-url",
            url,
        ],
        env={**os.environ, "PATENTVAL_ENVIRONMENT": "test"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/health", timeout=2).raise_for_status()
            return server, base
        except httpx.TransportError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("the server did not start")


async def _load(
    base: str,
    method: str,
    path: str,
    body: dict[str, object],
    key: str,
    clients: int,
    seconds: float,
) -> tuple[list[float], int]:
    """Closed loop: ``clients`` connections each sending the request again as soon as the last
    answer is in, for ``seconds``. Returns the latencies (s) and the failures."""
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        for _ in range(min(clients, 10)):  # warm each worker's caches
            await client.request(method, path, json=body, headers=headers)
        stop = time.monotonic() + seconds

        async def one() -> None:
            nonlocal failures
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await client.request(method, path, json=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                failures += response.status_code >= 400

        await asyncio.gather(*(one() for _ in range(clients)))
    return latencies, failures


def _report(name: str, latencies: list[float], failures: int, seconds: float) -> None:
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    print(
        f"{name}: {len(ordered)} requests in {seconds:.0f} s = {len(ordered) / seconds:.0f}/s; "
        f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
        f"{failures} failures"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-api-")
    url = args.postgres_url or f"sqlite:///{folder}/bench.db"
    number, bank, ent = _seed(url)
    server, base = _serve(url, args.workers)
    try:
        appraisal = {"patent_number": number, "base_date": "2025-06-01"}
        found = asyncio.run(
            _load(base, "POST", "/v1/appraisals", appraisal, bank, args.clients, args.seconds)
        )
        _report(f"appraisal, {args.clients} clients, {args.workers} workers", *found, args.seconds)
        eligibility = {
            "patents": [number],
            "as_of": "2025-06-01",
            "loan": {"amount": {"amount": "100000.00"}, "term_months": 12},
        }
        found = asyncio.run(
            _load(base, "POST", "/v1/eligibility", eligibility, ent, args.clients, args.seconds)
        )
        _report(
            f"eligibility, {args.clients} clients, {args.workers} workers", *found, args.seconds
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

"""Load on the HTTP API over loopback: a real `patentval serve` and a load generator of N
keep-alive HTTP/1.1 connections on one event loop.

The generator writes prepared requests and reads each answer's status and body, nothing more,
so that on a small machine it leaves as much of the cores as it can to the server.

Scenarios, each against ``--workers`` workers:
- single-patent appraisal without PDF (target p95 < 50 ms at 50 clients): closed loop (each
  client sends again as soon as its answer is in: the saturation throughput) and paced (the
  clients together send each of the ``--paced-rate`` rates in requests/s on a fixed schedule, one
  rate after another; a latency counts from the scheduled send, so a stall is not hidden);
- eligibility checks (target ≥ 300 requests/s with 2 workers), closed loop;
- the floor: ``GET /v1/me`` (the key checked, the caller's party read, nothing valued or
  written), closed loop: what the service costs a request before any appraisal work;
- the appraisal report PDF endpoint, one client, Chinese and English.

A closed-loop line also gives the CPU the server's processes used a request (user and system
time from ``/proc``, on Linux; the ten warm-up requests included).

The database is a fresh SQLite file (or ``--postgres-url``, a server URL whose database is used
as is) seeded with the parties, ``--patents`` patents of one enterprise and a key for it and for
a bank; the requests go round the patents.

    .venv/bin/python benchmarks/bench_api.py [--clients 50] [--seconds 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
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


def _seed(url: str, count: int) -> tuple[list[str], str, str]:
    """Parties and ``count`` patents of one enterprise, a bank key and an enterprise key.
    Returns (numbers, bank key, enterprise key)."""
    from models.patent import Patent

    engine = make_engine(url)
    upgrade(engine)
    enterprise = next(p for p in PARTIES if p.party_id == "ent-a")
    numbers = [cn_number(601_000 + i) for i in range(count)]
    with Session(engine) as session, session.begin():
        for party in PARTIES:
            parties.save_party(session, party, actor="bench")
        for i, number in enumerate(numbers):
            body = patent_body(
                number,
                enterprise,
                claims=4 + i % 30,
                independent_claims=1 + i % 3,
                forward_citations=i % 17,
                family_size=1 + i % 6,
            )
            patents.save_patent(session, Patent.model_validate(body), actor="bench")
        bank = credentials.issue_credential(session, "bank-a", Role.BANK, label="b", actor="b")
        ent = credentials.issue_credential(session, "ent-a", Role.ENTERPRISE, label="e", actor="b")
    engine.dispose()
    return numbers, bank.key, ent.key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    command = Path(sys.executable).parent / "patentval"
    arguments = ["serve", "--port", str(port), "--workers", str(workers), "--database-url", url]
    server = subprocess.Popen(
        [str(command), *arguments],
        env={**os.environ, "PATENTVAL_ENVIRONMENT": "test"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline, seen = time.monotonic() + 120, set()
    while time.monotonic() < deadline:  # until every worker has answered (on new connections)
        try:
            seen.add(httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json()["worker"])
            if len(seen) == workers:
                return server, port
        except httpx.TransportError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("the server did not start")


def request(method: str, path: str, key: str, body: object | None = None) -> bytes:
    """One HTTP/1.1 request, ready to write."""
    payload = b"" if body is None else json.dumps(body).encode()
    head = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {key}",
        f"Content-Length: {len(payload)}",
    ]
    if body is not None:
        head.append("Content-Type: application/json")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


class Connection:
    """A keep-alive connection that sends a request and reads its answer (Content-Length)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def send(self, data: bytes) -> tuple[int, bytes]:
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise RuntimeError("a chunked answer: not read by this generator")
        return int(head[9:12]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.failures += status >= 400

    def line(self, name: str, seconds: float, server_cpu: float | None = None) -> str:
        ordered = sorted(self.latencies)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        cpu = (
            ""
            if server_cpu is None
            else (f"; server CPU {server_cpu / len(ordered) * 1000:.1f} ms a request")
        )
        return (
            f"{name}: {len(ordered)} requests in {seconds:.0f} s = {len(ordered) / seconds:.0f}/s; "
            f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
            f"max {ordered[-1] * 1000:.0f} ms; {self.failures} failures {self.statuses}{cpu}"
        )


class ServerCpu:
    """The CPU time (user + system) the server's processes have used, read from ``/proc``
    (None elsewhere): the supervisor and its workers, as they were when it started."""

    def __init__(self, pid: int) -> None:
        self.pids = self._tree(pid) if Path(f"/proc/{pid}").exists() else []

    @classmethod
    def _tree(cls, pid: int) -> list[int]:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [pid, *(p for child in listed for p in cls._tree(int(child)))]

    def seconds(self) -> float | None:
        if not self.pids:
            return None
        ticks = 0
        for pid in self.pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def since(self, start: float | None) -> float | None:
        now = self.seconds()
        return None if now is None or start is None else now - start


async def closed_loop(port: int, requests: Sequence[bytes], clients: int, seconds: float) -> Sample:
    """``clients`` connections, each sending the next request as soon as its answer is in."""
    sample, turn = Sample(), 0
    connections = [await Connection.open(port) for _ in range(clients)]
    for connection in connections[:10]:  # warm each worker
        await connection.send(requests[0])
    stop = time.monotonic() + seconds

    async def client(connection: Connection) -> None:
        nonlocal turn
        while time.monotonic() < stop:
            turn += 1
            started = time.perf_counter()
            status, _ = await connection.send(requests[turn % len(requests)])
            sample.add(status, time.perf_counter() - started)

    await asyncio.gather(*(client(c) for c in connections))
    for connection in connections:
        connection.close()
    return sample


async def paced(
    port: int, requests: Sequence[bytes], clients: int, rate: float, seconds: float
) -> Sample:
    """``clients`` connections sending ``rate`` requests/s in all, each on its own fixed
    schedule; a latency runs from the scheduled send (a late answer delays the next send, and
    that wait is counted)."""
    sample, interval = Sample(), clients / rate
    connections = [await Connection.open(port) for _ in range(clients)]
    for connection in connections[:10]:
        await connection.send(requests[0])
    start = time.perf_counter() + 0.1

    async def client(index: int, connection: Connection) -> None:
        due = start + index * interval / clients
        turn = index
        while due < start + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            status, _ = await connection.send(requests[turn % len(requests)])
            sample.add(status, time.perf_counter() - due)
            due += interval
            turn += clients

    await asyncio.gather(*(client(i, c) for i, c in enumerate(connections)))
    for connection in connections:
        connection.close()
    return sample


async def one_by_one(
    port: int, requests: Sequence[bytes], count: int
) -> tuple[Sample, list[bytes]]:
    """``count`` requests on one connection, one after another; the answers too."""
    sample, answers = Sample(), []
    connection = await Connection.open(port)
    for turn in range(count):
        started = time.perf_counter()
        status, body = await connection.send(requests[turn % len(requests)])
        sample.add(status, time.perf_counter() - started)
        answers.append(body)
    connection.close()
    return sample, answers


async def run(
    port: int, numbers: list[str], bank: str, ent: str, args: argparse.Namespace, cpu: ServerCpu
) -> None:
    clients, seconds = args.clients, args.seconds
    appraisals = [
        request("POST", "/v1/appraisals", bank, {"patent_number": n, "base_date": "2025-06-01"})
        for n in numbers
    ]
    loan = {"amount": {"amount": "100000.00"}, "term_months": 12}
    eligibility = [
        request(
            "POST", "/v1/eligibility", ent, {"patents": [n], "as_of": "2025-06-01", "loan": loan}
        )
        for n in numbers
    ]
    workers = f"{args.workers} worker(s)"
    single, answers = await one_by_one(port, appraisals, 50)
    print(single.line(f"appraisal, 1 client, {workers}", sum(single.latencies)))
    start = cpu.seconds()
    found = await closed_loop(port, appraisals, clients, seconds)
    name = f"appraisal, {clients} clients closed loop, {workers}"
    print(found.line(name, seconds, cpu.since(start)))
    for rate in args.paced_rate:
        found = await paced(port, appraisals, clients, rate, seconds)
        print(
            found.line(
                f"appraisal, {clients} clients paced at {rate:g}/s in all, {workers}", seconds
            )
        )
    single, _ = await one_by_one(port, eligibility, 200)
    print(single.line(f"eligibility, 1 client, {workers}", sum(single.latencies)))
    start = cpu.seconds()
    found = await closed_loop(port, eligibility, clients, seconds)
    name = f"eligibility, {clients} clients closed loop, {workers}"
    print(found.line(name, seconds, cpu.since(start)))
    start = cpu.seconds()
    found = await closed_loop(port, [request("GET", "/v1/me", bank)], clients, seconds)
    print(
        found.line(
            f"floor GET /v1/me, {clients} clients closed loop, {workers}", seconds, cpu.since(start)
        )
    )
    ids = [json.loads(a)["appraisal_id"] for a in answers[:5]]
    for lang in ("zh", "en"):
        reports = [
            request("GET", f"/v1/appraisals/{i}/report?format=pdf&lang={lang}", bank) for i in ids
        ]
        found, _ = await one_by_one(port, reports, 10)
        print(found.line(f"report PDF ({lang}), 1 client, {workers}", sum(found.latencies)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--patents", type=int, default=200)
    parser.add_argument("--paced-rate", type=float, nargs="+", default=[25.0, 50.0, 100.0, 150.0])
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-api-")
    url = args.postgres_url or f"sqlite:///{folder}/bench.db"
    numbers, bank, ent = _seed(url, args.patents)
    server, port = _serve(url, args.workers)
    cpu = ServerCpu(server.pid)
    try:
        try:
            import uvloop
        except ImportError:  # the standard loop does too, a little slower
            asyncio.run(run(port, numbers, bank, ent, args, cpu))
        else:
            uvloop.run(run(port, numbers, bank, ent, args, cpu))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

"""``patentval serve --workers 2`` on PostgreSQL: both workers answer authenticated requests, an
Idempotency-Key holds across them, and together they allow no more failed authentications than
the limit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from models.enums import Role
from storage import credentials, parties
from storage.database import make_engine
from storage.migrate import upgrade
from tests.api.world import PARTIES, cn_number, patent_body

POSTGRES = os.environ.get("PATENTVAL_TEST_POSTGRES_URL")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def database() -> Iterator[str]:
    if not POSTGRES:
        pytest.skip("PostgreSQL not configured: set PATENTVAL_TEST_POSTGRES_URL")
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"w_{uuid.uuid4().hex}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_two_workers_on_postgresql_serve_authenticated_requests(database: str) -> None:
    engine = make_engine(database)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        for party in PARTIES:
            parties.save_party(session, party, actor="test")
        bank = credentials.issue_credential(session, "bank-a", Role.BANK, label="b", actor="t")
        ent = credentials.issue_credential(session, "ent-a", Role.ENTERPRISE, label="e", actor="t")
    engine.dispose()
    port = _free_port()
    command = Path(sys.executable).parent / "patentval"
    server = subprocess.Popen(
        [str(command), "serve", "--port", str(port), "--workers", "2", "--database-url", database],
        env={**os.environ, "PATENTVAL_ENVIRONMENT": "test", "PATENTVAL_AUTH_FAILURE_LIMIT": "4"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                if time.monotonic() > deadline:
                    server.terminate()
                    output = server.communicate(timeout=20)[0].decode(errors="replace")
                    pytest.fail(f"the server did not answer within 60 s:\n{output[-3000:]}")
                time.sleep(0.3)
        as_bank = {"Authorization": f"Bearer {bank.key}"}
        as_ent = {"Authorization": f"Bearer {ent.key}"}
        enterprise = next(p for p in PARTIES if p.party_id == "ent-a")
        number = cn_number(601862)
        created = httpx.post(
            f"{base}/v1/patents", json=patent_body(number, enterprise), headers=as_ent, timeout=30
        )
        assert created.status_code == 201, created.text
        workers, answers = set(), []
        appraisal = {"patent_number": number, "base_date": "2025-06-01"}
        for attempt in range(40):
            # A new connection each time: the kernel spreads them over the workers.
            with httpx.Client(base_url=base, timeout=30) as fresh:
                workers.add(fresh.get("/health").json()["worker"])
                assert fresh.get("/v1/me", headers=as_bank).status_code == 200
                mine = fresh.get(f"/v1/patents/{number}", headers=as_ent)
                assert mine.json()["patent_number"] == number
                if attempt < 4:
                    answer = fresh.post(
                        "/v1/appraisals",
                        json=appraisal,
                        headers={**as_bank, "Idempotency-Key": "one"},
                    )
                    assert answer.status_code == 201, answer.text
                    answers.append(answer.json())
            if len(workers) == 2 and attempt >= 4:
                break
        assert len(workers) == 2, f"one worker answered everything: {workers}"
        assert all(a == answers[0] for a in answers)
        listed = httpx.get(f"{base}/v1/appraisals", headers=as_bank, timeout=30).json()
        assert listed["total"] == 1
        # Guessing at a key on new connections, spread over both workers, until both refuse:
        # each allows its share (2 of the limit of 4), so 4 guesses are answered in all.
        key_id = bank.key.split("_")[1]
        wrong = {"Authorization": f"Bearer pv_{key_id}_{'x' * 43}"}
        answered: dict[int, list[int]] = {}
        for _ in range(80):
            with httpx.Client(base_url=base, timeout=30) as fresh:
                worker = fresh.get("/health").json()["worker"]
                answered.setdefault(worker, []).append(
                    fresh.get("/v1/me", headers=wrong).status_code
                )
            if len(answered) == 2 and all(429 in statuses for statuses in answered.values()):
                break
        assert sorted(answered) == sorted(workers)
        assert {w: s.count(401) for w, s in answered.items()} == dict.fromkeys(workers, 2)
        assert all(set(statuses) == {401, 429} for statuses in answered.values())
    finally:
        server.terminate()
        server.wait(timeout=20)
        if server.stdout:
            server.stdout.close()

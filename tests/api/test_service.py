"""The service answers its health check and home page, in process and as a real server."""

import asyncio
import inspect
import itertools
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import get_args, get_type_hints

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api import deps
from api.app import create_app
from api.deps import CommittingRoute, ReadSessionDep, SessionDep
from api.settings import Settings
from tests.api.world import World


def test_health_reports_version_and_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/service.db")
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"
    assert (tmp_path / "service.db").exists()


def test_home_page_is_chinese_html_with_an_english_switch(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path}/s.db"))) as client:
        response = client.get("/")
        english = client.get("/?lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "专利价值评估与质押融资" in response.text
    assert 'href="/?lang=en"' in response.text
    assert "Patent valuation and pledge financing" in english.text
    assert "专利价值评估与质押融资" not in english.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_patentval_serve_answers_on_its_port(tmp_path: Path) -> None:
    port = _free_port()
    command = Path(sys.executable).parent / "patentval"
    env = {**os.environ, "PATENTVAL_DATABASE_URL": f"sqlite:///{tmp_path}/served.db"}
    server = subprocess.Popen(
        [str(command), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not answer within 30 s"
                time.sleep(0.2)
        assert response.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout:
            server.stdout.close()


def test_no_handler_that_takes_a_database_session_runs_on_the_event_loop() -> None:
    """A handler with a session is sync, so that :class:`api.deps.CommittingRoute` runs it in a
    worker thread: its reads, writes, key checks, valuations and PDFs never hold up the loop
    (and so every other request of the worker)."""
    from sqlalchemy.orm import Session

    from api.pages import routes as pages
    from api.routes import financing, oversight, patents, reports, valuations

    checked, on_loop = 0, []
    for module in (patents, valuations, financing, oversight, reports, pages):
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            endpoint = inspect.unwrap(route.endpoint)
            hints = get_type_hints(endpoint, include_extras=True)
            sessions = [n for n, hint in hints.items() if Session in get_args(hint)]
            checked += bool(sessions)
            if sessions and inspect.iscoroutinefunction(endpoint):
                on_loop.append(f"{route.path} ({endpoint.__name__})")
    assert checked > 40
    assert on_loop == []


def test_a_request_that_only_reads_takes_one_transaction_key_check_included(
    client: TestClient, world: World
) -> None:
    """The key is verified in the handler's read-only session (api.deps.Claim); a handler that
    writes verifies it in a read-only transaction of its own, before it takes the write lock."""
    from sqlalchemy import Connection, event

    state = client.app.state  # type: ignore[attr-defined]
    engine, reading = state.engine, state.reader.get_execution_options()
    begun: list[bool] = []

    def count(connection: Connection) -> None:
        options = connection.get_execution_options()
        begun.append(all(options.get(name) == value for name, value in reading.items()))

    event.listen(engine, "begin", count)
    try:
        patent = world.records["a"]["patent"]
        assert (
            client.get(f"/v1/patents/{patent}", headers=world.headers("ent-a")).status_code == 200
        )
        assert begun == [True]
        begun.clear()
        created = client.post(
            "/v1/appraisals",
            json={"patent_number": patent, "base_date": "2025-06-01"},
            headers=world.headers("bank-a"),
        )
        assert created.status_code == 201, created.text
        assert begun == [True, True, False]  # the key, the patent, then the writes
    finally:
        event.remove(engine, "begin", count)


def _timed_routes(app: FastAPI, spans: dict[str, list[tuple[float, float]]]) -> None:
    """Two routes that hold their session 0.3 s: one with a write session, one read-only."""
    router = APIRouter(route_class=CommittingRoute)

    def hold(kind: str) -> dict[str, str]:
        start = time.monotonic()
        time.sleep(0.3)
        spans[kind].append((start, time.monotonic()))
        return {}

    @router.post("/test/write")
    def write(session: SessionDep) -> dict[str, str]:
        return hold("write")

    @router.get("/test/read")
    def read(session: ReadSessionDep) -> dict[str, str]:
        return hold("read")

    app.include_router(router)


def _overlaps(spans: list[tuple[float, float]]) -> bool:
    ordered = sorted(spans)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(ordered))


def test_on_sqlite_the_writing_handlers_of_a_worker_take_turns(tmp_path: Path) -> None:
    """A worker's writers run one at a time on SQLite (the database writes one transaction at a
    time anyway), its readers side by side (two handler threads)."""
    spans: dict[str, list[tuple[float, float]]] = {"write": [], "read": []}
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/turns.db", worker_threads=2))
    _timed_routes(app, spans)

    async def burst() -> None:
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="http://t")
        async with app.router.lifespan_context(app), client:
            writes = [client.post("/test/write") for _ in range(3)]
            reads = [client.get("/test/read") for _ in range(3)]
            answers = await asyncio.gather(*writes, *reads)
        assert [a.status_code for a in answers] == [200] * 6

    asyncio.run(burst())
    assert len(spans["write"]) == 3
    assert not _overlaps(spans["write"])
    assert _overlaps(spans["read"])


def test_a_writer_that_waits_too_long_for_its_turn_gets_503_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deps, "SQLITE_BUSY_TIMEOUT_SECONDS", 0.1)
    spans: dict[str, list[tuple[float, float]]] = {"write": [], "read": []}
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/busy.db", worker_threads=2))
    _timed_routes(app, spans)

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="http://t")
        async with app.router.lifespan_context(app), client:
            return list(await asyncio.gather(*(client.post("/test/write") for _ in range(2))))

    answers = asyncio.run(burst())
    assert sorted(a.status_code for a in answers) == [200, 503]
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.json()["error"]["code"] == "BUSY"
    assert busy.headers["Retry-After"] == "1"
    assert len(spans["write"]) == 1

"""Security through HTTP: failed authentication rate-limited, keys never logged, injection
payloads in every string field stored verbatim and never run, path traversal in every path
parameter and upload filename refused, request bodies over the limit refused with 413, CSV cells
that a spreadsheet would run neutralised, and the security headers on every route.

The route-walking tests list the app's own routes, so a route added later (pages, report
downloads) is covered without a change here."""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth_limits import FailureLimiter, worker_share
from api.headers import API_POLICY, FIXED_HEADERS
from api.settings import DEFAULT_DEMO_SECRET, Settings
from storage.database import make_engine
from storage.tables import PatentRow
from tests.api.routes_spec import cases, path_values
from tests.api.test_pages import sign_in
from tests.api.test_roles_matrix import CSV, ROLE_KEYS
from tests.api.world import PARTIES, World, copy_world, patent_body

SQL_PAYLOADS = ("x'); DROP TABLE patents; -- ' OR '1'='1",)
TEMPLATE_PAYLOADS = ("{{7*7}}{% print(7*7) %}${7*7}<script>alert(1)</script>",)
TRAVERSALS = (
    "../../../../etc/passwd",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "....//....//etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "%00../../etc/passwd",
)
PASSWD = re.compile(r"root:.*:0:0:")


@pytest.fixture
def app(own_world: World) -> Any:
    return create_app(Settings(database_url=own_world.url))


def _filled(path: str, values: dict[str, str]) -> str:
    """``path`` with its parameters (``{name}``, ``{name:converter}``) from ``values``."""
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m[1], "x"), path)


def _routes(app: Any) -> list[tuple[str, str, list[str]]]:
    """Every (method, path, path parameter names) the app serves: API, pages and docs, the
    routes of included routers too."""
    found = []
    for route in app.routes:
        # FastAPI keeps an included router as one entry that lists its effective routes.
        listed = getattr(route, "effective_route_contexts", None)
        for served in listed() if listed is not None else [route]:
            methods = getattr(served, "methods", None) or set()
            for method in sorted(set(methods) - {"HEAD"}):
                found.append((method, served.path, list(served.param_convertors)))
    assert len(found) > 50
    return found


def _role_for(world: World, method: str, path: str) -> str:
    allowed = cases(world).get((method, path))
    if allowed is None:
        return "admin"
    return next(
        role for role in ("bank", "enterprise", "admin", "regulator") if role in allowed.allowed
    )


# -- authentication ---------------------------------------------------------------------------


def test_failed_authentications_are_limited_per_client_and_per_key_id(own_world: World) -> None:
    settings = Settings(database_url=own_world.url, auth_failure_limit=3)
    good = own_world.headers("bank-a")
    key_id = own_world.keys["bank-b"].split("_")[1]
    app = create_app(settings)  # one process: one limiter, two client addresses
    with (
        TestClient(app, client=("10.0.0.1", 1000)) as attacker,
        TestClient(app, client=("10.0.0.2", 1000)) as other,
    ):
        assert attacker.get("/v1/me", headers=good).status_code == 200  # verified before
        wrong = {"Authorization": f"Bearer pv_{key_id}_{'x' * 43}"}
        statuses = [attacker.get("/v1/me", headers=wrong).status_code for _ in range(5)]
        assert statuses == [401, 401, 401, 429, 429]
        limited = attacker.get("/v1/me", headers={"Authorization": "Bearer nonsense"})
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "TOO_MANY_FAILED_ATTEMPTS"
        assert int(limited.headers["Retry-After"]) >= 1
        # A key this process verified before still works from the limited address …
        assert attacker.get("/v1/me", headers=good).status_code == 200
        # … another address is not limited, but guessing at the same key id is.
        assert other.get("/v1/me", headers=own_world.headers("ent-a")).status_code == 200
        assert other.get("/v1/me", headers=wrong).status_code == 429
        # No key at all is not an attempt.
        assert other.get("/v1/me").status_code == 401


def test_each_worker_allows_its_share_of_the_failure_limit(own_world: World) -> None:
    assert [worker_share(10, 2), worker_share(3, 2), worker_share(1, 8), worker_share(0, 4)] == [
        5,
        2,
        1,
        0,
    ]
    settings = Settings(database_url=own_world.url, auth_failure_limit=3, workers=2)
    with TestClient(create_app(settings), client=("10.0.0.3", 1000)) as guesser:
        wrong = {"Authorization": f"Bearer pv_{'a' * 12}_{'x' * 43}"}
        statuses = [guesser.get("/v1/me", headers=wrong).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]  # 2 of the 3: the other worker allows the rest


def test_the_failure_window_slides_and_its_memory_is_bounded() -> None:
    now = [0.0]
    limiter = FailureLimiter(limit=2, window=60, max_clients=3, clock=lambda: now[0])
    limiter.failed("ip:a")
    now[0] = 30
    limiter.failed("ip:a")
    assert limiter.retry_after("ip:a") == 30
    now[0] = 61
    assert limiter.retry_after("ip:a") is None  # the first failure left the window
    for n in range(10):
        limiter.failed(f"ip:{n}")
    assert len(limiter._failures) == 3
    assert FailureLimiter(limit=0, window=1).retry_after("ip:a") is None


def test_keys_and_secrets_never_reach_the_logs(
    own_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = Settings(database_url=own_world.url, auth_failure_limit=2)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        admin = own_world.headers("admin")
        issued = client.post(
            "/v1/credentials",
            json={"party_id": "ent-a", "role": "enterprise", "label": "logged?"},
            headers=admin,
        )
        assert issued.status_code == 201, issued.text
        new_key = issued.json()["key"]
        assert client.get("/v1/me", headers={"Authorization": f"Bearer {new_key}"}).is_success
        wrong = new_key[:-4] + "AAAA"
        for _ in range(3):
            client.get("/v1/me", headers={"Authorization": f"Bearer {wrong}"})
        client.get("/v1/loans", headers=own_world.headers("bank-a"))
    logged = "\n".join([record.getMessage() for record in caplog.records] + [caplog.text])
    secrets = [new_key, wrong, *own_world.keys.values()]
    for secret in secrets:
        assert secret not in logged
        assert secret.split("_", 2)[2] not in logged  # the secret part alone (pv_<id>_<secret>)


# -- injection --------------------------------------------------------------------------------


def _string_leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _string_leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_leaves(item, (*path, index))
    elif isinstance(value, str):
        yield path


def _replaced(body: Any, path: tuple[Any, ...], text: str) -> Any:
    changed = copy.deepcopy(body)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = text
    return changed


def _contains(value: Any, text: str) -> bool:
    if isinstance(value, dict):
        return any(_contains(v, text) for v in value.values())
    if isinstance(value, list):
        return any(_contains(v, text) for v in value)
    return value == text


def _patents(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = session.execute(select(func.count()).select_from(PatentRow)).scalar_one()
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"patents", "parties", "loans", "pledges", "credentials"} <= tables
    return int(count)


def test_injection_payloads_in_every_string_field_are_stored_verbatim_and_never_run(
    own_world: World, tmp_path: Path
) -> None:
    """Each string of each documented request body, in turn, is an SQL or a template payload:
    the answer is never a 5xx; when the request is accepted, the text comes back exactly as
    sent (not evaluated: no ``49``), and the tables are all still there."""
    before = _patents(own_world.url)
    tried = accepted = 0
    with TestClient(create_app(Settings(database_url=own_world.url))) as client:
        for (method, path), case in cases(own_world).items():
            if case.body is None:
                continue
            url = path.format(**path_values(own_world, "a"))
            key = own_world.keys[ROLE_KEYS[_role_for(own_world, method, path)]]
            for leaf in _string_leaves(case.body):
                for payload in SQL_PAYLOADS + TEMPLATE_PAYLOADS:
                    body = _replaced(case.body, leaf, payload)
                    response = client.request(
                        method, url, json=body, headers={"Authorization": f"Bearer {key}"}
                    )
                    tried += 1
                    assert response.status_code < 500, (method, path, leaf, response.text)
                    if response.is_success and not isinstance(leaf[-1], int):
                        accepted += 1
                        answer = response.json()
                        if _contains(body, payload) and leaf[-1] in _keys(answer):
                            assert _contains(answer, payload), (path, leaf, answer)
    assert tried > 150, tried
    assert accepted >= 8, accepted
    assert _patents(own_world.url) >= before


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_free_text_is_stored_and_read_back_verbatim(client: TestClient, own_world: World) -> None:
    """A patent titled with payloads reads back byte for byte through its record, and a listing
    filtered on a payload finds nothing (the text is a value in the query, not part of it)."""
    number = own_world.records["a"]["patent"]
    owner = next(p for p in PARTIES if p.party_id == "ent-a")
    headers = own_world.headers("ent-a")
    for payload in SQL_PAYLOADS + TEMPLATE_PAYLOADS:
        body = patent_body(number, owner, title=payload)
        saved = client.put(f"/v1/patents/{number}", json=body, headers=headers)
        assert saved.status_code == 200, saved.text
        assert saved.json()["title"] == payload
        assert client.get(f"/v1/patents/{number}", headers=headers).json()["title"] == payload
        listed = client.get("/v1/patents", params={"industry": payload}, headers=headers)
        assert listed.status_code in (200, 422), listed.text
        if listed.status_code == 200:
            assert listed.json()["items"] == []
    everything = client.get("/v1/patents", headers=headers).json()
    assert everything["total"] >= 1


def test_string_query_parameters_take_injection_payloads_as_plain_text(
    client: TestClient, own_world: World, app: Any
) -> None:
    document = app.openapi()
    tried = 0
    for path, operations in document["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        for parameter in operations["get"].get("parameters", []):
            if parameter["in"] != "query":
                continue
            key = own_world.keys[ROLE_KEYS[_role_for(own_world, "GET", path)]]
            for payload in SQL_PAYLOADS + TEMPLATE_PAYLOADS:
                response = client.get(
                    path,
                    params={parameter["name"]: payload},
                    headers={"Authorization": f"Bearer {key}"},
                )
                tried += 1
                assert response.status_code in (200, 404, 422), (path, parameter, response.text)
    assert tried >= 20


# -- path traversal and uploads ---------------------------------------------------------------


def test_path_traversal_in_every_path_parameter_finds_nothing(
    client: TestClient, own_world: World, app: Any
) -> None:
    """The API with each operation's role's key; the pages (only the bank's take a path
    parameter) signed in as the bank, in a browser session."""
    tried = 0
    with TestClient(app, base_url="https://testserver") as browser:
        assert sign_in(browser, own_world.keys[ROLE_KEYS["bank"]]).status_code == 303
        for method, path, names in _routes(app):
            if not names:
                continue
            page = path.startswith("/bank/")
            key = own_world.keys[ROLE_KEYS[_role_for(own_world, method, path)]]
            for name in names:
                for traversal in TRAVERSALS:
                    values = {**path_values(own_world, "a"), name: traversal}
                    url = _filled(path, values)
                    if page:
                        response = browser.request(method, url, follow_redirects=False)
                    else:
                        response = client.request(
                            method, url, headers={"Authorization": f"Bearer {key}"}, json={}
                        )
                    tried += 1
                    assert response.status_code in (400, 403, 404, 405, 422), (url, response.text)
                    assert not PASSWD.search(response.text)
    assert tried > 100


def test_an_upload_filename_is_a_name_never_a_path(
    client: TestClient, own_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    headers = own_world.headers("bank-a")
    form = {"base_date": "2025-06-01", "format": "json"}
    for name in ("../../../../tmp/evil.csv", "..\\..\\evil.csv", "/etc/passwd.csv"):
        answer = client.post(
            "/v1/valuations/batch",
            files={"file": (name, CSV, "text/csv")},
            data=form,
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["rows"] == 1
    for name in ("/etc/passwd", "../../../../etc/passwd", "../../../../etc/shadow"):
        answer = client.post(
            "/v1/valuations/batch",
            files={"file": (name, b"root:x:0:0:root:/root:/bin/bash\n", "text/plain")},
            data=form,
            headers=headers,
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["field"] == "file"
        assert not PASSWD.search(answer.text.replace("root:x:0:0:root", ""))
    assert list(folder.iterdir()) == []
    assert not Path("/tmp/evil.csv").exists()


def test_request_bodies_over_the_limit_are_413_whatever_the_route(own_world: World) -> None:
    limit = 4096
    settings = Settings(database_url=own_world.url, max_upload_bytes=limit)
    headers = own_world.headers("bank-a")
    big_csv = CSV + b"ZL201710601862.3,2017-07-01,10\n" * 200
    assert len(big_csv) > limit

    def chunks(data: bytes) -> Iterator[bytes]:
        for start in range(0, len(data), 512):
            yield data[start : start + 512]

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        small = client.post(
            "/v1/valuations/batch",
            files={"file": ("p.csv", CSV, "text/csv")},
            data={"base_date": "2025-06-01"},
            headers=headers,
        )
        assert small.status_code == 200, small.text
        declared = client.post(
            "/v1/valuations/batch",
            files={"file": ("p.csv", big_csv, "text/csv")},
            data={"base_date": "2025-06-01"},
            headers=headers,
        )
        json_body = b'{"patents": ["' + b"x" * limit + b'"]}'
        answers = [
            declared,
            client.post("/v1/eligibility", content=json_body, headers=headers),
            # no Content-Length: the bytes received are counted
            client.post(
                "/v1/eligibility",
                content=chunks(json_body),
                headers={**headers, "Content-Type": "application/json"},
            ),
            client.post(
                "/v1/valuations/batch",
                content=chunks(b"--b\r\n" + b"x" * limit * 2),
                headers={**headers, "Content-Type": "multipart/form-data; boundary=b"},
            ),
        ]
        for answer, field in zip(answers, ("file", "body", "body", "file"), strict=True):
            assert answer.status_code == 413, answer.text
            assert answer.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
            assert answer.json()["error"]["field"] == field
            assert f"{limit:,}" in answer.json()["error"]["message"]


# -- spreadsheet cells and HTML ---------------------------------------------------------------


def test_batch_csv_cells_that_would_run_are_neutralised_and_numbers_stay_numbers(
    client: TestClient, own_world: World
) -> None:
    rows = b'patent_id,filing_date,claims\n=HYPERLINK("http://x"),2017-07-01,10\n@SUM(A1),2017-07-01,-3\n'
    answer = client.post(
        "/v1/valuations/batch",
        files={"file": ("p.csv", rows, "text/csv")},
        data={"base_date": "2025-06-01", "format": "csv"},
        headers=own_world.headers("bank-a"),
    )
    assert answer.status_code == 200, answer.text
    lines = answer.text.splitlines()
    cells = [line.split(",")[0] for line in lines[1:]]
    assert cells[0].startswith(("'=HYPERLINK", "\"'=HYPERLINK"))
    assert cells[1] == "'@SUM(A1)"
    assert not any(line.startswith(("=", "+", "-", "@")) for line in lines)


# -- headers ----------------------------------------------------------------------------------


def test_every_route_answers_with_the_security_headers(
    app: Any, own_world: World, tmp_path: Path
) -> None:
    (tmp_path / "headers").mkdir()
    world = copy_world(own_world, tmp_path / "headers")
    with TestClient(create_app(Settings(database_url=world.url))) as client:
        seen = 0
        for method, path, _names in _routes(app):
            if method != "GET":
                continue
            values = path_values(world, "a")
            url = _filled(path, values)
            key = world.keys[ROLE_KEYS[_role_for(world, method, path)]]
            response = client.get(url, headers={"Authorization": f"Bearer {key}"})
            seen += 1
            for name, value in FIXED_HEADERS.items():
                assert response.headers.get(name) == value, (url, name)
            content_type = response.headers.get("content-type", "")
            policy = response.headers.get("content-security-policy")
            if content_type.startswith("text/html"):
                assert policy is not None, url
                assert "frame-ancestors 'none'" in policy, url
                assert "script-src 'unsafe-inline'" not in policy
            elif content_type.startswith("application/json"):
                assert policy == API_POLICY, url
            if url.startswith("/v1/"):
                assert response.headers.get("cache-control") == "no-store", url
        assert seen >= 20
    assert "strict-transport-security" not in response.headers
    hsts = Settings(database_url=world.url, hsts_seconds=31_536_000)
    with TestClient(create_app(hsts)) as client:
        answer = client.get("/health")
    assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_the_docs_run_only_their_own_script(app: Any) -> None:
    with TestClient(app) as client:
        docs = client.get("/docs")
    policy = docs.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "'sha256-" in policy


def test_the_demo_secret_is_not_shown_in_the_settings() -> None:
    settings = Settings(database_url="sqlite://", demo_secret="a-secret-of-ours")
    assert "a-secret-of-ours" not in repr(settings)
    with_password = Settings(database_url="postgresql+psycopg://app:hunter2@db/patentval")
    assert "hunter2" not in repr(with_password)
    assert with_password.database_url.endswith("@db/patentval")
    assert "a-secret-of-ours" not in str(settings.model_dump())
    assert settings.demo_secret_or_default() == "a-secret-of-ours"
    assert Settings(database_url="sqlite://", demo_secret="").demo_secret_or_default() == (
        DEFAULT_DEMO_SECRET
    )


def test_the_demo_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValueError, match="development only"):
        Settings(database_url="sqlite://", environment="production", demo_secret="known")
    with pytest.raises(ValueError, match="development"):
        Settings(database_url="sqlite://", environment="production").demo_secret_or_default()

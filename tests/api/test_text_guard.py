"""A NUL character in a request's text is 422 naming the field, on every route (PostgreSQL
refuses it in a text column, so it must not reach the database)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from api.text_guard import address_nul_field, nul_field
from tests.api.world import PARTIES, World, cn_number, patent_body


def test_the_field_holding_a_nul_is_named() -> None:
    body = {"title": "ok", "owners": [{"name": "a"}, {"name": "b\x00c"}]}
    assert nul_field(json.dumps(body).encode()) == "body.owners.1.name"
    assert nul_field(json.dumps(body).encode("utf-16")) == "body.owners.1.name"
    assert nul_field(json.dumps(body, ensure_ascii=False).encode("utf-32")) == (
        "body.owners.1.name"
    )
    assert nul_field(json.dumps({"a\x00": 1}).encode()) == "body.a\x00"
    assert nul_field(json.dumps({"title": "ok"}).encode("utf-16")) is None
    assert nul_field(b'{"title": "\\\\u0000 is how JSON writes it"}') is None
    assert nul_field(b"not json \\u0000") is None
    deep = b"[" * 100_000 + b'"\\u0000"' + b"]" * 100_000
    assert nul_field(deep) is None  # not parsed here: the route answers it


def test_a_nul_in_a_body_is_422_and_nothing_is_stored(client: TestClient, own_world: World) -> None:
    owner = next(p for p in PARTIES if p.party_id == "ent-a")
    headers = own_world.headers("ent-a")
    number = cn_number(700_555)
    body = patent_body(number, owner, title="一种\x00装置")
    refused = client.post("/v1/patents", json=body, headers=headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == {
        "code": "VALIDATION_ERROR",
        "message": "contains a NUL character (U+0000), which no text field takes",
        "field": "body.title",
    }
    wide = client.post(
        "/v1/patents",
        content=json.dumps(body).encode("utf-16"),
        headers={**headers, "Content-Type": "application/json; charset=utf-16"},
    )
    assert wide.status_code == 422, wide.text
    deep = client.post(
        "/v1/patents",
        content=b"[" * 100_000 + b'"\\u0000"' + b"]" * 100_000,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert deep.status_code == 400, deep.text
    assert client.get(f"/v1/patents/{number}", headers=headers).status_code == 404
    literal = patent_body(number, owner, title="\\u0000 written out")
    saved = client.post("/v1/patents", json=literal, headers=headers)
    assert saved.status_code == 201, saved.text
    assert saved.json()["title"] == "\\u0000 written out"


def test_a_nul_in_a_page_form_is_an_error_page(client: TestClient) -> None:
    response = client.post(
        "/signin",
        content="key=pv_x%00&名=a&next=/".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "字段 key 含有空字符（U+0000）" in response.text


def test_the_address_field_holding_a_nul_is_named() -> None:
    assert address_nul_field("/v1/loans/l\x00", b"") == "path"
    assert address_nul_field("/v1/patents", b"limit=5&owner=a%00b") == "query.owner"
    assert address_nul_field("/v1/patents", b"a%00=1") == "query.a\x00"
    assert address_nul_field("/v1/patents", b"owner=%2500") is None  # "%00" written out
    assert address_nul_field("/v1/patents", b"owner=ent-a") is None


def test_a_nul_in_the_path_or_the_query_is_422_before_any_route(
    client: TestClient, own_world: World
) -> None:
    """PostgreSQL refuses NUL in the text it is asked to compare, so a pledge id or an owner
    with one was a 500 there; no route is reached now, on either engine."""
    bank, admin = own_world.headers("bank-a"), own_world.headers("admin")
    for url, headers, field in (
        ("/v1/pledges/pl%00x", bank, "path"),
        ("/v1/loans/l%00/position", bank, "path"),
        ("/v1/parties/x%00", admin, "path"),
        ("/v1/patents?owner=%00", admin, "query.owner"),
        ("/v1/patents?industry=a%00b&limit=5", admin, "query.industry"),
    ):
        refused = client.get(url, headers=headers)
        assert refused.status_code == 422, (url, refused.text)
        assert refused.json()["error"]["field"] == field
    page = client.get("/bank/appraisals/x%00")
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "地址含有 NUL 字符" in page.text

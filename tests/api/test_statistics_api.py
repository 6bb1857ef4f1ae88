"""GET /v1/statistics/pledges: the regulator's figures, and the same for publication (the
amounts of lines of few enterprises withheld, with the rule that withheld them); the statement
for publication."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.api.world import World

URL = "/v1/statistics/pledges"
DAY = {"as_of": "2025-06-30"}


def test_the_regulator_reads_the_totals_and_the_banks(client: TestClient, world: World) -> None:
    response = client.get(URL, params={**DAY, "by": "bank"}, headers=world.headers("regulator"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["disclosure"] is None
    rows = {row["bank"]: row for row in body["rows"]}
    assert {bank: row["deals"] for bank, row in rows.items()} == {"甲示例银行": 1, "乙示例银行": 1}
    assert {Decimal(row["registered_amount"]) for row in rows.values()} == {
        Decimal(world.records[side]["principal"]) for side in ("a", "b")
    }
    assert all("suppressed" not in row for row in rows.values())


def test_for_publication_the_amounts_of_one_borrower_are_withheld(
    client: TestClient, world: World
) -> None:
    # each bank lends to one enterprise and the city to two: every amount is withheld
    headers = world.headers("regulator")
    query = {**DAY, "for_publication": "true"}
    for by in ([], ["bank"], ["bank", "industry"], ["month"]):
        response = client.get(URL, params={**query, "by": by}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["disclosure"]["min_enterprises"] == 3
        assert body["disclosure"]["source_id"] == "OECD-SDC-THRESHOLD"
        assert "threshold rule" in body["disclosure"]["source"]
        for row in body["rows"]:
            assert row["suppressed"] is True
            assert row["registered_amount"] is None
            assert row["outstanding"] is None
            assert row["deals"] >= 1  # the counts stay
    total = client.get(URL, params=query, headers=headers).json()["rows"][0]
    assert (total["deals"], total["enterprises"]) == (2, 2)


def test_for_publication_is_true_or_false(client: TestClient, world: World) -> None:
    response = client.get(
        URL, params={**DAY, "for_publication": "maybe"}, headers=world.headers("regulator")
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "query.for_publication"


def test_the_statement_for_publication_withholds_the_amounts(
    client: TestClient, world: World
) -> None:
    url = f"{URL}/statement"
    query = {**DAY, "format": "html", "lang": "en"}
    headers = world.headers("regulator")
    plain = client.get(url, params=query, headers=headers)
    published = client.get(url, params={**query, "for_publication": "true"}, headers=headers)
    assert plain.status_code == published.status_code == 200
    assert "For publication" not in plain.text
    assert 'class="withheld"' not in plain.text
    assert "For publication" in published.text
    assert "x: an amount withheld for publication" in published.text
    assert "threshold rule" in published.text
    cells = re.findall(r'<td class="num[^"]*">(?:CN)?¥([0-9,.]+)', published.text)
    assert cells
    assert set(cells) == {"0.00"}
    assert 'class="withheld"' in published.text
    assert "publication" in published.headers["content-disposition"]

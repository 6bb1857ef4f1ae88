"""Amounts are below 10^15 (models.money.AMOUNT_LIMIT) wherever they enter: what is stored, and
the ledger's sums of it, then fit SQLite's integer fen and PostgreSQL's NUMERIC(20, 2)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from storage.tables import JournalEntryRow, LoanRow, ValuationRow
from tests.api.world import AS_OF, World, money

ON = {"on": AS_OF.isoformat()}
LARGEST = "999999999999999.99"


def _count(world: World, table: Any) -> int:
    engine = create_engine(world.url)
    with Session(engine) as session:
        counted = session.scalar(select(func.count()).select_from(table))
    engine.dispose()
    return int(counted or 0)


def test_an_amount_of_16_digits_or_not_in_ascii_digits_is_422_naming_the_field(
    client: TestClient, own_world: World
) -> None:
    loans = _count(own_world, LoanRow)
    body = {
        "borrower_id": "ent-a",
        "pledge_id": own_world.records["a"]["pledge"],
        "annual_rate": "0.0435",
        "term_months": 12,
        **ON,
    }
    for amount, reason in [
        ("1000000000000000", "at most 15 digits before the point"),
        ("999999999999999999", "at most 15 digits before the point"),
        ("１００", "is not an amount"),
        ("١٠٠", "is not an amount"),
        ("1e5", "is not an amount"),
    ]:
        response = client.post(
            "/v1/loans",
            json={**body, "principal": money(amount)},
            headers=own_world.headers("bank-a"),
        )
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["field"] == "body.principal.amount"
        assert reason in error["message"]
    assert _count(own_world, LoanRow) == loans


def test_accrued_interest_stays_below_the_limit_so_the_statistics_stay_readable(
    client: TestClient, own_world: World
) -> None:
    loan = own_world.records["a"]["loan"]
    url = f"/v1/loans/{loan}/interest-accruals"
    headers = own_world.headers("bank-a")
    first = client.post(url, json={"amount": money(LARGEST), **ON}, headers=headers)
    assert first.status_code == 201, first.text
    entries = _count(own_world, JournalEntryRow)
    more = client.post(url, json={"amount": money("0.01"), **ON}, headers=headers)
    assert more.status_code == 422, more.text
    assert more.json()["error"]["field"] == "amount"
    assert (
        "interest accrued in all would be CNY 1,000,000,000,000,000.00"
        in (more.json()["error"]["message"])
    )
    assert _count(own_world, JournalEntryRow) == entries
    # every reader of the ledger still answers (on SQLite a sum beyond 2^63 fen fails)
    position = client.get(f"/v1/loans/{loan}/position", headers=headers)
    assert position.status_code == 200, position.text
    assert position.json()["interest"]["amount"] == LARGEST
    statistics = client.get(
        "/v1/statistics/pledges",
        params={"as_of": AS_OF.isoformat(), "by": "bank"},
        headers=own_world.headers("regulator"),
    )
    assert statistics.status_code == 200, statistics.text


def test_financials_whose_value_passes_the_limit_are_422_and_nothing_is_stored(
    client: TestClient, own_world: World
) -> None:
    stored = _count(own_world, ValuationRow)
    for growth in ("1", "0.9"):  # within the growth bounds: the value is what passes the limit
        response = client.post(
            "/v1/appraisals",
            json={
                "patent_number": own_world.records["a"]["patent"],
                "base_date": AS_OF.isoformat(),
                "financials": {
                    "revenue": money(LARGEST),
                    "revenue_growth": growth,
                    "royalty_rate": "0.5",
                },
            },
            headers=own_world.headers("bank-a"),
        )
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["field"] == "body.financials"
        assert "below 1,000,000,000,000,000" in error["message"]
    assert _count(own_world, ValuationRow) == stored

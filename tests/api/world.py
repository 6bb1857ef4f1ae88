"""A small world for the HTTP tests, built through the service itself: two banks and their two
enterprises, a regulator and an admin, one registered patent each, an appraisal, a registered
pledge and an active loan per bank, with a reschedule request rejected; a key for every role (two
for each bank, for four eyes)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.settings import Settings
from models.enums import Role
from models.parties import Party
from models.patent_number import check_character
from storage import credentials, parties
from storage.database import make_engine
from storage.migrate import upgrade

AS_OF = date(2025, 6, 1)
PARTIES = [
    Party(party_id="bank-a", kind="bank", name="甲示例银行"),
    Party(party_id="bank-b", kind="bank", name="乙示例银行"),
    Party(party_id="ent-a", kind="enterprise", name="甲示例科技有限公司", industry="hardware"),
    Party(party_id="ent-b", kind="enterprise", name="乙示例科技有限公司", industry="textiles"),
    Party(party_id="bureau", kind="regulator", name="示例市场监督管理局"),
]
KEYS = {
    "bank-a": ("bank-a", Role.BANK),
    "bank-a2": ("bank-a", Role.BANK),
    "bank-b": ("bank-b", Role.BANK),
    "bank-b2": ("bank-b", Role.BANK),
    "ent-a": ("ent-a", Role.ENTERPRISE),
    "ent-b": ("ent-b", Role.ENTERPRISE),
    "regulator": ("bureau", Role.REGULATOR),
    "admin": ("bureau", Role.ADMIN),
}


def cn_number(serial: int, year: int = 2019) -> str:
    digits = f"{year}1{serial:07d}"
    return f"ZL{digits}.{check_character(digits)}"


def patent_body(number: str, owner: Party, **fields: Any) -> dict[str, Any]:
    """A granted invention in force, fees paid, one consenting owner: no finding."""
    body: dict[str, Any] = {
        "number": number,
        "title": "一种示例装置",
        "owners": [{"name": owner.name, "party_id": owner.party_id, "consents_to_pledge": True}],
        "filing_date": "2019-09-01",
        "grant_date": "2021-01-15",
        "fees_paid_through_year": 6,
        "claims": 12,
        "independent_claims": 2,
        "forward_citations": 4,
        "family_size": 3,
        "industry": owner.industry,
    }
    body.update(fields)
    return body


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


@dataclass
class World:
    """The database file, the keys by name, and the records of each side."""

    url: str
    keys: dict[str, str]
    records: dict[str, dict[str, str]] = field(default_factory=dict)

    def headers(self, name: str | None) -> dict[str, str]:
        return {} if name is None else {"Authorization": f"Bearer {self.keys[name]}"}


def client_for(url: str) -> TestClient:
    return TestClient(create_app(Settings(database_url=url)), raise_server_exceptions=False)


def _expect(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _side(client: TestClient, world: World, side: str, serial: int) -> None:
    """One bank's financing with its enterprise, through the API."""
    bank, officer2, ent = f"bank-{side}", f"bank-{side}2", f"ent-{side}"
    enterprise = next(p for p in PARTIES if p.party_id == ent)
    number = cn_number(serial)
    h = world.headers
    _expect(client.post("/v1/patents", json=patent_body(number, enterprise), headers=h(ent)), 201)
    appraisal = _expect(
        client.post(
            "/v1/appraisals",
            json={
                "patent_number": number,
                "base_date": AS_OF.isoformat(),
                "financials": {"revenue": money("80000000"), "royalty_rate": "0.04"},
            },
            headers=h(bank),
        ),
        201,
    )
    principal = appraisal["max_loan"]["amount"]
    pledge = _expect(
        client.post(
            "/v1/pledges",
            json={
                "patents": [number],
                "pledgor_id": ent,
                "secured_amount": money(principal),
                "on": AS_OF.isoformat(),
            },
            headers=h(bank),
        ),
        201,
    )
    pledge_id = pledge["pledge_id"]
    loan_terms = {
        "amount": money(principal),
        "term_months": 24,
        "contract": {
            "pledgor": enterprise.name,
            "pledgee": bank,
            "secured_amount": money(principal),
            "term_months": 24,
            "patents": [number],
            "scope": "本金、利息、违约金及实现质权的费用",
        },
    }
    checked = _expect(
        client.post(
            f"/v1/pledges/{pledge_id}/precheck",
            json={"loan": loan_terms, "on": AS_OF.isoformat()},
            headers=h(bank),
        ),
        200,
    )
    assert checked["pledge"]["status"] == "ready", checked
    on = {"on": AS_OF.isoformat()}
    _expect(client.post(f"/v1/pledges/{pledge_id}/submit", json=on, headers=h(ent)), 200)
    _expect(
        client.post(
            f"/v1/pledges/{pledge_id}/register",
            json={**on, "registration_number": f"Y2025-{side}"},
            headers=h(bank),
        ),
        200,
    )
    loan = _expect(
        client.post(
            "/v1/loans",
            json={
                "borrower_id": ent,
                "pledge_id": pledge_id,
                "principal": money(principal),
                "annual_rate": "0.0435",
                "term_months": 24,
                "on": AS_OF.isoformat(),
            },
            headers=h(bank),
        ),
        201,
    )
    loan_id = loan["loan_id"]
    assert (loan["submitted_on"], loan["disbursed_on"]) == (AS_OF.isoformat(), None)
    _expect(client.post(f"/v1/loans/{loan_id}/approve", json=on, headers=h(officer2)), 200)
    paid = _expect(client.post(f"/v1/loans/{loan_id}/disburse", json=on, headers=h(bank)), 200)
    assert (paid["disbursed_on"], paid["ended_on"]) == (AS_OF.isoformat(), None)
    asked = _expect(
        client.post(
            f"/v1/loans/{loan_id}/reschedules",
            json={"annual_rate": "0.0385", "term_months": 24, **on},
            headers=h(bank),
        ),
        201,
    )
    reschedule = asked["request_id"]
    url = f"/v1/loans/{loan_id}/reschedules/{reschedule}/reject"
    _expect(client.post(url, json={"note": "示例"}, headers=h(officer2)), 200)
    world.records[side] = {
        "patent": number,
        "appraisal": appraisal["appraisal_id"],
        "pledge": pledge_id,
        "loan": loan_id,
        "reschedule": reschedule,
        "principal": principal,
    }


def build_world(folder: Path) -> World:
    """The world in a SQLite file under ``folder``."""
    url = f"sqlite:///{folder / 'world.db'}"
    engine = make_engine(url)
    upgrade(engine)
    keys: dict[str, str] = {}
    with Session(engine) as session, session.begin():
        for party in PARTIES:
            parties.save_party(session, party, actor="test")
        for name, (party_id, role) in KEYS.items():
            issued = credentials.issue_credential(session, party_id, role, label=name, actor="test")
            keys[name] = issued.key
        spare = credentials.issue_credential(
            session, "bureau", Role.ADMIN, label="spare", actor="t"
        )
    engine.dispose()
    world = World(url=url, keys=keys)
    world.records["spare"] = {"credential": spare.credential.credential_id}
    with client_for(url) as client:
        _side(client, world, "a", 601862)
        _side(client, world, "b", 601863)
    return world


def copy_world(world: World, folder: Path) -> World:
    """A copy of the world's database in ``folder`` (for tests that change it)."""
    source = Path(world.url.removeprefix("sqlite:///"))
    target = folder / "world.db"
    shutil.copyfile(source, target)
    return World(url=f"sqlite:///{target}", keys=world.keys, records=world.records)

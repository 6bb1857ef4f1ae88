"""A database for the reliability tests, seeded through the service itself: a bank (two officers,
for four eyes) and an enterprise with registered patents, and active loans to repay."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.settings import Settings
from models.enums import Role
from storage import credentials, parties
from storage.database import make_engine
from storage.migrate import upgrade
from tests.api.world import PARTIES, cn_number, money, patent_body

ON = "2025-06-01"


@dataclass
class Seeded:
    """Keys by name, the registered patents not yet pledged, and the active loans."""

    url: str
    keys: dict[str, str]
    credential_ids: dict[str, str]
    patents: list[str] = field(default_factory=list)
    loans: list[str] = field(default_factory=list)

    def headers(self, name: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}", **extra}


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def active_loan(client: TestClient, seeded: Seeded, number: str) -> str:
    """A loan to the enterprise secured by a registered pledge of patent ``number``, at the
    patent's maximum loan: appraised, pledged, pre-checked, submitted, registered, approved by
    the second officer and disbursed."""
    bank, ent = seeded.headers("bank"), seeded.headers("enterprise")
    appraisal = _ok(
        client.post(
            "/v1/appraisals",
            json={
                "patent_number": number,
                "base_date": ON,
                "financials": {"revenue": money("80000000"), "royalty_rate": "0.04"},
            },
            headers=bank,
        ),
        201,
    )
    principal = appraisal["max_loan"]["amount"]
    pledge = _ok(
        client.post(
            "/v1/pledges",
            json={
                "patents": [number],
                "pledgor_id": "ent-a",
                "secured_amount": money(principal),
                "on": ON,
            },
            headers=bank,
        ),
        201,
    )["pledge_id"]
    contract = {
        "pledgor": next(p.name for p in PARTIES if p.party_id == "ent-a"),
        "pledgee": "bank-a",
        "secured_amount": money(principal),
        "term_months": 12,
        "patents": [number],
        "scope": "本金、利息、违约金及实现质权的费用",
    }
    terms = {"amount": money(principal), "term_months": 12, "contract": contract}
    checked = _ok(
        client.post(f"/v1/pledges/{pledge}/precheck", json={"loan": terms, "on": ON}, headers=bank)
    )
    assert checked["pledge"]["status"] == "ready", checked
    _ok(client.post(f"/v1/pledges/{pledge}/submit", json={"on": ON}, headers=ent))
    register = {"on": ON, "registration_number": f"Y-{number}"}
    _ok(client.post(f"/v1/pledges/{pledge}/register", json=register, headers=bank))
    loan = _ok(
        client.post(
            "/v1/loans",
            json={
                "borrower_id": "ent-a",
                "pledge_id": pledge,
                "principal": money(principal),
                "annual_rate": "0.0435",
                "term_months": 12,
                "on": ON,
            },
            headers=bank,
        ),
        201,
    )["loan_id"]
    for event, officer in (("approve", "officer"), ("disburse", "bank")):
        _ok(
            client.post(
                f"/v1/loans/{loan}/{event}", json={"on": ON}, headers=seeded.headers(officer)
            )
        )
    return str(loan)


def seed(url: str, *, patents: int, loans: int) -> Seeded:
    """Migrate ``url`` and seed it (see the module)."""
    engine = make_engine(url)
    upgrade(engine)
    keys, ids = {}, {}
    with Session(engine) as session, session.begin():
        for party in PARTIES:
            parties.save_party(session, party, actor="seed")
        for name, party, role in (
            ("bank", "bank-a", Role.BANK),
            ("officer", "bank-a", Role.BANK),
            ("enterprise", "ent-a", Role.ENTERPRISE),
            ("other-bank", "bank-b", Role.BANK),
        ):
            issued = credentials.issue_credential(session, party, role, label=name, actor="seed")
            keys[name], ids[name] = issued.key, issued.credential.credential_id
    engine.dispose()
    seeded = Seeded(url=url, keys=keys, credential_ids=ids)
    owner = next(p for p in PARTIES if p.party_id == "ent-a")
    with TestClient(create_app(Settings(database_url=url, environment="test"))) as client:
        numbers = [cn_number(800_000 + serial) for serial in range(patents + loans)]
        for number in numbers:
            body = patent_body(number, owner)
            _ok(client.post("/v1/patents", json=body, headers=seeded.headers("enterprise")), 201)
        seeded.patents = numbers[:patents]
        seeded.loans = [active_loan(client, seeded, n) for n in numbers[patents:]]
    return seeded

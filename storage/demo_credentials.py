"""Demo credentials: a key per role for parties of the demo portfolio, derived from a demo
secret (:func:`storage.credentials.demo_key`) so that every start prints the same keys.

The bank is the lender of the portfolio's first financing, with two officers (what one asks, a
loan or a reschedule, the other approves: four eyes); the enterprise is its borrower (so the
two see one another's pledge and loan); the regulator and the admin act for a demo market
supervision bureau, added as a party. Issuing them again changes nothing.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from models.enums import PartyKind, Role
from models.parties import Party
from pledge.demo import jinhua_portfolio
from storage import credentials, parties
from storage.tables import CredentialRow

ACTOR = "demo-loader"
REGULATOR = Party(
    party_id="demo-regulator",
    kind=PartyKind.REGULATOR,
    name="金华市市场监督管理局（示例）",
    region="金华市",
)


class DemoCredential(BaseModel):
    """A demo key and whom it acts for."""

    model_config = ConfigDict(frozen=True)

    role: Role
    party_id: str
    party_name: str
    label: str
    key: str


def demo_parties() -> dict[Role, str]:
    """The party each demo role acts for."""
    first = jinhua_portfolio().financings[0]
    return {
        Role.BANK: first.pledge.pledgee_id,
        Role.ENTERPRISE: first.pledge.pledgor_id,
        Role.REGULATOR: REGULATOR.party_id,
        Role.ADMIN: REGULATOR.party_id,
    }


DEMO_KEYS = (
    (Role.BANK, "demo bank"),
    (Role.BANK, "demo bank officer 2"),
    (Role.ENTERPRISE, "demo enterprise"),
    (Role.REGULATOR, "demo regulator"),
    (Role.ADMIN, "demo admin"),
)
"""The demo keys, by role and label: two officers of the bank."""


def ensure_demo_credentials(session: Session, demo_secret: str) -> list[DemoCredential]:
    """Issue the demo keys that are not there yet; return every demo key."""
    parties.save_party(session, REGULATOR, actor=ACTOR)
    found = []
    acting = demo_parties()
    for role, label in DEMO_KEYS:
        party_id = acting[role]
        key = credentials.demo_key(demo_secret, f"{party_id}/{label}")
        parsed = credentials.parse_key(key)
        assert parsed is not None
        if session.get(CredentialRow, parsed[0]) is None:
            credentials.issue_credential(session, party_id, role, label=label, actor=ACTOR, key=key)
        party = parties.get_party(session, party_id)
        found.append(
            DemoCredential(
                role=role, party_id=party_id, party_name=party.name, label=label, key=key
            )
        )
    return found

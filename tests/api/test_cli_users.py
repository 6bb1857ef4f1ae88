"""``patentval users`` and ``patentval demo credentials``: a new key is printed once and only its
argon2id hash is stored; keys are listed without secrets and revoked at once; a party is named
by id or name; bad input is a message and exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from api.cli import app
from models.enums import Role
from models.parties import Party
from pledge.demo import jinhua_portfolio
from storage import credentials, parties
from storage.database import make_engine
from storage.demo_credentials import demo_parties
from storage.tables import AuditEventRow, CredentialRow
from tests.api.world import World

runner = CliRunner()


def invoke(world: World, *arguments: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, [*arguments, "--database-url", world.url], env=env)


def in_database(world: World) -> Session:
    return Session(make_engine(world.url))


def test_create_prints_the_key_once_and_stores_only_its_hash(own_world: World) -> None:
    result = invoke(own_world, "users", "create", "--role", "bank", "--party", "甲示例银行")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert result.stdout == f"{key}\n"  # the key alone on stdout, for a script to take
    parsed = credentials.parse_key(key)
    assert parsed is not None
    credential_id, secret = parsed  # the secret may hold "_" itself
    assert f"created bank key {credential_id} for bank-a; it is shown once" in result.stderr
    with in_database(own_world) as session:
        row = session.get(CredentialRow, credential_id)
        assert row is not None
        assert (row.party_id, row.role, row.label) == ("bank-a", "bank", "bank key")
        assert row.secret_hash.startswith("$argon2id$")
        assert secret not in row.secret_hash
        events = session.execute(select(AuditEventRow.payload)).scalars().all()
        assert all(secret not in str(payload) for payload in events)
        found = credentials.authenticate(session, key)
        assert found is not None
        assert found.role is Role.BANK
    database = Path(own_world.url.removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert secret.encode() not in stored  # nowhere in the file (nor its WAL)
    listed = invoke(own_world, "users", "list", "--party", "bank-a")
    assert listed.exit_code == 0, listed.output
    assert secret not in listed.output


def test_list_then_revoke_stops_the_key(own_world: World) -> None:
    made = invoke(
        own_world, "users", "create", "--role", "admin", "--party", "bureau", "--label", "ops"
    )
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    parsed = credentials.parse_key(key)
    assert parsed is not None
    credential_id = parsed[0]
    listed = invoke(own_world, "users", "list", "--party", "示例市场监督管理局")
    assert listed.exit_code == 0, listed.output
    lines = [line.split("\t") for line in listed.stdout.splitlines()]
    assert [credential_id, "admin", "bureau", "ops", "active"] in lines
    assert {line[2] for line in lines} == {"bureau"}
    revoked = invoke(own_world, "users", "revoke", credential_id)
    assert revoked.exit_code == 0, revoked.output
    assert revoked.stdout == f"revoked {credential_id}\n"
    with in_database(own_world) as session:
        assert credentials.authenticate(session, key) is None
    after = invoke(own_world, "users", "list")
    state = next(line.split("\t")[4] for line in after.stdout.splitlines() if credential_id in line)
    assert state.startswith("revoked ")
    again = invoke(own_world, "users", "revoke", credential_id)
    assert again.exit_code == 2
    assert f"credential {credential_id} is already revoked [REVOKED]" in again.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["create", "--role", "bank", "--party", "无此银行"],
            "no party with id or name '无此银行'",
        ),
        (["create", "--role", "enterprise", "--party", "bank-a"], "enterprise"),
        (["create", "--role", "banker", "--party", "bank-a"], "'banker' is not one of"),
        (["create", "--role", "bank", "--party", "同名"], "'同名' names several parties"),
        (["list", "--party", "nobody"], "no party with id or name 'nobody'"),
        (["revoke", "pv_000000000000"], "no credential 'pv_000000000000'"),
    ],
)
def test_bad_input_is_a_message_and_exit_code_2(
    own_world: World, arguments: list[str], message: str
) -> None:
    with in_database(own_world) as session, session.begin():
        for party_id in ("twin-1", "twin-2"):
            parties.save_party(
                session, Party(party_id=party_id, kind="bank", name="同名"), actor="test"
            )
    result = invoke(own_world, "users", *arguments)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    with in_database(own_world) as session:
        assert session.query(CredentialRow).count() == len(own_world.keys) + 1  # + the spare


def test_demo_credentials_print_the_same_keys_and_only_in_development(own_world: World) -> None:
    wanted = set(demo_parties().values())
    with in_database(own_world) as session, session.begin():
        for party in jinhua_portfolio().parties:
            if party.party_id in wanted:
                parties.save_party(session, party, actor="test")
    first = invoke(own_world, "demo", "credentials", env={"PATENTVAL_ENVIRONMENT": "development"})
    assert first.exit_code == 0, first.output
    keys = [line.split()[-1] for line in first.stdout.splitlines()[1:]]
    assert [line.split()[0] for line in first.stdout.splitlines()[1:]] == [
        "bank",
        "bank",
        "enterprise",
        "regulator",
        "admin",
    ]
    assert len(set(keys)) == 5  # the bank's two officers have keys of their own
    again = invoke(own_world, "demo", "credentials", env={"PATENTVAL_ENVIRONMENT": "development"})
    assert again.stdout == first.stdout
    with in_database(own_world) as session:
        assert all(credentials.authenticate(session, key) is not None for key in keys)
    refused = invoke(own_world, "demo", "credentials", env={"PATENTVAL_ENVIRONMENT": "production"})
    assert refused.exit_code == 2
    assert "demo credentials exist only in development, not production" in refused.output

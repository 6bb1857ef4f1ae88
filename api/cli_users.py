"""``patentval users`` (API keys) and ``patentval demo credentials``."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.cli_common import DatabaseOption, err, fail
from api.settings import Settings
from models.enums import Role
from storage import credentials
from storage.demo_credentials import ensure_demo_credentials
from storage.errors import NotFoundError
from storage.tables import PartyRow

users_app = typer.Typer(no_args_is_help=True, help="API keys: create, list, revoke.")
ACTOR = "patentval-cli"


def _party_id(session: Session, given: str) -> str:
    """The id of the party named or numbered ``given``; a clear error when none or several."""
    query = select(PartyRow.party_id).where(or_(PartyRow.party_id == given, PartyRow.name == given))
    found = list(session.execute(query).scalars())
    if not found:
        raise NotFoundError("--party", f"no party with id or name {given!r}")
    if len(found) > 1:
        raise NotFoundError("--party", f"{given!r} names several parties: {found}; give the id")
    return found[0]


@users_app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="What the key may do.")],
    party: Annotated[str, typer.Option(help="The party the key acts for: its id or name.")],
    label: Annotated[str | None, typer.Option(help="A label (default: role and party).")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create an API key and print it once; only its hash is stored."""
    from api.cli import _database, _domain, _url

    with _domain(), _database(_url(database_url)) as session:
        party_id = _party_id(session, party)
        issued = credentials.issue_credential(
            session, party_id, role, label=label or f"{role.value} key", actor=ACTOR
        )
    c = issued.credential
    err.print(f"created {c.role.value} key {c.credential_id} for {c.party_id}; it is shown once:")
    typer.echo(issued.key)


@users_app.command("list")
def list_keys(
    party: Annotated[str | None, typer.Option(help="Only this party's keys (id or name).")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """List the API keys (ids, parties, roles; never secrets)."""
    from api.cli import _database, _domain, _url

    with _domain(), _database(_url(database_url)) as session:
        party_id = None if party is None else _party_id(session, party)
        found = credentials.list_credentials(session, party_id)
    for c in found:
        state = "active" if c.active else f"revoked {c.revoked_at:%Y-%m-%d %H:%M}"
        typer.echo(f"{c.credential_id}\t{c.role.value}\t{c.party_id}\t{c.label}\t{state}")


@users_app.command("revoke")
def revoke(
    credential_id: Annotated[str, typer.Argument(help="The key's id (pv_<id>_…).")],
    database_url: DatabaseOption = None,
) -> None:
    """Revoke an API key: it stops working at once."""
    from api.cli import _database, _domain, _url

    with _domain(), _database(_url(database_url)) as session:
        credentials.revoke_credential(session, credential_id, actor=ACTOR)
    typer.echo(f"revoked {credential_id}")


def demo_credentials(database_url: DatabaseOption = None) -> None:
    """Create (once) and print the demo API keys, a key per role and a second bank officer's
    (development only)."""
    from api.cli import _database, _domain, _url

    settings = Settings()
    try:
        secret = settings.demo_secret_or_default()
    except ValueError as error:
        raise fail(str(error)) from None
    with _domain(), _database(_url(database_url)) as session:
        found = ensure_demo_credentials(session, secret)
    typer.echo("demo API keys (development only; send as Authorization: Bearer KEY):")
    for c in found:
        typer.echo(f"  {c.role.value:<10} {c.party_id:<28} {c.label:<20} {c.key}")

"""The demo portfolio in the database, on both engines: loaded through the commands, exactly
¥1,170,000,000.00 of registered pledges live on 2019-11-30, the same statistics as the pure
portfolio implies, an intact audit log, and a second load that changes nothing. The command
line reads the same database."""

import json
from collections.abc import Iterator
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from api.cli import app
from models import PledgeStatus
from pledge.demo import AS_OF, REGISTERED_TOTAL, jinhua_portfolio
from pledge.statistics import Dimension
from storage import audit, pledges
from storage.database import make_engine, transaction
from storage.demo import load_demo
from storage.statistics import pledge_frame, statistics
from storage.tables import AlertRow, AuditEventRow, PledgeRow, RepaymentRow
from tests.storage.conftest import Backend

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(backend: Backend) -> Iterator[tuple[Engine, str]]:
    url = backend.fresh_url()
    engine = make_engine(url)
    with transaction(engine) as session:
        load_demo(session)
    yield engine, url
    engine.dispose()
    backend.drop(url)


def counts(engine: Engine) -> tuple[int, ...]:
    with transaction(engine) as session:
        return tuple(
            session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (PledgeRow, RepaymentRow, AuditEventRow, AlertRow)
        )


def test_the_registered_total_on_the_as_of_date_is_exact(demo: tuple[Engine, str]) -> None:
    engine, _ = demo
    with transaction(engine) as session:
        figures = statistics(session, AS_OF)
    # the figure the demo is built around: ¥1,170,000,000.00 live on 2019-11-30
    assert figures["registered_amount"].to_list() == [Decimal("1170000000.00")]
    assert figures["registered_amount"][0] == REGISTERED_TOTAL.amount
    with transaction(engine) as session:
        by_bank = statistics(session, AS_OF, (Dimension.BANK,))
    assert by_bank.height == 6
    assert sum(by_bank["registered_amount"].to_list()) == REGISTERED_TOTAL.amount


def test_the_database_holds_what_the_pure_portfolio_implies(demo: tuple[Engine, str]) -> None:
    engine, _ = demo
    portfolio = jinhua_portfolio()
    for at in (AS_OF, portfolio.horizon):
        with transaction(engine) as session:
            stored = pledge_frame(session, at).sort("pledge_id")
        expected = portfolio.pledge_frame(at).sort("pledge_id")
        assert_frame_equal(stored, expected)


def test_the_demo_history_is_whole(demo: tuple[Engine, str]) -> None:
    engine, _ = demo
    portfolio = jinhua_portfolio()
    with transaction(engine) as session:
        assert audit.verify(session).intact
        statuses = dict(
            session.execute(select(PledgeRow.status, func.count()).group_by(PledgeRow.status)).all()
        )
        alerts = sorted(session.execute(select(AlertRow.kind)).scalars())
        live = pledges.live_pledges(session)
    released = sum(f.released_on is not None for f in portfolio.financings)
    assert statuses[PledgeStatus.CANCELLED.value] == released
    assert statuses[PledgeStatus.IMPAIRED.value] == 1
    assert sum(statuses.values()) == len(portfolio.financings)
    assert alerts == ["impairment", "margin_call"]
    assert portfolio.lapses[0].patent_number in live


def test_loading_twice_changes_nothing(demo: tuple[Engine, str]) -> None:
    engine, _ = demo
    before = counts(engine)
    with transaction(engine) as session:
        again = load_demo(session)
    assert again.already_loaded
    assert again.registered_total == REGISTERED_TOTAL
    assert counts(engine) == before


def test_the_command_line_shows_the_total(demo: tuple[Engine, str]) -> None:
    _, url = demo
    result = runner.invoke(
        app, ["stats", "pledges", "--as-of", "2019-11-30", "--database-url", url]
    )
    assert result.exit_code == 0, result.output
    assert "¥1,170,000,000.00" in result.output
    result = runner.invoke(
        app,
        [
            *("stats", "pledges", "--as-of", "2019-11-30", "--by", "type", "--format", "json"),
            *("--database-url", url),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert {r["patent_type"] for r in rows} <= {"invention", "utility_model", "mixed"}
    assert sum(Decimal(r["registered_amount"]) for r in rows) == REGISTERED_TOTAL.amount
    result = runner.invoke(
        app,
        [
            *("stats", "pledges", "--as-of", "2018-06-30", "--by", "year", "--by", "industry"),
            *("--format", "csv", "--database-url", url),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pl.read_csv(result.output.encode(), infer_schema=False)
    assert table.columns[:2] == ["year", "industry"]
    assert set(table["year"]) <= {"2017", "2018"}
    result = runner.invoke(
        app,
        [
            *("stats", "pledges", "--as-of", "2019-11-30", "--by", "industry", "--format", "json"),
            *("--for-publication", "--database-url", url),
        ],
    )
    assert result.exit_code == 0, result.output
    published = json.loads(result.output)
    assert published["disclosure"]["min_enterprises"] == 3
    rows = published["rows"]
    withheld = {r["industry"] for r in rows if r["suppressed"]}
    assert withheld == {"hardware", "optoelectronics"}  # 2 and 1 enterprises
    assert all(r["registered_amount"] is None for r in rows if r["suppressed"])
    plain = runner.invoke(
        app,
        [
            *("stats", "pledges", "--as-of", "2019-11-30", "--by", "industry", "--format", "json"),
            *("--database-url", url),
        ],
    )
    amounts = {r["industry"]: r["registered_amount"] for r in json.loads(plain.output)["rows"]}
    for row in rows:
        if not row["suppressed"]:
            assert row["registered_amount"] == amounts[row["industry"]]
    result = runner.invoke(
        app,
        [
            *("stats", "pledges", "--as-of", "2019-11-30", "--by", "industry"),
            *("--for-publication", "--database-url", url),
        ],
    )
    assert result.exit_code == 0, result.output
    assert " x " in result.output
    result = runner.invoke(app, ["demo", "load", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "already loaded" in result.output
    assert "¥1,170,000,000.00" in result.output
    result = runner.invoke(app, ["audit", "verify", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "audit log intact" in result.output

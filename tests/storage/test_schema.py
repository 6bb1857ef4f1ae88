"""The migrations build the schema the mappings describe, on both engines; exact decimals."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import import_module
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from models.enums import DayCount, PledgeStatus, RepaymentMethod, RescheduleStatus
from pledge.lifecycle import PledgeEvent
from storage import patents, pledges
from storage.errors import AlreadyPledgedError
from storage.migrate import alembic_config, current_revision, head_revision, upgrade
from storage.tables import (
    LIVE_PLEDGE_STATUSES,
    PENDING_RESCHEDULE,
    AppraisalRequestRow,
    Base,
    ValuationRow,
    one_of,
)
from tests.pledge.builders import make_valuation
from tests.storage.builders import BANK, CLERK, ON, draft, stored_parties, stored_patent
from tests.storage.conftest import POSTGRES_URL_VARIABLE

INITIAL = import_module("storage.migrations.versions.0001_initial_schema")
HOLD = import_module("storage.migrations.versions.0008_pledge_holds_from_submission")
RESCHEDULE = import_module("storage.migrations.versions.0009_loan_reschedule_requests")
HEAD = "0009"


def test_migrations_reach_the_head_and_match_the_mappings(fresh_engine: Engine) -> None:
    assert current_revision(fresh_engine) == head_revision() == HEAD
    assert upgrade(fresh_engine) == HEAD  # a second run is a no-op
    with fresh_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    tables = set(inspect(fresh_engine).get_table_names())
    assert set(Base.metadata.tables) | {"alembic_version"} == tables


def test_downgrade_to_nothing_and_back(fresh_engine: Engine) -> None:
    with fresh_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(fresh_engine).get_table_names()) == {"alembic_version"}
    upgrade(fresh_engine)
    assert current_revision(fresh_engine) == HEAD


def test_the_requester_of_each_valuation_is_filled_in_from_the_requests(
    fresh_engine: Engine,
) -> None:
    with Session(fresh_engine) as session, session.begin():
        stored_parties(session)
        patent = stored_patent(session, serial=1)  # made outside the service: no requester
        valuation = make_valuation(patent, "500", base_date=date(2025, 2, 1))
        summary = patents.summarise("A-asked", [valuation], method="test appraisal")
        patents.save_appraisal(session, summary, [valuation], actor=CLERK)
        session.add(
            AppraisalRequestRow(
                appraisal_id="A-asked",
                requested_by=BANK.party_id,
                actor=CLERK,
                requested_at=datetime(2025, 2, 1, tzinfo=UTC),
            )
        )
    with fresh_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")
    assert "requested_by" not in {
        c["name"] for c in inspect(fresh_engine).get_columns("valuations")
    }
    upgrade(fresh_engine)
    with Session(fresh_engine) as session:
        rows = session.execute(select(ValuationRow.appraisal_id, ValuationRow.requested_by))
        assert dict(rows.all()) == {"A-1": None, "A-asked": BANK.party_id}


def test_the_live_statuses_of_the_index_are_those_of_the_code() -> None:
    assert one_of("pledge_status", LIVE_PLEDGE_STATUSES) == HOLD.HELD_FROM_SUBMISSION
    assert HOLD.HELD_FROM_DRAFT == INITIAL.LIVE_PLEDGE  # the downgrade restores the first index
    freed = set(PledgeStatus) - set(LIVE_PLEDGE_STATUSES)
    assert freed == {
        PledgeStatus.DRAFT,
        PledgeStatus.READY,
        PledgeStatus.PRECHECK_FAILED,
        PledgeStatus.REFUSED,
        PledgeStatus.CANCELLED,
    }


def test_two_drafts_of_a_patent_stand_until_a_downgrade_would_hold_both(
    fresh_engine: Engine,
) -> None:
    """From 0008 two unsubmitted pledges may list one patent; the index of 0007 would hold both,
    so the downgrade is refused and changes nothing until one is withdrawn."""
    upgrade(fresh_engine)
    with Session(fresh_engine) as session, session.begin():
        stored_parties(session)
        number = stored_patent(session).number.patent_number
        for pledge_id in ("P-1", "P-2"):
            pledges.create_pledge(session, draft(pledge_id, number), on=ON, actor=CLERK)
    with pytest.raises(IntegrityError), fresh_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0007")
    assert current_revision(fresh_engine) == HEAD
    with Session(fresh_engine) as session, session.begin():
        pledges.transition(session, "P-2", PledgeEvent.WITHDRAW, on=ON, actor=CLERK)
    with fresh_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0007")
    # a draft holds its patent again
    with Session(fresh_engine) as session, session.begin(), pytest.raises(AlreadyPledgedError):
        pledges.create_pledge(session, draft("P-3", number), on=ON, actor=CLERK)
    upgrade(fresh_engine)
    assert current_revision(fresh_engine) == HEAD


def test_the_checks_of_the_reschedule_requests_are_those_of_the_code() -> None:
    assert one_of("status", RescheduleStatus) == RESCHEDULE.STATUS
    assert one_of("repayment", RepaymentMethod) == RESCHEDULE.REPAYMENT
    assert one_of("day_count", DayCount) == RESCHEDULE.DAY_COUNT
    assert RESCHEDULE.PENDING == PENDING_RESCHEDULE


def test_money_is_exact_to_the_fen_in_and_out(session: Session) -> None:
    stored_parties(session)
    stored_patent(session, serial=1, value="1234567890123456.78")
    stored_patent(session, serial=2, value="0.10")
    stored_patent(session, serial=3, value="0.20")
    session.expire_all()
    values = sorted(v for (v,) in session.execute(select(ValuationRow.value)))
    assert values == [Decimal("0.10"), Decimal("0.20"), Decimal("1234567890123456.78")]
    # summed by the database: exact (binary floating point would give 0.30000000000000004)
    small = select(func.sum(ValuationRow.value)).where(ValuationRow.value < 1)
    assert session.execute(small).scalar_one() == Decimal("0.30")


def test_exact_decimals_refuse_floats_and_extra_places(session: Session) -> None:
    stored_parties(session)
    patent = stored_patent(session)
    row = session.query(ValuationRow).one()
    for bad in (0.5, Decimal("1.005"), Decimal("1E+18")):
        session.expunge_all()
        duplicate = ValuationRow(
            appraisal_id=row.appraisal_id,
            patent_id=patent.number.patent_number,
            patent_type="invention",
            base_date=date(2025, 1, 1),
            currency="CNY",
            value=bad,
        )
        session.add(duplicate)
        with pytest.raises(StatementError, match=r"not a Decimal|decimal places|integer digits"):
            session.flush()
        session.rollback()


def test_a_configured_but_unreachable_postgresql_fails_the_tests() -> None:
    """In CI the PostgreSQL cases must run: a URL that does not answer is an error, not a skip."""
    root = Path(__file__).resolve().parents[2]
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/postgres"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "postgresql"),
            "tests/storage/test_schema.py::test_downgrade_to_nothing_and_back",
        ],
        cwd=root,
        env={**os.environ, POSTGRES_URL_VARIABLE: unreachable},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0, result.stdout
    assert "is set but PostgreSQL does not answer" in result.stdout

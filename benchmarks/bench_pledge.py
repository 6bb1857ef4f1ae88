"""Pledge and loan operations per second on SQLite and PostgreSQL; batch eligibility checks.

Each operation is one command in its own transaction, as a service would run it:

* pledge registration: create the draft, pre-check it (stored valuation, live pledges), submit,
  register — four commands;
* loan: create the application, approve (a second person), disburse (pledge, valuation and LTV
  checked; the principal posted) — three commands;
* repayment: one command (interest first, then principal; journal entry, repayment row, audit
  event).

PostgreSQL comes from ``--postgres-url`` or ``PATENTVAL_TEST_POSTGRES_URL``; without either, a
throwaway cluster is started with ``scripts/postgres.sh`` (as the tests do). The eligibility
figure is :func:`pledge.eligibility_batch.eligibility_batch` over 100,000 patents in memory.

    .venv/bin/python benchmarks/bench_pledge.py [--pledges 300] [--patents 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Engine

from models import Loan, Money, Party, Patent, Pledge
from models.patent_number import check_character
from pledge.eligibility_batch import eligibility_batch
from pledge.lifecycle import LoanEvent, PledgeEvent
from pledge.policy import PatentValuation
from pledge.proposal import ContractTerms, ProposedLoan
from storage import loans, parties, patents, pledges
from storage.database import make_engine, transaction
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
ON = date(2025, 6, 1)
OWNER = "金华基准科技有限公司"
BANK = Party(party_id="bench-bank", kind="bank", name="基准银行金华分行")
ENTERPRISE = Party(party_id="bench-ent", kind="enterprise", name=OWNER)


def number(serial: int, year: int = 2019) -> str:
    digits = f"{year}1{serial:07d}"
    return f"ZL{digits}.{check_character(digits)}"


def patent(serial: int) -> Patent:
    return Patent.model_validate(
        {
            "number": number(serial),
            "filing_date": date(2019, 9, 1),
            "grant_date": date(2021, 1, 15),
            "owners": [{"name": OWNER, "party_id": ENTERPRISE.party_id}],
            "fees_paid_through_year": 6,
        }
    )


def prepare(engine: Engine, count: int) -> None:
    """Parties, and ``count`` patents with a valuation each (not timed)."""
    with transaction(engine) as session:
        for party in (BANK, ENTERPRISE):
            parties.save_party(session, party, actor="bench")
        for serial in range(count):
            item = patent(serial)
            patents.save_patent(session, item, actor="bench")
            valuation = PatentValuation(
                patent_number=item.number.patent_number,
                patent_type=item.patent_type,
                base_date=date(2025, 1, 1),
                value=Money.of("1000000"),
            )
            summary = patents.summarise(f"A-{serial}", [valuation], method="benchmark")
            patents.save_appraisal(session, summary, [valuation], actor="bench")


def register(engine: Engine, serial: int) -> None:
    pledge_id, listed = f"P-{serial}", number(serial)
    amount = Money.of("200000")
    with transaction(engine) as session:
        pledges.create_pledge(
            session,
            Pledge(
                pledge_id=pledge_id,
                patents=[listed],  # type: ignore[list-item]
                pledgor_id=ENTERPRISE.party_id,
                pledgee_id=BANK.party_id,
                secured_amount=amount,
            ),
            on=ON,
            actor="clerk",
        )
    contract = ContractTerms(
        pledgor=OWNER,
        pledgee=BANK.name,
        secured_amount=amount,
        term_months=12,
        patents=(listed,),
        scope="本金及利息",
    )
    proposal = ProposedLoan(amount=amount, term_months=12, pledgor=OWNER, contract=contract)
    with transaction(engine) as session:
        pledges.precheck(session, pledge_id, proposal, on=ON, actor="clerk")
    with transaction(engine) as session:
        pledges.transition(session, pledge_id, PledgeEvent.SUBMIT, on=ON, actor="clerk")
    with transaction(engine) as session:
        pledges.transition(
            session,
            pledge_id,
            PledgeEvent.REGISTER,
            on=ON,
            actor="clerk",
            registration_number=f"Y{serial}",
        )


def lend(engine: Engine, serial: int) -> None:
    loan = Loan(
        loan_id=f"L-{serial}",
        borrower_id=ENTERPRISE.party_id,
        lender_id=BANK.party_id,
        pledge_id=f"P-{serial}",
        principal=Money.of("200000"),
        annual_rate=Decimal("0.0435"),
        term_months=12,
        maker="clerk",
    )
    with transaction(engine) as session:
        loans.create_loan(session, loan, on=ON, actor="clerk")
    for event in (LoanEvent.APPROVE, LoanEvent.DISBURSE):
        with transaction(engine) as session:
            loans.transition(session, loan.loan_id, event, on=ON, actor="officer")


def repay(engine: Engine, serial: int) -> None:
    with transaction(engine) as session:
        loans.repay(session, f"L-{serial}", Money.of("1000"), on=ON, actor="clerk")


def rate(label: str, count: int, commands: int, run: Callable[[int], None]) -> None:
    start = time.perf_counter()
    for serial in range(count):
        run(serial)
    seconds = time.perf_counter() - start
    print(
        f"  {label:<38} {count / seconds:8.1f} /s  ({commands * count / seconds:7.1f} commands/s,"
        f" {count} in {seconds:.1f} s)"
    )


def bench_engine(name: str, url: str, count: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    prepare(engine, count)
    print(f"{name}:")
    rate("pledge: create + pre-check + register", count, 4, lambda s: register(engine, s))
    rate("loan: create + approve + disburse", count, 3, lambda s: lend(engine, s))
    rate("repayment", count, 1, lambda s: repay(engine, s))
    engine.dispose()


@contextmanager
def postgres(given: str | None) -> Iterator[str]:
    """A PostgreSQL URL with an empty database ``bench``."""
    url = given or os.environ.get("PATENTVAL_TEST_POSTGRES_URL")
    folder = None
    if url is None:
        folder = tempfile.mkdtemp(prefix="patentval-bench-pg-")
        os.rmdir(folder)
        script = str(ROOT / "scripts" / "postgres.sh")
        url = subprocess.run(
            ["bash", script, "start", folder], check=True, capture_output=True, text=True
        ).stdout.strip()
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("DROP DATABASE IF EXISTS bench WITH (FORCE)")
        connection.exec_driver_sql("CREATE DATABASE bench")
    try:
        yield url.rsplit("/", 1)[0] + "/bench"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql("DROP DATABASE IF EXISTS bench WITH (FORCE)")
        admin.dispose()
        if folder is not None:
            subprocess.run(
                ["bash", str(ROOT / "scripts" / "postgres.sh"), "stop", folder], check=True
            )


def bench_eligibility(count: int) -> None:
    rng = np.random.default_rng(7)
    serials = np.arange(count)
    frame = pl.DataFrame(
        {
            "patent_id": [number(int(s), 2015 + int(s) % 5) for s in serials],
            "filing_date": [f"{2015 + int(s) % 5}-03-01" for s in serials],
            "grant_date": [f"{2017 + int(s) % 5}-06-01" for s in serials],
            "owners": [OWNER if s % 10 else "他人公司" for s in serials],
            "fees_paid_through_year": rng.integers(3, 12, count).astype(str),
            "valuation_base_date": ["2025-01-01"] * count,
            "appraised_value": rng.integers(100_000, 5_000_000, count).astype(str),
        }
    )
    loan = ProposedLoan(amount=Money.of("1000000"), term_months=24, pledgor=OWNER)
    start = time.perf_counter()
    result = eligibility_batch(frame, loan, ON)
    seconds = time.perf_counter() - start
    print(
        f"eligibility: {count:,} patents in {seconds:.2f} s = {count / seconds:,.0f} checks/s "
        f"({result.findings.height:,} findings)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pledges", type=int, default=300, help="pledges, loans, repayments")
    parser.add_argument("--patents", type=int, default=100_000, help="batch eligibility size")
    parser.add_argument("--postgres-url", help="a PostgreSQL server to use (its postgres db)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench_engine("SQLite (file, WAL)", f"sqlite:///{folder}/bench.db", options.pledges)
    with postgres(options.postgres_url) as url:
        bench_engine("PostgreSQL", url, options.pledges)
    bench_eligibility(options.patents)


if __name__ == "__main__":
    main()

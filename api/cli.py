"""The ``patentval`` command line."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from api import cli_navigation, cli_reports, cli_users
from api.cli_common import (
    DatabaseOption,
    PublicationOption,
    day,
    err,
    fail,
    market_model,
    read_input,
    readable,
    weights_option,
)
from api.schemas.oversight import DisclosureRead
from api.serving import serve_workers
from api.settings import Settings
from models.enums import PatentType
from models.money import Money
from pledge.disclosure import DisclosureRule
from pledge.eligibility_batch import eligibility_batch
from pledge.findings import Code
from pledge.policy import DEFAULT_LENDER
from pledge.proposal import ProposedLoan
from pledge.statistics import Dimension
from storage import audit
from storage.database import transaction
from storage.demo import load_demo
from storage.errors import DomainError
from storage.migrate import open_database
from storage.parties import lender_name
from storage.pledges import live_pledges
from storage.statistics import statistics
from valuation.batch import value_file
from valuation.cells import spreadsheet_safe
from valuation.frame import normalise
from valuation.market import fit_model
from valuation.renewal import cn_annual_fees, us_maintenance_fees

app = typer.Typer(no_args_is_help=True, help="Patent valuation and patent-pledge financing.")


class Target(StrEnum):
    PRICE = "price"
    RENEWALS = "renewals"


class Fees(StrEnum):
    US_SMALL = "us-small"
    US_LARGE = "us-large"
    CN_INVENTION = "cn-invention"


@app.callback()
def main() -> None:
    """Patent valuation and patent-pledge financing."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL; default from PATENTVAL_DATABASE_URL.")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    business_date: Annotated[
        str | None,
        typer.Option(
            help="The day the pages' forms and dashboards start from, YYYY-MM-DD (default: "
            "PATENTVAL_BUSINESS_DATE, else today in China)."
        ),
    ] = None,
) -> None:
    """Run the HTTP service and its pages.

    The database is migrated once, here, before any worker starts; each worker then builds its
    app from the environment (PATENTVAL_*) without migrating."""
    if database_url:
        os.environ["PATENTVAL_DATABASE_URL"] = database_url
    if business_date:
        os.environ["PATENTVAL_BUSINESS_DATE"] = day("--business-date", business_date).isoformat()
    url = _url(database_url)
    try:
        open_database(url).dispose()
    except ArgumentError as error:
        raise fail(f"--database-url {url!r}: not a database URL ({error})") from None
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise fail(f"--database-url {url!r}: cannot open the database ({reason})") from None
    os.environ["PATENTVAL_MIGRATE_ON_START"] = "false"
    os.environ["PATENTVAL_WORKERS"] = str(workers)  # each worker takes its share of the limits
    typer.echo(f"patentval: serving on http://{host}:{port} with {workers} worker(s)")
    serve_workers(
        host,
        port,
        workers,
        app="api.app:create_app",
        factory=True,
        # A worker imports the valuation stack before it answers; on a busy machine that takes
        # longer than uvicorn's default 5 s, which would have it killed and restarted forever.
        timeout_worker_healthcheck=WORKER_STARTUP_SECONDS,
    )


@app.command()
def value(
    source: Annotated[Path, typer.Argument(metavar="INPUT", help="Patents, CSV or Parquet.")],
    out: Annotated[Path, typer.Option("--out", help="Results, .csv or .parquet.")],
    base_date: Annotated[
        str | None, typer.Option(help="Valuation date YYYY-MM-DD (default today).")
    ] = None,
    draws: Annotated[int | None, typer.Option(min=1, help="Monte Carlo draws.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the Monte Carlo draws.")] = None,
    model: Annotated[
        Path | None, typer.Option(help="Market model from `patentval calibrate`.")
    ] = None,
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows valued per chunk.")] = 250_000,
    weights: Annotated[
        str | None,
        typer.Option(help="Reconciliation weights, e.g. income=0.7,market=0.3,cost=0."),
    ] = None,
) -> None:
    """Value every patent of INPUT; write one row per patent to --out."""
    readable(source)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise fail(f"--out {out}: expected a .csv or .parquet file")
    if (draws is None) != (seed is None):
        raise fail("--draws and --seed go together: give both for P10/P50/P90, or neither")
    at = day("--base-date", base_date) if base_date else date.today()  # noqa: DTZ011
    market = market_model(model)
    chosen = weights_option(weights)
    with Progress(
        TextColumn("valuing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task("value", total=_row_count(source))
        rows = value_file(
            source,
            out,
            base_date=at,
            model=market,
            weights=chosen,
            draws=draws,
            seed=seed,
            chunk_rows=chunk_rows,
            progress=lambda done: progress.update(task, completed=done),
        )
    errors = pl.scan_parquet(out) if out.suffix.lower() == ".parquet" else pl.scan_csv(out)
    bad = errors.select(pl.col("error").is_not_null().sum()).collect().item()
    err.print(f"valued {rows - bad} of {rows} patents at {at}; {bad} rows with errors → {out}")


def _row_count(path: Path) -> int | None:
    if path.suffix.lower() == ".parquet":
        return int(pl.scan_parquet(path).select(pl.len()).collect().item())
    return None


@app.command()
def calibrate(
    source: Annotated[Path, typer.Argument(metavar="INPUT", help="Patents with outcomes.")],
    target: Annotated[Target, typer.Option(help="What the model explains.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the model (JSON).")],
    fees: Annotated[
        Fees | None, typer.Option(help="Renewal fee schedule (renewals); default from the data.")
    ] = None,
    base_date: Annotated[
        str | None, typer.Option(help="Date prices refer to, YYYY-MM-DD (default today).")
    ] = None,
) -> None:
    """Fit a market model on INPUT (price or renewals_paid column); use it with --model."""
    at = day("--base-date", base_date) if base_date else date.today()  # noqa: DTZ011
    frame = normalise(read_input(readable(source)), at).collect()
    column = "price" if target is Target.PRICE else "renewals_paid"
    if frame[column].null_count() == frame.height:
        raise fail(f"INPUT {source}: column {column} is needed to calibrate on {target.value}")
    good = frame.filter(pl.col("error").is_null() & pl.col(column).is_not_null()).drop("error")
    # Columns the input did not fill are absent, not features with every value missing.
    good = good.select(c for c in good.columns if good[c].null_count() < good.height)
    skipped = frame.height - good.height
    schedule = None
    if fees is Fees.US_LARGE:
        schedule = us_maintenance_fees("large")
    elif fees is Fees.US_SMALL:
        schedule = us_maintenance_fees("small")
    elif fees is Fees.CN_INVENTION:
        schedule = cn_annual_fees(PatentType.INVENTION, first_year=1)
    try:
        fitted = fit_model(
            good,
            target.value,
            as_of=at,
            fees=schedule,
            description=f"{source.name}: {good.height} rows",
        )
    except ValueError as error:
        raise fail(str(error)) from None
    fitted.save(out)
    err.print(f"fitted a {fitted.label} → {out}; {skipped} rows skipped (errors or no {column})")


# -- pledge financing: the database ---------------------------------------------------------------

LOAN_RULES = frozenset(
    {Code.LTV_EXCEEDS_POLICY, Code.TERM_EXCEEDS_POLICY, Code.TERM_EXCEEDS_PATENT_LIFE}
)
FIRST_OWNER = "(each patent's first listed owner)"
_UNLIMITED = 10_000
WORKER_STARTUP_SECONDS = 120


class By(StrEnum):
    BANK = "bank"
    INDUSTRY = "industry"
    TYPE = "type"
    MONTH = "month"
    YEAR = "year"

    @property
    def dimension(self) -> Dimension:
        """The statistics dimension of the option."""
        return Dimension.PATENT_TYPE if self is By.TYPE else Dimension(self.value)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _url(given: str | None) -> str:
    """The database URL: the option, else the settings."""
    return given or Settings().database_url


def _has_database(url: str) -> bool:
    """Whether ``url`` names a server, or a SQLite file that exists."""
    parsed = make_url(url)
    return parsed.get_backend_name() != "sqlite" or bool(
        parsed.database and Path(parsed.database).is_file()
    )


@contextmanager
def _database(url: str) -> Iterator[Session]:
    """A transaction on the database at ``url``, migrated first; a clear error (exit 2) when it
    cannot be opened."""
    try:
        engine = open_database(url)
    except ArgumentError as error:
        raise fail(f"--database-url {url!r}: not a database URL ({error})") from None
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise fail(f"--database-url {url!r}: cannot open the database ({reason})") from None
    try:
        with transaction(engine) as session:
            yield session
    finally:
        engine.dispose()


@contextmanager
def _domain() -> Iterator[None]:
    """Domain errors as a clear message and exit code 2."""
    try:
        yield
    except DomainError as error:
        raise fail(f"{error.field}: {error.reason} [{error.code}]") from None


@app.command()
def eligibility(
    source: Annotated[Path, typer.Argument(metavar="INPUT", help="Patents, CSV or Parquet.")],
    as_of: Annotated[str, typer.Option("--as-of", help="Check date, YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="Findings per patent, .csv or .parquet.")],
    loan_amount: Annotated[
        str | None, typer.Option(help="Proposed loan in CNY; with --term-months.")
    ] = None,
    term_months: Annotated[
        int | None, typer.Option(min=1, max=360, help="Proposed loan term in months.")
    ] = None,
    lender: Annotated[str, typer.Option(help="Lender whose policy applies.")] = DEFAULT_LENDER,
    pledgor: Annotated[
        str | None, typer.Option(help="Who pledges; default each patent's first owner.")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Pre-check every patent of INPUT for a pledge; write its findings to --out.

    INPUT has the valuation batch columns plus owners, consenting_owners, fee and status columns
    (pledge/eligibility_batch.py). Without --loan-amount and --term-months the patents are
    screened alone (no LTV or term findings). A database, when there is one, tells which patents
    are already in a live pledge (ALREADY_PLEDGED)."""
    at = day("--as-of", as_of)
    readable(source)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise fail(f"--out {out}: expected a .csv or .parquet file")
    if (loan_amount is None) != (term_months is None):
        raise fail("--loan-amount and --term-months go together: give both, or neither")
    amount = Money.of("0.01")
    if loan_amount is not None:
        try:
            amount = Money.of(loan_amount)
        except ValueError as error:
            raise fail(f"--loan-amount {loan_amount!r}: {error}") from None
        if amount.amount <= 0:
            raise fail(f"--loan-amount {loan_amount!r}: must be positive")
    frame = read_input(source)
    if pledgor is not None:
        frame = frame.with_columns(pl.lit(pledgor).alias("pledgor"))
    elif "owners" in frame.columns:
        first = pl.col("owners").cast(pl.String).str.split(";").list.first().str.strip_chars()
        frame = frame.with_columns(first.alias("pledgor"))
    loan = ProposedLoan(
        amount=amount, term_months=term_months or 1, pledgor=pledgor or FIRST_OWNER, lender=lender
    )
    url, live = _url(database_url), set[str]()
    if database_url is not None or _has_database(url):
        with _database(url) as session:
            live = set(live_pledges(session))
            try:
                loan = loan.model_copy(update={"lender_name": lender_name(session, lender)})
            except DomainError as error:
                raise fail(f"--lender {lender}: {error.reason}") from None
    try:
        batch = eligibility_batch(frame, loan, at, live_pledges=live)
    except (ValueError, pl.exceptions.PolarsError) as error:
        raise fail(f"INPUT {source}: {error}") from None
    findings = batch.findings
    loan_findings = batch.loan_findings
    if loan_amount is None:
        findings = findings.filter(~pl.col("code").is_in([c.value for c in LOAN_RULES]))
        loan_findings = tuple(f for f in loan_findings if f.code not in LOAN_RULES)
    result = _per_patent(findings, frame)
    if out.suffix.lower() == ".parquet":
        result.write_parquet(out)
    else:
        spreadsheet_safe(result).write_csv(out)
    eligible = int(result["eligible"].sum())
    err.print(
        f"checked {result.height} patents as of {at} for {lender}: {eligible} eligible, "
        f"{result.height - eligible} blocked → {out}"
    )
    err.print(
        f"live pledges: {len(live)} from the database" if live else "live pledges: none known"
    )
    for finding in loan_findings:
        err.print(f"loan: {finding.code.value} ({finding.severity.value}): {finding.message_en}")


def _per_patent(findings: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """One row per input row: eligible, blocking and warning codes, and the messages in English
    and in Chinese."""
    by_row = findings.group_by("row").agg(
        pl.col("code")
        .filter(pl.col("severity") == "block")
        .unique(maintain_order=True)
        .str.join(";")
        .alias("blocking"),
        pl.col("code")
        .filter(pl.col("severity") == "warn")
        .unique(maintain_order=True)
        .str.join(";")
        .alias("warnings"),
        pl.col("message_en").str.join(" | ").alias("findings"),
        pl.col("message_zh").str.join(" | ").alias("findings_zh"),
    )
    base = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
        pl.col("patent_id").cast(pl.String),
        (pl.col("pledgor") if "pledgor" in frame.columns else pl.lit(None))
        .cast(pl.String)
        .alias("pledgor"),
    )
    joined = base.join(by_row, on="row", how="left", maintain_order="left")
    return joined.with_columns(
        (pl.col("blocking").fill_null("") == "").alias("eligible"),
        pl.col("blocking").fill_null(""),
        pl.col("warnings").fill_null(""),
        pl.col("findings").fill_null(""),
        pl.col("findings_zh").fill_null(""),
    ).select(
        "row", "patent_id", "pledgor", "eligible", "blocking", "warnings", "findings", "findings_zh"
    )


stats_app = typer.Typer(no_args_is_help=True, help="Statistics from the database.")
audit_app = typer.Typer(no_args_is_help=True, help="The audit log.")
demo_app = typer.Typer(no_args_is_help=True, help="Demo data (synthetic): portfolio and city.")
demo_app.command("city")(cli_navigation.demo_city)
demo_app.command("credentials")(cli_users.demo_credentials)
app.command("navigate")(cli_navigation.navigate)
app.add_typer(stats_app, name="stats")
app.add_typer(audit_app, name="audit")
app.add_typer(demo_app, name="demo")
app.add_typer(cli_users.users_app, name="users")


def _yuan(amount: Decimal) -> str:
    """An amount as ¥1,234.56."""
    return f"¥{amount:,.2f}"


def _cell(value: object) -> str:
    """A table cell: money in yuan, a month as YYYY-MM, a withheld amount as x."""
    if value is None:
        return "x"
    if isinstance(value, Decimal):
        return _yuan(value)
    if isinstance(value, date):
        return value.strftime("%Y-%m")
    return str(value)


@stats_app.command("pledges")
def stats_pledges(
    as_of: Annotated[str, typer.Option("--as-of", help="Date of the figures, YYYY-MM-DD.")],
    by: Annotated[list[By] | None, typer.Option("--by", help="Break down by (repeatable).")] = None,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
    for_publication: PublicationOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Registered pledges live on --as-of: deals, patents, enterprises, registered amount and
    outstanding, in total or by bank, industry, patent type, month or year of registration
    (--for-publication: a withheld amount is blank in CSV, null in JSON and x in the table)."""
    at = day("--as-of", as_of)
    dimensions = tuple(b.dimension for b in by or ())
    if len(set(dimensions)) != len(dimensions):
        raise fail("--by: each breakdown once")
    with _database(_url(database_url)) as session:
        rule = DisclosureRule.standard() if for_publication else None
        figures = statistics(session, at, dimensions, disclosure=rule)
    if output is Format.CSV:
        typer.echo(spreadsheet_safe(figures).write_csv(), nl=False)
        return
    if output is Format.JSON:
        rows = [
            {k: (str(v) if isinstance(v, Decimal | date) else v) for k, v in row.items()}
            for row in figures.iter_rows(named=True)
        ]
        found: dict[str, object] = {"as_of": at.isoformat(), "rows": rows}
        if rule is not None:
            found["disclosure"] = DisclosureRead.of(rule).model_dump()
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Registered pledges live on {at}")
    for name in figures.columns:
        table.add_column(
            name.replace("_", " "),
            justify="left" if name in figures.columns[: len(dimensions)] else "right",
        )
    for row in figures.iter_rows():
        table.add_row(*(_cell(v) for v in row))
    console = Console()
    # Piped output has no terminal width to fit: keep every cell whole.
    (console if console.is_terminal else Console(width=_UNLIMITED)).print(table)


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[
        str | None, typer.Option(help="A head hash reported earlier: it must still be there.")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Check the audit log's hash chain; exit 1 naming the first event that does not fit."""
    with _database(_url(database_url)) as session:
        found = audit.verify(session, anchor)
    if not found.intact:
        err.print(f"[red]audit log broken[/red] at event {found.broken_at}: {found.problem}")
        raise typer.Exit(code=1)
    typer.echo(f"audit log intact: {found.events} events; head {found.head_hash}")


@demo_app.command("load")
def demo_load(database_url: DatabaseOption = None) -> None:
    """Load the synthetic Jinhua demo portfolio (once: loading again changes nothing)."""
    with _domain(), _database(_url(database_url)) as session:
        loaded = load_demo(session)
    state = "already loaded" if loaded.already_loaded else "loaded"
    typer.echo(
        f"demo portfolio {state}: {loaded.city}, {loaded.label}; {loaded.parties} parties, "
        f"{loaded.patents} patents, {loaded.pledges} pledges, {loaded.repayments} repayments; "
        f"registered pledges live on {loaded.as_of}: {_yuan(loaded.registered_total.amount)}"
    )


app.add_typer(cli_reports.report_app, name="report")

"""The ``patentval`` command line."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from models.enums import PatentType, ValueType
from models.money import Money, to_decimal
from pledge.policy import DEFAULT_LENDER
from pledge.proposal import ProposedLoan
from reports.appraisal import AppraisalReport, appraise, render_appraisal
from reports.constants import default_seed
from reports.eligibility import check_eligibility, render_certificate
from reports.i18n import Language
from reports.info import MIN_APPRAISERS, REPORT_ZONE, Appraiser, Firm, ReportError, ReportInfo
from reports.patent_rows import (
    READABLE,
    InputError,
    PatentRow,
    describe,
    patent_rows,
    read_frame,
)
from reports.portfolio import portfolio_statement, read_pledges, render_portfolio
from reports.rendering import OutputFormat, names
from reports.rendering import write as write_report
from valuation.batch import value_file
from valuation.features import FittedModel
from valuation.frame import normalise
from valuation.market import default_model, fit_model, load_model
from valuation.reconcile import Approach
from valuation.renewal import cn_annual_fees, us_maintenance_fees
from valuation.uncertainty import default_draws

app = typer.Typer(no_args_is_help=True, help="Patent valuation and patent-pledge financing.")
err = Console(stderr=True, soft_wrap=True)


class Target(StrEnum):
    PRICE = "price"
    RENEWALS = "renewals"


class Fees(StrEnum):
    US_SMALL = "us-small"
    US_LARGE = "us-large"
    CN_INVENTION = "cn-invention"


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=2)


def _readable(path: Path) -> Path:
    if not path.is_file():
        raise _fail(f"INPUT {path}: no such file")
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise _fail(f"INPUT {path}: expected a .csv or .parquet file")
    return path


def _read(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema=False)


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
) -> None:
    """Run the HTTP service and its pages."""
    if database_url:
        # Worker processes build their own app from the environment.
        os.environ["PATENTVAL_DATABASE_URL"] = database_url
    typer.echo(f"patentval: serving on http://{host}:{port}")
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)


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
    _readable(source)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise _fail(f"--out {out}: expected a .csv or .parquet file")
    if (draws is None) != (seed is None):
        raise _fail("--draws and --seed go together: give both for P10/P50/P90, or neither")
    try:
        at = date.fromisoformat(base_date) if base_date else date.today()  # noqa: DTZ011
    except ValueError:
        raise _fail(f"--base-date {base_date!r}: expected YYYY-MM-DD") from None
    market = _model(model)
    chosen = _weights(weights)
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


def _weights(text: str | None) -> dict[Approach, Decimal] | None:
    """``income=0.7,market=0.3`` as reconciliation weights; a clear error otherwise."""
    if not text:
        return None
    weights: dict[Approach, Decimal] = {}
    known = ", ".join(a.value for a in Approach)
    for part in text.split(","):
        name, _, number = part.partition("=")
        try:
            approach = Approach(name.strip())
            weight = to_decimal(number.strip())
        except ValueError:
            raise _fail(
                f"--weights {part!r}: expected APPROACH=WEIGHT with APPROACH one of {known}"
            ) from None
        if weight < 0:
            raise _fail(f"--weights {part!r}: a weight cannot be negative")
        weights[approach] = weight
    return weights


def _row_count(path: Path) -> int | None:
    if path.suffix.lower() == ".parquet":
        return int(pl.scan_parquet(path).select(pl.len()).collect().item())
    return None


def _model(path: Path | None) -> FittedModel:
    if path is None:
        return default_model()
    if not path.is_file():
        raise _fail(f"--model {path}: no such file")
    try:
        return load_model(path)
    except (ValueError, KeyError) as error:
        raise _fail(f"--model {path}: not a patentval market model ({error})") from None


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
    at = date.fromisoformat(base_date) if base_date else date.today()  # noqa: DTZ011
    frame = normalise(_read(_readable(source)), at).collect()
    column = "price" if target is Target.PRICE else "renewals_paid"
    if frame[column].null_count() == frame.height:
        raise _fail(f"INPUT {source}: column {column} is needed to calibrate on {target.value}")
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
        raise _fail(str(error)) from None
    fitted.save(out)
    err.print(f"fitted a {fitted.label} → {out}; {skipped} rows skipped (errors or no {column})")


# -- reports -------------------------------------------------------------------------------------

report_app = typer.Typer(
    no_args_is_help=True, help="Appraisal reports, eligibility certificates, portfolio statements."
)
app.add_typer(report_app, name="report")

LangOption = Annotated[Language, typer.Option("--lang", help="Language of the report.")]
OutOption = Annotated[Path, typer.Option("--out", help="The report, .pdf or .html.")]


def _day(text: str | None, option: str) -> date:
    """A YYYY-MM-DD option (today in China when not given)."""
    if not text:
        return datetime.now(REPORT_ZONE).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{option} {text!r}: expected YYYY-MM-DD") from None


def _report_input(source: str) -> Path:
    """INPUT as a file; anything else is refused (stored appraisals come with storage)."""
    path = Path(source)
    if path.is_file() or path.suffix.lower() in READABLE:
        return path
    raise _fail(
        f"INPUT {source!r} is not a file: give patents as a .csv or .parquet file in the batch "
        "schema (reading a stored appraisal by its id is not available yet)"
    )


def _output(out: Path) -> OutputFormat:
    try:
        return OutputFormat.of(out)
    except ValueError as error:
        raise _fail(f"--out {error}") from None


def _rows(source: str, at: date) -> list[PatentRow]:
    try:
        return patent_rows(read_frame(_report_input(source)), at)
    except InputError as error:
        raise _fail(str(error)) from None


def _write(html: str, out: Path, what: str) -> None:
    kind = write_report(html, out)
    err.print(f"{what} ({kind.value}) → {out}")


def _appraisers(given: list[str] | None) -> tuple[Appraiser, ...]:
    people = [
        Appraiser(name=name.strip(), registration=registration.strip())
        for name, _, registration in (text.partition(":") for text in given or [])
    ]
    return tuple(people + [Appraiser()] * max(0, MIN_APPRAISERS - len(people)))


def _report_info(rows: list[PatentRow], lang: Language, **fields: object) -> ReportInfo:
    if not fields.get("client"):
        owners = list(dict.fromkeys(o.name for r in rows for o in r.patent.owners))
        if not owners:
            raise _fail("--client: required, since the input names no owners")
        fields["client"] = names(lang, owners)
    try:
        return ReportInfo.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as error:
        raise _fail(describe(error)) from None


@report_app.command("appraisal")
def report_appraisal(
    source: Annotated[str, typer.Argument(metavar="INPUT", help="Patents, CSV or Parquet.")],
    out: OutOption,
    lang: LangOption = Language.ZH,
    base_date: Annotated[
        str | None, typer.Option(help="Base date YYYY-MM-DD (default today).")
    ] = None,
    draws: Annotated[int | None, typer.Option(min=1, help="Monte Carlo draws.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the Monte Carlo draws.")] = None,
    client: Annotated[str | None, typer.Option(help="Client (default: the owners).")] = None,
    appraiser: Annotated[
        list[str] | None, typer.Option(help="NAME or NAME:REGISTRATION; repeat for each.")
    ] = None,
    firm: Annotated[str | None, typer.Option(help="Appraisal firm.")] = None,
    report_number: Annotated[str | None, typer.Option(help="Report number.")] = None,
    report_date: Annotated[
        str | None, typer.Option(help="Report date YYYY-MM-DD (default today).")
    ] = None,
    value_type: Annotated[ValueType, typer.Option(help="Value type.")] = ValueType.MARKET_VALUE,
    model: Annotated[
        Path | None, typer.Option(help="Market model from `patentval calibrate`.")
    ] = None,
    weights: Annotated[
        str | None, typer.Option(help="Reconciliation weights, e.g. income=0.7,market=0.3.")
    ] = None,
    working_papers: Annotated[
        bool, typer.Option(help="Include Annex A, each patent's working papers.")
    ] = True,
) -> None:
    """Write the appraisal report of the patents of INPUT (one or a portfolio)."""
    _output(out)
    at = _day(base_date, "--base-date")
    market, chosen = _model(model), _weights(weights)
    rows = _rows(source, at)
    info = _report_info(
        rows,
        lang,
        client=client,
        base_date=at,
        value_type=value_type,
        appraisers=_appraisers(appraiser),
        firm=Firm(name=firm or ""),
        report_number=report_number,
        report_date=_day(report_date, "--report-date"),
    )
    n_draws = draws if draws is not None else default_draws()
    n_seed = seed if seed is not None else default_seed()
    appraisals = tuple(
        appraise(
            r.patent,
            r.financials,
            base_date=at,
            draws=n_draws,
            seed=n_seed,
            model=market,
            weights=chosen,
        )
        for r in rows
    )
    try:
        html = render_appraisal(
            AppraisalReport(info, appraisals), lang, working_papers=working_papers
        )
    except ReportError as error:
        raise _fail(str(error)) from None
    _write(html, out, f"appraisal report of {len(rows)} patents at {at}")


@report_app.command("eligibility")
def report_eligibility(
    source: Annotated[str, typer.Argument(metavar="INPUT", help="Patents, CSV or Parquet.")],
    out: OutOption,
    pledgor: Annotated[str, typer.Option(help="The enterprise pledging the patents.")],
    amount: Annotated[str, typer.Option(help="Loan amount, CNY.")],
    term_months: Annotated[int, typer.Option(help="Loan term in months.")],
    lang: LangOption = Language.ZH,
    lender: Annotated[str, typer.Option(help="Lender whose policy applies.")] = DEFAULT_LENDER,
    as_of: Annotated[
        str | None, typer.Option(help="Check date YYYY-MM-DD (default today).")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Loan start YYYY-MM-DD (default as-of).")
    ] = None,
    number: Annotated[str | None, typer.Option(help="Certificate number.")] = None,
    model: Annotated[
        Path | None, typer.Option(help="Market model for patents without an appraised value.")
    ] = None,
) -> None:
    """Write the pledge eligibility certificate of the patents of INPUT for a proposed loan."""
    _output(out)
    at = _day(as_of, "--as-of")
    try:
        loan = ProposedLoan(
            amount=Money.of(amount),
            term_months=term_months,
            pledgor=pledgor,
            lender=lender,
            start=_day(start, "--start") if start else None,
        )
    except (ValidationError, ValueError) as error:
        message = describe(error) if isinstance(error, ValidationError) else str(error)
        raise _fail(f"loan: {message}") from None
    rows = _rows(source, at)
    certificate = check_eligibility(rows, loan, at, model=_model(model), number=number)
    verdict = "eligible" if certificate.portfolio.eligible else "not eligible"
    _write(render_certificate(certificate, lang), out, f"eligibility certificate: {verdict}")


@report_app.command("portfolio")
def report_portfolio(
    source: Annotated[str, typer.Argument(metavar="INPUT", help="Pledges, CSV or Parquet.")],
    out: OutOption,
    as_of: Annotated[str, typer.Option(help="Statement date YYYY-MM-DD.")],
    lang: LangOption = Language.ZH,
    prepared_for: Annotated[str | None, typer.Option(help="Bank or regulator.")] = None,
) -> None:
    """Write the pledge portfolio statement of the pledges of INPUT on a date."""
    _output(out)
    at = _day(as_of, "--as-of")
    try:
        frame = read_pledges(_report_input(source))
    except InputError as error:
        raise _fail(str(error)) from None
    statement = portfolio_statement(frame, at, prepared_for=prepared_for, language=lang)
    _write(render_portfolio(statement, lang), out, f"portfolio statement as of {at}")

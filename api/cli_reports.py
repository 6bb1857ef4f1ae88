"""The ``patentval report`` commands: appraisal reports, eligibility certificates and
portfolio statements, HTML or PDF, in Chinese or English."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from api.cli_common import err, fail, market_model, weights_option
from models.enums import ValueType
from models.money import Money
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
from valuation.uncertainty import default_draws

report_app = typer.Typer(
    no_args_is_help=True, help="Appraisal reports, eligibility certificates, portfolio statements."
)

LangOption = Annotated[Language, typer.Option("--lang", help="Language of the report.")]
OutOption = Annotated[Path, typer.Option("--out", help="The report, .pdf or .html.")]


def _day(text: str | None, option: str) -> date:
    """A YYYY-MM-DD option (today in China when not given)."""
    if not text:
        return datetime.now(REPORT_ZONE).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option} {text!r}: expected YYYY-MM-DD") from None


def _report_input(source: str) -> Path:
    """INPUT as a file; anything else is refused (stored appraisals come with storage)."""
    path = Path(source)
    if path.is_file() or path.suffix.lower() in READABLE:
        return path
    raise fail(
        f"INPUT {source!r} is not a file: give patents as a .csv or .parquet file in the batch "
        "schema (reading a stored appraisal by its id is not available yet)"
    )


def _output(out: Path) -> OutputFormat:
    try:
        return OutputFormat.of(out)
    except ValueError as error:
        raise fail(f"--out {error}") from None


def _rows(source: str, at: date) -> list[PatentRow]:
    try:
        return patent_rows(read_frame(_report_input(source)), at)
    except InputError as error:
        raise fail(str(error)) from None


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
            raise fail("--client: required, since the input names no owners")
        fields["client"] = names(lang, owners)
    try:
        return ReportInfo.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as error:
        raise fail(describe(error)) from None


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
    market, chosen = market_model(model), weights_option(weights)
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
        raise fail(str(error)) from None
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
        raise fail(f"loan: {message}") from None
    rows = _rows(source, at)
    certificate = check_eligibility(rows, loan, at, model=market_model(model), number=number)
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
        raise fail(str(error)) from None
    statement = portfolio_statement(frame, at, prepared_for=prepared_for, language=lang)
    _write(render_portfolio(statement, lang), out, f"portfolio statement as of {at}")

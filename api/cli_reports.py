"""The ``patentval report`` commands: appraisal reports, eligibility certificates and
portfolio statements, HTML or PDF, in Chinese or English."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from api.cli_common import (
    DatabaseOption,
    PublicationOption,
    day,
    err,
    fail,
    market_model,
    weights_option,
)
from api.services.reports import certificate_of, stored_report
from api.services.valuations import registered_check
from models.enums import ValueType
from models.money import Money
from models.patent import Patent
from pledge.disclosure import DisclosureRule
from pledge.policy import DEFAULT_LENDER
from pledge.proposal import ProposedLoan, normalise_number
from reports.appraisal import AppraisalReport, appraise, render_appraisal
from reports.constants import default_seed
from reports.eligibility import EligibilityCertificate, check_eligibility, render_certificate
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
from storage import parties
from storage.errors import DomainError, NotFoundError
from storage.patents import EVERY_VALUATION, get_patents, owned_by
from storage.statistics import pledge_frame
from valuation.uncertainty import default_draws

report_app = typer.Typer(
    no_args_is_help=True, help="Appraisal reports, eligibility certificates, portfolio statements."
)

LangOption = Annotated[Language, typer.Option("--lang", help="Language of the report.")]
OutOption = Annotated[Path, typer.Option("--out", help="The report, .pdf or .html.")]


def _day(text: str | None, option: str) -> date:
    """A YYYY-MM-DD option (today in China when not given)."""
    return day(option, text) if text else datetime.now(REPORT_ZONE).date()


def _is_file_input(source: str) -> bool:
    """Whether INPUT names a file (an existing one, or one with a readable suffix)."""
    path = Path(source)
    return path.is_file() or path.suffix.lower() in READABLE


def _report_input(source: str) -> Path:
    """INPUT as a file; anything else is refused."""
    if _is_file_input(source):
        return Path(source)
    raise fail(f"INPUT {source!r} is not a file: give a .csv or .parquet file")


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
    source: Annotated[
        str,
        typer.Argument(
            metavar="INPUT", help="Patents, CSV or Parquet; or a stored appraisal's id."
        ),
    ],
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
    database_url: DatabaseOption = None,
) -> None:
    """Write the appraisal report of the patents of INPUT (one or a portfolio), or of the
    appraisal stored under the id INPUT (read from --database-url)."""
    _output(out)
    if not _is_file_input(source):
        valuing = {"--base-date": base_date, "--draws": draws, "--seed": seed, "--model": model}
        valuing["--weights"] = weights
        given = [name for name, value in valuing.items() if value is not None]
        if given:
            raise fail(
                f"{', '.join(given)}: a stored appraisal is reported as it was valued; "
                "these options are for valuing a file of patents"
            )
        overrides: dict[str, object] = {
            "client": client,
            "appraisers": _appraisers(appraiser) if appraiser else None,
            "firm": Firm(name=firm) if firm else None,
            "report_number": report_number,
            "report_date": _day(report_date, "--report-date") if report_date else None,
            "value_type": value_type if value_type is not ValueType.MARKET_VALUE else None,
        }
        _stored_appraisal_report(source, out, lang, database_url, overrides, working_papers)
        return
    at = _day(base_date, "--base-date")
    issued = _day(report_date, "--report-date")
    if issued < at:
        raise fail(_early(issued, at))
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
        report_date=issued,
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


def _stored_appraisal_report(
    appraisal_id: str,
    out: Path,
    lang: Language,
    database_url: str | None,
    overrides: dict[str, object],
    working_papers: bool,
) -> None:
    """The report of a stored appraisal, with the report's own options given on the line."""
    from api.cli import _database, _domain

    url = _stored_in(database_url, f"INPUT {appraisal_id!r} is not a file")
    with _domain(), _database(url) as session:
        report = stored_report(session, appraisal_id, lang)
    changes = {k: v for k, v in overrides.items() if v is not None}
    issued, at = changes.get("report_date"), report.info.base_date
    if isinstance(issued, date) and at is not None and issued < at:
        raise fail(_early(issued, at))
    try:
        info = report.info.model_validate({**report.info.model_dump(), **changes})
        html = render_appraisal(
            AppraisalReport(info, report.appraisals), lang, working_papers=working_papers
        )
    except ValidationError as error:
        raise fail(describe(error)) from None
    except ReportError as error:
        raise fail(str(error)) from None
    patents = len(report.appraisals)
    _write(html, out, f"appraisal report of stored appraisal {appraisal_id} ({patents} patents)")


def _early(issued: date, base: date) -> str:
    return (
        f"--report-date {issued}: before the base date {base}; a report cannot be issued "
        "before the date it values at"
    )


def _stored_in(database_url: str | None, what: str) -> str:
    """The database to read stored records from; refused when it does not exist (a report
    never creates one, and a mistyped file name is not taken for a record id)."""
    from api.cli import _has_database, _url

    url = _url(database_url)
    if not _has_database(url):
        raise fail(
            f"{what}, and no database at {url} to read from (give a .csv or .parquet file, or "
            "--database-url)"
        )
    return url


@report_app.command("eligibility")
def report_eligibility(
    out: OutOption,
    amount: Annotated[str, typer.Option(help="Loan amount, CNY.")],
    term_months: Annotated[int, typer.Option(help="Loan term in months.")],
    source: Annotated[
        str | None,
        typer.Argument(
            metavar="[INPUT]",
            help="Patents, CSV or Parquet; default: registered patents (--patent, --enterprise).",
        ),
    ] = None,
    pledgor: Annotated[
        str | None, typer.Option(help="The enterprise pledging the patents of INPUT (its name).")
    ] = None,
    patent: Annotated[
        list[str] | None,
        typer.Option("--patent", help="A registered patent's number; repeat for each."),
    ] = None,
    enterprise: Annotated[
        str | None,
        typer.Option(
            help="Party id of the registered enterprise that pledges; without --patent, all "
            "the patents registered to it."
        ),
    ] = None,
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
    database_url: DatabaseOption = None,
) -> None:
    """Write the pledge eligibility certificate of the patents of INPUT for a proposed loan; or,
    without INPUT, of patents registered in the database (--database-url): those of --patent,
    or all of --enterprise, checked as the service checks them (stored valuations, live
    pledges)."""
    _output(out)
    at = _day(as_of, "--as-of")
    begins = _day(start, "--start") if start else None
    registered = {"--patent": patent, "--enterprise": enterprise, "--database-url": database_url}
    if source is not None:
        given = [name for name, value in registered.items() if value]
        if given:
            raise fail(
                f"{', '.join(given)}: for patents registered in the database; INPUT {source!r} "
                "is a file of patents, checked on its own — give one or the other"
            )
        if not pledgor:
            raise fail("--pledgor: required with INPUT (the pledging enterprise's name)")
        loan = _proposed_loan(amount, term_months, pledgor, lender, begins)
        rows = _rows(source, at)
        certificate = check_eligibility(rows, loan, at, model=market_model(model), number=number)
    else:
        if not patent and enterprise is None:
            raise fail(
                "give INPUT (a .csv or .parquet file of patents), or --patent or --enterprise "
                "for patents registered in the database"
            )
        refused = {"--pledgor": pledgor, "--model": model}
        given = [name for name, value in refused.items() if value is not None]
        if given:
            raise fail(
                f"{', '.join(given)}: for INPUT only; registered patents are pledged by the "
                "registered enterprise (--enterprise) and checked with their stored valuations "
                "(the engine's for a patent with none)"
            )
        numbers = _patent_numbers(patent or [])
        url = _stored_in(database_url, "no INPUT given")

        def proposed(name: str) -> ProposedLoan:
            return _proposed_loan(amount, term_months, name, lender, begins)

        certificate = _registered_certificate(url, numbers, enterprise, at, proposed, number)
    verdict = "eligible" if certificate.portfolio.eligible else "not eligible"
    _write(render_certificate(certificate, lang), out, f"eligibility certificate: {verdict}")


def _proposed_loan(
    amount: str, term_months: int, pledgor: str, lender: str, start: date | None
) -> ProposedLoan:
    """The proposed loan of the options; a clear error naming what is wrong."""
    try:
        return ProposedLoan(
            amount=Money.of(amount),
            term_months=term_months,
            pledgor=pledgor,
            lender=lender,
            start=start,
        )
    except (ValidationError, ValueError) as error:
        message = describe(error) if isinstance(error, ValidationError) else str(error)
        raise fail(f"loan: {message}") from None


def _patent_numbers(given: list[str]) -> list[str]:
    """The --patent numbers in their granted form, each once."""
    numbers: list[str] = []
    for text in given:
        try:
            normal = normalise_number(text.strip())
        except ValueError as error:
            raise fail(f"--patent {text!r}: {error}") from None
        if normal in numbers:
            raise fail(f"--patent {text!r}: given twice")
        numbers.append(normal)
    return numbers


def _registered_certificate(
    url: str,
    numbers: list[str],
    enterprise: str | None,
    at: date,
    proposed: Callable[[str], ProposedLoan],
    number: str | None,
) -> EligibilityCertificate:
    """The certificate of registered patents, pre-checked as ``POST /v1/eligibility/certificate``
    does: the patents ``numbers`` (default: all registered to ``enterprise``), pledged by
    ``enterprise`` (default: the one registered party that owns them all)."""
    from api.cli import _database, _domain

    with _domain(), _database(url) as session:
        party = None
        if enterprise is not None:
            try:
                party = parties.get_party(session, enterprise)
            except NotFoundError:
                raise fail(f"--enterprise {enterprise!r}: no such party in the database") from None
            if not numbers:
                numbers = owned_by(session, enterprise)
            if not numbers:
                raise fail(f"--enterprise {enterprise!r}: no patents registered to {party.name}")
        try:
            patents = get_patents(session, numbers)
        except NotFoundError as error:
            raise fail(f"--patent: {error.reason}") from None
        if party is None:
            party = parties.get_party(session, _owning_party(patents))
        loan = proposed(party.name)
        try:
            named = parties.lender_name(session, loan.lender)
        except DomainError as error:
            raise fail(f"--lender {loan.lender}: {error.reason}") from None
        loan = loan.model_copy(update={"lender_name": named})
        check = registered_check(session, patents, loan, at, relied_on_by=EVERY_VALUATION)
    return certificate_of(check, number)


def _owning_party(patents: list[Patent]) -> str:
    """The one registered party named an owner of every patent; refused otherwise."""
    owning = [{o.party_id for o in p.owners if o.party_id} for p in patents]
    common = set.intersection(*owning)
    if len(common) != 1:
        raise fail(
            "--enterprise: required, since the patents do not name one registered party as "
            "an owner of them all (give the pledging enterprise's party id)"
        )
    return common.pop()


@report_app.command("portfolio")
def report_portfolio(
    out: OutOption,
    as_of: Annotated[str, typer.Option(help="Statement date YYYY-MM-DD.")],
    source: Annotated[
        str | None,
        typer.Argument(metavar="[INPUT]", help="Pledges, CSV or Parquet; default: the database's."),
    ] = None,
    lang: LangOption = Language.ZH,
    prepared_for: Annotated[str | None, typer.Option(help="Bank or regulator.")] = None,
    for_publication: PublicationOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Write the pledge portfolio statement of the pledges of INPUT on a date, or of the
    pledges registered in the database (--database-url) when no INPUT is given."""
    _output(out)
    at = _day(as_of, "--as-of")
    if source is None:
        from api.cli import _database

        with _database(_stored_in(database_url, "no INPUT given")) as session:
            frame = pledge_frame(session, at)
    else:
        try:
            frame = read_pledges(_report_input(source))
        except InputError as error:
            raise fail(str(error)) from None
    rule = DisclosureRule.standard() if for_publication else None
    statement = portfolio_statement(
        frame, at, prepared_for=prepared_for, language=lang, disclosure=rule
    )
    _write(render_portfolio(statement, lang), out, f"portfolio statement as of {at}")

"""The ``patentval navigate`` and ``patentval demo city`` commands."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from api.cli_common import PublicationOption, err, fail
from api.cli_common import day as parse_day
from navigation.analytics import navigate as navigate_dataset
from navigation.city import city_patents, city_pledges, reported
from navigation.dataset import DatasetError, scan
from navigation.output import write
from pledge.disclosure import DisclosureRule
from pledge.policy import DEFAULT_LENDER
from pledge.statistics import StatisticsInputError
from reports.i18n import DEFAULT_LANGUAGE, Language
from reports.navigation import navigation_view, render_navigation
from reports.rendering import write as write_report

FORMATS = (".json", ".parquet", ".xlsx", ".html", ".pdf")
REPORT_FORMATS = (".html", ".pdf")
PATENTS_FILE, PLEDGES_FILE = "patents.parquet", "pledges.parquet"


def _inputs(dataset: Path, pledges: Path | None) -> tuple[pl.LazyFrame, pl.DataFrame | None]:
    """The dataset's patents and pledges: a folder written by ``demo city``, or files."""
    if dataset.is_dir():
        patents = dataset / PATENTS_FILE
        if pledges is None and (dataset / PLEDGES_FILE).is_file():
            pledges = dataset / PLEDGES_FILE
    else:
        patents = dataset
    try:
        frame = scan(patents)
        pledge_frame = scan(pledges).collect() if pledges is not None else None
    except DatasetError as error:
        raise fail(str(error)) from None
    return frame, pledge_frame


def navigate(
    dataset: Annotated[
        Path,
        typer.Argument(
            metavar="DATASET",
            help="Patents (CSV or Parquet), or a folder from `patentval demo city`.",
        ),
    ],
    as_of: Annotated[str, typer.Option("--as-of", help="Day the figures are as of, YYYY-MM-DD.")],
    out: Annotated[
        Path, typer.Option("--out", help="Report: .json, .parquet, .xlsx, .html or .pdf.")
    ],
    pledges: Annotated[
        Path | None, typer.Option(help="Pledges (CSV or Parquet) in the statistics schema.")
    ] = None,
    lender: Annotated[str, typer.Option(help="Lender whose policy caps the capacity.")] = (
        DEFAULT_LENDER
    ),
    lang: Annotated[
        Language, typer.Option("--lang", help="Language of an .html or .pdf report.")
    ] = DEFAULT_LANGUAGE,
    prepared_for: Annotated[
        str | None, typer.Option(help="Who the .html or .pdf report is for.")
    ] = None,
    for_publication: PublicationOption = False,
) -> None:
    """Patent navigation figures of DATASET as of a day.

    Flows, grant rates, top applicants, high-value patents, pledge financing and each firm's
    pledge capacity; for publication, without what each firm borrows and with the amounts of
    pledge lines of few enterprises withheld."""
    day = parse_day("--as-of", as_of)
    if out.suffix.lower() not in FORMATS:
        raise fail(f"--out {out}: expected one of {', '.join(FORMATS)}")
    frame, pledge_frame = _inputs(dataset, pledges)
    try:
        result = navigate_dataset(frame, day, pledges=pledge_frame, lender=lender)
        if for_publication:
            result = result.for_publication(pledge_frame, DisclosureRule.standard())
    except (StatisticsInputError, ValueError, pl.exceptions.PolarsError) as error:
        raise fail(f"DATASET {dataset}: {error}") from None
    if out.suffix.lower() in REPORT_FORMATS:
        view = navigation_view(result, language=lang, prepared_for=prepared_for)
        write_report(render_navigation(view, lang), out)
    else:
        write(result, out)
    err.print(
        f"navigated {result.rows - result.refused} of {result.rows} rows as of {day}; "
        f"{result.refused} refused → {out}"
    )


def demo_city(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the dataset into.")],
) -> None:
    """Write the synthetic demo city's patents and pledges (and their README) into a folder."""
    out.mkdir(parents=True, exist_ok=True)
    patents, pledges = city_patents(), city_pledges()
    patents.write_parquet(out / PATENTS_FILE)
    pledges.write_parquet(out / PLEDGES_FILE)
    target = reported()
    (out / "README.md").write_text(
        "# Synthetic demo city (not real data)\n\n"
        "Every firm, number and date in this folder is synthetic, made by "
        "`patentval demo city`. Only the headline figures are the city's reported ones: from "
        f"{target.window_start} to {target.window_end}, {target.applications:,} applications "
        f"and {target.grants:,} grants, of which {target.invention_applications:,} invention "
        f"applications and {target.invention_grants:,} invention grants.\n\n"
        f"- `{PATENTS_FILE}`: {patents.height:,} patents and applications in the navigation "
        "dataset schema\n"
        f"- `{PLEDGES_FILE}`: the {pledges.height} pledges of the demo portfolio "
        f"(`patentval demo load`), ¥{Decimal(target.pledge_total):,} registered and live on "
        f"{target.pledge_as_of}\n",
        encoding="utf-8",
    )
    err.print(f"wrote {patents.height:,} synthetic patents and {pledges.height} pledges → {out}")

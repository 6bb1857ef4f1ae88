"""The ``patentval`` command line."""

from __future__ import annotations

import os
import sys
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api import cli_navigation
from models.enums import PatentType
from models.money import to_decimal
from valuation.batch import value_file
from valuation.features import FittedModel
from valuation.frame import normalise
from valuation.market import default_model, fit_model, load_model
from valuation.reconcile import Approach
from valuation.renewal import cn_annual_fees, us_maintenance_fees

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


demo = typer.Typer(no_args_is_help=True, help="Demo data: the synthetic city.")
demo.command("city")(cli_navigation.demo_city)
app.add_typer(demo, name="demo")
app.command("navigate")(cli_navigation.navigate)

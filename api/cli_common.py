"""What the ``patentval`` commands share: the error console, failing with a message, reading
an input file, the market model and reconciliation weights options."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console

from models.dates import FIRST_DAY, LAST_DAY, in_service_range
from models.money import to_decimal
from valuation.features import FittedModel
from valuation.market import default_model, load_model
from valuation.reconcile import Approach

err = Console(stderr=True, soft_wrap=True)
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL; default PATENTVAL_DATABASE_URL, else sqlite:///var/patentval.db.",
    ),
]
PublicationOption = Annotated[
    bool,
    typer.Option(
        "--for-publication",
        help="Withhold the amounts of lines that fewer enterprises make up than the disclosure "
        "rule allows (pledge/data/parameters_disclosure.csv), and of the lines that would "
        "reveal them.",
    ),
]


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=2)


def day(option: str, text: str) -> date:
    """The YYYY-MM-DD day ``text`` of ``option``, one the service accepts (the API's range,
    :data:`models.dates.FIRST_DAY` to :data:`models.dates.LAST_DAY`); exit 2 naming the option
    otherwise."""
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option} {text!r}: expected a date YYYY-MM-DD") from None
    if not in_service_range(parsed):
        raise fail(
            f"{option} {text}: outside the days accepted, {FIRST_DAY.isoformat()} to "
            f"{LAST_DAY.isoformat()}"
        )
    return parsed


def readable(path: Path) -> Path:
    if not path.is_file():
        raise fail(f"INPUT {path}: no such file")
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise fail(f"INPUT {path}: expected a .csv or .parquet file")
    return path


def read_input(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema=False)


def weights_option(text: str | None) -> dict[Approach, Decimal] | None:
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
            raise fail(
                f"--weights {part!r}: expected APPROACH=WEIGHT with APPROACH one of {known}"
            ) from None
        if weight < 0:
            raise fail(f"--weights {part!r}: a weight cannot be negative")
        weights[approach] = weight
    return weights


def market_model(path: Path | None) -> FittedModel:
    if path is None:
        return default_model()
    if not path.is_file():
        raise fail(f"--model {path}: no such file")
    try:
        return load_model(path)
    except (ValueError, KeyError) as error:
        raise fail(f"--model {path}: not a patentval market model ({error})") from None

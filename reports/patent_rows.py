"""Patents for a report, read from a file in the valuation batch schema.

The file holds one patent per row in the columns of ``valuation/schema.py`` (checked by
``valuation.frame.normalise``), plus, optionally, ``title`` and ``owners`` (registered patentees
separated by ``;``) and, for the eligibility certificate, the pledge columns of
``pledge/eligibility_batch.py`` (``consenting_owners``, ``fees_paid_through_year``,
``fee_reduction``, ``ownership_dispute``, ``preservation_until``, ``invalidation_pending``,
``valuation_base_date``, ``appraised_value``).

Each row becomes a :class:`models.patent.Patent` and its :class:`valuation.engine.Financials`:
money and rates exactly from the cell's text (never through a float); the batch schema's counts of
inventors and licences become that many unnamed entries, since the engine reads only their number;
owners share the patent equally, the schema not recording shares. A row that fails a check is
refused with its row number (1 for the first data row), its patent number, the field and the
reason — :class:`InputError` lists every such row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
from pydantic import ValidationError

from models.money import Money, to_decimal
from models.patent import Licence, Owner, Patent
from pledge.policy import PatentValuation
from valuation.engine import Financials
from valuation.frame import filed_by, normalise
from valuation.income import Basis

READABLE = (".csv", ".parquet")
MONEY_FIELDS = ("revenue", "rd_cost")
RATE_FIELDS = (
    "revenue_growth",
    "operating_margin",
    "royalty_rate",
    "royalty_decay",
    "discount_rate",
    "tax_rate",
    "economic_life",
)
TRUE_WORDS = ("true", "1", "yes", "y", "是")
FALSE_WORDS = ("false", "0", "no", "n", "否")
"""Boolean cells as ``pledge/eligibility_batch.py`` reads them."""
SEPARATOR = ";"
COLUMN_OF = {"number": "patent_id", "ipc_codes": "ipc", "expiry_date_given": "expiry_date"}
"""The input column of a ``Patent`` field whose name differs."""
_HUNDRED = Decimal(100)
_SHARE = Decimal("0.01")
_SHOWN_ERRORS = 20


class InputError(ValueError):
    """The input cannot be read, or rows fail their checks; ``problems`` lists each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        shown = problems[:_SHOWN_ERRORS]
        more = len(problems) - len(shown)
        tail = [f"… and {more} more"] if more else []
        super().__init__("\n".join([*shown, *tail]))


@dataclass(frozen=True, slots=True)
class PatentRow:
    """One row of the input: the patent, its financials and, if given, its appraised value."""

    row: int
    patent: Patent
    financials: Financials
    valuation: PatentValuation | None = None


def read_frame(path: Path) -> pl.DataFrame:
    """The rows of a CSV (every cell as text) or Parquet file."""
    if not path.is_file():
        raise InputError([f"INPUT {path}: no such file"])
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        raise InputError([f"INPUT {path}: expected a .csv or .parquet file"])
    try:
        if suffix == ".parquet":
            return pl.DataFrame(pl.from_arrow(pq.read_table(path)))
        return pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise InputError([f"INPUT {path}: cannot be read ({error})"]) from None


def _text(cell: Any) -> str | None:
    if cell is None:
        return None
    text = str(cell).strip()
    return text or None


def _decimal(cell: Any) -> Decimal | None:
    """A money or rate cell, exactly: text and Decimal as they are, a Parquet float by its repr."""
    if cell is None or isinstance(cell, Decimal):
        return cell
    text = _text(repr(cell) if isinstance(cell, float) else cell)
    return None if text is None else to_decimal(text)


def _flag(cell: Any, field: str) -> bool:
    if isinstance(cell, bool):
        return cell
    text = (_text(cell) or "false").lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"{field}: {cell!r} is not true or false")


def _names(cell: Any) -> list[str]:
    parts = ((_text(cell) or "").split(SEPARATOR)) if cell is not None else []
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _owners(names: list[str], consenting: set[str]) -> list[Owner]:
    """Equal shares, to the hundredth of a percent; the first owner takes the remainder."""
    if not names:
        return []
    share = (_HUNDRED / len(names)).quantize(_SHARE, rounding=ROUND_DOWN)
    shares = [_HUNDRED - share * (len(names) - 1), *[share] * (len(names) - 1)]
    return [
        Owner(name=name, share_percent=s, consents_to_pledge=name in consenting)
        for name, s in zip(names, shares, strict=True)
    ]


def _count(cell: Any) -> int:
    return 0 if cell is None else int(cell)


def _patent(typed: dict[str, Any], raw: dict[str, Any]) -> Patent:
    codes = (_text(typed.get("ipc")) or "").split(SEPARATOR)
    countries = (_text(typed.get("family_countries")) or "").split(SEPARATOR)
    data: dict[str, Any] = {
        "number": typed["patent_id"],
        "patent_type": typed["patent_type"],
        "title": _text(raw.get("title")) or "",
        "owners": _owners(_names(raw.get("owners")), set(_names(raw.get("consenting_owners")))),
        "filing_date": typed["filing_date"],
        "grant_date": typed["grant_date"],
        "legal_status": typed["legal_status"],
        "ipc_codes": [c.strip() for c in codes if c.strip()],
        "family_countries": [c.strip() for c in countries if c.strip()],
        "inventors": [f"#{i + 1}" for i in range(_count(typed.get("inventors")))],
        "licences": [Licence(licensee=f"#{i + 1}") for i in range(_count(typed.get("licences")))],
        "invalidations_survived": _count(typed.get("invalidations_survived")),
        "in_litigation": bool(typed.get("in_litigation")),
        "industry": typed.get("industry"),
        "term_adjustment_days": _count(typed.get("term_adjustment_days")),
        "expiry_date_given": typed["expiry_date"] if _text(raw.get("expiry_date")) else None,
        "fees_paid_through_year": _text(raw.get("fees_paid_through_year")),
        "fee_reduction": _text(raw.get("fee_reduction")),
        "ownership_dispute": _flag(raw.get("ownership_dispute"), "ownership_dispute"),
        "preservation_until": _text(raw.get("preservation_until")),
        "invalidation_pending": _flag(raw.get("invalidation_pending"), "invalidation_pending"),
    }
    for name in (
        "claims",
        "independent_claims",
        "forward_citations",
        "backward_citations",
        "npl_citations",
        "family_size",
    ):
        data[name] = typed.get(name)
    return Patent.model_validate(data)


def _financials(raw: dict[str, Any]) -> Financials:
    data: dict[str, Any] = {name: _decimal(raw.get(name)) for name in RATE_FIELDS}
    for name in MONEY_FIELDS:
        amount = _decimal(raw.get(name))
        data[name] = None if amount is None else Money.of(amount)
    data["royalty_basis"] = _text(raw.get("royalty_basis")) or Basis.REVENUE.value
    return Financials.model_validate(data)


def _valuation(patent: Patent, raw: dict[str, Any]) -> PatentValuation | None:
    value, base = _decimal(raw.get("appraised_value")), _text(raw.get("valuation_base_date"))
    if value is None and base is None:
        return None
    if value is None or base is None:
        raise ValueError("valuation_base_date: give it together with appraised_value")
    return PatentValuation(
        patent_number=patent.number.patent_number,
        patent_type=patent.patent_type,
        base_date=date.fromisoformat(base),
        value=Money.of(value),
    )


def describe(error: ValidationError) -> str:
    """The errors by input column (``ipc``, not the model's ``ipc_codes``), without pydantic's
    'Value error, ' prefix."""
    parts = []
    for item in error.errors():
        where = [str(p) for p in item["loc"] if not isinstance(p, int)]
        field = COLUMN_OF.get(where[0], where[0]) if where else "row"
        parts.append(f"{field}: {item['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


def patent_rows(frame: pl.DataFrame, at: date) -> list[PatentRow]:
    """Every row of ``frame`` as a patent with its financials, checked as of ``at``."""
    if frame.height == 0:
        raise InputError(["INPUT: no patents (the file has no rows)"])
    try:
        late = filed_by(at)
        if "appraised_value" in frame.columns:  # a row with its own value is not valued here
            valued_here = pl.col("appraised_value").cast(pl.String).str.strip_chars() == ""
            late = pl.when(valued_here.fill_null(True)).then(late).otherwise("error").alias("error")
        checked = normalise(frame, at).with_columns(late).collect()
    except ValueError as error:
        raise InputError([f"INPUT: {error}"]) from None
    problems: list[str] = []
    rows: list[PatentRow] = []
    raw_rows = frame.iter_rows(named=True)
    for index, (typed, raw) in enumerate(zip(checked.iter_rows(named=True), raw_rows, strict=True)):
        where = f"row {index + 1} ({_text(raw.get('patent_id')) or 'no patent_id'})"
        if typed["error"] is not None:
            problems.append(f"{where}: {typed['error']}")
            continue
        try:
            patent = _patent(typed, raw)
            row = PatentRow(index + 1, patent, _financials(raw), _valuation(patent, raw))
        except ValidationError as error:
            problems.append(f"{where}: {describe(error)}")
            continue
        except ValueError as error:
            problems.append(f"{where}: {error}")
            continue
        rows.append(row)
    numbers = [r.patent.number.patent_number for r in rows]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    problems += [f"patent_id: {n} appears more than once" for n in repeated]
    if problems:
        raise InputError(problems)
    return rows

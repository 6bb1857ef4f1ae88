r"""Pledge outputs: realisable value and the maximum loan a pledged patent supports.

.. math::

    h = h_{high} - (h_{high} - h_{low}) \cdot \frac{S}{100}, \qquad
    V_{real} = V_{market} \cdot (1 - h), \qquad
    L_{max} = V_{real} \cdot \mathrm{LTV}_{cap}

The haircut band :math:`[h_{low}, h_{high}]` depends on the patent type
(``valuation/data/haircuts.csv``); the indicator score :math:`S` (0..100) places the haircut in
it, a higher score giving a lower haircut. Without a score the band's upper end applies (the
conservative choice for a lender). The cap :math:`\mathrm{LTV}_{cap}` (质押率) is per patent type
(``ltv_caps.csv``: one bank's policy, invention 25 %, utility model 15 %; design still to check).
Money is rounded half-even to the fen once, at the end; both outputs are computed from the exact
realisable value, so :math:`L_{max} \le V_{real} \le V_{market}` holds after rounding.

References
----------
.. [1] docs/DOMAIN.md §3 "Reconciliation and pledge outputs" and §4 "Pledge financing".
.. [2] Civil Code of the PRC, Art. 440 and 444 (patent rights may be pledged).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import polars as pl
from pydantic import BaseModel, ConfigDict

from models.enums import PatentType
from models.money import Money, to_decimal
from valuation.audit import AuditTrail, Step, cite, input_hash
from valuation.constants import Constant, read_table
from valuation.cost import FEN_DECIMALS
from valuation.frame import IN_MEMORY, normalised
from valuation.scoring import SCORE_MAX, place_in_band

METHOD = "pledge outputs: realisable = market × (1 − haircut); max loan = realisable × LTV cap"
_ZERO, _ONE = Decimal(0), Decimal(1)


class PledgeValueResult(BaseModel):
    """Realisable value and maximum loan of one pledged patent, with steps and audit trail."""

    model_config = ConfigDict(frozen=True)

    patent_type: PatentType
    market_value: Money
    score: Decimal | None
    haircut_low: Decimal
    haircut_high: Decimal
    haircut: Decimal
    realisable_value: Money
    ltv_cap: Decimal
    max_loan: Money
    audit: AuditTrail


@dataclass(frozen=True, slots=True)
class HaircutBand:
    low: Constant
    high: Constant

    def haircut(self, score: Decimal | None) -> Decimal:
        r""":math:`h = h_{high} - (h_{high} - h_{low}) \cdot S / 100`; without S, h_high."""
        if score is None:
            return self.high.value
        return place_in_band(self.high.value, self.low.value, score)


def _fraction(text: str, what: str) -> Decimal:
    value = Decimal(text)
    if not _ZERO <= value <= _ONE:
        raise ValueError(f"{what} = {value} is outside 0..1")
    return value


@cache
def haircut_bands() -> dict[PatentType, HaircutBand]:
    """Haircut band per patent type, validated: 0 ≤ low ≤ high ≤ 1, every type present."""
    bands: dict[PatentType, HaircutBand] = {}
    for row in read_table("haircuts"):
        kind = PatentType(row["patent_type"])
        low, high = (_fraction(row[f"haircut_{end}"], f"haircut_{end}") for end in ("low", "high"))
        if low > high:
            raise ValueError(f"haircuts.csv: {kind} band {low}..{high} is reversed")
        bands[kind] = HaircutBand(
            low=Constant(f"haircut.{kind}.low", low, "fraction", row["source_id"]),
            high=Constant(f"haircut.{kind}.high", high, "fraction", row["source_id"]),
        )
    if set(bands) != set(PatentType):
        raise ValueError(f"haircuts.csv: needs one band per patent type, has {sorted(bands)}")
    return bands


@cache
def ltv_caps() -> dict[PatentType, Constant]:
    """Loan-to-value cap per patent type, validated: 0..1, every type present."""
    caps = {
        PatentType(row["patent_type"]): Constant(
            f"ltv_cap.{row['patent_type']}",
            _fraction(row["ltv_cap"], "ltv_cap"),
            "fraction",
            row["source_id"],
        )
        for row in read_table("ltv_caps")
    }
    if set(caps) != set(PatentType):
        raise ValueError(f"ltv_caps.csv: needs one cap per patent type, has {sorted(caps)}")
    return caps


def pledge_value(
    market_value: Money,
    patent_type: PatentType,
    *,
    score: Decimal | None = None,
    haircut: Decimal | None = None,
    ltv_cap: Decimal | None = None,
) -> PledgeValueResult:
    """Realisable value and maximum loan for a patent of ``patent_type`` worth ``market_value``.

    Parameters
    ----------
    score
        Indicator score 0..100 (``valuation.scoring``); places the haircut in its band.
    haircut, ltv_cap
        An appraiser's or lender's own figure (fraction 0..1), used instead of the data.
    """
    if market_value.amount < 0:
        raise ValueError(f"market value must not be negative, got {market_value}")
    place = None if score is None else to_decimal(score)
    if place is not None and not _ZERO <= place <= SCORE_MAX:
        raise ValueError(f"score {place} is outside 0..{SCORE_MAX}")
    band, cap_row = haircut_bands()[patent_type], ltv_caps()[patent_type]
    cited = [cite(band.low), cite(band.high)]
    assumptions = []
    if haircut is None:
        cut = band.haircut(place)
        how = (
            "h = h_high (no indicator score: the conservative end)"
            if place is None
            else f"h = {band.high.value} − ({band.high.value} − {band.low.value}) · {place} / 100"
        )
    else:
        cut, how = _fraction(str(haircut), "haircut"), "haircut given"
        assumptions.append(f"haircut {cut} given instead of the {patent_type} band")
    if ltv_cap is None:
        cap = cap_row.value
        cited.append(cite(cap_row))
    else:
        cap = _fraction(str(ltv_cap), "ltv_cap")
        assumptions.append(f"LTV cap {cap} given instead of the {patent_type} policy")
    realisable = market_value.amount * (_ONE - cut)
    loan = realisable * cap
    currency = market_value.currency
    steps = (
        Step(name="haircut", formula=how, value=cut),
        Step(
            name="realisable value",
            formula=f"{market_value.amount} × (1 − {cut})",
            value=realisable,
        ),
        Step(name="maximum loan", formula=f"{realisable} × {cap}", value=loan),
    )
    audit = AuditTrail(
        input_hash=input_hash(market_value, patent_type.value, place, haircut, ltv_cap),
        method=METHOD,
        steps=steps,
        constants=tuple(cited),
        assumptions=(
            *assumptions,
            "money rounded half-even to the minor unit once, at the end",
            "haircut bands are engine defaults, still to check; the LTV cap is one lender's policy",
        ),
    )
    return PledgeValueResult(
        patent_type=patent_type,
        market_value=market_value,
        score=place,
        haircut_low=band.low.value,
        haircut_high=band.high.value,
        haircut=cut,
        realisable_value=Money.of(realisable, currency),
        ltv_cap=cap,
        max_loan=Money.of(loan, currency),
        audit=audit,
    )


def pledge_value_batch(
    frame: pl.DataFrame,
    *,
    market_value_column: str = "market_value",
    score_column: str = "score",
) -> pl.DataFrame:
    """Vectorised :func:`pledge_value` over a batch frame (amounts in CNY).

    Reads ``patent_type`` (without that column, the frame is normalised by
    :func:`valuation.frame.normalise` to read it from the number), the market value and, when
    present,
    the score column (null: no score; clipped to 0..100). Adds ``haircut``,
    ``realisable_value``, ``ltv_cap`` and ``max_loan``, the amounts rounded half-even to the fen
    from the unrounded realisable value.
    """
    if "patent_type" not in frame.columns:
        frame = normalised(frame).collect(engine=IN_MEMORY)
    kind = pl.col("patent_type").str.to_lowercase()
    bands, caps = haircut_bands(), ltv_caps()
    by_type = {
        "_haircut_low": {k.value: float(b.low.value) for k, b in bands.items()},
        "_haircut_high": {k.value: float(b.high.value) for k, b in bands.items()},
        "_ltv_cap": {k.value: float(c.value) for k, c in caps.items()},
    }
    low, high, cap = (pl.col(name) for name in by_type)
    if score_column in frame.columns:
        position = (pl.col(score_column).cast(pl.Float64) / float(SCORE_MAX)).clip(0.0, 1.0)
        cut = pl.coalesce(high - (high - low) * position, high)
    else:
        cut = high
    realisable = pl.col(market_value_column).cast(pl.Float64) * (1.0 - pl.col("haircut"))
    # Staged, so that each lookup by type is made once.
    return (
        frame.lazy()
        .with_columns(
            kind.replace_strict(table, default=None).alias(name) for name, table in by_type.items()
        )
        .with_columns(haircut=cut)
        .with_columns(
            realisable_value=realisable.round(FEN_DECIMALS),
            ltv_cap=cap,
            max_loan=(realisable * cap).round(FEN_DECIMALS),
        )
        .drop(*by_type)
        .collect(engine=IN_MEMORY)
    )

"""Bounds of the income inputs a caller gives: revenue growth, discount rate, economic life.

The engine (:class:`valuation.engine.Financials`), the batch checks (:mod:`valuation.frame`) and
the HTTP schema apply the same bounds, read from ``parameters_income.csv`` (source
``PATENTVAL-INPUT-BOUNDS``): ``<name>_min`` and ``<name>_max``, the lower end excluded where a
value at it means nothing to value (a discount rate of 0, no economic life), else included.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from valuation.constants import parameter


@dataclass(frozen=True, slots=True)
class Bound:
    """The range a caller's input must lie in."""

    name: str
    low: Decimal
    high: Decimal
    low_included: bool

    def admits(self, value: Decimal) -> bool:
        """Whether ``value`` lies in the range."""
        above = value >= self.low if self.low_included else value > self.low
        return above and value <= self.high

    @property
    def described(self) -> str:
        """The range in words: ``from -0.90 to 1.00`` or ``above 0 up to 1.00``."""
        if self.low_included:
            return f"from {self.low} to {self.high}"
        return f"above {self.low} up to {self.high}"

    def refusal(self, value: object) -> str:
        """Why ``value`` is refused."""
        unit = " years" if self.name == "economic_life" else " (a fraction: 5 % is 0.05)"
        return f"{self.name} {value} is outside the range accepted, {self.described}{unit}"


_EXCLUDED_LOW = frozenset({"discount_rate", "economic_life"})
BOUNDED = ("revenue_growth", "discount_rate", "economic_life")
"""The inputs with bounds."""


@cache
def bound(name: str) -> Bound:
    """The bound of input ``name`` (one of :data:`BOUNDED`)."""
    return Bound(
        name=name,
        low=parameter(f"{name}_min").value,
        high=parameter(f"{name}_max").value,
        low_included=name not in _EXCLUDED_LOW,
    )


def check(name: str, value: Decimal) -> Decimal:
    """``value`` when input ``name`` admits it; else ValueError with the range."""
    if not bound(name).admits(value):
        raise ValueError(bound(name).refusal(value))
    return value

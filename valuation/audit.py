"""The audit trail every valuation result carries: what went in, what was done, which constants
were used and where they come from, and which engine did it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from valuation import ENGINE_VERSION
from valuation.constants import Constant, Source, sources


class CitedConstant(BaseModel):
    """A constant a result used, with its value, unit and source."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: Decimal
    unit: str
    source_id: str
    source: str


class Step(BaseModel):
    """One step of a calculation: its name, its formula, and the value it produced."""

    model_config = ConfigDict(frozen=True)

    name: str
    formula: str
    value: Annotated[Decimal | str, Field(union_mode="left_to_right")]
    """A figure, or a text (a verdict, an amount with its currency); a figure read back from
    JSON, where it is a string, is a figure again."""


class AuditTrail(BaseModel):
    """Inputs (by hash), method, steps, constants and engine version of one result."""

    model_config = ConfigDict(frozen=True)

    input_hash: str
    method: str
    steps: tuple[Step, ...] = ()
    constants: tuple[CitedConstant, ...] = ()
    assumptions: tuple[str, ...] = ()
    engine_version: str = Field(default=ENGINE_VERSION)


def cite(constant: Constant, known: Mapping[str, Source] | None = None) -> CitedConstant:
    """A constant as a result cites it, with its source's title and reference.

    ``known`` is the registry its source is in (default: the valuation data's sources, whose
    citations are made once each: a result cites about ninety)."""
    if known is None:
        return _cite_from_data(constant)
    return _cited(constant, known[constant.source_id])


@lru_cache(maxsize=4096)
def _cite_from_data(constant: Constant) -> CitedConstant:
    return _cited(constant, sources()[constant.source_id])


def _cited(constant: Constant, source: Source) -> CitedConstant:
    return CitedConstant(
        name=constant.name,
        value=constant.value,
        unit=constant.unit,
        source_id=constant.source_id,
        source=f"{source.title} — {source.reference}",
    )


def _canonical(value: Any) -> Any:
    if isinstance(value, BaseModel):  # JSON already (decimals as text); input_hash sorts keys
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, Decimal):
        return str(value.normalize())
    return value


def input_hash(*inputs: Any) -> str:
    """SHA-256 of the inputs in canonical JSON (sorted keys, decimals as normalised strings)."""
    payload = json.dumps(
        _canonical(list(inputs)), sort_keys=True, separators=(",", ":"), default=str
    )
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()

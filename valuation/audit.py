"""The audit trail every valuation result carries: what went in, what was done, which constants
were used and where they come from, and which engine did it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.datafiles import DataFiles
from valuation import ENGINE_VERSION
from valuation.constants import FILES, Constant, UnknownConstantError


class CitedConstant(BaseModel):
    """A constant a result used: its value, unit and the id of its source (whose text the
    result's ``sources`` give once)."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: Decimal
    unit: str
    source_id: str


@lru_cache(maxsize=8)
def source_texts(files: DataFiles) -> dict[str, str]:
    """Each source ``files`` know as a result cites it: its title and reference."""
    return {i: f"{s.title} — {s.reference}" for i, s in files.sources().items()}


def _source_id(constant: Any) -> Any:
    return (
        constant.get("source_id")
        if isinstance(constant, dict)
        else getattr(constant, "source_id", None)
    )


def _texts_moved(
    constants: Iterable[Any], given: dict[str, str]
) -> tuple[list[Any], dict[str, str], set[str]]:
    """Constants without the ``source`` text a result stored before sources were cited once,
    the texts moved into ``given``, and the source ids cited."""
    plain, cited = [], set()
    for constant in constants:
        if isinstance(constant, dict) and "source" in constant:
            constant = dict(constant)
            given.setdefault(str(constant.get("source_id")), str(constant.pop("source")))
        if isinstance(source_id := _source_id(constant), str):
            cited.add(source_id)
        plain.append(constant)
    return plain, given, cited


class Citations(BaseModel):
    """A result with ``constants`` it used and, once each, the ``sources`` they cite
    (``source_id`` → title and reference); subclasses declare both fields where they belong.

    ``sources`` left out is filled from ``files`` (the valuation data, whose sources include the
    statutory rules'); a result stored when each constant carried its own ``source`` text
    reads as before. A constant whose source has no text is refused."""

    model_config = ConfigDict(frozen=True)

    files: ClassVar[DataFiles] = FILES

    if TYPE_CHECKING:
        constants: tuple[CitedConstant, ...]
        sources: dict[str, str]

    @model_validator(mode="before")
    @classmethod
    def _cite_sources(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not (constants := data.get("constants")):
            return data
        given = data.get("sources")
        if not isinstance(constants, list | tuple) or not isinstance(given, dict | None):
            return data  # the fields' own validation names what is wrong
        try:
            cited = {c.source_id for c in constants}  # as the engine builds them
        except AttributeError:  # as JSON reads them
            if given is None:  # perhaps stored with a source text on each constant
                constants, given, cited = _texts_moved(constants, {})
            else:
                cited = {i for i in map(_source_id, constants) if isinstance(i, str)}
        if given is None or not cited <= given.keys():
            given = _filled(dict(given or {}), cited, source_texts(cls.files))
        if constants is data["constants"] and given is data.get("sources"):
            return data
        return {**data, "constants": constants, "sources": given}


def _filled(given: dict[str, str], cited: set[str], known: Mapping[str, str]) -> dict[str, str]:
    """``given`` with the text of each cited source it lacks; refuses a source not ``known``."""
    given.update((i, known[i]) for i in cited - given.keys() if i in known)
    if unknown := sorted(cited - given.keys()):
        raise ValueError(f"constants cite sources that are not known: {unknown}")
    return given


class Step(BaseModel):
    """One step of a calculation: its name, its formula, and the value it produced."""

    model_config = ConfigDict(frozen=True)

    name: str
    formula: str
    value: Annotated[Decimal | str, Field(union_mode="left_to_right")]
    """A figure, or a text (a verdict, an amount with its currency); a figure read back from
    JSON, where it is a string, is a figure again."""


class AuditTrail(Citations):
    """Inputs (by hash), method, steps, constants with their sources, and engine version of one
    result."""

    input_hash: str
    method: str
    steps: tuple[Step, ...] = ()
    constants: tuple[CitedConstant, ...] = ()
    sources: dict[str, str] = Field(default_factory=dict)
    assumptions: tuple[str, ...] = ()
    engine_version: str = Field(default=ENGINE_VERSION)


@lru_cache(maxsize=4096)
def cite(constant: Constant, files: DataFiles = FILES) -> CitedConstant:
    """A constant as a result cites it; its source must be one ``files`` know (default: the
    valuation data's). Each citation is made once: a result cites about ninety."""
    if constant.source_id not in files.sources():
        raise UnknownConstantError(
            f"constant {constant.name!r} cites unknown source {constant.source_id!r}"
        )
    return CitedConstant(
        name=constant.name,
        value=constant.value,
        unit=constant.unit,
        source_id=constant.source_id,
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

"""Column types: exact decimals and UTC instants on both engines, JSON documents.

A document may be given already serialised, as :class:`DocumentText` (a pydantic model's
``model_dump_json``, which pydantic writes several times faster than ``json.dumps`` writes the
model's dump): the engines' JSON serialiser (:func:`serialise_document`) stores it as it is.

PostgreSQL stores an :class:`ExactDecimal` as ``NUMERIC(p, s)``. SQLite has no decimal type (its
NUMERIC affinity keeps fractions as binary floating point, so sums in a trigger would drift), so
there the same column holds the integer count of 10^-s units: ``12.34`` in a money column is the
integer 1234. Either way a value goes in and comes out as a ``Decimal`` with exactly ``s``
places, and a value with more places than the column keeps is refused, never rounded silently.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

MONEY_PRECISION, MONEY_SCALE = 20, 2
_SQLITE_INTEGER_MAX = 2**63 - 1


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal of ``precision`` digits, ``scale`` of them after the point, on both engines."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision, self.scale = precision, scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """NUMERIC on PostgreSQL, BIGINT on SQLite."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Decimal | int | None:
        """The value as stored; refuse floats and inexact values."""
        if value is None:
            return None
        if not isinstance(value, Decimal | int) or isinstance(value, bool):
            raise TypeError(f"{value!r} is not a Decimal: exact columns refuse floats")
        exact = Decimal(value).quantize(self._quantum)
        if exact != value:
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        if exact.adjusted() >= self.precision - self.scale:
            raise ValueError(f"{value} has more than {self.precision - self.scale} integer digits")
        if dialect.name != "sqlite":
            return exact
        units = int(exact.scaleb(self.scale))
        if abs(units) > _SQLITE_INTEGER_MAX:
            raise ValueError(f"{value} is beyond what SQLite holds exactly in this column")
        return units

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """The stored value as a Decimal of the column scale."""
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value).quantize(self._quantum)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant, stored in UTC and read back as an aware UTC datetime on both engines (SQLite
    keeps no offset, so what it returns is naive: it is UTC, because only UTC goes in)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        """The instant in UTC (a naive one is taken as UTC, as the audit chain takes it)."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"{value!r} is not a datetime")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """The stored instant, aware, in UTC."""
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def Amount() -> ExactDecimal:  # noqa: N802 - reads as a column type
    """A money amount: ``NUMERIC(20, 2)``."""
    return ExactDecimal(MONEY_PRECISION, MONEY_SCALE)


def Document() -> TypeEngine[Any]:  # noqa: N802 - reads as a column type
    """A JSON document: ``JSONB`` on PostgreSQL, ``JSON`` (text) on SQLite."""
    return JSON().with_variant(JSONB(), "postgresql")


class DocumentText(str):
    """A JSON document's text, for a :func:`Document` column: stored as it is."""

    __slots__ = ()


def serialise_document(value: Any) -> str:
    """The engines' JSON serialiser: a :class:`DocumentText` as it is, anything else by
    ``json.dumps`` (SQLAlchemy's default)."""
    if isinstance(value, DocumentText):
        return str(value)
    return json.dumps(value)

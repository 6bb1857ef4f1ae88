"""Batch valuation of an uploaded file of patents: CSV or Parquet in, CSV, Parquet or JSON out.

The upload is refused with 413 beyond ``max_upload_bytes`` (checked on the declared length
before the body is read, and on the bytes received) and with 422 beyond ``max_batch_rows``
rows. Rows are valued by :func:`valuation.batch.value_frame`: one output row per input row, a
bad row carrying its error and no values. Money is decimal text in CSV and JSON, Decimal in
Parquet.
"""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

import polars as pl
from fastapi import UploadFile

from api.errors import ApiError
from storage.errors import DomainError
from valuation.batch import value_frame
from valuation.cells import spreadsheet_safe

_READ_CHUNK = 1024 * 1024


class BatchFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"
    JSON = "json"


MEDIA_TYPES = {
    BatchFormat.CSV: "text/csv; charset=utf-8",
    BatchFormat.PARQUET: "application/vnd.apache.parquet",
    BatchFormat.JSON: "application/json",
}


def too_large(limit: int, *, upload: bool = True) -> ApiError:
    """A 413 naming the limit: of an uploaded file (field ``file``), or of a request body."""
    if not upload:
        return ApiError(
            413,
            "PAYLOAD_TOO_LARGE",
            f"the request body is larger than the limit of {limit:,} bytes "
            "(PATENTVAL_MAX_UPLOAD_BYTES)",
            "body",
        )
    return ApiError(
        413,
        "PAYLOAD_TOO_LARGE",
        f"the upload is larger than the limit of {limit:,} bytes "
        "(PATENTVAL_MAX_UPLOAD_BYTES); split the file",
        "file",
    )


def check_declared_length(content_length: str | None, limit: int) -> None:
    """413 when the request declares a body over the limit."""
    # isdigit() alone would take "²", which int() refuses
    declared = content_length or ""
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)


async def read_upload(upload: UploadFile, limit: int) -> bytes:
    """The uploaded file's bytes; 413 past the limit."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(_READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


def _frame(name: str, data: bytes) -> pl.DataFrame:
    """The uploaded patents; 422 when the file is not CSV or Parquet."""
    lowered = name.lower()
    try:
        if lowered.endswith(".parquet") or data[:4] == b"PAR1":
            return pl.read_parquet(io.BytesIO(data))
        if lowered.endswith(".csv") or not lowered:
            return pl.read_csv(io.BytesIO(data), infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DomainError("file", f"cannot read {name or 'the upload'}: {first}") from None
    raise DomainError("file", f"{name}: expected a .csv or .parquet file")


def _plain(value: Any) -> Any:
    """A cell as JSON: decimals and dates as text."""
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def value_upload(
    name: str,
    data: bytes,
    *,
    base_date: date,
    output: BatchFormat,
    max_rows: int,
) -> bytes:
    """Value the uploaded patents; the results in ``output``'s format."""
    frame = _frame(name, data)
    if frame.height > max_rows:
        raise DomainError(
            "file",
            f"{frame.height:,} rows: at most {max_rows:,} per upload (PATENTVAL_MAX_BATCH_ROWS)",
        )
    if "patent_id" not in frame.columns or "filing_date" not in frame.columns:
        raise DomainError("file", "the file needs at least the columns patent_id and filing_date")
    try:
        values = value_frame(frame, base_date=base_date)
    except (pl.exceptions.PolarsError, ValueError) as error:
        raise DomainError("file", str(error).splitlines()[0]) from None
    if output is BatchFormat.PARQUET:
        sink = io.BytesIO()
        values.write_parquet(sink)
        return sink.getvalue()
    if output is BatchFormat.CSV:
        return spreadsheet_safe(values).write_csv().encode()
    rows = [{k: _plain(v) for k, v in row.items()} for row in values.iter_rows(named=True)]
    return json.dumps(
        {"base_date": str(base_date), "rows": len(rows), "items": rows}, ensure_ascii=False
    ).encode()

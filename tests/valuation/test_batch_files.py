"""value_file values chunks in parallel and still writes them in order, and stops on an error."""

import time
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from tests.valuation.test_engine import random_rows
from valuation import batch
from valuation.batch import DICTIONARY_COLUMNS, value_file
from valuation.pipeline import in_order

BASE = date(2025, 6, 30)


def test_chunks_come_back_in_order_whatever_finishes_first() -> None:
    chunks = [pl.DataFrame({"n": [n]}) for n in range(6)]

    def slow_first(chunk: pl.DataFrame) -> pl.DataFrame:
        time.sleep(0.05 if chunk["n"][0] % 3 == 0 else 0.0)
        return chunk

    out = [frame["n"][0] for frame in in_order(chunks, slow_first, workers=3)]
    assert out == list(range(6))


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_workers_do_not_change_the_file(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / "in.csv"
    pl.DataFrame(random_rows(23, seed=4)[0]).write_csv(source)
    one, three = tmp_path / f"one.{suffix}", tmp_path / f"three.{suffix}"
    seen: list[int] = []
    assert value_file(source, one, base_date=BASE, chunk_rows=5, workers=1) == 23
    value_file(source, three, base_date=BASE, chunk_rows=5, workers=3, progress=seen.append)
    assert seen == [5, 10, 15, 20, 23]
    if suffix == "csv":
        assert one.read_bytes() == three.read_bytes()
    else:
        assert pl.read_parquet(one).equals(pl.read_parquet(three))


def test_only_repetitive_columns_are_dictionary_encoded(tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.parquet"
    pl.DataFrame(random_rows(12, seed=6)[0]).write_csv(source)
    value_file(source, target, base_date=BASE)
    meta = pq.ParquetFile(target).metadata.row_group(0)
    encoded = {
        meta.column(i).path_in_schema
        for i in range(meta.num_columns)
        if meta.column(i).has_dictionary_page
    }
    assert encoded == set(DICTIONARY_COLUMNS)


def test_a_chunk_that_fails_stops_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.parquet"
    pl.DataFrame(random_rows(20, seed=2)[0]).write_csv(source)
    real = batch.value_frame

    def fails_on_the_third(chunk: pl.DataFrame, **options: object) -> pl.DataFrame:
        if chunk["patent_id"][0] == random_rows(20, seed=2)[0][10]["patent_id"]:
            raise RuntimeError("chunk 3")
        return real(chunk, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "value_frame", fails_on_the_third)
    with pytest.raises(RuntimeError, match="chunk 3"):
        value_file(source, target, base_date=BASE, chunk_rows=5, workers=2)

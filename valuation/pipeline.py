"""Frames processed a few at a time on threads, results in order.

polars releases the interpreter lock while it computes, so two chunks on two threads use both
cores; holding only ``workers`` chunks at once bounds the memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import polars as pl

DEFAULT_WORKERS = 2
"""Chunks processed at once: one per core of the 2-core machine the benchmarks run on."""


def in_order(
    chunks: Iterable[pl.DataFrame],
    work: Callable[[pl.DataFrame], pl.DataFrame],
    workers: int = DEFAULT_WORKERS,
) -> Generator[pl.DataFrame]:
    """``work(chunk)`` of each chunk, in order, with up to ``workers`` chunks worked on at once."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running: deque[Future[pl.DataFrame]] = deque()
        try:
            for chunk in chunks:
                if len(running) == workers:
                    yield running.popleft().result()
                running.append(pool.submit(work, chunk))
            while running:
                yield running.popleft().result()
        finally:
            for future in running:
                future.cancel()

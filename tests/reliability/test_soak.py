"""A short soak (``benchmarks/soak.py`` for a few seconds): a steady mix of reads and writes on a
real server, no failed request and the database consistent afterwards. The two-minute run, with
its latency and memory bounds, is the script's (README, Reliability and security)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import soak

pytestmark = pytest.mark.reliability


def test_a_short_soak_has_no_errors_and_leaves_the_database_consistent(tmp_path: Path) -> None:
    """The figures' bounds are the two-minute run's to judge (a few seconds on a shared machine
    say little about latency or memory); here the bounds are wide, the rest is exact."""
    result = soak.run(
        seconds=8,
        rate=10,
        workers=1,
        interval=4,
        warmup=4,
        rss_bound_mib=512,
        p95_bound_ms=15_000,
        p95_growth=1_000,
        folder=tmp_path,
    )
    print("\n" + result.table())
    assert sum(i.requests for i in result.intervals) == 8 * 10
    assert result.failures == {}
    assert result.consistent == []
    assert result.broken == [], result.table()

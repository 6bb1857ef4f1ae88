"""Patent navigation at national scale: every table of ``navigate`` over a large dataset.

The dataset is the synthetic demo city repeated up to ``--patents`` rows, each copy a city of
its own, written to Parquet; ``navigate`` runs in a fresh process from that file (every table,
capacity included, written to JSON), and its wall time and peak resident memory are reported.

Usage: ``python benchmarks/bench_navigation.py [--patents 5000000] [--json out]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from navigation.city import city_patents  # noqa: E402

_CHILD = """
import sys, time, json
from datetime import date
from pathlib import Path
sys.path.insert(0, {root!r})
import polars as pl
from navigation.analytics import navigate
from navigation.output import write
start = time.perf_counter()
result = navigate(pl.scan_parquet({source!r}), date(2019, 10, 31))
write(result, Path({target!r}))
print(json.dumps({{"seconds": time.perf_counter() - start, "rows": result.rows}}))
"""


def national(size: int) -> pl.DataFrame:
    """The demo city repeated to ``size`` rows, each copy a city of its own: its firms and
    districts carry the copy's number (patent numbers repeat across copies)."""
    city = city_patents()
    copies = [
        city.with_columns(
            pl.concat_str([pl.col("applicant"), pl.lit(f" #{copy}")]).alias("applicant"),
            pl.concat_str([pl.col("region"), pl.lit(f" #{copy}")]).alias("region"),
        )
        for copy in range(-(-size // city.height))
    ]
    return pl.concat(copies).head(size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patents", type=int, default=5_000_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "national.parquet", Path(folder) / "navigation.json"
        made = time.perf_counter()
        national(args.patents).write_parquet(source)
        print(f"wrote {args.patents:,} patents in {time.perf_counter() - made:.1f} s")
        code = _CHILD.format(root=str(ROOT), source=str(source), target=str(target))
        run = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        )
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        figures = json.loads(run.stdout.strip().splitlines()[-1]) | {"peak_mib": peak}
    print(
        f"navigate {figures['rows']:,} patents, Parquet → JSON: {figures['seconds']:.1f} s, "
        f"peak RSS {peak:,.0f} MiB"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

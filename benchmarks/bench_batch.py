"""Throughput and memory of batch valuation, file to file.

1. ``--patents`` synthetic patents with every approach's inputs, Parquet → Parquet, through
   ``valuation.batch.value_file`` (seconds, patents per second);
2. the same with ``--draws`` Monte Carlo draws on ``--mc-patents`` patents;
3. ``--large`` patents valued in a child process, whose peak resident memory is reported.

Usage: ``python benchmarks/bench_batch.py [--patents 1000000] [--large 5000000] [--json out]``.
The synthetic files are written to a temporary folder and removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from valuation.batch import value_file  # noqa: E402
from valuation.market import default_model  # noqa: E402

BASE = date(2025, 6, 30)
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def synthetic(size: int, seed: int) -> pl.DataFrame:
    """Chinese patents with bibliographic, financial and cost inputs in realistic ranges."""
    rng = np.random.default_rng(seed)
    year = rng.integers(2006, 2024, size)
    kind = rng.choice([1, 2, 3], size, p=[0.5, 0.4, 0.1])
    serial = np.arange(size) % 10_000_000
    number = year * 10**8 + kind * 10**7 + serial  # the 12 digits YYYY + type + serial
    weighted = sum(((number // 10 ** (11 - i)) % 10) * w for i, w in enumerate(_WEIGHTS))
    check = np.where(weighted % 11 == 10, "X", (weighted % 11).astype(str))
    digits = number.astype(str)
    filing = year.astype(str).astype("datetime64[D]") + rng.integers(0, 365, size).astype(
        "timedelta64[D]"
    )
    granted = filing + rng.integers(300, 1500, size).astype("timedelta64[D]")
    return pl.DataFrame(
        {
            "patent_id": np.char.add(np.char.add(np.char.add("ZL", digits), "."), check),
            "filing_date": filing,
            "grant_date": granted,
            "ipc": rng.choice(
                ["H01M 10/052", "A61K 31/00", "G06F 16/00;G06N 3/08", "F16H 1/00"], size
            ),
            "claims": rng.integers(1, 40, size),
            "independent_claims": rng.integers(1, 4, size),
            "forward_citations": rng.poisson(3, size),
            "backward_citations": rng.poisson(8, size),
            "npl_citations": rng.poisson(2, size),
            "family_size": rng.integers(1, 8, size),
            "inventors": rng.integers(1, 8, size),
            "industry": rng.choice(
                ["electrical", "machinery", "pharmaceuticals", "automotive"], size
            ),
            "revenue": np.round(rng.lognormal(16.0, 1.2, size), 2),
            "revenue_growth": np.round(rng.uniform(-0.05, 0.15, size), 4),
            "royalty_rate": np.round(rng.uniform(0.01, 0.08, size), 4),
            "discount_rate": np.round(rng.uniform(0.12, 0.18, size), 4),
            "economic_life": rng.integers(3, 15, size).astype(np.float64),
            "rd_cost": np.round(rng.lognormal(14.0, 1.0, size), 2),
        }
    )


def timed(source: Path, target: Path, **options: object) -> float:
    start = time.perf_counter()
    value_file(source, target, base_date=BASE, **options)  # type: ignore[arg-type]
    return time.perf_counter() - start


def child_peak_memory(source: Path, target: Path) -> tuple[float, float]:
    """Seconds and peak resident memory (MiB) of valuing ``source`` in a fresh process."""
    code = (
        "import sys, time, resource; from datetime import date; from pathlib import Path;"
        f"sys.path.insert(0, {str(ROOT)!r});"
        "from valuation.batch import value_file;"
        "t = time.perf_counter();"
        f"value_file(Path({str(source)!r}), Path({str(target)!r}), base_date=date(2025, 6, 30));"
        "print(time.perf_counter() - t)"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return float(out.stdout.strip()), max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patents", type=int, default=1_000_000)
    parser.add_argument("--mc-patents", type=int, default=100_000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--large", type=int, default=5_000_000, help="0 to skip")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    default_model()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        frame = synthetic(args.patents, seed=1)
        frame.write_parquet(tmp / "in.parquet")
        frame.head(args.mc_patents).write_parquet(tmp / "mc.parquet")
        seconds = timed(tmp / "in.parquet", tmp / "out.parquet")
        results["deterministic_seconds"] = seconds
        results["deterministic_patents_per_second"] = args.patents / seconds
        print(
            f"{args.patents:,} patents, Parquet → Parquet: {seconds:.2f} s "
            f"({args.patents / seconds:,.0f} patents/s)"
        )
        seconds = timed(tmp / "mc.parquet", tmp / "mc_out.parquet", draws=args.draws, seed=7)
        results["monte_carlo_seconds"] = seconds
        print(f"{args.mc_patents:,} patents × {args.draws:,} draws: {seconds:.2f} s")
        if args.large:
            large = tmp / "large.parquet"
            pl.concat(
                [frame] * (args.large // args.patents) or [synthetic(args.large, 2)]
            ).write_parquet(large)
            del frame
            seconds, peak = child_peak_memory(large, tmp / "large_out.parquet")
            results["large_seconds"], results["large_peak_mib"] = seconds, peak
            print(
                f"{args.large:,} patents in a fresh process: {seconds:.1f} s, "
                f"peak RSS {peak:,.0f} MiB"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

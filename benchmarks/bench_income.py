"""Throughput of the income approach: the batch kernel, the Monte Carlo, and a peer library.

Measures, on synthetic patents:

1. ``valuation.income.income_kernel`` on ``--patents`` patents (patents per second);
2. ``valuation.uncertainty.simulate`` on ``--mc-patents`` patents × ``--draws`` draws (seconds);
3. if ``intangible-valuation`` is importable, its ``relief_from_royalty`` looped over a sample of
   ``--sample`` of the same patents (whole-year lives), extrapolated to patents per second, with the
   speed ratio and the largest difference from our kernel on that sample.

Usage: ``python benchmarks/bench_income.py [--json results.json]``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from valuation.income_kernel import income_kernel
from valuation.uncertainty import simulate


def synthetic(size: int, seed: int) -> dict[str, np.ndarray]:
    """Patents with realistic inputs: revenue ~ lognormal around 9 M CNY, rates in usual bands."""
    rng = np.random.default_rng(seed)
    return {
        "revenue": rng.lognormal(16.0, 1.2, size),
        "growth": rng.uniform(-0.05, 0.15, size),
        "royalty": rng.uniform(0.005, 0.10, size),
        "tax": np.full(size, 0.25),
        "discount": rng.uniform(0.12, 0.18, size),
        "life": rng.integers(1, 16, size).astype(np.float64),
        "legal_term": rng.uniform(0.0, 20.0, size),
    }


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_kernel(patents: dict[str, np.ndarray], repeat: int) -> dict[str, Any]:
    period = np.minimum(patents["life"], patents["legal_term"])
    args = (patents["revenue"], patents["growth"], patents["royalty"], patents["tax"])

    def run() -> object:
        return income_kernel(*args, patents["discount"], period)

    seconds = best_of(repeat, run)
    size = len(period)
    return {"patents": size, "seconds": seconds, "patents_per_second": size / seconds}


def bench_monte_carlo(patents: dict[str, np.ndarray], draws: int, seed: int) -> dict[str, Any]:
    start = time.perf_counter()
    result = simulate(**patents, seed=seed, draws=draws)
    seconds = time.perf_counter() - start
    size = len(result.p50)
    return {
        "patents": size,
        "draws": draws,
        "seconds": seconds,
        "patent_draws_per_second": size * draws / seconds,
    }


def bench_peer(
    patents: dict[str, np.ndarray], sample: int, kernel_rate: float
) -> dict[str, Any] | None:
    try:  # the multi-period method (a revenue forecast per year), as its tool surface uses
        module = importlib.import_module("intangible_valuation.income_methods.relief_from_royalty")
    except ImportError:
        return None
    relief_from_royalty = module.relief_from_royalty
    # whole-year periods of at least one year, as the peer requires
    period = np.minimum(patents["life"], np.floor(patents["legal_term"]))
    chosen = np.flatnonzero(period >= 1)[:sample]
    cases = []
    for i in chosen:
        years = int(period[i])
        revenue, growth = float(patents["revenue"][i]), float(patents["growth"][i])
        forecast = [revenue * (1.0 + growth) ** t for t in range(years)]
        rates = (
            float(patents["royalty"][i]),
            float(patents["discount"][i]),
            float(patents["tax"][i]),
        )
        cases.append((forecast, *rates, years))

    values: list[float] = []

    def run() -> object:
        values.clear()
        for forecast, royalty, discount, tax, years in cases:
            result = relief_from_royalty(forecast, royalty, discount, tax, years, tab_enabled=False)
            values.append(float(result.value))
        return values

    seconds = best_of(1, run)
    ours = income_kernel(
        *(patents[k][chosen] for k in ("revenue", "growth", "royalty", "tax", "discount")),
        period[chosen],
    )
    peer_rate = len(cases) / seconds
    return {
        "patents": len(cases),
        "seconds": seconds,
        "patents_per_second": peer_rate,
        "speed_ratio": kernel_rate / peer_rate,
        "max_abs_difference": float(np.max(np.abs(np.asarray(values) - ours))),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patents", type=int, default=1_000_000, help="patents for the kernel")
    parser.add_argument(
        "--mc-patents", type=int, default=100_000, help="patents for the Monte Carlo"
    )
    parser.add_argument("--draws", type=int, default=1_000, help="Monte Carlo draws per patent")
    parser.add_argument("--sample", type=int, default=20_000, help="patents for the peer loop")
    parser.add_argument("--repeat", type=int, default=5, help="kernel runs; the fastest counts")
    parser.add_argument("--seed", type=int, default=20_250_601)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    patents = synthetic(args.patents, args.seed)
    kernel = bench_kernel(patents, args.repeat)
    monte_carlo = bench_monte_carlo(
        synthetic(args.mc_patents, args.seed + 1), args.draws, args.seed
    )
    peer = bench_peer(patents, args.sample, kernel["patents_per_second"])

    rows = [
        (
            f"income kernel, {args.patents:,} patents",
            f"{kernel['patents_per_second']:,.0f}",
            "patents/s",
        ),
        (
            f"Monte Carlo, {args.mc_patents:,} patents × {args.draws:,} draws",
            f"{monte_carlo['seconds']:.2f}",
            "s",
        ),
    ]
    if peer is None:
        rows.append(("intangible-valuation relief_from_royalty", "skipped", "not importable"))
    else:
        rows.append(
            (
                f"intangible-valuation, {peer['patents']:,} patents",
                f"{peer['patents_per_second']:,.0f}",
                "patents/s",
            )
        )
        rows.append(
            ("speed ratio, kernel / intangible-valuation", f"{peer['speed_ratio']:,.0f}", "×")
        )
        rows.append(
            (
                "largest difference from intangible-valuation",
                f"{peer['max_abs_difference']:.4f}",
                "CNY",
            )
        )
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>14}  unit")
    for name, value, unit in rows:
        print(f"{name:<{width}}  {value:>14}  {unit}")

    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
        },
        "kernel": kernel,
        "monte_carlo": monte_carlo,
        "intangible_valuation": peer,
    }
    if args.json is not None:
        args.json.write_text(
            json.dumps(results, indent=2, allow_nan=False) + "\n", encoding="utf-8"
        )
    if not all(math.isfinite(v) for v in (kernel["seconds"], monte_carlo["seconds"])):
        raise SystemExit("a measurement is not finite")
    return results


if __name__ == "__main__":
    main()

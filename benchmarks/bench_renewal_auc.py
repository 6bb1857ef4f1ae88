"""Held-out validation of the renewal-calibrated market value on US university patents.

Fits the renewal model on part of the data and reports how well the feature-based value ranks
the held-out patents by whether they paid their 7.5-year (and 3.5-year) maintenance fee: the area
under the ROC curve, computed from ranks. Bibliographic features are expected to reach 0.55–0.65;
far above 0.7 would suggest an outcome leaking into the features.

Usage::

    .venv/bin/python benchmarks/bench_renewal_auc.py [PATH_TO_CSV]

Prints a message and exits 0 when the data file is absent.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from valuation.market import default_model, fit_model, us_renewal_frame
from valuation.renewal import RenewalModel, rank_auc

NAME = "us_university_patents_renewals_2004_2005.csv"
ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = (Path("/work/shared/data") / NAME, ROOT.parent / "shared" / "data" / NAME)
SEED = 2024
TRAIN_SHARE = 0.7
BASE_DATE = date(2006, 1, 1)  # after every grant in the file: values at a common base date
LABELS = ("paid_7p5yr", "paid_3p5yr")
THROUGHPUT_ROWS = 1_000_000


def held_out_report(name: str, train: pl.DataFrame, test: pl.DataFrame) -> None:
    model = fit_model(train, "renewals", description=name)
    assert isinstance(model, RenewalModel)
    index = model.index(test)
    value = model.value(test, as_of=BASE_DATE)["market_value"].to_numpy()
    print(f"\n{name}: fit on {train.height}, held out {test.height}")
    print(f"  pseudo R² {model.fit_['pseudo_r_squared']:.4f}; money map b = {model.scale_[1]:.3f}")
    for label in LABELS:
        truth = test[label].to_numpy()
        print(
            f"  AUC {label}: index {rank_auc(index, truth):.4f}, "
            f"value at {BASE_DATE} {rank_auc(value, truth):.4f}, "
            f"claims alone {rank_auc(test['claims'].to_numpy(), truth):.4f}"
        )


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else next((p for p in CANDIDATES if p.is_file()), None)
    if path is None or not path.is_file():
        looked = [str(path)] if path else [str(p) for p in CANDIDATES]
        print(f"skipped: {NAME} not found (looked for {', '.join(looked)})")
        return 0
    frame = us_renewal_frame(path).filter(pl.col("paid_7p5yr").is_not_null())
    print(f"{path.name}: {frame.height} utility patents")

    train = np.random.default_rng(SEED).random(frame.height) < TRAIN_SHARE
    held_out_report(
        f"random {TRAIN_SHARE:.0%} split (seed {SEED})", frame.filter(train), frame.filter(~train)
    )
    by_year = pl.col("grant_year") == frame["grant_year"].min()
    held_out_report("by grant year (2004 → 2005)", frame.filter(by_year), frame.filter(~by_year))

    model = default_model()
    assert isinstance(model, RenewalModel)
    index = model.index(frame)
    print(f"\nshipped default model, in sample (n = {model.fit_['n']}):")
    for label in LABELS:
        print(f"  AUC {label}: {rank_auc(index, frame[label].to_numpy()):.4f}")
    at_grant = model.predict(frame, as_of=BASE_DATE)
    print(
        f"  value at {BASE_DATE} (CNY): median of medians {at_grant['median'].median():,.0f}, "
        f"mean of means {at_grant['mean'].mean():,.0f}, "
        f"median P10–P90 {at_grant['p10'].median():,.0f}–{at_grant['p90'].median():,.0f}"
    )

    batch = pl.concat([frame] * (THROUGHPUT_ROWS // frame.height + 1)).head(THROUGHPUT_ROWS)
    start = time.perf_counter()
    model.value(batch, as_of=BASE_DATE)
    seconds = time.perf_counter() - start
    print(f"  throughput: {THROUGHPUT_ROWS:,} patents valued in {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

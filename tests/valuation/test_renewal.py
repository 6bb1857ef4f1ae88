"""Renewal calibration: ordered probit with censoring, money map, fee schedules, real-data AUC."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import stats

from models.enums import PatentType
from valuation.constants import parameter
from valuation.market import fit_model, load_model, us_renewal_frame
from valuation.renewal import (
    FeeSchedule,
    FeeStage,
    RenewalFitError,
    RenewalModel,
    annuity,
    cn_annual_fees,
    rank_auc,
    us_maintenance_fees,
)

ROOT = Path(__file__).resolve().parents[2]
DATA_NAME = "us_university_patents_renewals_2004_2005.csv"
DATA = next(
    (
        path
        for path in (Path("/work/shared/data") / DATA_NAME, ROOT.parent / "shared/data" / DATA_NAME)
        if path.is_file()
    ),
    None,
)
FEATURES = ("claims", "family_size", "npl_citations")
BETA = np.array([0.5, -0.4, 0.3])  # on log1p of the three counts
CUTS = np.array([0.6, 1.4, 2.0])


def synthetic(n: int, seed: int, cuts: np.ndarray = CUTS) -> pl.DataFrame:
    """Renewals drawn from a known ordered probit on three count features."""
    rng = np.random.default_rng(seed)
    counts = {
        "claims": rng.negative_binomial(3, 0.2, n),
        "family_size": 1 + rng.poisson(3, n),
        "npl_citations": rng.poisson(4, n),
    }
    x = np.column_stack([np.log1p(counts[name]) for name in FEATURES])
    latent = x @ BETA + rng.standard_normal(n)
    paid = np.searchsorted(cuts, latent)
    return pl.DataFrame(
        {
            "patent_id": [f"S{i}" for i in range(n)],
            "jurisdiction": "US",
            "patent_type": "invention",
            "filing_date": date(2015, 1, 1),
            "grant_date": date(2018, 1, 1),
            **counts,
            "renewals_paid": paid,
        }
    )


def test_recovers_an_ordered_probit() -> None:
    model = RenewalModel(FEATURES).fit(synthetic(3000, seed=5))
    assert model.design_.names_ == tuple(f"log1p_{name}" for name in FEATURES)
    assert np.all(np.sign(model.coef_) == np.sign(BETA))
    assert np.allclose(model.coef_, BETA, atol=0.12)
    assert np.allclose(model.cut_points_, CUTS, atol=0.2)


def test_censored_rows_count_as_at_least_their_level() -> None:
    frame = synthetic(3000, seed=6)
    # Half the patents were observed before their third fee fell due: a 3 looks like a 2.
    early = np.random.default_rng(7).random(frame.height) < 0.5
    seen = np.where(early, np.minimum(frame["renewals_paid"].to_numpy(), 2), frame["renewals_paid"])
    censored = early & (seen == 2)
    frame = frame.with_columns(renewals_paid=pl.Series(seen), renewals_censored=pl.Series(censored))
    model = RenewalModel(FEATURES).fit(frame)
    assert np.allclose(model.coef_, BETA, atol=0.12)
    assert model.cut_points_[-1] == pytest.approx(CUTS[-1], abs=0.2)
    naive = RenewalModel(FEATURES).fit(frame.drop("renewals_censored"))
    assert naive.cut_points_[-1] > model.cut_points_[-1] + 0.2  # ignoring censoring biases it
    assert model.fit_["censored"] == int(censored.sum())


def test_accepts_any_number_of_levels() -> None:
    fees = cn_annual_fees(PatentType.INVENTION, first_year=13)
    assert len(fees.stages) == 8
    assert fees.currency == "CNY"
    cuts = np.linspace(0.2, 2.3, len(fees.stages))
    frame = synthetic(4000, seed=8, cuts=cuts).with_columns(jurisdiction=pl.lit("CN"))
    model = RenewalModel(FEATURES, fees=fees).fit(frame)
    assert len(model.cut_points_) == 8
    assert np.all(np.sign(model.coef_) == np.sign(BETA))
    assert model.probabilities(frame.head(4)).shape == (4, 9)
    assert np.allclose(model.probabilities(frame.head(4)).sum(axis=1), 1.0)


def test_money_map_aligns_cut_points_with_fee_thresholds() -> None:
    model = RenewalModel(FEATURES).fit(synthetic(3000, seed=9))
    a, b = model.scale_
    assert b > 0
    fees = us_maintenance_fees()
    rate = math.log1p(float(parameter("renewal_discount_rate").value))
    stage = fees.stages[0]
    expected = math.log(stage.fee) - math.log(annuity(np.array([4.0]), rate)[0])
    assert model.thresholds_[0] == pytest.approx(expected)
    fitted = a + b * model.cut_points_
    assert np.sqrt(np.mean((fitted - model.thresholds_) ** 2)) < 0.5


def test_value_is_the_present_value_of_returns_left() -> None:
    frame = synthetic(2000, seed=10)
    model = RenewalModel(FEATURES).fit(frame)
    batch = frame.head(3)
    at_grant = model.predict(batch, as_of=date(2018, 1, 1))
    later = model.predict(batch, as_of=date(2028, 1, 1))
    a, b = model.scale_
    rate = model._lambda()
    life = math.log((1 - math.exp(-rate * 17.0)) / rate)  # 20 y from filing, granted 3 y later
    usd_cny = float(parameter("renewal_usd_cny_rate").value)
    expected = a + b * at_grant["index"] + life + math.log(usd_cny)
    assert np.allclose(at_grant["log_value"], expected, atol=1e-3)
    assert (later["median"] < at_grant["median"]).all()  # less term left, less value
    z90 = stats.norm.ppf(0.9)
    spread = np.log(at_grant["p90"] / at_grant["median"]).to_numpy()
    assert np.all(spread >= b * z90)  # parameter uncertainty only widens the interval


def test_json_round_trip_predicts_identically(tmp_path: Path) -> None:
    frame = synthetic(1500, seed=11)
    model = RenewalModel(FEATURES).fit(frame, description="synthetic")
    model.save(tmp_path / "renewal.json")
    loaded = load_model(tmp_path / "renewal.json")
    assert isinstance(loaded, RenewalModel)
    base = date(2024, 1, 1)
    assert_frame_equal(loaded.predict(frame, as_of=base), model.predict(frame, as_of=base))
    assert loaded.fees_ == model.fees_


def test_refuses_what_it_cannot_fit() -> None:
    frame = synthetic(500, seed=12)
    with pytest.raises(RenewalFitError, match="renewals_paid"):
        RenewalModel(FEATURES).fit(frame.drop("renewals_paid"))
    with pytest.raises(RenewalFitError, match="every level"):
        RenewalModel(FEATURES).fit(frame.filter(pl.col("renewals_paid") != 1))
    falling = FeeSchedule(
        stages=(FeeStage(1, 2, 900.0), FeeStage(2, 3, 300.0), FeeStage(3, 4, 100.0)),
        currency="CNY",
        to_cny=1.0,
        anchor="filing",
        source_ids=(),
        description="fees that fall",
    )
    with pytest.raises(RenewalFitError, match="money scale"):
        RenewalModel(FEATURES, fees=falling).fit(frame)
    with pytest.raises(RenewalFitError, match="fees="):
        fit_model(frame.with_columns(jurisdiction=pl.lit("CN")), "renewals")


def test_fee_schedules_come_from_sourced_parameters() -> None:
    small, large = us_maintenance_fees("small"), us_maintenance_fees("large")
    assert [s.due_years for s in small.stages] == [3.5, 7.5, 11.5]
    assert [s.fee for s in large.stages] == [2 * s.fee for s in small.stages]
    assert all(a.fee < b.fee for a, b in zip(small.stages, small.stages[1:], strict=False))
    assert small.to_cny == float(parameter("renewal_usd_cny_rate").value)
    assert FeeSchedule.from_dict(small.to_dict()) == small


def test_rank_auc() -> None:
    label = np.array([0, 0, 1, 1, 0, 1], dtype=np.float64)
    assert rank_auc(label, label) == 1.0
    assert rank_auc(-label, label) == 0.0
    assert rank_auc(np.zeros(6), label) == 0.5
    score = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.4])
    u = stats.mannwhitneyu(score[label == 1], score[label == 0]).statistic
    assert rank_auc(score, label) == pytest.approx(u / 9)
    with pytest.raises(ValueError, match="both"):
        rank_auc(score, np.ones(6))


def test_annuity() -> None:
    years = np.array([0.0, 1.0, 10.0])
    assert np.allclose(annuity(years, 0.0), years)
    assert np.allclose(annuity(years, 0.1), (1 - np.exp(-0.1 * years)) / 0.1)


@pytest.mark.skipif(DATA is None, reason=f"{DATA_NAME} is not available")
def test_held_out_auc_on_real_renewals_is_modest() -> None:
    assert DATA is not None
    frame = us_renewal_frame(DATA)
    train = np.random.default_rng(2024).random(frame.height) < 0.7
    model = fit_model(frame.filter(train), "renewals")
    held_out = frame.filter(~train)
    assert isinstance(model, RenewalModel)
    auc = rank_auc(model.index(held_out), held_out["paid_7p5yr"].to_numpy())
    assert 0.5 < auc < 0.7


def test_the_shipped_model_cites_each_constant_it_predicts_with() -> None:
    from dataclasses import replace

    from valuation.constants import parameter
    from valuation.market import default_model

    model = default_model()
    cited = {name: (value, source) for name, value, _, source in model.constants()}
    assert cited["renewal_usd_cny_rate"] == (7.12, "PBOC-USDCNY")
    assert cited["renewal_us_fee_small_3"] == (3700.0, "USPTO-FEES-2013")
    assert cited["renewal_discount_rate"] == (
        float(parameter("renewal_discount_rate").value),
        "MKT-DISCOUNT",
    )
    assert model.identifier == default_model().identifier
    assert model.identifier.startswith("renewal-")
    other = RenewalModel.from_dict(model.to_dict())
    other.fees_ = replace(other.fees_, to_cny=6.9)
    cited = {name: (value, source) for name, value, _, source in other.constants()}
    assert cited["renewal_usd_cny_rate"] == (6.9, "MKT-MODEL-FILE")

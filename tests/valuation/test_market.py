"""Hedonic market model, design matrix, model registry and the shipped default model."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant as sm_add_constant

from valuation.features import (
    COUNT_GROUPS,
    LEAKAGE_COLUMNS,
    VALUE_COLUMNS,
    DesignBuilder,
    FeatureError,
    FittedModel,
    input_columns,
    quadratic_forms,
    raw_features,
)
from valuation.market import (
    HedonicModel,
    default_model,
    fit_model,
    load_model,
    main,
    model_from_dict,
    us_renewal_frame,
)
from valuation.renewal import RenewalFitError, RenewalModel

BASE_DATE = date(2025, 6, 30)
# Known coefficients of the synthetic price equation (ln CNY).
TRUE = {
    "const": 11.0,
    "log1p_claims": 0.5,
    "log1p_forward_citations": 0.3,
    "log1p_family_size": 0.4,
    "remaining_life_years": 0.08,
    "ipc_H": 0.6,
    "type_utility_model": -0.7,
}
SIGMA = 0.8


def patents(n: int, seed: int) -> pl.DataFrame:
    """A seeded batch of synthetic CN patents in the engine's batch schema."""
    rng = np.random.default_rng(seed)
    sections = np.array(["A61K 31/00", "B01D 53/00", "C08K 3/00", "G06F 16/00", "H01M 10/052"])
    first = rng.choice(sections, n)
    second = rng.choice(sections, n)
    filing = date(2006, 1, 1).toordinal() + rng.integers(0, 14 * 365, n)
    return pl.DataFrame(
        {
            "patent_id": [f"P{seed}-{i}" for i in range(n)],
            "jurisdiction": "CN",
            "patent_type": rng.choice(["invention", "utility_model"], n, p=[0.7, 0.3]),
            "filing_date": [date.fromordinal(int(d)) for d in filing],
            "ipc": [f"{a};{b}" for a, b in zip(first, second, strict=True)],
            "claims": rng.negative_binomial(3, 0.2, n),
            "independent_claims": rng.integers(1, 5, n),
            "forward_citations": rng.poisson(3, n),
            "backward_citations": rng.poisson(8, n),
            "npl_citations": rng.poisson(2, n),
            "family_size": 1 + rng.poisson(2, n),
            "inventors": 1 + rng.poisson(2, n),
        }
    )


def priced(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Prices drawn from the known log-linear equation with lognormal noise."""
    rng = np.random.default_rng(seed)
    life = raw_features(frame, "remaining_life", BASE_DATE)["remaining_life_years"].to_numpy()
    log_price = (
        TRUE["const"]
        + TRUE["log1p_claims"] * np.log1p(frame["claims"].to_numpy())
        + TRUE["log1p_forward_citations"] * np.log1p(frame["forward_citations"].to_numpy())
        + TRUE["log1p_family_size"] * np.log1p(frame["family_size"].to_numpy())
        + TRUE["remaining_life_years"] * life
        + TRUE["ipc_H"] * frame["ipc"].str.contains("H").cast(pl.Float64).to_numpy()
        + TRUE["type_utility_model"] * (frame["patent_type"] == "utility_model").to_numpy()
        + rng.normal(0.0, SIGMA, frame.height)
    )
    return frame.with_columns(price=pl.Series(np.exp(log_price)))


@pytest.fixture(scope="module")
def train() -> pl.DataFrame:
    return priced(patents(3000, seed=1), seed=2)


@pytest.fixture(scope="module")
def model(train: pl.DataFrame) -> HedonicModel:
    return HedonicModel().fit(train, as_of=BASE_DATE, description="synthetic, seed 1")


def test_recovers_known_coefficients(model: HedonicModel) -> None:
    estimates = dict(zip(model.names_, model.coef_, strict=True))
    errors = dict(zip(model.names_, np.sqrt(np.diag(model.cov_)), strict=True))
    for name, estimate in estimates.items():
        truth = TRUE.get(name, 0.0)
        assert abs(estimate - truth) < 4 * errors[name] + 0.02, (name, estimate, truth)
    assert model.fit_["residual_sd"] == pytest.approx(SIGMA, rel=0.05)
    assert model.fit_["n"] == 3000


def test_interval_covers_about_80_percent_of_held_out_prices(model: HedonicModel) -> None:
    held_out = priced(patents(3000, seed=3), seed=4)
    values = model.value(held_out, as_of=BASE_DATE)
    price = held_out["price"].to_numpy()
    inside = (values["market_p10"].to_numpy() <= price) & (price <= values["market_p90"].to_numpy())
    assert 0.77 < inside.mean() < 0.83


def test_interval_matches_statsmodels_get_prediction(
    model: HedonicModel, train: pl.DataFrame
) -> None:
    # Reference: statsmodels' own 80 % observation interval on the same design.
    design = model.design_.transform(train, BASE_DATE).matrix
    results = OLS(np.log(train["price"].to_numpy()), sm_add_constant(design)).fit()
    batch = patents(50, seed=13)
    x_new = sm_add_constant(model.design_.transform(batch, BASE_DATE).matrix, has_constant="add")
    frame = results.get_prediction(x_new).summary_frame(alpha=0.2)
    prediction = model.predict(batch, as_of=BASE_DATE)
    assert np.allclose(np.log(prediction["p10"]), frame["obs_ci_lower"].to_numpy())
    assert np.allclose(np.log(prediction["p90"]), frame["obs_ci_upper"].to_numpy())
    assert np.allclose(prediction["log_value"], frame["mean"].to_numpy())


def test_value_frame_and_point_statistics(model: HedonicModel, train: pl.DataFrame) -> None:
    values = model.value(train.head(5), as_of=BASE_DATE)
    assert tuple(values.columns) == VALUE_COLUMNS
    prediction = model.predict(train.head(5), as_of=BASE_DATE)
    assert np.allclose(prediction["median"], np.exp(prediction["log_value"]))
    # Lognormal: P10 < median < mean, and the mean is exp(s²/2) above the median.
    assert (prediction["p10"] < prediction["median"]).all()
    assert (prediction["median"] < prediction["mean"]).all()
    assert (prediction["mean"] < prediction["p90"]).all()
    mean_model = HedonicModel(point="mean").fit(train, as_of=BASE_DATE)
    means = mean_model.value(train.head(5), as_of=BASE_DATE)["market_value"]
    assert np.allclose(means, prediction["mean"])


def test_summary_renders_text_and_html(model: HedonicModel) -> None:
    summary = model.summary()
    assert "ln_price" in summary.text
    assert "log1p_claims" in summary.text
    assert "<table" in summary.html
    assert str(summary) == summary.text


def test_json_round_trip_predicts_identically(
    model: HedonicModel, train: pl.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "hedonic.json"
    model.save(path)
    loaded = load_model(path)
    assert isinstance(loaded, HedonicModel)
    batch = patents(200, seed=9)
    assert_frame_equal(
        loaded.predict(batch, as_of=BASE_DATE), model.predict(batch, as_of=BASE_DATE)
    )
    assert loaded.summary().text == model.summary().text
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["kind"] == "hedonic"
    assert saved["fit"]["data"] == "synthetic, seed 1"
    assert "r_squared" in saved["fit"]
    assert "fitted_at" in saved["fit"]


def test_outcome_columns_never_change_a_value(model: HedonicModel) -> None:
    batch = patents(100, seed=11)
    rng = np.random.default_rng(12)
    leaky = batch.with_columns(
        renewals_paid=pl.Series(rng.integers(0, 4, 100)),
        renewals_censored=pl.Series(rng.integers(0, 2, 100).astype(bool)),
        legal_status=pl.Series(rng.choice(["in_force", "lapsed"], 100)),
        price=pl.Series(rng.lognormal(10, 2, 100)),
    )
    for fitted in (model, default_model()):
        assert_frame_equal(fitted.value(batch, BASE_DATE), fitted.value(leaky, BASE_DATE))
    assert not input_columns(tuple(model.features)) & LEAKAGE_COLUMNS


def test_missing_features_are_imputed_with_an_indicator(train: pl.DataFrame) -> None:
    holes = train.with_columns(
        claims=pl.when(pl.int_range(pl.len()) % 10 == 0).then(None).otherwise(pl.col("claims"))
    )
    fitted = HedonicModel().fit(holes, as_of=BASE_DATE)
    assert "claims_missing" in fitted.names_
    builder = fitted.design_
    design = builder.transform(holes.drop("claims").head(3), BASE_DATE)
    column = design.names.index("log1p_claims")
    assert np.all(design.matrix[:, column] == builder.fill_["log1p_claims"])
    assert design.imputed == {"claims": 3}
    values = fitted.value(holes.drop("forward_citations", "ipc").head(20), BASE_DATE)
    assert np.all(np.isfinite(values["market_value"].to_numpy()))
    assert (values["market_value"] > 0).all()


def test_missing_features_can_be_refused(train: pl.DataFrame) -> None:
    strict = HedonicModel(missing="refuse").fit(train, as_of=BASE_DATE)
    with pytest.raises(FeatureError, match="claims"):
        strict.value(train.head(3).with_columns(claims=pl.lit(None)), BASE_DATE)
    with pytest.raises(FeatureError, match="independent_claims"):
        HedonicModel().fit(train.drop("independent_claims"), as_of=BASE_DATE)


def test_design_rejects_bad_inputs(train: pl.DataFrame) -> None:
    with pytest.raises(FeatureError, match="negative"):
        raw_features(train.head(2).with_columns(claims=pl.lit(-1)), "claims")
    with pytest.raises(FeatureError, match="patent_type"):
        raw_features(train.head(2).with_columns(patent_type=pl.lit("plant")), "patent_type")
    with pytest.raises(FeatureError, match="base date"):
        raw_features(train.head(2), "remaining_life")
    with pytest.raises(FeatureError, match="unknown"):
        DesignBuilder(["claims", "price"]).fit(train)
    with pytest.raises(FeatureError, match="price"):
        HedonicModel().fit(train.drop("price"), as_of=BASE_DATE)


@pytest.fixture(scope="module")
def gappy(train: pl.DataFrame) -> HedonicModel:
    """A hedonic model fitted where a tenth of the claims are missing: it has an indicator."""
    holes = train.with_columns(
        claims=pl.when(pl.int_range(pl.len()) % 10 == 0).then(None).otherwise(pl.col("claims"))
    )
    return HedonicModel().fit(holes, as_of=BASE_DATE)


_CODES = ["A61K 31/00", "b01d 53/00", " H01M 10/052", "G06F 16/00 ", "c08k 3/00", ""]


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """One patent's batch columns as Python values: counts missing or negative, IPC lists with
    stray spaces and lower case, patent types in any case or unknown, missing dates."""
    filing = draw(st.dates(date(1995, 1, 1), date(2024, 12, 31)))
    grant = draw(st.none() | st.integers(0, 2_000).map(lambda d: filing + timedelta(days=d)))
    counts = {group: draw(st.none() | st.integers(0, 400)) for group in COUNT_GROUPS}
    if draw(st.sampled_from(range(4))) == 3:  # now and then one negative count
        counts[draw(st.sampled_from(COUNT_GROUPS))] = -1
    kinds = ["invention", " Utility_Model ", "DESIGN", "", "utility_model", "design"]
    kind = draw(st.none() | st.sampled_from(kinds))
    if draw(st.sampled_from(range(4))) == 3:  # now and then an unknown one
        kind = "plant"
    return {
        "patent_id": "CN1",
        "jurisdiction": "CN",
        "patent_type": kind,
        "filing_date": filing,
        "grant_date": grant,
        "expiry_date": filing + timedelta(days=draw(st.integers(0, 25 * 366))),
        "ipc": draw(
            st.none()
            | st.lists(st.sampled_from(_CODES), max_size=3).map(";".join)
            | st.sampled_from(["; H01M", ";  g06f;B01D", "   "])
        ),
        **counts,
    }


@settings(max_examples=150, deadline=None)
@given(records(), st.dates(date(2000, 1, 1), date(2050, 1, 1)))
def test_a_record_gets_the_figures_of_its_one_row_frame(
    model: HedonicModel, gappy: HedonicModel, record: dict[str, Any], as_of: date
) -> None:
    """One patent's record is valued without a polars query (``value_record``): each model
    gives it its one-row frame's figures to the last bit, design included, or the same error."""
    frame = pl.DataFrame([record])
    valued = 0
    fitted: FittedModel
    for fitted in (default_model(), model, gappy):
        try:
            expected = fitted.value(frame, as_of).row(0)[1:]
            design = fitted.design_.transform(frame, as_of)  # type: ignore[attr-defined]
        except FeatureError as error:
            with pytest.raises(FeatureError, match=re.escape(str(error))):
                fitted.value_record(record, as_of)
            continue
        assert fitted.value_record(record, as_of) == expected
        one = fitted.design_.transform_record(record, as_of)  # type: ignore[attr-defined]
        assert np.array_equal(one.matrix, design.matrix)
        assert (one.names, one.imputed) == (design.names, design.imputed)
        valued += 1
    event("valued by all three models" if valued == 3 else f"valued by {valued}")


def test_a_record_gives_its_expiry() -> None:
    record = {"patent_id": "CN1", "patent_type": "invention", "filing_date": date(2015, 1, 1)}
    with pytest.raises(FeatureError, match="expiry_date"):
        default_model().value_record({**record, "expiry_date": "2035-01-01"}, BASE_DATE)


def test_design_reads_the_statutory_term() -> None:
    frame = pl.DataFrame(
        {
            "patent_type": ["invention", "utility_model", "design", "design", "invention"],
            "jurisdiction": ["CN", None, "CN", "CN", "US"],
            "filing_date": ["2015-01-01", "2020-02-29", "2020-01-01", "2022-01-01", "2015-01-01"],
            "expiry_date": [None, None, None, None, "2030-01-01"],
        }
    )
    years = raw_features(frame, "remaining_life", date(2025, 1, 1))["remaining_life_years"]
    expected = [10.0, 5.16, 5.0, 12.0, 5.0]  # 20 y; 10 y; 10 y (before 2021-06); 15 y; given
    assert np.allclose(years.to_numpy(), expected, atol=0.01)


def test_fit_model_dispatches_on_target(train: pl.DataFrame) -> None:
    fitted = fit_model(train.drop("independent_claims"), "price", as_of=BASE_DATE)
    assert isinstance(fitted, HedonicModel)
    assert "remaining_life_years" in fitted.names_
    undated = fit_model(train, "price")
    assert "remaining_life_years" not in undated.names_
    dated = fit_model(train.with_columns(as_of_date=pl.lit(BASE_DATE)), "price")
    assert np.allclose(dated.coef_, HedonicModel().fit(train, as_of=BASE_DATE).coef_)
    with pytest.raises(ValueError, match="target"):
        fit_model(train, "royalties")  # type: ignore[arg-type]


def test_model_documents_are_checked() -> None:
    with pytest.raises(ValueError, match="patentval-market-model"):
        model_from_dict({"format": "pickle"})
    with pytest.raises(ValueError, match="kind"):
        model_from_dict({"format": "patentval-market-model", "format_version": 1, "kind": "x"})


@pytest.mark.parametrize("with_forward_citations", [False, True])
def test_default_model_values_a_few_patents(with_forward_citations: bool) -> None:
    batch = patents(5, seed=21).with_columns(filing_date=pl.lit(date(2021, 3, 1)))
    if not with_forward_citations:
        batch = batch.drop("forward_citations")
    model = default_model()
    assert isinstance(model, RenewalModel)
    values = model.value(batch, as_of=BASE_DATE)
    assert values["patent_id"].to_list() == batch["patent_id"].to_list()
    for column in VALUE_COLUMNS[1:]:
        assert np.all(np.isfinite(values[column].to_numpy()))
        assert (values[column] > 0).all()
    assert (values["market_p10"] < values["market_value"]).all()
    assert (values["market_value"] < values["market_p90"]).all()
    assert model.fit_["n"] > 5000
    assert "us_university" in model.fit_["data"]
    assert "renewals_paid" in model.summary().text


def test_an_expired_patent_is_worth_nothing() -> None:
    batch = patents(2, seed=23).with_columns(
        patent_type=pl.lit("utility_model"), filing_date=pl.lit(date(2010, 1, 1))
    )
    values = default_model().value(batch, as_of=BASE_DATE)
    assert values["market_value"].to_list() == [0.0, 0.0]
    assert values["market_p90"].to_list() == [0.0, 0.0]


def test_default_model_ignores_forward_citations_it_was_not_fitted_on() -> None:
    batch = patents(20, seed=22)
    without = default_model().value(batch.drop("forward_citations"), BASE_DATE)
    assert_frame_equal(default_model().value(batch, BASE_DATE), without)


def test_hedonic_fit_refuses_bad_prices_and_too_few_rows(train: pl.DataFrame) -> None:
    with pytest.raises(FeatureError, match="positive"):
        HedonicModel().fit(train.head(50).with_columns(price=pl.lit(0.0)), as_of=BASE_DATE)
    with pytest.raises(FeatureError, match="cannot identify"):
        HedonicModel().fit(train.head(8), as_of=BASE_DATE)


def us_style_csv(path: Path, n: int, seed: int) -> Path:
    """A synthetic file in the layout of the US university renewal data (no real rows)."""
    rng = np.random.default_rng(seed)
    grant_year = rng.choice([2004, 2005], n)
    paid = rng.integers(0, 4, n)
    paid[0] = 4  # the real file has one row with a fourth payment
    doc_type = np.where(np.arange(n) % 50 == 1, "plant", "utility")
    sections = {s: rng.integers(0, 2, n) * (rng.random(n) < 0.3) for s in "BCDEFGH"}
    censored_year = grant_year == 2005
    frame = pl.DataFrame(
        {
            "id": [f"US{7000000 + i}B1" for i in range(n)],
            "grant_date": [f"{y}-06-01" for y in grant_year],
            "grant_year": grant_year,
            "filing_date": [f"{y - 3}-03-01" for y in grant_year],
            "priority_date": [f"{y - 4}-03-01" for y in grant_year],
            "doc_type": doc_type,
            "title": "a synthetic invention",
            "assignee": "A University",
            "inventors": "A. Inventor",
            **sections,
            "num_applications": 1 + rng.poisson(4, n),
            "num_patent_citations": rng.poisson(12, n),
            "num_nonpatent_citations": rng.poisson(15, n),
            "num_claims": 1 + rng.poisson(20, n),
            "num_similar_doc": rng.integers(0, 26, n),
            "num_authors": 1 + rng.poisson(2, n),
            "payment_times": paid,
            "paid_3p5yr": (paid >= 1).astype(float),
            "paid_7p5yr": (paid >= 2).astype(float),
            "paid_11p5yr": pl.Series(
                [None if c else float(p >= 3) for c, p in zip(censored_year, paid, strict=True)],
                dtype=pl.Float64,
            ),
        }
    )
    frame.write_csv(path)
    return path


def test_refit_command_writes_a_loadable_model(tmp_path: Path) -> None:
    source = us_style_csv(tmp_path / "renewals.csv", n=800, seed=31)
    out = tmp_path / "model.json"
    assert main(["--refit-default", str(source), "--out", str(out)]) == 0
    model = load_model(out)
    assert isinstance(model, RenewalModel)
    batch = us_renewal_frame(source)
    assert batch.height == 800 - 16  # plant patents pay no maintenance fees
    assert batch["renewals_paid"].max() == 3
    assert batch.filter(pl.col("renewals_censored"))["grant_year"].unique().to_list() == [2005]
    assert set(batch["ipc"].str.split(";").explode().unique()) <= set("ABCDEFGH")
    assert model.fit_["n"] == batch.height
    assert "renewals.csv" in model.fit_["data"]
    assert model.scale_[1] > 0


def test_fit_model_on_renewals_needs_a_jurisdiction_or_fees(tmp_path: Path) -> None:
    batch = us_renewal_frame(us_style_csv(tmp_path / "r.csv", n=400, seed=32))
    with pytest.raises(RenewalFitError, match="fees="):
        fit_model(batch.drop("jurisdiction"), "renewals")


@pytest.mark.parametrize("width", [1, 2, 12, 13, 20])
@pytest.mark.parametrize("rows", [1, 2, 11, 12, 13, 100, 8191, 8192, 8193, 40_000])
def test_quadratic_forms_add_up_as_einsum_does(rows: int, width: int) -> None:
    rng = np.random.default_rng(rows * 100 + width)
    half = rng.normal(size=(width, width))
    cov = half @ half.T / width
    x = rng.normal(size=(rows, width)) * rng.choice([0.0, 1.0, 2.5], size=(rows, width))
    x[:, 0] = 1.0  # a constant, as in the hedonic design
    expected = np.einsum("ij,jk,ik->i", x, cov, x)
    assert np.array_equal(quadratic_forms(x, cov), expected)

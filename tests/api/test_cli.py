"""The command line: batch valuation and calibration, file to file."""

from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

from api.cli import app
from models.patent_number import check_character
from pledge.demo import AS_OF

runner = CliRunner()


def patents(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    years = rng.integers(2008, 2022, n)
    ids = []
    for i, year in enumerate(years):
        digits = f"{year}1{i:07d}"
        ids.append(f"ZL{digits}.{check_character(digits)}")
    claims = rng.integers(1, 30, n)
    family = rng.integers(1, 6, n)
    return pl.DataFrame(
        {
            "patent_id": ids,
            "filing_date": [f"{y}-03-01" for y in years],
            "grant_date": [f"{y + 2}-03-01" for y in years],
            "claims": claims,
            "family_size": family,
            "backward_citations": rng.integers(0, 20, n),
            "ipc": ["H01M 10/052"] * n,
            "industry": ["electrical"] * n,
            "revenue": np.round(rng.lognormal(15, 1, n), 2),
            # Prices that rise with claims and family size, for calibration.
            "price": np.round(np.exp(11 + 0.4 * np.log1p(claims) + 0.3 * np.log1p(family)), 2),
        }
    )


def test_value_writes_one_row_per_patent_with_errors_kept(tmp_path: Path) -> None:
    frame = patents(30, seed=1).with_columns(pl.col("claims").cast(pl.String))
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(pl.lit("-1")).otherwise("claims").alias("claims")
    )
    source, out = tmp_path / "in.csv", tmp_path / "out.parquet"
    frame.write_csv(source)
    result = runner.invoke(
        app,
        [
            "value",
            str(source),
            "--out",
            str(out),
            "--base-date",
            "2025-06-30",
            "--draws",
            "100",
            "--seed",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "valued 29 of 30 patents at 2025-06-30; 1 rows with errors" in result.output
    values = pl.read_parquet(out)
    assert values.height == 30
    assert values["error"][4] == "claims: -1 is below 0"
    good = values.filter(pl.col("error").is_null())
    assert (good["p10"] <= good["p50"]).all()
    assert (good["p50"] <= good["p90"]).all()
    assert (good["max_loan"] <= good["realisable_value"]).all()


def test_value_refuses_bad_options_with_a_message(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    patents(2, seed=1).write_csv(source)
    cases = [
        (["value", str(tmp_path / "absent.csv"), "--out", "o.csv"], "no such file"),
        (["value", str(source), "--out", str(tmp_path / "o.txt")], "expected a .csv or .parquet"),
        (["value", str(source), "--out", "o.csv", "--draws", "10"], "--draws and --seed go"),
        (["value", str(source), "--out", "o.csv", "--base-date", "30/06/2025"], "YYYY-MM-DD"),
    ]
    for arguments, message in cases:
        result = runner.invoke(app, arguments)
        assert result.exit_code == 2, arguments
        assert message in result.output, result.output


def test_serve_refuses_a_bad_business_date_naming_it() -> None:
    for text, message in (("2019-13-01", "YYYY-MM-DD"), ("3019-01-01", "outside the days")):
        result = runner.invoke(app, ["serve", "--business-date", text])
        assert result.exit_code == 2, text
        assert f"--business-date {text}" in result.output.replace("'", "")
        assert message in result.output


def test_make_run_serves_the_demo_on_the_day_it_describes() -> None:
    makefile = (Path(__file__).parents[2] / "Makefile").read_text(encoding="utf-8")
    assert f"serve --host 127.0.0.1 --port 8000 --business-date {AS_OF.isoformat()}" in makefile


def test_calibrate_then_value_with_the_fitted_model(tmp_path: Path) -> None:
    source, model = tmp_path / "sales.parquet", tmp_path / "model.json"
    patents(200, seed=2).write_parquet(source)
    result = runner.invoke(
        app,
        [
            "calibrate",
            str(source),
            "--target",
            "price",
            "--out",
            str(model),
            "--base-date",
            "2025-06-30",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "fitted a hedonic model fitted on 200 patents" in result.output
    out = tmp_path / "values.csv"
    result = runner.invoke(
        app,
        [
            "value",
            str(source),
            "--out",
            str(out),
            "--model",
            str(model),
            "--base-date",
            "2025-06-30",
        ],
    )
    assert result.exit_code == 0, result.output
    values = pl.read_csv(out)
    # The fitted model recovers the prices it was fitted on (noise-free synthetic data).
    prices = patents(200, seed=2)["price"].to_numpy()
    assert np.allclose(values["market_value"].to_numpy(), prices, rtol=1e-6)


def test_calibrate_needs_its_target_column(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    patents(5, seed=1).drop("price").write_csv(source)
    result = runner.invoke(
        app, ["calibrate", str(source), "--target", "price", "--out", str(tmp_path / "m.json")]
    )
    assert result.exit_code == 2
    assert "column price is needed" in result.output


def test_weights_override_the_reconciliation_and_rows_carry_their_method(tmp_path: Path) -> None:
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    patents(5, seed=3).write_csv(source)
    result = runner.invoke(
        app,
        [
            *("value", str(source), "--out", str(out), "--base-date", "2025-06-30"),
            *("--weights", "income=1,market=0"),
        ],
    )
    assert result.exit_code == 0, result.output
    values = pl.read_csv(out)
    assert values["value"].to_list() == values["income_value"].to_list()
    assert values["base_date"].unique().to_list() == ["2025-06-30"]
    assert values["method"][0].startswith("patentval ")
    for bad in ("income", "income=-1", "goodwill=1"):
        result = runner.invoke(app, ["value", str(source), "--out", str(out), "--weights", bad])
        assert result.exit_code == 2
        assert "--weights" in result.output

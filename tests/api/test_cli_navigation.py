"""`patentval demo city` and `patentval navigate`, file to file."""

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from api.cli import app
from tests.navigation.builders import dataset

runner = CliRunner()


def test_demo_city_then_navigate_reproduces_the_reported_period(tmp_path: Path) -> None:
    folder = tmp_path / "city"
    made = runner.invoke(app, ["demo", "city", "--out", str(folder)])
    assert made.exit_code == 0, made.output
    assert "Synthetic" in (folder / "README.md").read_text(encoding="utf-8")
    out = tmp_path / "nav.json"
    run = runner.invoke(app, ["navigate", str(folder), "--as-of", "2019-10-31", "--out", str(out)])
    assert run.exit_code == 0, run.output
    period = json.loads(out.read_text(encoding="utf-8"))["tables"]["period"]
    current = {row[0]: row[1] for row in period["rows"]}
    assert current["applications"] == 35_043
    assert current["grants"] == 20_770
    published = tmp_path / "published.json"
    args = ["navigate", str(folder), "--as-of", "2019-10-31", "--out", str(published)]
    run = runner.invoke(app, [*args, "--for-publication"])
    assert run.exit_code == 0, run.output
    figures = json.loads(published.read_text(encoding="utf-8"))
    assert figures["disclosure"]["min_enterprises"] == 3
    assert "borrowed" not in figures["tables"]["capacity"]["columns"]
    table = figures["tables"]["pledges_by_industry"]
    lines = [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]
    # the demo city's hardware pledges are two firms', its optoelectronics pledge one firm's
    assert {line["industry"] for line in lines if line["suppressed"]} == {
        "hardware",
        "optoelectronics",
    }
    assert all((line["registered_amount"] is None) == line["suppressed"] for line in lines)
    full = json.loads(out.read_text(encoding="utf-8"))["tables"]["pledges_by_industry"]
    assert "suppressed" not in full["columns"]


def test_navigate_a_csv_file(tmp_path: Path) -> None:
    source = tmp_path / "patents.csv"
    pl.DataFrame(dataset(80, seed=5)).write_csv(source)
    out = tmp_path / "nav.xlsx"
    run = runner.invoke(app, ["navigate", str(source), "--as-of", "2019-06-30", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert out.stat().st_size > 0


def test_bad_options_get_a_clear_error(tmp_path: Path) -> None:
    source = tmp_path / "patents.csv"
    pl.DataFrame(dataset(5, seed=5)).write_csv(source)
    out = str(tmp_path / "x.json")
    cases = [
        (["navigate", str(source), "--as-of", "2019-13-01", "--out", out], "--as-of"),
        (
            ["navigate", str(source), "--as-of", "2019-06-30", "--out", str(tmp_path / "x.txt")],
            "expected one of",
        ),
        (
            ["navigate", str(tmp_path / "none.csv"), "--as-of", "2019-06-30", "--out", out],
            "no such file",
        ),
        (
            [
                "navigate",
                str(source),
                "--as-of",
                "2019-06-30",
                "--out",
                "x.json",
                "--pledges",
                str(source),
            ],
            "lacks columns",
        ),
    ]
    for args, message in cases:
        run = runner.invoke(app, args)
        assert run.exit_code == 2, (args, run.output)
        assert message in run.output, (args, run.output)

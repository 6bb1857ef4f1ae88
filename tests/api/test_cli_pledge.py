"""The pledge commands: eligibility of a patent list (with the database's live pledges), the
audit check on an edited log, and bad input refused with the field and reason (exit 2)."""

import sqlite3
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from api.cli import app
from storage.database import make_engine, transaction
from storage.migrate import upgrade
from tests.pledge.builders import OWNER, make_patent
from tests.storage.builders import ENTERPRISE, registered_pledge

runner = CliRunner()


def patent_rows(*serials: int) -> pl.DataFrame:
    rows = []
    for serial in serials:
        patent = make_patent(serial=serial)
        rows.append(
            {
                "patent_id": patent.number.format(spaced=True),
                "filing_date": str(patent.filing_date),
                "grant_date": str(patent.grant_date),
                "owners": OWNER,
                "fees_paid_through_year": "6",
                "valuation_base_date": "2025-01-01",
                "appraised_value": "1000000",
            }
        )
    return pl.DataFrame(rows)


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A SQLite database holding a registered pledge of patent 601862."""
    url = f"sqlite:///{tmp_path / 'patentval.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine) as session:
        registered_pledge(session)
    engine.dispose()
    return url


def test_eligibility_screens_a_list_against_the_live_pledges(tmp_path: Path, database: str) -> None:
    source, out = tmp_path / "patents.csv", tmp_path / "findings.parquet"
    patent_rows(601862, 7, 8).with_row_index().with_columns(
        pl.when(pl.col("index") == 2)
        .then(pl.lit("2024-01-01"))
        .otherwise("valuation_base_date")
        .alias("valuation_base_date")
    ).drop("index").write_csv(source)
    result = runner.invoke(
        app,
        [
            *("eligibility", str(source), "--as-of", "2025-06-01", "--out", str(out)),
            *("--database-url", database),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "checked 3 patents as of 2025-06-01 for default: 1 eligible, 2 blocked" in result.output
    assert "live pledges: 1 from the database" in result.output
    findings = pl.read_parquet(out)
    assert findings["eligible"].to_list() == [False, True, False]
    assert findings["blocking"].to_list() == ["ALREADY_PLEDGED", "", "VALUATION_EXPIRED"]
    assert findings["pledgor"].to_list() == [OWNER] * 3


def test_a_lender_that_is_not_a_bank_is_refused(tmp_path: Path, database: str) -> None:
    source = tmp_path / "patents.csv"
    patent_rows(1).write_csv(source)
    result = runner.invoke(
        app,
        [
            *(
                "eligibility",
                str(source),
                "--as-of",
                "2025-06-01",
                "--out",
                str(tmp_path / "o.csv"),
            ),
            *("--loan-amount", "100000", "--term-months", "12", "--lender", ENTERPRISE.party_id),
            *("--database-url", database),
        ],
    )
    assert result.exit_code == 2, result.output
    assert f"--lender {ENTERPRISE.party_id}: {ENTERPRISE.party_id} is a party of kind" in (
        result.output.replace("\n", "")
    )


def test_eligibility_of_a_proposed_loan(tmp_path: Path) -> None:
    source, out = tmp_path / "patents.csv", tmp_path / "findings.csv"
    patent_rows(1, 2).write_csv(source)
    result = runner.invoke(
        app,
        [
            *("eligibility", str(source), "--as-of", "2025-06-01", "--out", str(out)),
            *("--loan-amount", "600000", "--term-months", "48", "--pledgor", "他人公司"),
            *("--database-url", f"sqlite:///{tmp_path / 'none.db'}"),
        ],
    )
    assert result.exit_code == 0, result.output
    findings = pl.read_csv(out)
    assert set(findings["blocking"]) == {"PLEDGOR_NOT_REGISTERED_OWNER;TERM_EXCEEDS_POLICY"}
    assert set(findings["pledgor"]) == {"他人公司"}
    for english, chinese in zip(findings["findings"], findings["findings_zh"], strict=True):
        assert "exceeds the default lender policy's maximum of 36 months" in english
        assert "超过默认贷款人政策对该类专利的最长期限36个月" in chinese
        assert f"出质人他人公司不是登记的专利权人（登记的专利权人：{OWNER}）" in chinese
    # patents the pledgor does not own secure nothing: the LTV test adds no finding of its own
    assert "LTV_EXCEEDS_POLICY" not in result.output
    owned = runner.invoke(
        app,
        [
            *("eligibility", str(source), "--as-of", "2025-06-01", "--out", str(out)),
            *("--loan-amount", "600000", "--term-months", "48", "--pledgor", OWNER),
            *("--database-url", f"sqlite:///{tmp_path / 'none.db'}"),
        ],
    )
    assert owned.exit_code == 0, owned.output
    assert set(pl.read_csv(out)["blocking"]) == {"TERM_EXCEEDS_POLICY"}
    # CNY 600,000 on CNY 2,000,000 appraised is 30 %, above the 25 % cap of inventions; the term
    # is the lender's policy, which leaves the patents' values counted
    assert "loan: LTV_EXCEEDS_POLICY" in owned.output


def test_audit_verify_names_the_edited_event(database: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", "--database-url", database])
    assert result.exit_code == 0, result.output
    head = result.output.split("head ")[1].strip()
    with sqlite3.connect(tmp_path / "patentval.db") as raw:
        raw.execute("DROP TRIGGER tr_audit_events_no_update")
        raw.execute("UPDATE audit_events SET payload = '{}' WHERE seq = 5")
        raw.execute("DROP TRIGGER tr_audit_events_no_delete")
    result = runner.invoke(app, ["audit", "verify", "--database-url", database])
    assert result.exit_code == 1
    assert "audit log broken at event 5" in result.output
    assert "edited" in result.output
    with sqlite3.connect(tmp_path / "patentval.db") as raw:
        raw.execute("DELETE FROM audit_events WHERE seq >= 5")
    intact = runner.invoke(app, ["audit", "verify", "--database-url", database])
    assert intact.exit_code == 0
    anchored = runner.invoke(app, ["audit", "verify", "--anchor", head, "--database-url", database])
    assert anchored.exit_code == 1
    assert "anchored hash" in anchored.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["stats", "pledges", "--as-of", "30/11/2019"], "--as-of '30/11/2019': expected a date"),
        (
            ["stats", "pledges", "--as-of", "0001-01-01"],
            "--as-of 0001-01-01: outside the days accepted, 1900-01-01 to 2999-12-31",
        ),
        (
            ["report", "portfolio", "--as-of", "9999-12-31", "--out", "p.html"],
            "--as-of 9999-12-31: outside the days accepted",
        ),
        (
            ["navigate", "absent", "--as-of", "9999-12-31", "--out", "n.json"],
            "--as-of 9999-12-31: outside the days accepted",
        ),
        (["stats", "pledges", "--as-of", "2019-11-30", "--by", "bank", "--by", "bank"], "--by"),
        (["stats", "pledges", "--as-of", "2019-11-30", "--by", "colour"], "colour"),
        (
            ["audit", "verify", "--database-url", "nonsense"],
            "--database-url 'nonsense': not a database URL",
        ),
        (
            ["audit", "verify", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/x"],
            "cannot open the database",
        ),
        (["eligibility", "absent.csv", "--as-of", "2025-06-01", "--out", "o.csv"], "no such file"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_reason(arguments: list[str], message: str) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_eligibility_options(tmp_path: Path) -> None:
    source = tmp_path / "patents.csv"
    patent_rows(1).write_csv(source)
    base = ["eligibility", str(source), "--as-of", "2025-06-01"]
    cases = [
        ([*base, "--out", str(tmp_path / "o.txt")], "--out"),
        ([*base, "--out", "o.csv", "--loan-amount", "100"], "go together"),
        ([*base, "--out", "o.csv", "--loan-amount", "lots", "--term-months", "3"], "--loan-amount"),
        ([*base, "--out", "o.csv", "--loan-amount", "-5", "--term-months", "3"], "positive"),
        (["eligibility", str(source), "--as-of", "June", "--out", "o.csv"], "--as-of 'June'"),
    ]
    for arguments, message in cases:
        result = runner.invoke(app, arguments)
        assert result.exit_code == 2, (arguments, result.output)
        assert message in result.output, result.output
    broken = tmp_path / "broken.csv"
    pl.DataFrame({"claims": ["3"]}).write_csv(broken)
    result = runner.invoke(
        app, ["eligibility", str(broken), "--as-of", "2025-06-01", "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 2, result.output
    assert "INPUT" in result.output
    assert "patent_id" in result.output

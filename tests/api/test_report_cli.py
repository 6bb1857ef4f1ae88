"""The report commands: file in (or a stored appraisal, or the database's pledges), report out;
bad input a message and exit code 2, no traceback."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from models.money import Money
from reports.formatting import Formatter
from reports.i18n import Language
from storage.appraisals import StoredAppraisal, get_appraisal
from storage.database import make_engine
from tests.api.world import AS_OF, World
from tests.reports.conftest import OWNER, needs_poppler, number, page_count

runner = CliRunner()


def patents_csv(path: Path, **changes: Any) -> Path:
    rows = [
        {
            "patent_id": number(2017, 1, 601862 + i),
            "title": f"电池材料 {i} <script>alert(1)</script>",
            "owners": OWNER,
            "filing_date": "2017-07-20",
            "grant_date": "2019-05-01",
            "claims": str(10 + i),
            "ipc": "H01M 10/052",
            "family_countries": "CN;US",
            "industry": "electrical",
            "revenue": f"{(i + 1) * 10_000_000}",
            "revenue_growth": "0.05",
            "rd_cost": "3000000",
            "fees_paid_through_year": "8",
        }
        for i in range(2)
    ]
    rows[0].update(changes)
    pl.DataFrame(rows).write_csv(path)
    return path


def invoke(*arguments: str) -> Any:
    return runner.invoke(app, ["report", *arguments])


def test_an_appraisal_report_as_html(tmp_path: Path) -> None:
    source, out = patents_csv(tmp_path / "p.csv"), tmp_path / "report.html"
    result = invoke(
        "appraisal",
        str(source),
        "--out",
        str(out),
        "--base-date",
        "2025-06-30",
        "--draws",
        "200",
        "--seed",
        "3",
        "--appraiser",
        "张三:33000123",
        "--firm",
        "金华示例资产评估有限公司",
        "--report-number",
        "浙评报字[2025]第8号",
    )
    assert result.exit_code == 0, result.output
    assert "appraisal report of 2 patents at 2025-06-30 (html)" in result.output
    html = out.read_text(encoding="utf-8")
    assert "浙评报字[2025]第8号" in html
    assert "张三" in html
    assert "33000123" in html
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert "专利权质押融资资产评估报告" in html
    assert html.count("<svg") == 5  # the portfolio chart and two per patent


@needs_poppler
def test_an_appraisal_report_as_pdf_in_english(tmp_path: Path) -> None:
    source, out = patents_csv(tmp_path / "p.csv"), tmp_path / "report.pdf"
    result = invoke(
        "appraisal",
        str(source),
        "--lang",
        "en",
        "--out",
        str(out),
        "--base-date",
        "2025-06-30",
        "--client",
        "Example Bank",
        "--value-type",
        "realisable_value",
        "--no-working-papers",
    )
    assert result.exit_code == 0, result.output
    assert 4 <= page_count(out) <= 8


def test_a_certificate_and_a_statement(tmp_path: Path) -> None:
    source = patents_csv(tmp_path / "p.csv", legal_status="lapsed")
    out = tmp_path / "certificate.html"
    result = invoke(
        "eligibility",
        str(source),
        "--out",
        str(out),
        "--pledgor",
        OWNER,
        "--amount",
        "300000",
        "--term-months",
        "24",
        "--as-of",
        "2025-06-30",
        "--start",
        "2025-07-01",
    )
    assert result.exit_code == 0, result.output
    assert "eligibility certificate: not eligible" in result.output
    assert "专利权已因未缴年费终止。" in out.read_text(encoding="utf-8")
    pledges = tmp_path / "pledges.csv"
    pl.DataFrame(
        {
            "pledge_id": ["P1", "P2"],
            "registered_on": ["2024-03-01", "2025-02-01"],
            "released_on": [None, None],
            "bank": ["浙商银行", "金华银行"],
            "industry": ["electrical", "machinery"],
            "patent_type": ["invention", "utility_model"],
            "enterprise": ["甲", "乙"],
            "patent_count": ["2", "1"],
            "secured_amount": ["1000000.00", "500000.00"],
            "outstanding": ["800000.00", "500000.00"],
        }
    ).write_csv(pledges)
    statement = tmp_path / "statement.html"
    result = invoke(
        "portfolio", str(pledges), "--as-of", "2025-06-30", "--out", str(statement), "--lang", "en"
    )
    assert result.exit_code == 0, result.output
    assert "CN¥1,300,000.00" in statement.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["appraisal", "{bad}", "--out", "{out}"],
            "row 1 (ZL201710601862.3): claims: -3 is below 0",
        ),
        (
            ["appraisal", "ap-42", "--out", "{out}", "--database-url", "sqlite:///{tmp}/no.db"],
            "INPUT 'ap-42' is not a file, and no database at",
        ),
        (
            [
                "portfolio",
                "--as-of",
                "2025-06-30",
                "--out",
                "{out}",
                "--database-url",
                "sqlite:///{tmp}/no.db",
            ],
            "no INPUT given, and no database at",
        ),
        (["appraisal", "{tmp}/absent.csv", "--out", "{out}"], "no such file"),
        (["appraisal", "{good}", "--out", "{tmp}/r.docx"], "expected a .pdf or .html file"),
        (["appraisal", "{good}", "--out", "{out}", "--base-date", "30/06/2025"], "YYYY-MM-DD"),
        (["appraisal", "{noowner}", "--out", "{out}"], "--client: required"),
        (["appraisal", "{good}", "--out", "{out}", "--client", "x" * 300], "client: String"),
        (["appraisal", "{good}", "--out", "{out}", "--lang", "fr"], "'fr' is not one of"),
        (
            [
                "eligibility",
                "{good}",
                "--out",
                "{out}",
                "--pledgor",
                "甲",
                "--amount",
                "-5",
                "--term-months",
                "12",
            ],
            "loan: amount: the loan amount must be positive",
        ),
        (
            [
                "eligibility",
                "{good}",
                "--out",
                "{out}",
                "--pledgor",
                "甲",
                "--amount",
                "lots",
                "--term-months",
                "12",
            ],
            "loan: amount: 'lots' is not a decimal number",
        ),
        (["portfolio", "{good}", "--as-of", "2025-06-30", "--out", "{out}"], "lacks columns"),
    ],
)
def test_bad_input_is_a_message_and_exit_code_2(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    files = {
        "good": patents_csv(tmp_path / "good.csv"),
        "bad": patents_csv(tmp_path / "bad.csv", claims="-3"),
        "noowner": patents_csv(tmp_path / "noowner.csv", owners=""),
        "out": tmp_path / "r.html",
        "tmp": tmp_path,
    }
    if "noowner" in arguments[1]:
        frame = pl.read_csv(files["noowner"], infer_schema=False).with_columns(owners=pl.lit(None))
        frame.write_csv(files["noowner"])
    result = invoke(*(a.format(**files) for a in arguments))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "no.db").exists()  # a report never creates a database


# -- from the database: a stored appraisal by its id; the registered pledges -----------------------


def test_the_report_of_a_stored_appraisal_by_its_id(tmp_path: Path, world: World) -> None:
    appraisal_id = world.records["a"]["appraisal"]
    stored = stored_appraisal(world, appraisal_id)
    out = tmp_path / "stored.html"
    result = invoke(
        "appraisal",
        appraisal_id,
        "--database-url",
        world.url,
        "--out",
        str(out),
        "--lang",
        "en",
        "--appraiser",
        "Zhang San:33000123",
        "--report-number",
        "PV-STORED-1",
    )
    assert result.exit_code == 0, result.output
    assert f"appraisal report of stored appraisal {appraisal_id} (1 patents)" in result.output
    html = out.read_text(encoding="utf-8")
    value = Formatter(Language.EN).money(stored.summary.market_value)
    assert value in html  # the stored figure, not a new valuation
    assert world.records["a"]["patent"] in html
    assert "PV-STORED-1" in html
    assert "Zhang San" in html


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--base-date", "2025-06-30"], "--base-date: a stored appraisal is reported as it was"),
        (["--seed", "3", "--draws", "10"], "--draws, --seed: a stored appraisal"),
    ],
)
def test_valuing_options_are_refused_for_a_stored_appraisal(
    tmp_path: Path, world: World, arguments: list[str], message: str
) -> None:
    appraisal_id = world.records["a"]["appraisal"]
    out = tmp_path / "r.html"
    result = invoke(
        "appraisal", appraisal_id, "--database-url", world.url, "--out", str(out), *arguments
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_an_unknown_appraisal_id_is_a_message(tmp_path: Path, world: World) -> None:
    result = invoke(
        "appraisal", "ap-0000", "--database-url", world.url, "--out", str(tmp_path / "r.html")
    )
    assert result.exit_code == 2, result.output
    assert "ap-0000" in result.output
    assert "Traceback" not in result.output


def test_the_portfolio_statement_of_the_registered_pledges(tmp_path: Path, world: World) -> None:
    out = tmp_path / "statement.html"
    result = invoke(
        "portfolio", "--as-of", AS_OF.isoformat(), "--database-url", world.url, "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    total = sum(Decimal(world.records[side]["principal"]) for side in ("a", "b"))
    assert Formatter(Language.ZH).money(Money.of(total)) in html
    for bank in ("甲示例银行", "乙示例银行"):
        assert bank in html
    before = tmp_path / "before.html"
    result = invoke(
        "portfolio", "--as-of", "2025-05-31", "--database-url", world.url, "--out", str(before)
    )
    assert result.exit_code == 0, result.output
    assert Formatter(Language.ZH).money(Money.of(total)) not in before.read_text(encoding="utf-8")


def stored_appraisal(world: World, appraisal_id: str) -> StoredAppraisal:
    engine = make_engine(world.url)
    try:
        with Session(engine) as session:
            return get_appraisal(session, appraisal_id)
    finally:
        engine.dispose()

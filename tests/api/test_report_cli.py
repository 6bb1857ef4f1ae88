"""The report commands: file in (or a stored appraisal, registered patents, or the database's
pledges), report out; bad input a message and exit code 2, no traceback."""

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from models.money import Money
from pledge.policy import DEFAULT_LENDER
from reports.formatting import Formatter
from reports.i18n import Language
from storage.appraisals import StoredAppraisal, get_appraisal
from storage.database import make_engine
from tests.api.world import AS_OF, PARTIES, World, cn_number, money, patent_body
from tests.reports.conftest import (
    OWNER,
    needs_poppler,
    number,
    page_count,
    pdf_text,
    png_pages,
    squeeze,
)

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
    assert 4 <= page_count(out) <= 9  # Annex B lists the market model and its sources too


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
        (
            [
                "appraisal",
                "{good}",
                "--out",
                "{out}",
                "--base-date",
                "2025-06-30",
                "--report-date",
                "2020-01-01",
            ],
            "--report-date 2020-01-01: before the base date 2025-06-30",
        ),
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
        (
            ["eligibility", "{good}", "--out", "{out}", "--amount", "1", "--term-months", "12"],
            "--pledgor: required with INPUT",
        ),
        (
            [
                "eligibility",
                "--enterprise",
                "ent-a",
                "--out",
                "{out}",
                "--amount",
                "1",
                "--term-months",
                "12",
                "--database-url",
                "sqlite:///{tmp}/no.db",
            ],
            "no INPUT given, and no database at",
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
    published = tmp_path / "published.html"
    arguments = ["--database-url", world.url, "--out", str(published), "--for-publication"]
    result = invoke("portfolio", "--as-of", AS_OF.isoformat(), *arguments)
    assert result.exit_code == 0, result.output
    text = published.read_text(encoding="utf-8")
    assert Formatter(Language.ZH).money(Money.of(total)) not in text  # two enterprises in all
    assert "公开发布版" in text
    assert 'class="withheld"' in text


def stored_appraisal(world: World, appraisal_id: str) -> StoredAppraisal:
    engine = make_engine(world.url)
    try:
        with Session(engine) as session:
            return get_appraisal(session, appraisal_id)
    finally:
        engine.dispose()


# -- the eligibility certificate of registered patents ---------------------------------------------

VERDICTS = {"zh": ("可以出质", "不能出质"), "en": ("Eligible", "Not eligible")}
KIND = {"zh": "发明", "en": "Invention"}
PAGES = {"zh": 1, "en": 2}  # the English notes run onto a second page
LOAN = ["--amount", "500000", "--term-months", "24", "--as-of", AS_OF.isoformat()]


@pytest.fixture
def free_patent(client: TestClient, own_world: World) -> str:
    """A second patent of enterprise A, appraised and in no pledge (the first is pledged)."""
    enterprise = next(p for p in PARTIES if p.party_id == "ent-a")
    patent = cn_number(601870)
    body = patent_body(patent, enterprise)
    made = client.post("/v1/patents", json=body, headers=own_world.headers("ent-a"))
    assert made.status_code == 201, made.text
    appraisal = {
        "patent_number": patent,
        "base_date": AS_OF.isoformat(),
        "financials": {"revenue": money("60000000"), "royalty_rate": "0.04"},
    }
    made = client.post("/v1/appraisals", json=appraisal, headers=own_world.headers("bank-a"))
    assert made.status_code == 201, made.text
    return patent


def api_body(patents: list[str]) -> dict[str, Any]:
    """The body of POST /v1/eligibility for the loan of LOAN, pledged by enterprise A."""
    return {
        "patents": patents,
        "loan": {"amount": money("500000"), "term_months": 24, "lender": DEFAULT_LENDER},
        "as_of": AS_OF.isoformat(),
        "pledgor": "ent-a",
    }


@needs_poppler
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_certificate_of_an_enterprises_registered_patents(
    tmp_path: Path, client: TestClient, own_world: World, free_patent: str, lang: str
) -> None:
    pledged = own_world.records["a"]["patent"]
    out = tmp_path / f"certificate-{lang}.pdf"
    result = invoke(
        "eligibility",
        "--database-url",
        own_world.url,
        "--enterprise",
        "ent-a",
        *LOAN,
        "--lang",
        lang,
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "eligibility certificate: not eligible (pdf)" in result.output
    checked = client.post(
        "/v1/eligibility",
        json=api_body([pledged, free_patent]),
        headers=own_world.headers("bank-a"),
    ).json()
    assert [p["eligible"] for p in checked["patents"]] == [False, True]
    assert page_count(out) == PAGES[lang]
    text, f = pdf_text(out), Formatter(Language(lang))
    yes, no = VERDICTS[lang]
    for row, verdict in zip(checked["patents"], (no, yes), strict=True):
        cells = text.split(row["patent_number"], 1)[1]  # its row of the patents table
        kind = squeeze(f"一种示例装置 {KIND[lang]} {verdict}")
        assert cells.startswith(kind)
        loan = f.money(Money.of(row["indicative_max_loan"]["amount"]))
        assert re.match(rf"(CN)?¥[\d,]+\.\d\d{re.escape(loan)}", cells.removeprefix(kind))
    reason = checked["patents"][0]["findings"][0]
    assert reason["code"] == "ALREADY_PLEDGED"
    assert squeeze(reason[f"message_{lang}"]) in text  # refused as the API refuses it
    assert squeeze(reason[f"fix_{lang}"]) in text
    total = Money.of(checked["indicative_max_loan"]["amount"])
    assert total.amount > 0
    assert f.money(total) in text
    assert len(png_pages(out, tmp_path / "png")) == PAGES[lang]


def test_the_certificate_of_registered_patents_is_the_apis(
    tmp_path: Path, client: TestClient, own_world: World, free_patent: str
) -> None:
    pledged = own_world.records["a"]["patent"]
    out = tmp_path / "certificate.html"
    result = invoke(
        "eligibility",
        "--database-url",
        own_world.url,
        "--patent",
        free_patent,
        "--patent",
        pledged,
        *LOAN,
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    served = client.post(
        "/v1/eligibility/certificate?format=html",
        json=api_body([free_patent, pledged]),
        headers=own_world.headers("bank-a"),
    )
    assert served.status_code == 200, served.text
    assert out.read_text(encoding="utf-8") == served.text
    alone = tmp_path / "alone.html"
    result = invoke(
        "eligibility",
        "--database-url",
        own_world.url,
        "--patent",
        free_patent,
        *LOAN,
        "--out",
        str(alone),
        "--lang",
        "en",
    )
    assert result.exit_code == 0, result.output
    assert "eligibility certificate: eligible (html)" in result.output
    assert "The patents can secure the proposed loan." in alone.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--patent", cn_number(601899)], f"--patent: no patent {cn_number(601899)} in the"),
        (["--patent", "ZL2019"], "--patent 'ZL2019': 'ZL2019' is not a Chinese patent number"),
        (["--patent", "{a}", "--patent", " {a} "], "--patent ' {a} ': given twice"),
        (["--enterprise", "ent-zz"], "--enterprise 'ent-zz': no such party in the database"),
        (["--enterprise", "bureau"], "--enterprise 'bureau': no patents registered to 示例市场"),
        (["--patent", "{a}", "--patent", "{b}"], "--enterprise: required, since the patents"),
        (["--enterprise", "ent-a", "--pledgor", "甲"], "--pledgor: for INPUT only"),
        (["--enterprise", "ent-a", "--model", "m.json"], "--model: for INPUT only"),
        (
            ["{good}", "--enterprise", "ent-a"],
            "--enterprise, --database-url: for patents registered in the",
        ),
        (["{good}", "--pledgor", "甲"], "--database-url: for patents registered in the"),
        ([], "give INPUT (a .csv or .parquet file of patents), or --patent or --enterprise"),
    ],
)
def test_registered_patents_refused_with_a_message(
    tmp_path: Path, world: World, arguments: list[str], message: str
) -> None:
    values = {
        "a": world.records["a"]["patent"],
        "b": world.records["b"]["patent"],
        "good": str(patents_csv(tmp_path / "good.csv")),
    }
    out = tmp_path / "r.html"
    given = [a.format(**values) for a in arguments]
    result = invoke("eligibility", *given, "--database-url", world.url, *LOAN, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert message.format(**values) in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_the_database_of_the_settings_is_read(
    tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = f"sqlite:///{tmp_path / 'no.db'}"
    monkeypatch.setenv("PATENTVAL_DATABASE_URL", missing)
    out = tmp_path / "r.html"
    result = invoke("eligibility", "--enterprise", "ent-a", *LOAN, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert f"no INPUT given, and no database at {missing}" in result.output
    assert not (tmp_path / "no.db").exists()
    monkeypatch.setenv("PATENTVAL_DATABASE_URL", world.url)
    result = invoke("eligibility", "--enterprise", "ent-a", *LOAN, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert world.records["a"]["patent"] in out.read_text(encoding="utf-8")

"""The report endpoints: a stored appraisal's report shows the stored figures (HTML and PDF, with
a safe file name), refused for an appraisal stored without its inputs; the certificate of a
pre-check; the statement of a bank's own pledges or of all for a regulator; navigation over the
database."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from api.services.reports import safe_filename
from models.enums import Role
from pledge.policy import valuation_valid_until
from reports.constants import default_seed
from reports.formatting import Formatter
from reports.i18n import Language
from reports.info import REPORT_ZONE
from storage import credentials, parties
from storage.database import make_engine
from storage.migrate import upgrade
from storage.tables import ValuationRow
from tests.api.world import AS_OF, PARTIES, World, client_for, money
from tests.reports.conftest import needs_poppler
from valuation.uncertainty import default_draws

FILENAME = re.compile(r'^attachment; filename="[A-Za-z0-9._-]+"$')


def _appraise(client: TestClient, world: World, **extra: Any) -> dict[str, Any]:
    body = {
        "patent_number": world.records["a"]["patent"],
        "base_date": AS_OF.isoformat(),
        "financials": {"revenue": money("50000000"), "royalty_rate": "0.03"},
        **extra,
    }
    response = client.post("/v1/appraisals", json=body, headers=world.headers("bank-a"))
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def _set_inputs(world: World, appraisal_id: str, inputs: Any) -> None:
    engine = make_engine(world.url)
    with Session(engine) as session, session.begin():
        session.execute(
            update(ValuationRow)
            .where(ValuationRow.appraisal_id == appraisal_id)
            .values(inputs=inputs)
        )
    engine.dispose()


def test_the_report_shows_the_stored_figures_with_the_redrawn_chart(
    client: TestClient, own_world: World
) -> None:
    made = _appraise(client, own_world, draws=300, seed=11)
    url = f"/v1/appraisals/{made['appraisal_id']}/report"
    response = client.get(
        url, params={"lang": "en", "format": "html"}, headers=own_world.headers("bank-a")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert FILENAME.match(response.headers["content-disposition"])
    assert made["appraisal_id"] in response.headers["content-disposition"]
    html = response.text
    english = Formatter(Language.EN)
    market = Decimal(made["market_value"]["amount"])
    assert english.money(market) in html
    assert english.money(Decimal(made["max_loan"]["amount"])) in html
    assert 'aria-label="Distribution of the income value (Monte Carlo)"' in html
    assert "300 Monte Carlo draws, seed 11" in html
    assert "Annex A. Working papers, patent by patent" in html
    # Dated the day it was requested: once 12 months from the base date have passed, the
    # conclusion's period of use has ended, and the report says so in Parts 10 and 12.
    ended = datetime.now(REPORT_ZONE).date() > valuation_valid_until(AS_OF, 12)
    assert html.count("after the period of use of its conclusion ended on") == 2 * ended
    short = client.get(
        url,
        params={"lang": "en", "format": "html", "working_papers": "false"},
        headers=own_world.headers("bank-a"),
    )
    assert short.status_code == 200
    assert short.headers["content-disposition"].endswith('-without-working-papers-en.html"')
    assert "Annex A. Working papers, patent by patent" not in short.text
    assert "This edition leaves out the working papers" in short.text
    assert english.money(market) in short.text
    assert len(short.text) < 0.6 * len(html)


def test_an_appraisal_without_draws_has_the_default_range_in_its_answer_and_report(
    client: TestClient, own_world: World
) -> None:
    made = _appraise(client, own_world)
    [patent] = made["patents"]
    spread = patent["value_range"]
    assert (spread["draws"], spread["seed"]) == (default_draws(), default_seed())
    low, mid, high = (Decimal(spread[k]["amount"]) for k in ("p10", "p50", "p90"))
    assert low <= mid <= high
    assert low < high  # a range, not a point
    assert Decimal(spread["income_p10"]["amount"]) <= Decimal(spread["income_p90"]["amount"])
    again = _appraise(client, own_world)  # the same request draws the same range
    assert again["patents"][0]["value_range"] == spread
    html = client.get(
        f"/v1/appraisals/{made['appraisal_id']}/report",
        params={"lang": "en", "format": "html"},
        headers=own_world.headers("bank-a"),
    ).text
    assert f"{default_draws()} Monte Carlo draws, seed {default_seed()}" in html
    assert Formatter(Language.EN).money(low) in html


@needs_poppler
def test_the_report_as_a_pdf_in_chinese(
    client: TestClient, own_world: World, tmp_path: Path
) -> None:
    appraisal_id = own_world.records["a"]["appraisal"]
    stored = client.get(f"/v1/appraisals/{appraisal_id}", headers=own_world.headers("bank-a"))
    response = client.get(
        f"/v1/appraisals/{appraisal_id}/report", headers=own_world.headers("bank-a")
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].endswith('-zh.pdf"')
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    value = Decimal(stored.json()["market_value"]["amount"])
    assert Formatter(Language.ZH).money(value) in text
    assert "资产评估报告" in text


def test_an_appraisal_stored_without_its_inputs_has_no_report(
    client: TestClient, own_world: World
) -> None:
    appraisal_id = own_world.records["b"]["appraisal"]
    _set_inputs(own_world, appraisal_id, None)
    response = client.get(
        f"/v1/appraisals/{appraisal_id}/report?format=html", headers=own_world.headers("bank-b")
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "REPORT_UNAVAILABLE"


def test_inputs_that_are_not_the_results_are_refused(client: TestClient, own_world: World) -> None:
    appraisal_id = own_world.records["a"]["appraisal"]
    shown = client.get(f"/v1/appraisals/{appraisal_id}", headers=own_world.headers("bank-a"))
    engine = make_engine(own_world.url)
    with Session(engine) as session:
        row = session.get(ValuationRow, (appraisal_id, shown.json()["patents"][0]["patent_number"]))
        assert row is not None
        assert row.inputs is not None
        inputs = dict(row.inputs)
    engine.dispose()
    inputs["financials"] = {**inputs["financials"], "royalty_rate": "0.05"}
    _set_inputs(own_world, appraisal_id, inputs)
    response = client.get(
        f"/v1/appraisals/{appraisal_id}/report?format=html", headers=own_world.headers("bank-a")
    )
    assert response.status_code == 409
    assert "not those its result was valued from" in response.json()["error"]["message"]


def test_bad_report_parameters_are_422(client: TestClient, world: World) -> None:
    url = f"/v1/appraisals/{world.records['a']['appraisal']}/report"
    for query in ({"lang": "fr"}, {"format": "docx"}, {"working_papers": "some"}):
        response = client.get(url, params=query, headers=world.headers("bank-a"))
        assert response.status_code == 422
        assert response.json()["error"]["field"] == f"query.{next(iter(query))}"


def test_the_certificate_of_a_pre_check(client: TestClient, world: World) -> None:
    body = {
        "patents": [world.records["a"]["patent"]],
        "loan": {"amount": money("100000"), "term_months": 12},
        "as_of": AS_OF.isoformat(),
    }
    checked = client.post("/v1/eligibility", json=body, headers=world.headers("ent-a")).json()
    response = client.post(
        "/v1/eligibility/certificate?format=html&lang=en",
        json=body,
        headers=world.headers("ent-a"),
    )
    assert response.status_code == 200
    assert FILENAME.match(response.headers["content-disposition"])
    verdict = (
        "The patents can secure the proposed loan."
        if checked["eligible"]
        else "The patents cannot secure the proposed loan as it stands."
    )
    assert verdict in response.text
    for finding in checked["patents"][0]["findings"]:
        assert finding["code"] in response.text.replace("<wbr>", "")  # breaks after "_"


def _bank_rows(html: str) -> set[str]:
    section = html.split("By bank", 1)[1].split("By industry", 1)[0]
    return {p.name for p in PARTIES if p.kind == "bank" and p.name in section}


def test_a_bank_has_the_statement_of_its_own_pledges_a_regulator_of_all(
    client: TestClient, world: World
) -> None:
    query = {"as_of": "2025-06-30", "format": "html", "lang": "en"}
    url = "/v1/statistics/pledges/statement"
    bank = client.get(url, params=query, headers=world.headers("bank-a"))
    regulator = client.get(url, params=query, headers=world.headers("regulator"))
    assert bank.status_code == regulator.status_code == 200
    assert _bank_rows(bank.text) == {"甲示例银行"}
    assert _bank_rows(regulator.text) == {"甲示例银行", "乙示例银行"}
    total = Decimal(world.records["a"]["principal"]) + Decimal(world.records["b"]["principal"])
    assert Formatter(Language.EN).money(total) in regulator.text
    for enterprise in ("甲示例科技有限公司", "乙示例科技有限公司"):
        assert enterprise not in regulator.text  # aggregates only, no borrower named


def test_navigation_of_the_database(client: TestClient, world: World) -> None:
    response = client.get(
        "/v1/navigation", params={"as_of": "2025-06-30"}, headers=world.headers("regulator")
    )
    assert response.status_code == 200
    figures = response.json()
    assert figures["rows"] == {"read": 2, "refused": 0}
    pledges = figures["tables"]["pledges"]
    row = dict(zip(pledges["columns"], pledges["rows"][0], strict=True))
    total = Decimal(world.records["a"]["principal"]) + Decimal(world.records["b"]["principal"])
    assert (row["deals"], Decimal(row["registered_amount"])) == (2, total)
    capacity = figures["tables"]["capacity"]
    firms = {r[capacity["columns"].index("applicant")] for r in capacity["rows"]}
    assert firms == {"甲示例科技有限公司", "乙示例科技有限公司"}
    # no firm's loans: neither role sees a borrower's financing
    assert {"borrowed", "headroom"}.isdisjoint(capacity["columns"])
    assert "not shown" in capacity["definition"]
    report = client.get(
        "/v1/navigation/report",
        params={"as_of": "2025-06-30", "format": "html"},
        headers=world.headers("admin"),
    )
    assert report.status_code == 200
    assert "<h1>专利导航分析报告</h1>" in report.text
    # the register's patents were applied for in 2019: the mix and the types are of that year
    assert "2019年各产业申请量" in report.text
    types = report.text.split("2019年专利类型与技术分类", 1)[1].split("</table>", 1)[0]
    assert "<td>发明</td>" in types
    assert "不显示各企业的借款" in report.text
    assert "现有借款" not in report.text
    assert "融资空间" not in report.text
    workbook = client.get(
        "/v1/navigation/report",
        params={"as_of": "2025-06-30", "format": "xlsx"},
        headers=world.headers("regulator"),
    )
    with zipfile.ZipFile(io.BytesIO(workbook.content)) as book:
        strings = book.read("xl/sharedStrings.xml").decode("utf-8")
    assert "<t>capacity</t>" in strings
    assert "<t>eligible_value</t>" in strings
    assert "<t>borrowed</t>" not in strings
    assert "<t>headroom</t>" not in strings


def test_navigation_for_publication_withholds_the_pledge_amounts(
    client: TestClient, world: World
) -> None:
    # the two pledges are two enterprises': fewer than three, so every amount is withheld
    query = {"as_of": "2025-06-30", "for_publication": "true"}
    headers = world.headers("regulator")
    figures = client.get("/v1/navigation", params=query, headers=headers).json()
    assert figures["disclosure"]["source_id"] == "OECD-SDC-THRESHOLD"
    for name in ("pledges", "pledges_by_bank", "pledges_by_industry", "pledge_registrations"):
        table = figures["tables"][name]
        for row in table["rows"]:
            line = dict(zip(table["columns"], row, strict=True))
            assert line["suppressed"] is True
            assert line["registered_amount"] is None
            assert line["deals"] >= 1
        assert "withheld" in table["definition"]
    statistics = client.get(
        "/v1/statistics/pledges", params={**query, "by": "bank"}, headers=headers
    ).json()
    by_bank = figures["tables"]["pledges_by_bank"]
    assert len(by_bank["rows"]) == len(statistics["rows"]) == 2
    report = client.get(
        "/v1/navigation/report", params={**query, "format": "html", "lang": "en"}, headers=headers
    )
    assert report.status_code == 200
    assert (
        'filename="patentval-navigation-2025-06-30-publication-en.html"'
        in (report.headers["content-disposition"])
    )
    assert "their amounts are withheld for publication" in report.text
    plain = client.get(
        "/v1/navigation/report",
        params={"as_of": "2025-06-30", "format": "html", "lang": "en"},
        headers=headers,
    )
    for side in ("a", "b"):
        principal = Formatter(Language.EN).money(Decimal(world.records[side]["principal"]))
        assert principal in plain.text
        assert principal not in report.text
    refused = client.get(
        "/v1/navigation", params={**query, "for_publication": "maybe"}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "query.for_publication"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("patentval", "appraisal", "ap-1", "zh"), "patentval-appraisal-ap-1-zh.pdf"),
        (("patentval", '../../etc/passwd"\r\nX: y'), "patentval-etc-passwd-X-y.pdf"),
        (("报告", ".."), "report.pdf"),
        (("a" * 200,), "a" * 80 + ".pdf"),
    ],
)
def test_file_names_are_safe(parts: tuple[str, ...], expected: str) -> None:
    assert safe_filename(*parts, suffix="pdf") == expected


def test_navigation_of_an_empty_register_is_409_and_as_of_is_required(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        bureau = next(p for p in PARTIES if p.kind == "regulator")
        parties.save_party(session, bureau, actor="test")
        key = credentials.issue_credential(
            session, bureau.party_id, Role.REGULATOR, label="r", actor="test"
        ).key
    engine.dispose()
    headers = {"Authorization": f"Bearer {key}"}
    with client_for(url) as client:
        empty = client.get("/v1/navigation", params={"as_of": "2025-06-30"}, headers=headers)
        undated = client.get("/v1/navigation", headers=headers)
    assert empty.status_code == 409
    assert empty.json()["error"]["code"] == "NO_DATA"
    assert empty.json()["error"]["field"] == "patents"
    assert undated.status_code == 422
    assert undated.json()["error"]["field"] == "query.as_of"

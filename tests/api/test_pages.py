"""The pages in process: signing in (cookie flags, no key in the cookie, CSRF), roles, bad form
input shown again with the field named (4xx, never 500), escaping, and a form sent twice making
one appraisal. The browser tests (test_browser.py) click through them in Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from api.pages import refusals
from api.settings import Settings
from reports.i18n import Language
from tests.api.world import AS_OF, PARTIES, World, cn_number, patent_body

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_ID = re.compile(r'name="form_id" value="([^"]+)"')
ERRORS = re.compile(r'<p class="error" id="([a-z_]+)-error">([^<]+)</p>')


@pytest.fixture
def browser(own_world: World) -> Iterator[TestClient]:
    """A client that keeps cookies, on https (the cookies are Secure)."""
    app = create_app(Settings(database_url=own_world.url))
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        yield client


def csrf_of(response: Response) -> str:
    found = CSRF.search(response.text)
    assert found is not None, response.text[:500]
    return found.group(1)


def sign_in(client: TestClient, key: str) -> Response:
    form = client.get("/signin")
    return client.post(
        "/signin", data={"csrf_token": csrf_of(form), "api_key": key}, follow_redirects=False
    )


def errors(response: Response) -> dict[str, str]:
    return dict(ERRORS.findall(response.text))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", Language.ZH),
        ("en-US,en;q=0.9", Language.EN),
        ("zh-CN,zh;q=0.9,en;q=0.8", Language.ZH),
        ("fr-FR, en;q=0.5, zh;q=0.4", Language.EN),
        ("en;q=0.2, zh-TW;q=0.7", Language.ZH),
        ("de, fr;q=0.8", Language.ZH),  # none of ours: the default
        ("en;q=0, zh;q=0.1", Language.ZH),  # q=0: not acceptable
        ("en;q=high, *;q=0.5", Language.ZH),  # a broken quality is skipped
    ],
)
def test_without_a_choice_the_page_follows_the_browsers_languages(
    browser: TestClient, header: str, expected: Language
) -> None:
    page = browser.get("/signin", headers={"Accept-Language": header} if header else {})
    assert f'<html lang="{"en" if expected is Language.EN else "zh-Hans"}">' in page.text
    assert page.headers["vary"] == "Accept-Language, Cookie"
    chosen = browser.get("/signin?lang=zh", headers={"Accept-Language": "en"})
    assert '<html lang="zh-Hans">' in chosen.text  # a choice made wins, and is remembered
    assert '<html lang="zh-Hans">' in browser.get("/signin", headers={"Accept-Language": "en"}).text


def test_signing_in_sets_a_strict_session_cookie_that_is_not_the_key(
    browser: TestClient, own_world: World
) -> None:
    key = own_world.keys["ent-a"]
    response = sign_in(browser, key)
    assert response.status_code == 303
    assert response.headers["location"] == "/enterprise"
    cookie = next(c for c in response.headers.get_list("set-cookie") if "pv_session=" in c)
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= flags
    secret = key.split("_", 2)[2]  # the secret may hold "_" itself
    assert secret not in cookie
    assert all(secret not in value for value in response.headers.values())
    page = browser.get("/enterprise")
    assert page.status_code == 200
    assert "甲示例科技有限公司" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_a_wrong_key_or_a_forged_form_does_not_sign_in(
    browser: TestClient, own_world: World
) -> None:
    refused = sign_in(browser, own_world.keys["ent-a"][:-3] + "xyz")
    assert refused.status_code == 401
    assert errors(refused) == {"api_key": "API 密钥无效或已被吊销。"}
    empty = sign_in(browser, " ")
    assert empty.status_code == 422
    assert "api_key" in errors(empty)
    forged = browser.post(
        "/signin", data={"csrf_token": "not-the-cookie", "api_key": own_world.keys["ent-a"]}
    )
    assert forged.status_code == 403
    assert "pv_session" not in browser.cookies


def test_a_broken_form_body_is_an_error_page(browser: TestClient, own_world: World) -> None:
    """A body that cannot be read as a form is a 400 page in the person's language, not the
    JSON API's error."""
    for path in ("/signin", "/enterprise/eligibility"):
        broken = browser.post(
            path, content=b"garbage", headers={"Content-Type": "multipart/form-data"}
        )
        assert broken.status_code == 400, path
        assert broken.headers["content-type"].startswith("text/html")
        assert "无法读取所提交的表单" in broken.text
        if path == "/signin":
            sign_in(browser, own_world.keys["ent-a"])
        else:  # signed in: the error page says so
            assert 'action="/signout"' in broken.text
    english = browser.post(
        "/signin?lang=en",
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nkey",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert english.headers["content-type"].startswith("text/html"), english.text


def test_pages_need_signing_in_and_the_right_role(browser: TestClient, own_world: World) -> None:
    away = browser.get("/enterprise", follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == "/signin?next=/enterprise"
    sign_in(browser, own_world.keys["ent-a"])
    for path in ("/bank", "/regulator", "/navigation", "/bank/appraisals/new"):
        response = browser.get(path)
        assert response.status_code == 403, path
        assert "您的角色无权访问此页面。" in response.text
        # still signed in: the header names the user and role and offers to sign out
        assert "甲示例科技有限公司 · 企业" in response.text
        assert 'action="/signout"' in response.text
        assert 'href="/signin"' not in response.text
    page = browser.get("/enterprise")
    signed_out = browser.post(
        "/signout", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert signed_out.status_code == 303
    assert browser.get("/enterprise", follow_redirects=False).status_code == 303


def test_a_form_post_without_its_csrf_token_is_refused(
    browser: TestClient, own_world: World
) -> None:
    sign_in(browser, own_world.keys["ent-a"])
    data = {"patents": own_world.records["a"]["patent"], "amount": "100000", "term_months": "12"}
    for token in (None, "forged"):
        sent = data if token is None else {**data, "csrf_token": token}
        response = browser.post("/enterprise/eligibility", data=sent)
        assert response.status_code == 403
        assert "表单已过期，或并非来自本网站。" in response.text


def test_bad_eligibility_input_shows_the_form_again_naming_each_field(
    browser: TestClient, own_world: World
) -> None:
    sign_in(browser, own_world.keys["ent-a"])
    token = csrf_of(browser.get("/enterprise?lang=en"))
    theirs = own_world.records["b"]["patent"]
    cases = [
        ({"patents": "ZL12345"}, {"patents": "ZL12345 is not a patent number."}),
        ({"patents": ""}, {"patents": "Give at least one patent number."}),
        (
            {"patents": own_world.records["a"]["patent"], "amount": "abc", "as_of": "30/06"},
            {
                "amount": "abc is not an amount of yuan above zero.",
                "as_of": "30/06 is not a date: write it as YYYY-MM-DD.",
            },
        ),
        (
            {"patents": own_world.records["a"]["patent"], "amount": "1000", "term_months": "999"},
            {"term_months": "Give a whole number from 1 to 360."},
        ),
        ({"patents": theirs}, {"patents": f"{theirs} is not one of your registered patents."}),
    ]
    for data, expected in cases:
        response = browser.post("/enterprise/eligibility", data={"csrf_token": token, **data})
        assert response.status_code == 422, data
        assert errors(response) == expected
        for name, value in data.items():  # what was typed is shown again
            shown = f">{value}</textarea>" if name == "patents" else f'value="{value}"'
            assert shown in response.text


def test_an_enterprise_reads_its_verdict_and_gets_the_certificate(
    browser: TestClient, own_world: World
) -> None:
    sign_in(browser, own_world.keys["ent-a"])
    token = csrf_of(browser.get("/enterprise"))
    data = {
        "csrf_token": token,
        "patents": own_world.records["a"]["patent"],
        "amount": "100,000",
        "term_months": "12",
        "as_of": AS_OF.isoformat(),
    }
    response = browser.post("/enterprise/eligibility", data=data)
    assert response.status_code == 200
    assert "不能为拟申请借款提供质押担保" in response.text  # the patent is pledged already
    assert "ALREADY_PLEDGED" in response.text
    certificate = browser.post("/enterprise/certificate", data=data)
    assert certificate.status_code == 200
    assert certificate.headers["content-type"] == "application/pdf"
    assert certificate.content.startswith(b"%PDF-")
    # the lender is chosen among the register's banks, by name; the choice is kept
    chosen = browser.post("/enterprise/eligibility", data={**data, "lender": "bank-b"})
    lenders = re.search(r'<select id="lender" name="lender">(.*?)</select>', chosen.text, re.S)
    assert lenders is not None
    assert '<option value="">默认贷款人政策</option>' in lenders.group(1)
    assert '<option value="bank-a">甲示例银行</option>' in lenders.group(1)
    assert '<option value="bank-b" selected>乙示例银行</option>' in lenders.group(1)
    assert "ent-a" not in lenders.group(1)  # banks only
    # a lender posted that is a party but not a bank is refused on the lender field
    forged = browser.post("/enterprise/eligibility", data={**data, "lender": "ent-b"})
    assert forged.status_code == 422
    assert 'id="lender-error"' in forged.text


def test_values_are_escaped(browser: TestClient, own_world: World, client: TestClient) -> None:
    owner = next(p for p in PARTIES if p.party_id == "ent-a")
    number = cn_number(700321)
    body = patent_body(number, owner, title="<script>alert(1)</script>")
    registered = client.post("/v1/patents", json=body, headers=own_world.headers("ent-a"))
    assert registered.status_code == 201
    sign_in(browser, own_world.keys["ent-a"])
    token = csrf_of(browser.get("/enterprise"))
    response = browser.post(
        "/enterprise/eligibility",
        data={"csrf_token": token, "patents": f"{number}\n<b>x</b>"},
    )
    assert "<script>alert(1)</script>" not in response.text
    assert "<b>x</b>" not in response.text
    assert "&lt;b&gt;x&lt;/b&gt;" in response.text


def test_an_appraisal_form_sent_twice_makes_one_appraisal(
    browser: TestClient, own_world: World
) -> None:
    sign_in(browser, own_world.keys["bank-a"])
    form = browser.get("/bank/appraisals/new")
    form_id = FORM_ID.search(form.text)
    assert form_id is not None
    data = {
        "csrf_token": csrf_of(form),
        "form_id": form_id.group(1),
        "patent_number": own_world.records["a"]["patent"],
        "base_date": AS_OF.isoformat(),
        "revenue": "40000000",
        "royalty_rate": "3.5",
    }
    first = browser.post("/bank/appraisals", data=data, follow_redirects=False)
    again = browser.post("/bank/appraisals", data=data, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    # Income on 40 M of revenue and the renewal model's market value are far apart: the page
    # says so under the reconciliation, in its language.
    shown = browser.get(first.headers["location"]).text
    note = re.search(r'<p class="notice reconcile-note">([^<]+)</p>', shown)
    assert note is not None
    assert re.fullmatch(r"收益法（¥[0-9,.]+）与市场法（¥[0-9,.]+）相差 [0-9,.]+ 倍.*", note[1])
    bad = browser.post(
        "/bank/appraisals",
        data={**data, "form_id": "other", "royalty_rate": "300", "revenue": "1.234"},
    )
    assert bad.status_code == 422
    assert errors(bad) == {
        "revenue": "最多两位小数（到分）。",
        "royalty_rate": "请填写 0 至 100 之间的百分数。",
    }
    unknown = browser.post(
        "/bank/appraisals", data={**data, "form_id": "third", "patent_number": cn_number(1)}
    )
    assert unknown.status_code == 422
    assert errors(unknown) == {"patent_number": f"未受理：登记簿中没有专利 {cn_number(1)}"}
    early = browser.post(
        "/bank/appraisals", data={**data, "form_id": "fourth", "base_date": "2019-08-31"}
    )
    assert early.status_code == 422
    number = own_world.records["a"]["patent"]
    assert errors(early) == {"base_date": f"未受理：2019-08-31 早于 {number} 的申请日 2019-09-01"}
    early_en = browser.post(
        "/bank/appraisals?lang=en",
        data={**data, "form_id": "fifth", "base_date": "2019-08-31"},
    )
    assert errors(early_en) == {
        "base_date": f"Not accepted: 2019-08-31 is before the filing date 2019-09-01 of {number}"
    }
    other = browser.get("/bank/appraisals/" + own_world.records["b"]["appraisal"])
    assert other.status_code == 404


def test_a_bank_sees_its_appraisal_with_charts_and_downloads_its_report(
    browser: TestClient, own_world: World
) -> None:
    sign_in(browser, own_world.keys["bank-a"])
    mine = own_world.records["a"]["appraisal"]
    listing = browser.get("/bank")
    assert listing.status_code == 200
    assert f'href="/bank/appraisals/{mine}"' in listing.text
    assert own_world.records["b"]["appraisal"] not in listing.text
    assert own_world.records["a"]["loan"] in listing.text
    row = rf"<tr><td>{own_world.records['a']['loan']}</td>.*?</tr>"
    loan = re.search(row, listing.text, re.S)
    assert loan is not None
    assert "<td>甲示例科技有限公司</td>" in loan.group(0)  # the borrower by name, not ent-a
    assert "<td>还款中</td>" in loan.group(0)  # the status by its label, not active
    english = browser.get("/bank?lang=en").text
    assert "<td>Active</td>" in english
    # the loan's collateral, each patent a link to the appraisal form with it filled in
    pledged = own_world.records["a"]["patent"]
    link = f'href="/bank/appraisals/new?patent_number={pledged}"'
    assert link in loan.group(0)
    form = browser.get(f"/bank/appraisals/new?patent_number={pledged}")
    assert f'name="patent_number" value="{pledged}"' in form.text, form.text[:300]
    long = browser.get("/bank/appraisals/new?patent_number=" + "9" * 500)
    assert 'value="' + "9" * 60 + '"' in long.text
    page = browser.get(f"/bank/appraisals/{mine}?lang=en")
    assert page.status_code == 200
    assert 'id="approaches"' in page.text  # no draws were asked: no range, no tornado
    assert "<svg" in page.text
    html = browser.get(f"/bank/appraisals/{mine}/report?format=html&lang=en")
    assert html.status_code == 200
    assert html.headers["content-disposition"] == (
        f'attachment; filename="patentval-appraisal-{mine}-en.html"'
    )
    figure = re.search(r'id="market-value">([^<]+)<', page.text)
    assert figure is not None
    assert figure.group(1) in html.text  # the page and the report show the same stored value
    assert 'id="without-working-papers"' in page.text
    short = browser.get(f"/bank/appraisals/{mine}/report?format=html&lang=en&working_papers=no")
    assert short.headers["content-disposition"] == (
        f'attachment; filename="patentval-appraisal-{mine}-without-working-papers-en.html"'
    )
    assert figure.group(1) in short.text
    assert "Annex A. Working papers" in html.text
    assert "Annex A. Working papers" not in short.text
    refused = browser.get(f"/bank/appraisals/{mine}/report?working_papers=maybe&lang=en")
    assert refused.status_code == 422
    assert "working_papers is true or false, not maybe." in refused.text
    assert browser.get(f"/bank/appraisals/{mine}/report?format=docx").status_code == 404
    theirs = own_world.records["b"]["appraisal"]
    assert browser.get(f"/bank/appraisals/{theirs}/report").status_code == 404


def test_the_regulator_dashboards_show_aggregates_and_refuse_a_bad_day(
    browser: TestClient, own_world: World
) -> None:
    sign_in(browser, own_world.keys["regulator"])
    day = {"as_of": "2025-06-30"}
    statistics = browser.get("/regulator", params={**day, "lang": "en"})
    assert statistics.status_code == 200
    assert "Pledge statistics" in statistics.text
    for bank in ("甲示例银行", "乙示例银行"):
        assert bank in statistics.text
    for enterprise in ("甲示例科技有限公司", "乙示例科技有限公司"):
        assert enterprise not in statistics.text  # no borrower is named
    assert "no-registrations" not in statistics.text  # the pledges were registered in 2025
    quiet = browser.get("/regulator", params={"as_of": "2029-06-30", "lang": "en"}).text
    assert "No pledge was registered in the twelve months to June 30, 2029." in quiet
    statement = browser.get("/regulator/statement", params={**day, "format": "html"})
    assert statement.status_code == 200
    assert statement.headers["content-type"].startswith("text/html")
    assert "for_publication=true" in statistics.text
    published = browser.get(
        "/regulator/statement", params={**day, "format": "html", "for_publication": "true"}
    )
    assert published.status_code == 200
    assert 'class="withheld"' in published.text
    assert 'class="withheld"' not in statement.text
    for same in ("1", "yes", "on"):  # as the API reads a boolean
        again = browser.get(
            "/regulator/statement", params={**day, "format": "html", "for_publication": same}
        )
        assert 'class="withheld"' in again.text
    plain = browser.get(
        "/regulator/statement", params={**day, "format": "html", "for_publication": "0"}
    )
    assert 'class="withheld"' not in plain.text
    refused = browser.get("/regulator/statement", params={**day, "for_publication": "maybe"})
    assert refused.status_code == 422
    assert "for_publication is true or false, not maybe." in refused.text
    bad = browser.get("/regulator", params={"as_of": "2025-13-01"})
    assert bad.status_code == 422
    assert errors(bad) == {
        "as_of": "2025-13-01 is not a date: write it as YYYY-MM-DD."
    }  # en, remembered
    assert browser.get("/regulator/statement", params={"as_of": "x"}).status_code == 422
    navigation = browser.get("/navigation", params=day)
    assert navigation.status_code == 200
    for chart in ('id="trend"', 'id="mix"'):
        assert chart in navigation.text
    # Each firm's one patent is in a live pledge: no capacity, so no (empty) capacity chart.
    assert "0 firms hold patents free to pledge" in navigation.text
    assert 'id="capacity"' not in navigation.text
    assert "Applications by industry in 2019" in navigation.text  # the world's filing year
    assert "firms hold patents free to pledge" in navigation.text
    assert "Borrowed" not in navigation.text
    assert "Headroom" not in navigation.text
    figures = browser.get("/navigation/download", params={**day, "format": "json"})
    assert figures.status_code == 200
    assert figures.json()["rows"] == {"read": 2, "refused": 0}
    workbook = browser.get("/navigation/download", params={**day, "format": "xlsx"})
    assert workbook.content.startswith(b"PK")
    assert (
        'href="/navigation/download?as_of=2025-06-30&amp;format=pdf&amp;lang=en&amp;'
        'for_publication=true"' in navigation.text
    )
    published = browser.get(
        "/navigation/download", params={**day, "format": "json", "for_publication": "true"}
    )
    assert published.json()["disclosure"]["min_enterprises"] == 3
    assert "navigation-2025-06-30-publication.json" in published.headers["content-disposition"]
    assert figures.json()["disclosure"] is None
    assert (
        browser.get(
            "/navigation/download", params={**day, "format": "pdf", "for_publication": "maybe"}
        ).status_code
        == 422
    )
    assert browser.get("/navigation/download", params={**day, "format": "docx"}).status_code == 404
    assert browser.get("/navigation", params={"as_of": "soon"}).status_code == 422


def test_a_business_date_is_where_the_forms_and_dashboards_start(own_world: World) -> None:
    """The service's business date, not today, fills the forms' days and is the dashboards'
    day when the address gives none; every page says so."""
    day = date(2025, 6, 30)
    settings = Settings(database_url=own_world.url, business_date=day)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        sign_in(client, own_world.keys["ent-a"])
        form = client.get("/enterprise", params={"lang": "en"}).text
        assert 'name="as_of" value="2025-06-30"' in form
        assert "YYYY-MM-DD; the business date, June 30, 2025, by default." in form
        assert 'id="business-date"' in form
        sign_in(client, own_world.keys["bank-a"])
        assert 'name="base_date" value="2025-06-30"' in client.get("/bank/appraisals/new").text
        sign_in(client, own_world.keys["regulator"])
        given = client.get("/regulator", params={"as_of": "2025-06-30"}).text
        default = client.get("/regulator").text
        assert "June 30, 2025" in default
        assert 'name="as_of" value="2025-06-30"' in default
        assert default.count("甲示例银行") == given.count("甲示例银行") > 0
    with TestClient(
        create_app(Settings(database_url=own_world.url)), base_url="https://testserver"
    ) as plain:
        sign_in(plain, own_world.keys["ent-a"])
        form = plain.get("/enterprise", params={"lang": "en"}).text
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        assert f'name="as_of" value="{today.isoformat()}"' in form
        assert "YYYY-MM-DD; today by default." in form
        assert 'id="business-date"' not in form


def test_each_refusal_a_page_translates_reads_as_the_service_writes_it() -> None:
    """The words of each refusal pattern are in the service's code: a change of its wording
    fails here rather than show English on a Chinese page."""
    root = Path(__file__).resolve().parents[2]
    code = "".join(p.read_text(encoding="utf-8") for p in (root / "api").rglob("*.py"))
    code = re.sub(r'"\s*\n\s*f?"', "", code)  # strings continued on the next line, joined
    code = code.replace("!r}", "}")  # a quoted figure: f"no patent {text!r}"
    python = {"year %(year)s is out of range"}  # Python's own message, not the service's
    missing = [
        (template, piece)
        for template in (*refusals.SERVICE_PATTERNS, *refusals.SERVICE_PHRASES)
        if template not in python
        for piece in re.split(r"%\(\w+\)s", template)
        if piece.strip().strip("'") not in code
    ]
    assert missing == []
    assert refusals.refusal(Language.ZH, "no patent 'ZL201910000001.9' in the register") == (
        "登记簿中没有专利 ZL201910000001.9"
    )
    engine = "the engine cannot value ZL1 at 9999-12-31: year 10000 is out of range"
    assert refusals.refusal(Language.ZH, engine) == (
        "估值引擎无法在 9999-12-31 对 ZL1 估值：年份 10000 超出可计算的范围"
    )
    assert refusals.refusal(Language.EN, engine) == engine
    assert refusals.refusal(Language.ZH, "maybe") == "maybe"

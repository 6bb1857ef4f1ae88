"""The pages in a real browser: Debian's Chromium, driven by Playwright, against a real
``patentval serve`` on a free port, serving a copy of the HTTP tests' world (two banks and their
enterprises, each with a registered patent, an appraisal, a registered pledge and a loan).

One server and one browser serve the whole module. Each test signs in through the form with a
key of the world, as a person would, and reads what the page shows. Screenshots go to
``$PATENTVAL_SCREENSHOTS`` when it is set (a temporary folder otherwise).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, ViewportSize, sync_playwright

from reports.formatting import Formatter
from reports.i18n import Language
from tests.api.world import AS_OF, World, copy_world

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DAY = AS_OF.isoformat()
STARTUP_SECONDS = 120
TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, world: World) -> Iterator[tuple[str, World]]:
    """The service's address, serving a copy of the world, and the world."""
    folder = tmp_path_factory.mktemp("browser")
    copy = copy_world(world, folder)
    url = copy.url
    port = _free_port()
    command = Path(sys.executable).parent / "patentval"
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [str(command), "serve", "--port", str(port), "--database-url", url],
        env={**os.environ, "PATENTVAL_ENVIRONMENT": "development"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            try:
                httpx.get(f"{base}/health", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                assert server.poll() is None, (folder / "server.log").read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.5)
        yield base, copy
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("PATENTVAL_SCREENSHOTS")
    folder = Path(given) if given else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """One Chromium for the module: a fresh profile, never a downloaded browser."""
    assert CHROMIUM.is_file(), "Debian's chromium is missing: make setup installs it"
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as driver:
        browser_context = driver.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            accept_downloads=True,
            viewport={"width": 1200, "height": 900},
            locale="zh-CN",  # a Chinese browser: the pages follow its Accept-Language
        )
        browser_context.set_default_timeout(TIMEOUT_MS)
        yield browser_context
        browser_context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(context: BrowserContext, served: tuple[str, World]) -> Iterator[Page]:
    opened = context.new_page()
    yield opened
    opened.close()


def sign_in(page: Page, served: tuple[str, World], name: str) -> None:
    base, world = served
    page.goto(f"{base}/signin")
    page.fill("#api_key", world.keys[name])
    page.click("button[type=submit]")
    page.wait_for_load_state()


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True)
    return out.stdout


def test_an_enterprise_checks_its_patents_and_downloads_the_certificate(
    page: Page, served: tuple[str, World], screenshots: Path, tmp_path: Path
) -> None:
    sign_in(page, served, "ent-a")
    assert page.url.endswith("/enterprise")
    hint = page.locator("p.hint", has_text="贵单位已登记的专利").inner_text()
    numbers = re.findall(r"ZL[0-9]{12}\.[0-9X]", hint)
    assert numbers == [served[1].records["a"]["patent"]]
    page.fill("#patents", numbers[0])
    page.fill("#amount", "1,000,000")
    page.fill("#term_months", "12")
    page.fill("#as_of", DAY)
    page.click("form[action='/enterprise/eligibility'] button[type=submit]")
    verdict = page.locator("#verdict + .card .figure").inner_text()
    assert verdict == "按现有条件，上述专利不能为拟申请借款提供质押担保。"  # it is pledged
    assert page.locator("tr.patent").count() == 1
    assert "ALREADY_PLEDGED" in page.locator("main").inner_text()
    assert page.locator("#indicative").inner_text().startswith("¥")
    # the bank's appraisal is the bank's: the enterprise's indication is the engine's
    assert "估值引擎" in page.locator("#engine-note").inner_text()
    page.screenshot(path=str(screenshots / "enterprise.png"), full_page=True)
    with page.expect_download() as download:
        page.click("text=下载预审证明（PDF）")
    saved = tmp_path / "certificate.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    assert numbers[0] in pdf_text(saved)


def test_a_bad_form_input_shows_the_field_error(
    page: Page, served: tuple[str, World], screenshots: Path
) -> None:
    sign_in(page, served, "ent-a")
    page.fill("#patents", "ZL2019123")
    page.fill("#amount", "-5")
    with page.expect_response(lambda r: r.url.endswith("/enterprise/eligibility")) as sent:
        page.click("form[action='/enterprise/eligibility'] button[type=submit]")
    assert sent.value.status == 422
    assert page.locator("#patents-error").inner_text() == "ZL2019123 不是专利号。"
    assert page.locator("#amount-error").inner_text() == "-5 不是大于零的人民币金额。"
    assert page.input_value("#patents") == "ZL2019123"
    page.screenshot(path=str(screenshots / "form-error.png"), full_page=True)


def test_a_bank_officer_appraises_sees_the_charts_and_downloads_the_report(
    page: Page, served: tuple[str, World], screenshots: Path, tmp_path: Path
) -> None:
    base, world = served
    sign_in(page, served, "bank-a")
    assert page.url.endswith("/bank")
    page.click("text=委托评估")
    number = world.records["a"]["patent"]
    page.fill("#patent_number", number)
    page.fill("#base_date", DAY)
    page.fill("#revenue", "20,000,000")
    page.fill("#royalty_rate", "3")
    page.click("form[action='/bank/appraisals'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/bank/appraisals/ap-[0-9a-f]+$"))
    for chart in ("#distribution svg", "#tornado svg", "#approaches svg"):
        assert page.locator(chart).is_visible(), chart
    value = page.locator("#market-value").inner_text()
    assert re.fullmatch(r"¥[0-9,]+\.[0-9]{2}", value)
    page.screenshot(path=str(screenshots / "appraisal.png"), full_page=True)
    with page.expect_download() as download:
        page.click("text=下载评估报告（PDF）")
    saved = tmp_path / "report.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename.endswith("-zh.pdf")
    assert value in pdf_text(saved)
    appraisal_id = page.url.rsplit("/", 1)[1]
    page.goto(f"{base}/bank")
    assert page.locator(f"a[href='/bank/appraisals/{appraisal_id}']").count() == 1


def test_the_regulator_dashboard_shows_the_registered_total(
    page: Page, served: tuple[str, World], screenshots: Path
) -> None:
    world = served[1]
    total = sum(Decimal(world.records[side]["principal"]) for side in ("a", "b"))
    sign_in(page, served, "regulator")
    page.fill("#as_of", DAY)
    page.click("form[action='/regulator'] button[type=submit]")
    shown = page.locator("#registered-total").inner_text()
    assert shown.startswith(Formatter(Language.ZH).money(total))
    assert page.locator("figure.chart svg").count() >= 3
    assert "甲示例科技有限公司" not in page.locator("main").inner_text()  # no borrower named
    page.screenshot(path=str(screenshots / "regulator.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#publication >> text=PDF")
    assert download.value.suggested_filename.endswith(f"{DAY}-publication-zh.pdf")
    published = download.value.path().read_bytes()
    assert published.startswith(b"%PDF")
    page.click("text=English")
    assert page.locator("h1").inner_text() == "Pledge statistics"
    assert page.locator("#registered-total").inner_text() == Formatter(Language.EN).money(total)
    page.click("text=中文")


def test_the_navigation_dashboard_renders_its_charts(
    page: Page, served: tuple[str, World], screenshots: Path
) -> None:
    sign_in(page, served, "regulator")
    page.click("nav >> text=专利导航")
    page.fill("#as_of", DAY)
    page.click("form[action='/navigation'] button[type=submit]")
    for chart in ("#trend svg", "#mix svg"):
        assert page.locator(chart).is_visible(), chart
    assert page.locator("#capacity").count() == 0  # every patent pledged: no capacity to chart
    assert "存续质押2笔" in page.locator("#pledges").inner_text()
    page.screenshot(path=str(screenshots / "navigation.png"), full_page=True)
    with page.expect_download() as download:
        page.click(".downloads >> text=XLSX")
    assert download.value.suggested_filename == f"patentval-navigation-{DAY}.xlsx"


PHONE: ViewportSize = {"width": 390, "height": 844}


def _width(page: Page, url: str) -> int:
    page.goto(url)
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def test_no_page_is_wider_than_a_phone(
    page: Page, served: tuple[str, World], screenshots: Path
) -> None:
    """At 390 px, each role's page (and an appraisal's result) fits the screen: wide tables
    and charts scroll inside their own box, never the whole page."""
    base, world = served
    page.set_viewport_size(PHONE)
    wide: dict[str, int] = {}
    pages = {
        "bank-a": ["/bank", f"/bank/appraisals/{world.records['a']['appraisal']}"],
        "regulator": [f"/regulator?as_of={DAY}", f"/navigation?as_of={DAY}"],
    }
    for name, paths in pages.items():
        sign_in(page, served, name)
        for path in paths:
            for lang in ("zh", "en"):
                url = f"{base}{path}{'&' if '?' in path else '?'}lang={lang}"
                if (width := _width(page, url)) > PHONE["width"]:
                    wide[f"{path} {lang}"] = width
        page.screenshot(path=str(screenshots / f"phone-{name}.png"), full_page=True)
    sign_in(page, served, "ent-a")
    for lang in ("zh", "en"):
        page.goto(f"{base}/enterprise?lang={lang}")
        page.fill("#patents", world.records["a"]["patent"])
        page.fill("#amount", "1000000")
        page.fill("#term_months", "12")
        page.fill("#as_of", DAY)
        page.click("form[action='/enterprise/eligibility'] button[type=submit]")
        page.wait_for_selector("#verdict")
        if (width := page.evaluate("document.documentElement.scrollWidth")) > PHONE["width"]:
            wide[f"/enterprise verdict {lang}"] = width
    page.screenshot(path=str(screenshots / "phone-enterprise.png"), full_page=True)
    assert wide == {}

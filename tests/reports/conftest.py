"""Shared pieces of the report tests: patents, appraisals, and reading PDFs back with poppler."""

import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageStat

from models import Money, Patent
from models.patent_number import check_character
from reports.appraisal import AppraisalReport, PatentAppraisal, appraise
from reports.info import ReportInfo
from valuation.engine import Financials

BASE = date(2025, 6, 30)
OWNER = "金华示例科技有限公司"
TITLE = "锂离子电池正极材料 <script>alert(1)</script>"
DRAWS, SEED = 400, 7
POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdfinfo", "pdftoppm", "pdffonts"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")


def number(year: int, digit: int, serial: int) -> str:
    digits = f"{year}{digit}{serial:07d}"
    return f"ZL{digits}.{check_character(digits)}"


def make_patent(serial: int = 601862, **fields: Any) -> Patent:
    """An invention in force, owned by OWNER, with a few bibliographic features."""
    data: dict[str, Any] = {
        "number": number(2017, 1, serial),
        "title": TITLE,
        "owners": [{"name": OWNER}],
        "filing_date": date(2017, 7, 20),
        "grant_date": date(2019, 5, 1),
        "industry": "electrical",
        "claims": 12,
        "independent_claims": 2,
        "forward_citations": 5,
        "family_size": 3,
        "family_countries": ["CN", "US"],
        "ipc_codes": ["H01M 10/052"],
    }
    data.update(fields)
    return Patent.model_validate(data)


def make_financials(revenue: str = "20000000") -> Financials:
    return Financials(revenue=Money.of(revenue), revenue_growth="0.05", rd_cost=Money.of("3000000"))


def make_info(**fields: Any) -> ReportInfo:
    data: dict[str, Any] = {"client": OWNER, "base_date": BASE, "report_date": date(2025, 7, 15)}
    data.update(fields)
    return ReportInfo.model_validate(data)


@pytest.fixture(scope="session")
def single() -> PatentAppraisal:
    return appraise(make_patent(), make_financials(), base_date=BASE, draws=DRAWS, seed=SEED)


@pytest.fixture(scope="session")
def single_report(single: PatentAppraisal) -> AppraisalReport:
    return AppraisalReport(make_info(), (single,))


def squeeze(text: str) -> str:
    """``text`` without whitespace: pdftotext breaks lines inside table cells and spaces CJK text
    as it sees fit, so texts are compared without it."""
    return "".join(text.split())


def pdf_text(path: Path) -> str:
    """The PDF's text, squeezed."""
    out = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True, text=True
    )
    return squeeze(out.stdout)


def page_texts(path: Path) -> list[str]:
    """The squeezed text of each page (pdftotext ends each page with a form feed)."""
    out = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True, text=True
    )
    return [squeeze(page) for page in out.stdout.split("\f")[:-1]]


def page_count(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def fonts(path: Path) -> list[list[str]]:
    """The rows of ``pdffonts``: name, type, encoding, emb, sub, uni, object, generation."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True)
    return [line.split() for line in out.stdout.splitlines()[2:]]


def png_pages(path: Path, folder: Path, dpi: int = 60) -> list[Path]:
    """Each page as a PNG (pdftoppm), checked not to be blank."""
    folder.mkdir(parents=True, exist_ok=True)
    prefix = folder / path.stem
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(path), str(prefix)], check=True)
    pages = sorted(folder.glob(f"{path.stem}-*.png"))
    for page in pages:
        with Image.open(page) as image:
            assert ImageStat.Stat(image.convert("L")).stddev[0] > 1, f"{page} is blank"
    return pages


@pytest.fixture
def write_pdf(tmp_path: Path) -> Callable[[str, str], Path]:
    from reports.rendering import html_to_pdf

    def write(html: str, name: str) -> Path:
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(html_to_pdf(html))
        return path

    return write

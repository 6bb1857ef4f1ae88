"""Render time of the appraisal report: one patent, and a portfolio of many.

1. the report of one patent (with a 1,000-draw Monte Carlo range), rendered to HTML and then to
   PDF, in Chinese and in English, ``--repeat`` times each after one warm-up render (templates,
   catalogs and fonts are loaded once per process); the target is under 1.5 s for the PDF;
2. the report of ``--portfolio`` patents: valuing them (``reports.appraisal.appraise``), then
   the HTML and the PDF, their time, pages and size, with and without Annex A (the working
   papers of each patent).

Wall-clock and CPU seconds are both printed: on a machine shared with other work, wall time
grows with the load while CPU time of the process grows much less.

Usage: ``python benchmarks/bench_reports.py [--repeat 5] [--portfolio 100] [--json out]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models import Money, Patent  # noqa: E402
from models.patent_number import check_character  # noqa: E402
from reports.appraisal import AppraisalReport, PatentAppraisal, appraise, render_appraisal  # noqa: E402
from reports.i18n import Language  # noqa: E402
from reports.info import ReportInfo  # noqa: E402
from reports.rendering import html_to_pdf  # noqa: E402
from valuation.engine import Financials  # noqa: E402

BASE = date(2025, 6, 30)
DRAWS, SEED = 1000, 20250630
INDUSTRIES = ("electrical", "machinery", "pharmaceuticals", "precision_electronics")


def patent(i: int) -> tuple[Patent, Financials]:
    year = 2010 + i % 13
    digits = f"{year}{1 + (i % 5 == 4)}{100000 + i:07d}"
    filed = date(year, 1 + i % 12, 1 + i % 28)
    return (
        Patent(
            number=f"ZL{digits}.{check_character(digits)}",
            title=f"一种锂离子电池正极材料及其制备方法（{i + 1}）",
            owners=[{"name": f"金华示例科技有限公司{i % 7 + 1}"}],
            filing_date=filed,
            grant_date=date(year + 2, filed.month, filed.day),
            industry=INDUSTRIES[i % len(INDUSTRIES)],
            claims=5 + i % 20,
            independent_claims=1 + i % 3,
            forward_citations=i % 17,
            family_size=1 + i % 4,
            family_countries=["CN", "US"] if i % 3 == 0 else ["CN"],
            ipc_codes=["H01M 10/052"] if i % 2 else ["G06F 16/00"],
        ),
        Financials(
            revenue=Money.of(5_000_000 + 750_000 * (i % 40)),
            revenue_growth="0.05",
            rd_cost=Money.of(1_000_000 + 50_000 * (i % 30)),
        ),
    )


def timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def pdf_pages(pdf: bytes) -> int | None:
    """The page count by poppler's pdfinfo (None without it)."""
    if shutil.which("pdfinfo") is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        info = subprocess.run(["pdfinfo", file.name], capture_output=True, text=True, check=True)
    return int(next(x for x in info.stdout.splitlines() if x.startswith("Pages:")).split()[1])


def single(repeat: int) -> dict[str, Any]:
    p, f = patent(0)
    appraisal = appraise(p, f, base_date=BASE, draws=DRAWS, seed=SEED)
    report = AppraisalReport(
        ReportInfo(client="金华示例科技有限公司1", base_date=BASE), (appraisal,)
    )
    out: dict[str, Any] = {}
    for language in Language:
        html_to_pdf(render_appraisal(report, language))  # warm-up: templates, catalog, fonts
        runs = []
        for _ in range(repeat):
            html, html_wall, html_cpu = timed(lambda lang=language: render_appraisal(report, lang))
            pdf, pdf_wall, pdf_cpu = timed(lambda h=html: html_to_pdf(h))
            runs.append((html_wall + pdf_wall, html_cpu + pdf_cpu, len(pdf)))
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        out[language.value] = {
            "wall_best": min(walls),
            "wall_median": statistics.median(walls),
            "cpu_best": min(cpus),
            "cpu_median": statistics.median(cpus),
            "bytes": runs[-1][2],
            "pages": pdf_pages(pdf),
        }
        print(
            f"one patent, {language.value}: HTML + PDF {min(walls):.2f} s best, "
            f"{statistics.median(walls):.2f} s median wall; {min(cpus):.2f} s best CPU; "
            f"{out[language.value]['pages']} pages, {runs[-1][2] / 1024:.0f} KiB"
        )
    return out


def portfolio(size: int) -> dict[str, Any]:
    def value_all() -> tuple[PatentAppraisal, ...]:
        return tuple(
            appraise(*patent(i), base_date=BASE, draws=DRAWS, seed=SEED) for i in range(size)
        )

    appraisals, value_wall, value_cpu = timed(value_all)
    report = AppraisalReport(ReportInfo(client="金华示例科技有限公司", base_date=BASE), appraisals)
    print(f"{size} patents: valuation {value_wall:.1f} s wall ({value_cpu:.1f} s CPU)")
    out: dict[str, Any] = {
        "patents": size,
        "valuation_wall": value_wall,
        "valuation_cpu": value_cpu,
    }
    for papers in (True, False):
        html, html_wall, _ = timed(
            lambda p=papers: render_appraisal(report, Language.ZH, working_papers=p)
        )
        pdf, pdf_wall, pdf_cpu = timed(lambda h=html: html_to_pdf(h))
        key = "full" if papers else "without_working_papers"
        out[key] = {
            "html_wall": html_wall,
            "pdf_wall": pdf_wall,
            "pdf_cpu": pdf_cpu,
            "pages": pdf_pages(pdf),
            "bytes": len(pdf),
        }
        print(
            f"  {key}: HTML {html_wall:.2f} s, PDF {pdf_wall:.1f} s wall ({pdf_cpu:.1f} s CPU), "
            f"{out[key]['pages']} pages, {len(pdf) / 1024 / 1024:.1f} MiB"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="renders of the one-patent report")
    parser.add_argument("--portfolio", type=int, default=100, help="patents of the portfolio")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    figures = {"single": single(args.repeat), "portfolio": portfolio(args.portfolio)}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

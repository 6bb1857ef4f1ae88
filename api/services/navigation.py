"""Patent navigation over the database: the register's patents and the stored pledges, as of a
day (:func:`navigation.analytics.navigate`).

The dataset is built from the patents table — each record in the valuation batch schema
(:func:`valuation.engine.patent_row`, no financials: the market approach values them), its first
owner as ``applicant`` and that owner's region, the owners and the fee and dispute columns the
pledge pre-check reads — and the pledges from the pledge frame of :mod:`storage.statistics`, with
the pledgor's name as ``enterprise`` and the patents each lists.

Who sees it: a regulator and an admin, neither of whom sees a borrower's financing (the tenancy
rule of :mod:`api.services.tenancy`). The figures are regional aggregates, except the two tables
that name firms — the top applicants and each firm's pledge capacity — which is what navigation
is for (finding the firms whose patents could fund more). Both rest on the patent register and
on which patents are pledged, not on any loan: the capacity table leaves out what each firm
borrows (:meth:`navigation.analytics.Navigation.without_firm_borrowing`). Banks and enterprises
do not see it (403).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from models.patent import Patent
from navigation.analytics import Navigation, navigate
from navigation.dataset import EXTRA_COLUMNS as DATASET_COLUMNS
from navigation.output import as_json, write
from pledge.disclosure import DisclosureRule
from pledge.eligibility_batch import EXTRA_COLUMNS as PLEDGE_COLUMNS
from pledge.policy import DEFAULT_LENDER
from storage.errors import RefusedError
from storage.patents import register
from storage.statistics import navigation_pledges, pledge_frame
from valuation.engine import Financials, patent_row
from valuation.schema import COLUMNS

SCHEMA = {c.name: c.dtype for c in (*COLUMNS, *DATASET_COLUMNS, *PLEDGE_COLUMNS)}
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def dataset_row(patent: Patent, region: str | None) -> dict[str, Any]:
    """One row of the navigation dataset for a registered patent."""
    owners = [o.name for o in patent.owners]
    return {
        **patent_row(patent, Financials()),
        "applicant": owners[0] if owners else None,
        "region": region,
        "status_date": None,
        "owners": ";".join(owners) or None,
        "consenting_owners": ";".join(o.name for o in patent.owners if o.consents_to_pledge)
        or None,
        "fees_paid_through_year": patent.fees_paid_through_year,
        "fee_reduction": None if patent.fee_reduction is None else patent.fee_reduction.value,
        "ownership_dispute": patent.ownership_dispute,
        "preservation_until": patent.preservation_until,
        "invalidation_pending": patent.invalidation_pending,
    }


def dataset(session: Session) -> pl.DataFrame:
    """The register as a navigation dataset."""
    rows = [dataset_row(patent, region) for patent, region in register(session)]
    if not rows:
        raise RefusedError("patents", "the register holds no patent to navigate", code="NO_DATA")
    schema = {name: SCHEMA[name] for name in rows[0] if name in SCHEMA}
    return pl.DataFrame(rows, schema_overrides=schema, infer_schema_length=None)


def navigation(
    session: Session,
    as_of: date,
    lender: str = DEFAULT_LENDER,
    *,
    for_publication: bool = False,
) -> Navigation:
    """The navigation figures of the database's patents and pledges as of ``as_of``, without
    what any firm borrows; for publication, with the pledge tables' amounts of lines of few
    enterprises withheld, in the pattern of the statement and the statistics endpoint (the
    pledges of :func:`storage.statistics.pledge_frame`, each pledgor under its party id)."""
    result = navigate(
        dataset(session), as_of, pledges=navigation_pledges(session, as_of), lender=lender
    )
    if for_publication:
        return result.for_publication(pledge_frame(session, as_of), DisclosureRule.standard())
    return result.without_firm_borrowing()


def figures(
    session: Session, as_of: date, lender: str = DEFAULT_LENDER, *, for_publication: bool = False
) -> dict[str, Any]:
    """Every figure as JSON-ready data (:func:`navigation.output.as_json`)."""
    return as_json(navigation(session, as_of, lender, for_publication=for_publication))


def workbook(result: Navigation) -> bytes:
    """The figures as an XLSX workbook (a sheet a table; formula-like text neutralised)."""
    with tempfile.TemporaryDirectory(prefix="patentval-") as folder:
        path = Path(folder) / "navigation.xlsx"
        write(result, path)
        return path.read_bytes()

"""Report constants as data (``reports/data/``), read by ``models.datafiles.DataFiles``.

The report commands' defaults (the Monte Carlo seed) are CSV rows with a ``source_id``, as the
engine's constants are; the report's wording is in the gettext catalogs (``reports/locale/``).
"""

from __future__ import annotations

from models.datafiles import DataFiles
from valuation.constants import FILES as VALUATION_FILES

FILES = DataFiles("reports", cites=(VALUATION_FILES,))
parameter = FILES.parameter


def default_seed() -> int:
    """The Monte Carlo seed of a report when none is given (``report_mc_seed``)."""
    return int(parameter("report_mc_seed").value)


def dated_constant_tolerance() -> int:
    """Years between a dated constant's year and the base date's year beyond which the report
    names it in the special matters (``report_dated_constant_max_years``)."""
    return int(parameter("report_dated_constant_max_years").value)

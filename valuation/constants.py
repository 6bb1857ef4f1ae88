"""Valuation constants as data (``valuation/data/``), read by ``models.datafiles.DataFiles``.

Every number the engine assumes (a risk premium, a royalty band, a haircut, a weight) is a row of a
CSV file with a ``source_id``; results cite the constants they used with ``valuation.audit.cite``.
Rows may cite the statutory sources of ``models/rules/`` too.
"""

from __future__ import annotations

from models.datafiles import RULES, Constant, DataFiles, Source, UnknownConstantError

FILES = DataFiles("valuation", cites=(RULES,))
read_table = FILES.read_table
sources = FILES.sources
parameter = FILES.parameter

__all__ = [
    "FILES",
    "Constant",
    "Source",
    "UnknownConstantError",
    "parameter",
    "read_table",
    "sources",
]

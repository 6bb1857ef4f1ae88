"""Pledge constants as data (``pledge/data/``), read by ``models.datafiles.DataFiles``.

Lender policies, risk parameters and the eligibility message catalogue are CSV rows with a
``source_id``; rows may also cite the sources of the valuation data and the statutory rules.
"""

from __future__ import annotations

from models.datafiles import DataFiles
from valuation.constants import FILES as VALUATION_FILES

FILES = DataFiles("pledge", cites=(VALUATION_FILES,))
read_table = FILES.read_table
sources = FILES.sources
parameter = FILES.parameter
parameters = FILES.parameters

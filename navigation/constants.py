"""Navigation constants as data (``navigation/data/``), read by ``models.datafiles.DataFiles``.

The city's reported figures, the sectors, the demo generator's shape and the conventions of the
figures are CSV rows with a ``source_id``; rows may also cite the sources of the pledge and
valuation data and of the statutory rules.
"""

from __future__ import annotations

from models.datafiles import DataFiles
from pledge.constants import FILES as PLEDGE_FILES

FILES = DataFiles("navigation", cites=(PLEDGE_FILES,))
read_table = FILES.read_table
sources = FILES.sources
parameter = FILES.parameter

"""Valuing needs numpy and scipy.special only: statsmodels and scipy.stats (about a second of
import on a small machine) load when a model is fitted, not when the service or a command that
values starts."""

from __future__ import annotations

import subprocess
import sys
import textwrap

VALUE_ONE = textwrap.dedent(
    """
    import sys
    from datetime import date
    import api.app, api.cli
    from models.patent import Patent
    from tests.api.world import PARTIES, cn_number, patent_body
    from valuation.engine import value_patent
    owner = next(p for p in PARTIES if p.party_id == "ent-a")
    patent = Patent.model_validate(patent_body(cn_number(601000), owner))
    result = value_patent(patent, None, base_date=date(2025, 6, 1))
    assert result.market is not None and result.value is not None and result.value.amount > 0
    print(sorted(m for m in ("statsmodels", "scipy.stats", "pandas") if m in sys.modules))
    """
)


def test_valuing_a_patent_imports_no_fitting_library() -> None:
    found = subprocess.run(
        [sys.executable, "-c", VALUE_ONE], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]", found.stderr

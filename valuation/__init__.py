"""Patent valuation: income, market and cost approaches, indicator scoring, reconciliation,
uncertainty, for one patent or a batch of millions.

Pure logic on ``models`` types and numeric kernels; nothing here touches HTTP or a database.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    ENGINE_VERSION = version("patentval")
except PackageNotFoundError:  # running from a source tree that is not installed
    ENGINE_VERSION = "0+unknown"

__all__ = ["ENGINE_VERSION"]

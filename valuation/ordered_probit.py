"""The censored ordered probit that :class:`valuation.renewal.RenewalModel` fits.

A module of its own so that statsmodels is imported when a renewal model is fitted, not when a
fitted one values patents (the service and most commands only value).
"""

from __future__ import annotations

import numpy as np
from scipy import special
from statsmodels.miscmodels.ordinal_model import OrderedModel

from valuation.features import FloatArray

_TINY = np.finfo(np.float64).tiny


class CensoredOrderedProbit(OrderedModel):  # type: ignore[misc]
    """statsmodels' ``OrderedModel`` (probit) whose censored rows contribute ``P(z > c_y)``."""

    def __init__(self, endog: FloatArray, exog: FloatArray, censored: FloatArray) -> None:
        super().__init__(endog, exog, distr="probit")
        self.censored = censored.astype(bool)

    def loglikeobs(self, params: FloatArray) -> FloatArray:
        thresh = self.transform_threshold_params(params)
        xb = self.exog @ params[: self.k_vars]
        low = thresh[self.endog] - xb
        upp = np.where(self.censored, np.inf, thresh[self.endog + 1]) - xb
        # Upper-tail differences where both bounds are positive keep the precision.
        upper = low > 0
        prob = np.where(
            upper, special.ndtr(-low) - special.ndtr(-upp), special.ndtr(upp) - special.ndtr(low)
        )
        result: FloatArray = np.log(np.maximum(prob, _TINY))
        return result

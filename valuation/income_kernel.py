"""Vectorised kernels of the income approach (``valuation.income``), for batches of millions.

float64 numpy arrays in, values out, no per-patent Python loop. They compute the same formula as
:func:`valuation.income.income_value` (see that module for the formula and its references) and agree
with it to within 0.01 CNY; money is converted back to Decimal at the engine's boundary.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
_HALF = 0.5


def _shift(mid_year: bool | NDArray[np.bool_]) -> float | FloatArray:
    if isinstance(mid_year, np.ndarray):
        return np.where(mid_year, _HALF, 0.0)
    return _HALF if mid_year else 0.0


def _with_tab(
    value: FloatArray,
    lr: FloatArray,
    discount: FloatArray,
    tax: FloatArray,
    h: float | FloatArray,
    tab_years: float | None,
) -> FloatArray:
    if tab_years is None:
        return value
    with np.errstate(divide="ignore", invalid="ignore"):
        annuity = np.where(discount == 0, tab_years, -np.expm1(-tab_years * lr) / discount)
    factor = 1.0 / (1.0 - tax * np.exp(h * lr) * annuity / tab_years)
    return np.asarray(value * factor, dtype=np.float64)


def income_kernel(
    revenue: ArrayLike,
    growth: ArrayLike,
    royalty: ArrayLike,
    tax: ArrayLike,
    discount: ArrayLike,
    period: ArrayLike,
    *,
    decay: ArrayLike = 0.0,
    mid_year: bool | NDArray[np.bool_] = False,
    tab_years: float | None = None,
) -> FloatArray:
    """Relief-from-royalty values of a batch, in closed form over the year axis.

    With ``a = B_1·K·(1 − T)``, ``q = (1 + g)(1 − d)/(1 + r)``, ``m = ⌊n⌋`` and ``f = n − m``,
    the sum over whole years is geometric, so no year loop is needed::

        V = a · [ (1 + r)^(h−1) · (q^m − 1)/(q − 1) + f · q^m · (1 + r)^(−f(1−h)) ]

    computed as ``expm1(m·ln q) / expm1(ln q)`` (``m`` when q = 1), stable for q near 1.

    Parameters
    ----------
    revenue, growth, royalty, tax, discount, period : array_like
        B_1 on the chosen basis (revenue, or profit on the profit basis), g, K, T, r as
        fractions, and n in years; all broadcast together (e.g. patents × draws).
    decay : array_like
        Yearly royalty decay d.
    mid_year : bool or ndarray of bool
        Discount at mid-year (h = 1/2) instead of year end (h = 0).
    tab_years : float, optional
        Multiply by the TAB factor of :func:`tab_factor` for this amortisation period.

    Returns
    -------
    ndarray of float64
        Values in the revenue's currency, unrounded.

    References
    ----------
    .. [1] docs/DOMAIN.md §3 (oracles 1 and 2 are reproduced to the fen).
    .. [2] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, SIAM, 2002, §1.14
       (``expm1`` and ``log1p`` against cancellation).
    """
    r = np.asarray(discount, dtype=np.float64)
    lr = np.log1p(r)
    lq = np.log1p(np.asarray(growth, dtype=np.float64)) - lr
    if np.any(decay):
        with np.errstate(divide="ignore"):  # a decay of 1: ln 0 = −inf
            lq = lq + np.log1p(-np.asarray(decay, dtype=np.float64))
    n = np.maximum(np.asarray(period, dtype=np.float64), 0.0)
    m = np.floor(n)
    f = n - m
    h = _shift(mid_year)
    with np.errstate(divide="ignore", invalid="ignore"):
        # q^0 = 1 even when q = 0 (a decay of 1: ln q = −inf, and 0 · −inf is NaN)
        mlq = np.where(m == 0.0, 0.0, m * lq)
        whole = np.where(lq == 0.0, m, np.expm1(mlq) / np.expm1(lq))
    flows = whole * np.exp((h - 1.0) * lr) + f * np.exp(mlq - f * (1.0 - h) * lr)
    tax_kept = 1.0 - np.asarray(tax, dtype=np.float64)
    value = (
        np.asarray(revenue, dtype=np.float64)
        * np.asarray(royalty, dtype=np.float64)
        * tax_kept
        * flows
    )
    return _with_tab(value, lr, r, np.asarray(tax, dtype=np.float64), h, tab_years)


def income_kernel_paths(
    revenues: ArrayLike,
    royalty: ArrayLike,
    tax: ArrayLike,
    discount: ArrayLike,
    period: ArrayLike,
    *,
    growth: ArrayLike = 0.0,
    decay: ArrayLike = 0.0,
    mid_year: bool | NDArray[np.bool_] = False,
    tab_years: float | None = None,
) -> FloatArray:
    """Relief-from-royalty values of a batch of explicit revenue forecasts.

    ``revenues`` has shape ``(..., Y)``, year 1 first; the other arguments broadcast over the
    leading axes. The sum runs over a year axis of length Y, each year weighted by
    ``w_t = clip(n − (t − 1), 0, 1)``, which masks the years beyond each patent's n. ``growth``
    compounds on the forecast (``B_t · (1 + g)^(t−1)``; 0 keeps it as given). Other arguments
    as for :func:`income_kernel`. Raises ValueError when a period is longer than the forecast.

    References
    ----------
    .. [1] IVSC, IVS 210 Intangible Assets (relief-from-royalty method); docs/DOMAIN.md §3.
    """
    b = np.asarray(revenues, dtype=np.float64)
    n = np.maximum(np.asarray(period, dtype=np.float64), 0.0)
    if np.any(n > b.shape[-1]):
        raise ValueError(f"the forecasts cover {b.shape[-1]} years, a period is longer")
    r = np.asarray(discount, dtype=np.float64)
    lr = np.log1p(r)
    with np.errstate(divide="ignore"):  # a decay of 1: ln 0 = −inf
        lg = np.log1p(np.asarray(growth, dtype=np.float64)) + np.log1p(
            -np.asarray(decay, dtype=np.float64)
        )
    h = _shift(mid_year)
    t0 = np.arange(b.shape[-1], dtype=np.float64)
    w = np.clip(n[..., None] - t0, 0.0, 1.0)
    tau = t0 + w * (1.0 - np.asarray(h)[..., None])
    with np.errstate(invalid="ignore"):  # year 1 compounds nothing, even at a decay of 1
        compounded = np.where(t0 == 0.0, 0.0, t0 * np.asarray(lg)[..., None])
    flows = (b * w * np.exp(compounded - tau * lr[..., None])).sum(axis=-1)
    tax_array = np.asarray(tax, dtype=np.float64)
    value = flows * np.asarray(royalty, dtype=np.float64) * (1.0 - tax_array)
    return _with_tab(value, lr, r, tax_array, h, tab_years)

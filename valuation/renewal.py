"""Renewal calibration: patent value revealed by the renewal fees owners chose to pay.

An owner pays a renewal fee only if keeping the patent is worth more to them than the fee, so the
number of fees a patent paid is an ordered, noisy measure of its private value (Pakes and
Schankerman [1]_; Bessen [2]_). :class:`RenewalModel` fits an ordered probit of the renewals paid,
``y ∈ {0, …, K−1}``, on bibliographic features ``x`` (:mod:`valuation.features`)::

    z = xβ + ε,  ε ~ N(0, 1),   y = k  ⇔  c_k < z ≤ c_{k+1}   (c_0 = −∞, c_K = +∞)

with the likelihood of statsmodels' ``OrderedModel`` [3]_, extended for right-censoring: a patent
whose next fee has not yet fallen due (``renewals_censored``) contributes ``P(z > c_k)`` instead of
``P(c_k < z ≤ c_{k+1})``. Any number of ordered levels is accepted (three US maintenance fees, or
twenty Chinese annual fees).

Money scale. Read ``a + b·z`` as the log of the patent's yearly private return at the anchor
date (grant for US fees) in the fee currency; the return decays at rate ``δ`` a year, and the
owner discounts at ``i`` (``λ = δ + ln(1 + i)``). Fee ``k`` of amount ``f_k`` falls due ``t_k``
years after the anchor and buys ``L_k`` years of protection; it is paid when the returns it buys
cover it, so at the cut point::

    a + b·c_k = τ_k = ln f_k + δ·t_k − ln A(L_k),    A(L) = ∫_0^L e^{−λs} ds = (1 − e^{−λL}) / λ

``a`` and ``b > 0`` are fitted by least squares of ``τ`` on the estimated cut points. A patent's
value at a base date, ``age`` years after its anchor with ``n`` years of term left, is the present
value of the returns left::

    ln V = a + b·(xβ + ε) − δ·age + ln A(n),   so  ln V ~ N(m, s²),
    m = a + b·xβ − δ·age + ln A(n),   s² = b²·(1 + x Σ_β xᵀ)

(``Σ_β`` the covariance of β̂). The median is ``e^m``, the mean ``e^{m + s²/2}``, the P10/P90
``e^{m ± 1.2816 s}``; values are converted to CNY at a documented exchange rate. The map ignores the
option value of later renewals (Pakes [4]_), so the thresholds, and the values, lean high.

References
----------
.. [1] A. Pakes, M. Schankerman, "The rate of obsolescence of patents, research gestation lags,
   and the private rate of return to research resources", in Z. Griliches (ed.), *R&D, Patents,
   and Productivity*, University of Chicago Press, 1984, 73–88.
.. [2] J. Bessen, "The value of U.S. patents by owner and patent characteristics",
   *Research Policy* 37 (2008) 932–945.
.. [3] statsmodels, ``statsmodels.miscmodels.ordinal_model.OrderedModel``,
   https://www.statsmodels.org/stable/examples/notebooks/generated/ordinal_regression.html
.. [4] A. Pakes, "Patents as options: some estimates of the value of holding European patent
   stocks", *Econometrica* 54 (1986) 755–784.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Literal, Self

import numpy as np
import polars as pl
from scipy import special

from models import rules
from models.enums import PatentType
from valuation.constants import parameter
from valuation.features import (
    COUNT_GROUPS,
    P10,
    P90,
    DesignBuilder,
    FittedModel,
    FloatArray,
    MissingPolicy,
    ModelSummary,
    Point,
    Rows,
    fit_metadata,
    lognormal,
    quadratic_forms,
)

RENEWAL_FEATURES: tuple[str, ...] = (*COUNT_GROUPS, "ipc_sections", "patent_type")
"""Default feature groups of the renewal model (remaining life enters through the money map)."""
_Z10_Z90 = tuple(float(z) for z in special.ndtri([P10, P90]))
"""Standard normal quantiles of the 80 % interval."""


MODEL_FILE_SOURCE = "MKT-MODEL-FILE"
"""The source of a figure a market model file holds that no parameter row has."""


class RenewalFitError(ValueError):
    """The renewal model cannot be fitted or given a money scale; the message says why."""


def _number(name: str) -> float:
    return float(parameter(name).value)


@dataclass(frozen=True, slots=True)
class FeeStage:
    """A renewal fee, due ``due_years`` after the anchor date, protecting until ``until_years``."""

    due_years: float
    until_years: float
    fee: float


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """The renewal fees behind the ordered levels: stage k separates ``y < k`` from ``y ≥ k``."""

    stages: tuple[FeeStage, ...]
    currency: str
    to_cny: float
    anchor: Literal["grant", "filing"]
    source_ids: tuple[str, ...]
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "stages": [asdict(s) for s in self.stages]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeeSchedule:
        stages = tuple(FeeStage(**stage) for stage in data["stages"])
        return cls(**{**data, "stages": stages, "source_ids": tuple(data["source_ids"])})


def us_maintenance_fees(entity: Literal["small", "large"] = "small") -> FeeSchedule:
    """USPTO maintenance fees as they fell due for patents granted 2004–2005, in USD.

    Stages end at the next due date, the last at the term's end (``renewal_us_term_end_years``).
    """
    due = [_number(f"renewal_us_due_{k}_years") for k in (1, 2, 3)]
    until = [*due[1:], _number("renewal_us_term_end_years")]
    names = [f"renewal_us_fee_{entity}_{k}" for k in (1, 2, 3)]
    stages = tuple(FeeStage(d, u, _number(n)) for d, u, n in zip(due, until, names, strict=True))
    sources = sorted({parameter(n).source_id for n in names} | {"US-35USC41B", "PBOC-USDCNY"})
    return FeeSchedule(
        stages=stages,
        currency="USD",
        to_cny=_number("renewal_usd_cny_rate"),
        anchor="grant",
        source_ids=tuple(sources),
        description=f"USPTO maintenance fees, {entity} entity, grants of 2004–2005",
    )


def cn_annual_fees(
    patent_type: PatentType, first_year: int, reduction: Decimal = Decimal(0)
) -> FeeSchedule:
    """CNIPA annual fees from patent year ``first_year`` on, one ordered level per year (CNY).

    Level ``k`` of ``renewals_paid`` then means the fees of years ``first_year … first_year+k−1``
    were paid; the fee of year ``y`` falls due ``y − 1`` years after filing and protects one year.
    """
    stages: list[FeeStage] = []
    year = first_year
    while (rule := rules.fee_rule(patent_type, year)) is not None:
        fee = float(rule.fee_cny * (1 - reduction))
        stages.append(FeeStage(float(year - 1), float(year), fee))
        year += 1
    if len(stages) < 2:
        raise RenewalFitError(f"no annual fees for {patent_type} from year {first_year}")
    return FeeSchedule(
        stages=tuple(stages),
        currency="CNY",
        to_cny=1.0,
        anchor="filing",
        source_ids=("CNIPA-FEES-2017",),
        description=f"CNIPA annual fees, {patent_type.value}, years {first_year}–{year - 1}",
    )


def annuity(years: FloatArray, rate: float) -> FloatArray:
    """Continuous annuity factor ``A(n) = (1 − e^{−λn}) / λ`` (``n`` when ``λ = 0``)."""
    if rate == 0:
        return years.copy()
    return -np.expm1(-rate * years) / rate


def rank_auc(score: FloatArray, label: FloatArray) -> float:
    """Area under the ROC curve by ranks (Mann–Whitney U / (n₁·n₀)), ties counted as half."""
    positive = label.astype(bool)
    n1, n0 = int(positive.sum()), int((~positive).sum())
    if n1 == 0 or n0 == 0:
        raise ValueError("the AUC needs both outcomes among the labels")
    from scipy.stats import rankdata  # scipy.stats takes a second to import: only here

    ranks = rankdata(score)
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _fit_ordered(y: FloatArray, x: FloatArray, censored: FloatArray) -> Any:
    """Maximise the likelihood (BFGS, then Newton from there if BFGS stops short).

    statsmodels signals non-convergence with a ``ConvergenceWarning``; here it is caught and
    decided on: a fit that neither method brings to convergence raises :class:`RenewalFitError`.
    """
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    from valuation.ordered_probit import CensoredOrderedProbit

    model = CensoredOrderedProbit(y, x, censored)
    limit = int(_number("renewal_fit_max_iterations"))
    start = model.start_params
    for method in ("bfgs", "newton"):
        with warnings.catch_warnings():
            # Convergence is decided below from the optimiser's flag and the covariance; overflow
            # in trial steps of the line search is harmless once the fit converges.
            for category in (ConvergenceWarning, HessianInversionWarning, RuntimeWarning):
                warnings.simplefilter("ignore", category)
            result = model.fit(start_params=start, method=method, maxiter=limit, disp=False)
        if result.mle_retvals.get("converged", False):
            cov = np.asarray(result.cov_params())
            if np.all(np.isfinite(cov)) and np.all(np.diag(cov) > 0):
                return result
        start = np.asarray(result.params)
    raise RenewalFitError("the ordered model did not converge; check for separated features")


def _cited(names: tuple[str, ...], value: float, unit: str) -> tuple[str, float, str, str]:
    """The first parameter of ``names`` that has ``value``, else the model file's own figure."""
    for name in names:
        try:
            known = parameter(name)
        except KeyError:
            continue
        if math.isclose(float(known.value), value, rel_tol=1e-12):
            return name, value, known.unit, known.source_id
    return names[0], value, unit, MODEL_FILE_SOURCE


class RenewalModel(FittedModel):
    """Ordered probit of renewals paid on features, with a money scale from the fee schedule.

    Parameters
    ----------
    features : sequence of str
        Feature groups (:mod:`valuation.features`).
    missing : {"impute", "refuse"}
        Missing-value policy of the design.
    fees : FeeSchedule, optional
        The fees behind the levels; ``len(fees.stages)`` must be ``K − 1``. US maintenance fees
        (small entity) when omitted.
    discount_rate, decay_rate : float, optional
        ``i`` and ``δ``; the ``renewal_discount_rate`` and ``renewal_return_decay_rate``
        parameters when omitted.
    point : {"median", "mean"}
        Which statistic :meth:`value` reports as ``market_value``.

    Attributes
    ----------
    design_ : DesignBuilder
    coef_ : ndarray
        β, one per design column.
    cov_ : ndarray
        Covariance of β̂.
    cut_points_ : ndarray
        ``c_1 … c_{K−1}``.
    scale_ : tuple of float
        ``(a, b)`` of the money map; ``thresholds_`` the ``τ_k`` it was fitted to, and
        ``scale_rmse_`` the root mean square of ``τ_k − (a + b·c_k)``.
    rates_ : tuple of float
        ``(i, δ)`` used.
    fit_ : dict
        Provenance: n, censored rows, log-likelihood, pseudo R², AIC, time fitted, data.
    """

    kind: ClassVar[str] = "renewal"

    def __init__(
        self,
        features: Sequence[str] = RENEWAL_FEATURES,
        *,
        missing: MissingPolicy = "impute",
        fees: FeeSchedule | None = None,
        discount_rate: float | None = None,
        decay_rate: float | None = None,
        point: Point = "median",
    ) -> None:
        self.features = features
        self.missing = missing
        self.fees = fees
        self.discount_rate = discount_rate
        self.decay_rate = decay_rate
        self.point = point

    def fit(self, frame: pl.DataFrame, description: str = "") -> Self:
        """Fit on ``renewals_paid`` (levels 0…K−1) and optional ``renewals_censored``."""
        if "renewals_paid" not in frame.columns or frame["renewals_paid"].null_count():
            raise RenewalFitError("column 'renewals_paid' is required, without nulls")
        y = frame.get_column("renewals_paid").cast(pl.Int64).to_numpy()
        fees = self.fees or us_maintenance_fees()
        levels = len(fees.stages) + 1
        counts = np.bincount(y, minlength=levels) if len(y) and y.min() >= 0 else np.array([])
        if len(counts) != levels or not np.all(counts > 0):
            raise RenewalFitError(
                f"'renewals_paid' must take every level 0…{levels - 1} of the fee schedule "
                f"({len(fees.stages)} fees); counts by level: {counts.tolist()}"
            )
        censored = np.zeros(len(y))
        if "renewals_censored" in frame.columns:
            censored = frame["renewals_censored"].fill_null(False).cast(pl.Float64).to_numpy()
        self.design_ = DesignBuilder(self.features, missing=self.missing).fit(frame)
        design = self.design_.transform(frame)
        result = _fit_ordered(y.astype(np.float64), design.matrix, censored)
        k = design.matrix.shape[1]
        params = np.asarray(result.params, dtype=np.float64)
        self.coef_ = params[:k]
        self.cov_ = np.asarray(result.cov_params(), dtype=np.float64)[:k, :k]
        self.cut_points_ = np.asarray(result.model.transform_threshold_params(params)[1:-1])
        self.fees_ = fees
        discount, decay = self.discount_rate, self.decay_rate
        self.rates_ = (
            _number("renewal_discount_rate") if discount is None else discount,
            _number("renewal_return_decay_rate") if decay is None else decay,
        )
        self._fit_scale()
        names = [*design.names, *(f"{j}/{j + 1}" for j in range(levels - 1))]
        title = "Ordered probit of renewals paid (right-censored)"
        table = result.summary(yname="renewals_paid", xname=names, title=title)
        table.add_extra_txt(["Rows j/j+1: the first is c_1, the others ln(c_k - c_(k-1))."])
        self.summary_ = ModelSummary(text=table.as_text(), html=table.as_html())
        self.fit_ = fit_metadata(
            len(y),
            description,
            censored=int(censored.sum()),
            log_likelihood=float(result.llf),
            pseudo_r_squared=float(result.prsquared),
            aic=float(result.aic),
            money_map_rmse=self.scale_rmse_,
        )
        return self

    def _lambda(self) -> float:
        discount, decay = self.rates_
        return decay + math.log1p(discount)

    def _fit_scale(self) -> None:
        stages = self.fees_.stages
        fee = np.array([s.fee for s in stages])
        due = np.array([s.due_years for s in stages])
        length = np.array([s.until_years - s.due_years for s in stages])
        tau = np.log(fee) + self.rates_[1] * due - np.log(annuity(length, self._lambda()))
        slope, intercept = np.polyfit(self.cut_points_, tau, 1)
        if not slope > 0:
            raise RenewalFitError(
                f"the cut points {self.cut_points_.round(3).tolist()} do not rise with the fee "
                f"thresholds {tau.round(3).tolist()}: no money scale"
            )
        self.scale_ = (float(intercept), float(slope))
        self.thresholds_ = tau
        residuals = tau - (intercept + slope * self.cut_points_)
        self.scale_rmse_ = float(np.sqrt(np.mean(residuals**2)))

    def index(self, frame: pl.DataFrame) -> FloatArray:
        """The value index ``xβ`` of each patent (latent units; higher is more valuable)."""
        result: FloatArray = self.design_.transform(frame).matrix @ self.coef_
        return result

    def probabilities(self, frame: pl.DataFrame) -> FloatArray:
        """``P(y = k)`` for each patent (rows) and level ``k`` (columns), uncensored."""
        cuts = np.concatenate(([-np.inf], self.cut_points_, [np.inf]))
        cdf = special.ndtr(cuts[None, :] - self.index(frame)[:, None])
        result: FloatArray = np.diff(cdf, axis=1)
        return result

    def _statistics(self, rows: Rows, as_of: date) -> dict[str, FloatArray]:
        """Index, log-median and median, mean, P10, P90 of each patent's value in CNY."""
        design = rows.design(self.design_, as_of)
        xb = design.matrix @ self.coef_
        spread = quadratic_forms(design.matrix, self.cov_)
        remaining = rows.remaining_life(as_of)
        age = rows.years_since(f"{self.fees_.anchor}_date", as_of)
        a, b = self.scale_
        with np.errstate(divide="ignore"):
            life = np.log(annuity(remaining, self._lambda()))
        m = a + b * xb - self.rates_[1] * age + life + math.log(self.fees_.to_cny)
        s = b * np.sqrt(1.0 + spread)
        z10, z90 = _Z10_Z90
        return {"index": xb, **lognormal(m, s, z10, z90)}

    def parameters(self) -> tuple[tuple[str, float], ...]:
        """β by design column, the cut points ``c_k`` and the money map ``(a, b)``."""
        named = zip(self.design_.names_, self.coef_.tolist(), strict=True)
        cuts = ((f"c_{k}", float(c)) for k, c in enumerate(self.cut_points_.tolist(), start=1))
        a, b = self.scale_
        return (*((f"β {n}", float(c)) for n, c in named), *cuts, ("a", a), ("b", b))

    def constants(self) -> tuple[tuple[str, float, str, str], ...]:
        """The fee schedule, rates and exchange rate the model predicts with, each cited to the
        ``parameters_market.csv`` row of the same value, or to the model file (``MKT-MODEL-FILE``)
        when none has it (a model fitted with other figures)."""
        stages = self.fees_.stages
        wanted: list[tuple[tuple[str, ...], float, str]] = []
        for k, stage in enumerate(stages, start=1):
            wanted.append(((f"renewal_us_due_{k}_years",), stage.due_years, "years after grant"))
            fees = (f"renewal_us_fee_small_{k}", f"renewal_us_fee_large_{k}")
            wanted.append((fees, stage.fee, self.fees_.currency))
        wanted.append((("renewal_us_term_end_years",), stages[-1].until_years, "years"))
        wanted.append((("renewal_discount_rate",), self.rates_[0], "fraction per year"))
        wanted.append((("renewal_return_decay_rate",), self.rates_[1], "fraction per year"))
        to_cny = f"CNY per {self.fees_.currency}"
        wanted.append((("renewal_usd_cny_rate",), self.fees_.to_cny, to_cny))
        return tuple(_cited(names, value, unit) for names, value, unit in wanted)

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to predict, plus provenance, as JSON-ready data."""
        return {
            **self.envelope(),
            "design": self.design_.to_dict(),
            "coef": self.coef_.tolist(),
            "cov": self.cov_.tolist(),
            "cut_points": self.cut_points_.tolist(),
            "fees": self.fees_.to_dict(),
            "discount_rate": self.rates_[0],
            "decay_rate": self.rates_[1],
            "scale": {"a": self.scale_[0], "b": self.scale_[1]},
            "thresholds": self.thresholds_.tolist(),
            "fit": self.fit_,
            "summary": {"text": self.summary_.text, "html": self.summary_.html},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RenewalModel:
        """A fitted model from :meth:`to_dict` output."""
        design = DesignBuilder.from_dict(data["design"])
        model = cls(design.features, missing=design.missing, point=data["point"])
        model.design_ = design
        model.coef_ = np.array(data["coef"], dtype=np.float64)
        model.cov_ = np.array(data["cov"], dtype=np.float64)
        model.cut_points_ = np.array(data["cut_points"], dtype=np.float64)
        model.fees_ = FeeSchedule.from_dict(data["fees"])
        model.rates_ = (float(data["discount_rate"]), float(data["decay_rate"]))
        model.scale_ = (float(data["scale"]["a"]), float(data["scale"]["b"]))
        model.thresholds_ = np.array(data["thresholds"], dtype=np.float64)
        model.scale_rmse_ = float(data["fit"]["money_map_rmse"])
        model.fit_ = dict(data["fit"])
        model.summary_ = ModelSummary(**data["summary"])
        return model


if __name__ == "__main__":  # the refit command lives with the model registry
    from valuation.market import main

    raise SystemExit(main())

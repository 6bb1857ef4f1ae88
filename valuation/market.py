"""Market approach (市场法): a hedonic price model, renewal calibration, and the shipped model.

Two models share one interface, :meth:`FittedModel.value` →
``patent_id, market_value, market_p10, market_p90`` in CNY (floats; the engine converts to money
at its boundary):

* :class:`HedonicModel`, when transaction prices (sales, licences, pledge valuations) of
  comparable patents exist: ordinary least squares (statsmodels ``OLS`` [1]_) of the log price on
  bibliographic features ``x`` (:mod:`valuation.features`) and a constant::

      ln P = xβ + u,   u ~ N(0, σ²)

  For a patent with features ``x`` the predictive distribution of ``ln P`` is centred on
  ``m = xβ̂`` with variance ``s² = σ̂² + x Σ̂ xᵀ`` (``Σ̂`` the covariance of β̂), so::

      median = e^m,   mean = e^{m + s²/2},   P10, P90 = e^{m ∓ t_{0.9, ν} · s}

  with ``t_{0.9, ν}`` the Student-t quantile on the residual degrees of freedom ``ν``: the 80 %
  prediction interval of statsmodels' ``get_prediction(...).summary_frame(alpha=0.2)`` [1]_,
  computed here in closed form so that a model loaded from JSON predicts identically.
* :class:`valuation.renewal.RenewalModel`, when there are no comparables: value revealed by the
  renewal fees owners paid, put on a money scale through the fee schedule.

Indicators explain little of the variance of patent value (about 2.7 % in the PatVal-EU survey,
docs/DOMAIN.md §3; Gambardella et al. [4]_) and value is heavy-tailed, so the interval is wide by
nature; an R² far above 0.3 on real data suggests a leaked outcome. :func:`default_model` is the
renewal model shipped with the engine (``docs/market_model.md``); :func:`fit_model` fits either
model on a batch.

References
----------
.. [1] statsmodels, ``statsmodels.regression.linear_model.OLS`` and ``RegressionResults``,
   https://www.statsmodels.org/stable/regression.html
.. [2] S. Rosen, "Hedonic prices and implicit markets: product differentiation in pure
   competition", *Journal of Political Economy* 82 (1974) 34–55.
.. [3] A. Pakes, M. Schankerman, "The rate of obsolescence of patents, research gestation lags,
   and the private rate of return to research resources", in Z. Griliches (ed.), *R&D, Patents,
   and Productivity*, University of Chicago Press, 1984, 73–88.
.. [4] A. Gambardella, D. Harhoff, B. Verspagen, "The value of European patents",
   *European Management Review* 5 (2008) 69–84.
.. [5] J. Bessen, "The value of U.S. patents by owner and patent characteristics",
   *Research Policy* 37 (2008) 932–945.
"""

from __future__ import annotations

import argparse
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal, Self, TypeAlias

import numpy as np
import polars as pl
from scipy import special

from models.enums import PatentType
from valuation.features import (
    GROUPS,
    MODEL_FORMAT,
    P10,
    P90,
    DesignBuilder,
    FeatureError,
    FittedModel,
    FloatArray,
    MissingPolicy,
    ModelSummary,
    Point,
    Rows,
    available_groups,
    fit_metadata,
    lognormal,
    quadratic_forms,
)
from valuation.renewal import (
    RENEWAL_FEATURES,
    FeeSchedule,
    RenewalFitError,
    RenewalModel,
    us_maintenance_fees,
)

DEFAULT_MODEL_FILE = "default_market_model.json"
"""The shipped default model, under ``valuation/data/``."""


class HedonicModel(FittedModel):
    """OLS of ln(price) on bibliographic features, with lognormal prediction intervals.

    Parameters
    ----------
    features : sequence of str
        Feature groups (:mod:`valuation.features`); all of them by default.
    missing : {"impute", "refuse"}
        Missing-value policy of the design.
    point : {"median", "mean"}
        Which statistic :meth:`value` reports as ``market_value``.

    Attributes
    ----------
    design_ : DesignBuilder
    names_ : tuple of str
        ``const`` and the design columns.
    coef_, cov_ : ndarray
        β̂ and its covariance Σ̂.
    sigma2_ : float
        Residual variance σ̂².
    df_resid_ : float
        Residual degrees of freedom ν.
    fit_ : dict
        Provenance: n, R², adjusted R², residual s.d., time fitted, data description.
    """

    kind: ClassVar[str] = "hedonic"

    def __init__(
        self,
        features: Sequence[str] = GROUPS,
        *,
        missing: MissingPolicy = "impute",
        point: Point = "median",
    ) -> None:
        self.features = features
        self.missing = missing
        self.point = point

    def fit(self, frame: pl.DataFrame, as_of: date | None = None, description: str = "") -> Self:
        """Fit on the ``price`` column (CNY, > 0); ``as_of`` or ``as_of_date`` dates the prices."""
        if "price" not in frame.columns:
            raise FeatureError("column 'price' (CNY) is required to fit the hedonic model")
        price = frame.get_column("price").cast(pl.Float64)
        if price.null_count() or (price <= 0).any():
            raise FeatureError("column 'price' must be positive, without nulls")
        self.design_ = DesignBuilder(self.features, missing=self.missing).fit(frame, as_of)
        design = self.design_.transform(frame, as_of)
        x = np.column_stack([np.ones(frame.height), design.matrix])
        if frame.height <= x.shape[1] or np.linalg.matrix_rank(x) < x.shape[1]:
            raise FeatureError(
                f"{frame.height} prices cannot identify {x.shape[1]} coefficients: add rows or "
                "drop collinear feature groups"
            )
        from statsmodels.regression.linear_model import OLS  # imported to fit, not to value

        results = OLS(np.log(price.to_numpy()), x).fit()
        self.names_ = ("const", *design.names)
        self.coef_ = np.asarray(results.params, dtype=np.float64)
        self.cov_ = np.asarray(results.cov_params(), dtype=np.float64)
        self.sigma2_ = float(results.scale)
        self.df_resid_ = float(results.df_resid)
        with warnings.catch_warnings():
            # The summary's normality tests warn below 20 rows; the summary prints n itself.
            warnings.simplefilter("ignore", UserWarning)
            table = results.summary(yname="ln_price", xname=list(self.names_))
        self.summary_ = ModelSummary(text=table.as_text(), html=table.as_html())
        self.fit_ = fit_metadata(
            frame.height,
            description,
            r_squared=float(results.rsquared),
            adj_r_squared=float(results.rsquared_adj),
            residual_sd=math.sqrt(self.sigma2_),
        )
        return self

    def _statistics(self, rows: Rows, as_of: date) -> dict[str, FloatArray]:
        """``log_value, median, mean, p10, p90`` of each patent's price (CNY)."""
        design = rows.design(self.design_, as_of).matrix
        x = np.column_stack([np.ones(design.shape[0]), design])
        m = x @ self.coef_
        s = np.sqrt(self.sigma2_ + quadratic_forms(x, self.cov_))
        t10, t90 = special.stdtrit(self.df_resid_, [P10, P90])  # Student's t quantiles
        return lognormal(m, s, float(t10), float(t90))

    def parameters(self) -> tuple[tuple[str, float], ...]:
        """β̂ by design column, and the residual variance σ̂²."""
        named = zip(self.names_, self.coef_.tolist(), strict=True)
        return (*((f"β {n}", float(c)) for n, c in named), ("σ²", self.sigma2_))

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to predict, plus provenance, as JSON-ready data."""
        return {
            **self.envelope(),
            "design": self.design_.to_dict(),
            "names": list(self.names_),
            "coef": self.coef_.tolist(),
            "cov": self.cov_.tolist(),
            "sigma2": self.sigma2_,
            "df_resid": self.df_resid_,
            "fit": self.fit_,
            "summary": {"text": self.summary_.text, "html": self.summary_.html},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HedonicModel:
        """A fitted model from :meth:`to_dict` output."""
        design = DesignBuilder.from_dict(data["design"])
        model = cls(design.features, missing=design.missing, point=data["point"])
        model.design_ = design
        model.names_ = tuple(data["names"])
        model.coef_ = np.array(data["coef"], dtype=np.float64)
        model.cov_ = np.array(data["cov"], dtype=np.float64)
        model.sigma2_ = float(data["sigma2"])
        model.df_resid_ = float(data["df_resid"])
        model.fit_ = dict(data["fit"])
        model.summary_ = ModelSummary(**data["summary"])
        return model


MarketModel: TypeAlias = HedonicModel | RenewalModel
"""Either market model; both value a batch with :meth:`FittedModel.value`."""


def fit_model(
    frame: pl.DataFrame,
    target: Literal["price", "renewals"],
    *,
    features: Sequence[str] | None = None,
    as_of: date | None = None,
    fees: FeeSchedule | None = None,
    description: str = "",
) -> MarketModel:
    """Fit the market model of ``target`` on a batch.

    ``target="price"`` fits a :class:`HedonicModel` on ``price``; ``target="renewals"`` a
    :class:`~valuation.renewal.RenewalModel` on ``renewals_paid`` (US maintenance fees, small
    entity, unless ``fees`` is given; other jurisdictions must give ``fees``). Without
    ``features``, every default group whose main column is present is used (remaining life, for
    prices, only when ``as_of`` or an ``as_of_date`` column dates them).
    """
    if target == "price":
        dated = as_of is not None or "as_of_date" in frame.columns
        groups = features or [
            g for g in available_groups(frame, GROUPS) if dated or g != "remaining_life"
        ]
        return HedonicModel(groups).fit(frame, as_of=as_of, description=description)
    if target == "renewals":
        if fees is None:
            places = set()
            if "jurisdiction" in frame.columns:
                places = set(frame.get_column("jurisdiction").unique().to_list())
            if places != {"US"}:
                raise RenewalFitError(f"renewals of {sorted(map(str, places))}: pass their fees=")
            fees = us_maintenance_fees()
        groups = features or available_groups(frame, RENEWAL_FEATURES)
        return RenewalModel(groups, fees=fees).fit(frame, description=description)
    raise ValueError(f"target must be 'price' or 'renewals', not {target!r}")


def model_from_dict(data: Mapping[str, Any]) -> MarketModel:
    """A fitted market model from its JSON data (either kind)."""
    if data.get("format") != MODEL_FORMAT or data.get("format_version") != 1:
        raise ValueError(f"not a {MODEL_FORMAT} version 1 document")
    kinds: dict[str, type[MarketModel]] = {
        HedonicModel.kind: HedonicModel,
        RenewalModel.kind: RenewalModel,
    }
    if data.get("kind") not in kinds:
        raise ValueError(f"unknown market model kind {data.get('kind')!r}")
    return kinds[data["kind"]].from_dict(data)


def load_model(path: Path | str) -> MarketModel:
    """A market model saved with ``model.save(path)``."""
    return model_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


@cache
def default_model() -> MarketModel:
    """The model the engine ships: renewal calibration on US university patents.

    One shared instance per process (read once from ``valuation/data``); do not modify it.
    """
    text = resources.files("valuation").joinpath("data", DEFAULT_MODEL_FILE).read_text("utf-8")
    return model_from_dict(json.loads(text))


def us_renewal_frame(path: Path) -> pl.DataFrame:
    """The US university renewal file (``data/README.md``) in the engine's batch schema.

    Keeps utility patents (plant patents pay no maintenance fees; reissues follow their parent's
    schedule). ``renewals_paid`` is the fees paid, capped at 3; ``renewals_censored`` marks patents
    whose third fee had not fallen due when the data were collected (``paid_11p5yr`` empty). CPC
    section dummies become an ``ipc`` string of section letters (``A`` when none of B–H is set).
    The labels ``paid_3p5yr``, ``paid_7p5yr`` and ``grant_year`` ride along for validation.
    """
    raw = pl.read_csv(path, try_parse_dates=True).filter(pl.col("doc_type") == "utility")
    sections = pl.concat_str(
        [pl.when(pl.col(s) == 1).then(pl.lit(s)) for s in "BCDEFGH"],
        separator=";",
        ignore_nulls=True,
    )
    paid = pl.col("payment_times").clip(upper_bound=3)
    return raw.select(
        pl.col("id").alias("patent_id"),
        pl.lit("US").alias("jurisdiction"),
        pl.lit(PatentType.INVENTION.value).alias("patent_type"),
        pl.col("filing_date").cast(pl.Date),
        pl.col("grant_date").cast(pl.Date),
        pl.when(sections.str.len_chars() > 0).then(sections).otherwise(pl.lit("A")).alias("ipc"),
        pl.col("num_claims").alias("claims"),
        pl.col("num_patent_citations").alias("backward_citations"),
        pl.col("num_nonpatent_citations").alias("npl_citations"),
        pl.col("num_applications").alias("family_size"),
        pl.col("num_authors").alias("inventors"),
        paid.alias("renewals_paid"),
        (pl.col("paid_11p5yr").is_null() & (paid == 2)).alias("renewals_censored"),
        pl.col("paid_3p5yr"),
        pl.col("paid_7p5yr"),
        pl.col("grant_year"),
    )


def refit_default(path: Path, out: Path) -> RenewalModel:
    """Refit the default model on the US renewal file at ``path``; write its JSON to ``out``."""
    frame = us_renewal_frame(path)
    description = (
        f"{path.name}: US university utility patents granted 2004–2005, {frame.height} rows "
        "(plant and reissue patents dropped); target renewals_paid (USPTO maintenance fees, small "
        "entity); third fee censored where its window had not closed when the data were collected"
    )
    groups = available_groups(frame, RENEWAL_FEATURES)
    model = RenewalModel(groups, fees=us_maintenance_fees()).fit(frame, description=description)
    model.save(out)
    return model


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m valuation.market --refit-default PATH [--out FILE]``."""
    parser = argparse.ArgumentParser(description="Refit the shipped default market model.")
    parser.add_argument("--refit-default", type=Path, required=True, metavar="PATH")
    default_out = Path(__file__).with_name("data") / DEFAULT_MODEL_FILE
    parser.add_argument("--out", type=Path, default=default_out, metavar="FILE")
    args = parser.parse_args(argv)
    model = refit_default(args.refit_default, args.out)
    fit = model.fit_
    print(f"wrote {args.out}: {fit['n']} patents, {fit['censored']} censored")
    print(f"pseudo R² {fit['pseudo_r_squared']:.4f}; money map a = {model.scale_[0]:.4f}, ", end="")
    print(f"b = {model.scale_[1]:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

r"""Indicator scoring of a patent on 0..100, in the structure of GB/T 42748-2023.

The indicator tree (``valuation/data/indicators.csv``, versioned) has three first-level indicators,
legal (L), technical (T) and economic (E) value, their second-level indicators, and third-level
leaves. A leaf :math:`i` with an observable proxy :math:`x_i` (a batch column or ``Patent`` field)
is scored from data by

.. math::

    s_i = a_i + (b_i - a_i)\,\mathrm{clamp}\!\left(
        \frac{f(x_i) - f(lo_i)}{f(hi_i) - f(lo_i)}, 0, 1\right),
    \qquad f(x) = x \ \text{(linear)} \ \text{or} \ \ln(1 + x) \ \text{(log)},

with :math:`a_i, b_i` (``score_lo``, ``score_hi``) and :math:`lo_i, hi_i` as data. An appraiser's
input (0..100) wins over the proxy; a leaf with neither takes the neutral score
``scoring_neutral_score`` and is reported as not assessed. Within each parent the weights of a
scenario's profile (``weight_profiles.csv``) sum to 1; a node scores
:math:`S_n = \sum_{c} w_c S_c` over its children, the total is :math:`S = \sum_i W_i s_i` with the
effective weight :math:`W_i = \prod w` along the leaf's path, so :math:`0 \le S \le 100`, and the
contribution of leaf :math:`i` is :math:`W_i s_i`.

The score explains and adjusts inputs placed within their bands (:func:`place_in_band`: royalty,
risk premium, haircut); it is never itself a value in money.

References
----------
.. [1] GB/T 42748-2023 专利评估指引 (Guidelines for patent evaluation), CNIPA, PBOC, NFRA.
.. [2] CNIPA, 专利价值分析指标体系 (LVD, TVD, EVD); docs/DOMAIN.md §3 (the tree still to check
   against GB/T 42748-2023).
.. [3] D. Harhoff, F. M. Scherer, K. Vopel, Research Policy 32 (2003) 1343-1363.
.. [4] M. Trajtenberg, RAND Journal of Economics 21 (1990) 172-187.
.. [5] J. Lerner, RAND Journal of Economics 25 (1994) 319-333.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, getcontext
from enum import StrEnum
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import polars as pl
from pydantic import BaseModel, ConfigDict

from models.enums import LegalStatus
from models.money import to_decimal
from models.patent import Patent
from valuation.audit import AuditTrail, Step, cite, input_hash
from valuation.constants import Constant, parameter, read_table, sources
from valuation.frame import normalised
from valuation.high_value import split_codes, strategic_industry_expr, strategic_match

SCORE_MAX = Decimal(100)
"""Top of the 0..100 scale of every indicator score."""
METHOD = "indicator scoring, GB/T 42748-2023 structure"
BASE_DATE_ZONE = ZoneInfo("Asia/Shanghai")
APPRAISER_PREFIX = "appraiser_"
"""Batch columns ``appraiser_<code>`` carry an appraiser's 0..100 input for leaf ``<code>``."""
IPC_SUBCLASS_LENGTH = len("H01M")
_ZERO, _ONE = Decimal(0), Decimal(1)
_COUNTS = frozenset(
    {"forward_citations", "npl_citations", "claims", "independent_claims", "family_size"}
    | {"invalidations_survived", "in_litigation", "licences"}
)
PROXIES = _COUNTS | {"family_countries", "ipc", "remaining_term", "industry"}
ALIVE = (LegalStatus.IN_FORCE, LegalStatus.PENDING)
"""Statuses with legal term left; any other (lapsed, expired, invalidated, …) has none."""


class ScoringDataError(ValueError):
    """The indicator tree or a weight profile is inconsistent."""


class Scenario(StrEnum):
    """Valuation scenarios of GB/T 42748-2023, each with its weight profile."""

    PLEDGE = "pledge"  # 质押融资
    LICENSING = "licensing"
    FINANCIAL_REPORTING = "financial_reporting"
    INFRINGEMENT = "infringement"
    MANAGEMENT = "management"


class Basis(StrEnum):
    OBSERVED = "observed"  # scored from data
    APPRAISER = "appraiser"  # an appraiser's input
    DEFAULT = "default"  # not assessed: the neutral score


@lru_cache(maxsize=4096)
def _log1p(x: Decimal, precision: int) -> Decimal:
    """ln(1 + x) in the context of ``precision`` digits, worked out once for each: the rules'
    bounds recur on every patent, and the counts they score are small numbers."""
    del precision  # a key of the cache: the result is rounded to the context's precision
    return (x + _ONE).ln()


@dataclass(frozen=True, slots=True)
class Rule:
    """Proxy-to-score rule of a leaf (see the module formula)."""

    transform: str
    lo: Decimal
    hi: Decimal
    score_lo: Decimal
    score_hi: Decimal
    source_id: str
    evidence_source_id: str

    def _f(self, x: Decimal) -> Decimal:
        return _log1p(x, getcontext().prec) if self.transform == "log" else x

    def score(self, x: Decimal) -> Decimal:
        position = (self._f(x) - self._f(self.lo)) / (self._f(self.hi) - self._f(self.lo))
        return self.score_lo + (self.score_hi - self.score_lo) * min(_ONE, max(_ZERO, position))

    def expr(self, x: pl.Expr) -> pl.Expr:
        def f(v: pl.Expr) -> pl.Expr:
            return v.log1p() if self.transform == "log" else v

        lo, hi = pl.lit(float(self.lo)), pl.lit(float(self.hi))
        position = ((f(x) - f(lo)) / (f(hi) - f(lo))).clip(0, 1)
        return float(self.score_lo) + float(self.score_hi - self.score_lo) * position

    def formula(self, x: Decimal) -> str:
        f = "ln(1 + {})" if self.transform == "log" else "{}"
        fx, flo, fhi = (f.format(v) for v in (x, self.lo, self.hi))
        spread = self.score_hi - self.score_lo
        return f"s = {self.score_lo} + {spread} · clamp(({fx} − {flo}) / ({fhi} − {flo}), 0, 1)"

    def constants(self, code: str, proxy: str) -> tuple[Constant, ...]:
        units = {"lo": proxy, "hi": proxy, "score_lo": "score", "score_hi": "score"}
        return tuple(
            Constant(f"rule.{code}.{k}", getattr(self, k), unit, self.source_id)
            for k, unit in units.items()
        )


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    parent: str | None
    level: int
    name_zh: str
    name_en: str
    proxy: str | None
    rule: Rule | None


@dataclass(frozen=True, slots=True)
class IndicatorTree:
    version: str
    nodes: Mapping[str, Indicator]
    children: Mapping[str | None, tuple[str, ...]]

    @property
    def leaves(self) -> tuple[Indicator, ...]:
        return tuple(n for c, n in self.nodes.items() if c not in self.children)


@dataclass(frozen=True, slots=True)
class WeightProfile:
    """A scenario's weights :math:`w` (as cited constants) and effective weights :math:`W`."""

    scenario: Scenario
    version: str
    weights: Mapping[str, Constant]
    effective: Mapping[str, Decimal]

    def w(self, code: str) -> Decimal:
        return self.weights[code].value


def _rule(row: dict[str, str]) -> Rule | None:
    if not row["proxy"]:
        return None
    if row["proxy"] not in PROXIES or row["transform"] not in ("linear", "log"):
        raise ScoringDataError(f"indicator {row['code']}: bad proxy or transform")
    if {row["rule_source_id"], row["evidence_source_id"]} - set(sources()):
        raise ScoringDataError(f"indicator {row['code']}: unknown rule or evidence source")
    lo, hi, a, b = (Decimal(row[k]) for k in ("lo", "hi", "score_lo", "score_hi"))
    if not (-_ONE < lo < hi and min(a, b) >= _ZERO and max(a, b) <= SCORE_MAX):
        raise ScoringDataError(f"indicator {row['code']}: bad rule bounds")
    return Rule(row["transform"], lo, hi, a, b, row["rule_source_id"], row["evidence_source_id"])


@cache
def indicator_tree() -> IndicatorTree:
    """The tree of ``indicators.csv``, validated: one version, known parents, levels, rules."""
    rows = read_table("indicators")
    nodes = {
        r["code"]: Indicator(
            r["code"],
            r["parent"] or None,
            int(r["level"]),
            r["name_zh"],
            r["name_en"],
            r["proxy"] or None,
            _rule(r),
        )
        for r in rows
    }
    versions = {r["tree_version"] for r in rows}
    if len(nodes) != len(rows) or len(versions) != 1:
        raise ScoringDataError("indicators.csv: codes must be unique and share one tree_version")
    children: dict[str | None, tuple[str, ...]] = {}
    for node in nodes.values():
        parent = nodes.get(node.parent) if node.parent else None
        if (node.parent and parent is None) or node.level != (parent.level + 1 if parent else 1):
            raise ScoringDataError(f"indicators.csv: {node.code} has a bad parent or level")
        children[node.parent] = (*children.get(node.parent, ()), node.code)
    tree = IndicatorTree(versions.pop(), nodes, children)
    if any(leaf.level == 1 for leaf in tree.leaves):
        raise ScoringDataError("indicators.csv: a first-level indicator has no children")
    return tree


@cache
def weight_profile(scenario: Scenario = Scenario.PLEDGE) -> WeightProfile:
    """The scenario's weights, validated: one per node, ≥ 0, summing to 1 within each parent."""
    tree = indicator_tree()
    rows = [r for r in read_table("weight_profiles") if r["profile"] == scenario.value]
    weights = {
        r["code"]: Constant(
            f"weight.{scenario}.{r['code']}", Decimal(r["weight"]), "fraction", r["source_id"]
        )
        for r in rows
    }
    if len(weights) != len(rows) or set(weights) != set(tree.nodes):
        raise ScoringDataError(f"weight profile {scenario}: needs exactly one weight per node")
    if len({r["profile_version"] for r in rows}) != 1:
        raise ScoringDataError(f"weight profile {scenario}: mixed profile versions")
    for parent, codes in tree.children.items():
        total = sum((weights[c].value for c in codes), _ZERO)
        if total != _ONE or any(weights[c].value < 0 for c in codes):
            raise ScoringDataError(
                f"weight profile {scenario}: weights under {parent} sum to {total}"
            )

    def effective(code: str) -> Decimal:
        parent = tree.nodes[code].parent
        return weights[code].value * (effective(parent) if parent else _ONE)

    version = rows[0]["profile_version"]
    return WeightProfile(scenario, version, weights, {c: effective(c) for c in tree.nodes})


def place_in_band(at_zero: Decimal, at_max: Decimal, score: Decimal) -> Decimal:
    r"""The point of a band a score places: :math:`v = v_0 + (v_{100} - v_0) \cdot s / 100`.

    Pass the band's ends in the order the score moves them: ``place_in_band(high, low, s)`` for
    a quantity that falls as the score rises (a haircut, a risk premium).
    """
    if not _ZERO <= score <= SCORE_MAX:
        raise ValueError(f"score {score} is outside 0..{SCORE_MAX}")
    return at_zero + (at_max - at_zero) * score / SCORE_MAX


# -- results ------------------------------------------------------------------------------------


class IndicatorScore(BaseModel):
    """One leaf: its score, how it was obtained, and what it adds to the total."""

    model_config = ConfigDict(frozen=True)

    code: str
    name_zh: str
    name_en: str
    proxy: str | None
    basis: Basis
    observed_value: Decimal | None
    score: Decimal
    effective_weight: Decimal
    contribution: Decimal


class LevelScore(BaseModel):
    """A first- or second-level indicator's score."""

    model_config = ConfigDict(frozen=True)

    code: str
    level: int
    name_zh: str
    name_en: str
    weight: Decimal
    score: Decimal


class ScoringResult(BaseModel):
    """Indicator score of one patent (0..100, not money), with its parts and audit trail.

    ``assessed_weight`` is the share of the total weight resting on data or appraiser inputs.
    """

    model_config = ConfigDict(frozen=True)

    patent_id: str
    scenario: Scenario
    base_date: date
    tree_version: str
    profile_version: str
    total_score: Decimal
    levels: tuple[LevelScore, ...]
    indicators: tuple[IndicatorScore, ...]
    assessed_weight: Decimal
    audit: AuditTrail

    @property
    def first_level(self) -> tuple[LevelScore, ...]:
        return tuple(s for s in self.levels if s.level == 1)

    def level_score(self, code: str) -> Decimal:
        return next(s.score for s in self.levels if s.code == code)

    def codes(self, basis: Basis) -> tuple[str, ...]:
        """Leaf codes scored on ``basis`` (``Basis.DEFAULT``: the ones not assessed)."""
        return tuple(i.code for i in self.indicators if i.basis is basis)


# -- one patent ---------------------------------------------------------------------------------


def _measure(proxy: str, patent: Patent, at: date) -> Decimal | None:
    """The proxy's value for ``patent`` (None when the data do not say)."""
    if proxy == "licences":
        return Decimal(len(patent.licences))
    if proxy in _COUNTS:
        count = getattr(patent, proxy)
        return None if count is None else Decimal(int(count))
    if proxy == "family_countries":
        return Decimal(len(set(patent.family_countries))) if patent.family_countries else None
    if proxy == "ipc":
        subclasses = {code[:IPC_SUBCLASS_LENGTH] for code in patent.ipc_codes}
        return Decimal(len(subclasses)) if subclasses else None
    if proxy == "remaining_term":
        whole = (patent.expiry_date - patent.filing_date).days
        if whole <= 0:
            return None
        alive = patent.legal_status in ALIVE
        left = max((patent.expiry_date - at).days, 0)  # nothing is left once the term has ended
        return Decimal(left) / Decimal(whole) if alive else _ZERO
    if patent.industry is None and not patent.ipc_codes:  # proxy "industry"
        return None
    return Decimal(int(strategic_match(patent.industry, patent.ipc_codes) is not None))


def _inputs(given: Mapping[str, object], tree: IndicatorTree) -> dict[str, Decimal]:
    leaves = {leaf.code for leaf in tree.leaves}
    result = {code: to_decimal(value) for code, value in given.items()}
    for code, value in result.items():
        if code not in leaves:
            raise ValueError(f"{code!r} is not a leaf indicator; leaves: {sorted(leaves)}")
        if not _ZERO <= value <= SCORE_MAX:
            raise ValueError(f"appraiser input {code} = {value} is outside 0..{SCORE_MAX}")
    return result


def score_patent(
    patent: Patent,
    appraiser_inputs: Mapping[str, object] | None = None,
    *,
    at: date | None = None,
    scenario: Scenario = Scenario.PLEDGE,
) -> ScoringResult:
    """Score ``patent`` at base date ``at`` (default: today in China) for ``scenario``.

    Parameters
    ----------
    appraiser_inputs
        Leaf code → score 0..100 (int, str or Decimal); wins over the leaf's proxy.
    """
    base = at if at is not None else datetime.now(BASE_DATE_ZONE).date()
    tree, profile = indicator_tree(), weight_profile(scenario)
    inputs, neutral = _inputs(appraiser_inputs or {}, tree), parameter("scoring_neutral_score")
    quantum = parameter("scoring_score_quantum")

    def rounded(value: Decimal) -> Decimal:
        return value.quantize(quantum.value, ROUND_HALF_EVEN)

    scores: dict[str, Decimal] = {}
    leaves, steps, cited = [], [], [cite(neutral), cite(quantum)]
    for leaf in tree.leaves:
        value = _measure(leaf.proxy, patent, base) if leaf.proxy else None
        if leaf.code in inputs:
            basis, score, formula = Basis.APPRAISER, inputs[leaf.code], "appraiser's input"
        elif value is not None and leaf.rule is not None:
            basis, score, formula = Basis.OBSERVED, leaf.rule.score(value), leaf.rule.formula(value)
            cited += [cite(c) for c in leaf.rule.constants(leaf.code, leaf.proxy or "")]
        else:
            basis, score, formula = Basis.DEFAULT, neutral.value, "not assessed: neutral score"
        scores[leaf.code], weight = score, profile.effective[leaf.code]
        names = {"code": leaf.code, "name_zh": leaf.name_zh, "name_en": leaf.name_en}
        leaves.append(
            IndicatorScore(
                **names,
                proxy=leaf.proxy,
                basis=basis,
                observed_value=value,
                score=rounded(score),
                effective_weight=weight,
                contribution=rounded(score * weight),
            )
        )
        steps.append(Step(name=f"{leaf.code} {leaf.name_en}", formula=formula, value=score))

    def node(code: str | None) -> Decimal:
        key = code or ""  # "" holds the total
        if key not in scores:
            scores[key] = sum((profile.w(c) * node(c) for c in tree.children[code]), _ZERO)
        return scores[key]

    levels = tuple(
        LevelScore(
            code=n.code,
            level=n.level,
            name_zh=n.name_zh,
            name_en=n.name_en,
            weight=profile.w(n.code),
            score=rounded(node(n.code)),
        )
        for n in tree.nodes.values()
        if n.code in tree.children
    )
    steps += [Step(name=s.code, formula="S = Σ w · S_child", value=s.score) for s in levels]
    steps.append(Step(name="total", formula="S = Σ_i W_i · s_i", value=node(None)))
    assessed = sum((i.effective_weight for i in leaves if i.basis is not Basis.DEFAULT), _ZERO)
    audit = AuditTrail(
        input_hash=input_hash(patent, dict(inputs), base, scenario.value),
        method=METHOD,
        steps=tuple(steps),
        constants=(*cited, *(cite(w) for w in profile.weights.values())),
        assumptions=(
            f"indicator tree {tree.version}, {scenario} weights {profile.version} "
            "(still to check against GB/T 42748-2023)",
            "the score places inputs within their bands; it is not a value in money",
            *(() if at is not None else (f"base date defaulted to today ({base})",)),
        ),
    )
    return ScoringResult(
        patent_id=str(patent.number),
        scenario=scenario,
        base_date=base,
        tree_version=tree.version,
        profile_version=profile.version,
        total_score=rounded(node(None)),
        levels=levels,
        indicators=tuple(leaves),
        assessed_weight=assessed,
        audit=audit,
    )


# -- batch --------------------------------------------------------------------------------------


def _measure_expr(proxy: str, schema: Mapping[str, pl.DataType], at: date) -> pl.Expr:
    """The proxy as a Float64 expression over the batch schema, null when not observed.

    Reads the columns of a frame as :func:`valuation.frame.normalise` types it.
    """
    missing = pl.lit(None, dtype=pl.Float64)
    if proxy in _COUNTS:
        return pl.col(proxy).cast(pl.Float64) if proxy in schema else missing
    if proxy in ("family_countries", "ipc"):
        if proxy not in schema:
            return missing
        items = split_codes(proxy)
        if proxy == "ipc":
            items = items.list.eval(pl.element().str.slice(0, IPC_SUBCLASS_LENGTH))
        # No item is not observed; the count is read once (list expressions are not shared).
        return items.list.n_unique().cast(pl.Float64).replace(0.0, None)
    if proxy == "remaining_term":
        filing, expiry = pl.col("filing_date"), pl.col("expiry_date")
        whole = (expiry - filing).dt.total_days()
        left = (expiry - pl.lit(at, dtype=pl.Date)).dt.total_days().clip(lower_bound=0)
        alive = pl.col("legal_status").is_in([s.value for s in ALIVE])
        ratio = pl.when(alive).then(left / whole).otherwise(0.0)
        return pl.when(whole > 0).then(ratio).otherwise(missing)
    return strategic_industry_expr(list(schema)).cast(pl.Float64)  # proxy "industry"


def score_lazy(
    frame: pl.LazyFrame, *, at: date, scenario: Scenario = Scenario.PLEDGE
) -> pl.LazyFrame:
    """Vectorised :func:`score_patent` as a lazy query (see :func:`score_batch`)."""
    frame = normalised(frame)
    schema = frame.collect_schema()
    tree, profile = indicator_tree(), weight_profile(scenario)
    neutral = float(parameter("scoring_neutral_score").value)
    decimals = int(-parameter("scoring_score_quantum").value.log10())
    measured: dict[str, pl.Expr] = {}
    leaf_columns: dict[str, pl.Expr] = {}
    assessed: list[pl.Expr] = []
    for leaf in tree.leaves:
        observed = pl.lit(None, dtype=pl.Float64)
        if leaf.proxy is not None and leaf.rule is not None:
            # Each proxy is measured once, as a column that the score and the weight both read.
            measured[f"__m_{leaf.code}"] = leaf.rule.expr(_measure_expr(leaf.proxy, schema, at))
            observed = pl.col(f"__m_{leaf.code}")
        given = APPRAISER_PREFIX + leaf.code
        if given in schema:
            observed = pl.coalesce(pl.col(given).cast(pl.Float64).clip(0, SCORE_MAX), observed)
        leaf_columns[f"__s_{leaf.code}"] = pl.coalesce(observed, pl.lit(neutral))
        weight = float(profile.effective[leaf.code])
        assessed.append(pl.when(observed.is_not_null()).then(weight).otherwise(0.0))

    def node(code: str | None) -> pl.Expr:
        if code is not None and code not in tree.children:
            return pl.col(f"__s_{code}")
        return pl.sum_horizontal([float(profile.w(c)) * node(c) for c in tree.children[code]])

    outputs = {"score": node(None), **{f"score_{c}": node(c) for c in tree.children[None]}}
    return (
        frame.with_columns(**measured)
        .with_columns(**leaf_columns, score_assessed_weight=pl.sum_horizontal(assessed))
        .with_columns(**{name: e.round(decimals) for name, e in outputs.items()})
        .drop(*measured, *leaf_columns)
    )


def score_batch(
    frame: pl.DataFrame, *, at: date, scenario: Scenario = Scenario.PLEDGE
) -> pl.DataFrame:
    """Vectorised :func:`score_patent` over a batch frame.

    Reads the proxy columns of the batch schema that are present (a missing column or a null
    cell is not assessed) and ``appraiser_<code>`` columns (clipped to 0..100). Adds ``score``,
    ``score_<code>`` for each first-level indicator, and ``score_assessed_weight`` (the share of
    weight resting on data or appraiser inputs), rounded half-even like the single form.
    """
    # On the default engine: the order in which polars adds the weighted parts differs between
    # its engines, and with it the last bit of a sum.
    return score_lazy(frame.lazy(), at=at, scenario=scenario).collect()

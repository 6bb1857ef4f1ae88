"""The appraisal report (资产评估报告) of one patent or a portfolio, in Chinese or English.

:func:`appraise` values one patent with :func:`valuation.engine.value_patent` and keeps the Monte
Carlo draws for the distribution chart; :func:`render_appraisal` writes the report of an
:class:`AppraisalReport` as HTML (:func:`reports.rendering.html_to_pdf` makes the PDF). The body
has the 14 parts of docs/DOMAIN.md §5 in order; Annex A holds the working papers of each patent
(indicator scores, each approach with its inputs, formula and steps, the reconciliation, the value
range with its chart, the tornado, the pledge outputs, the high-value criteria and the audit
trail), Annex B every constant cited, grouped by its source.

Every figure printed is one the engine returned (read from the result and its audit trail); this
module only selects, sums across patents and lays out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from markupsafe import Markup

from models.enums import LegalStatus, ValueType
from models.money import Money, round_money, total
from models.patent import Patent
from pledge.policy import policy_book, valuation_valid_until
from reports import charts, wording
from reports.constants import FILES as DATA_FILES
from reports.constants import dated_constant_tolerance
from reports.formatting import Formatter
from reports.i18n import DEFAULT_LANGUAGE, N_, Language, gettext_for
from reports.info import ReportError, ReportInfo
from reports.rendering import names, render_html
from reports.vocabulary import label, tornado_input
from valuation.audit import Citations, CitedConstant, input_hash
from valuation.constants import read_table
from valuation.engine import (
    Financials,
    MarketValue,
    ValuationResult,
    income_inputs,
    value_patent,
)
from valuation.features import FittedModel
from valuation.income_kernel import FloatArray
from valuation.reconcile import Approach, default_weights, divergence
from valuation.scoring import Basis as ScoringBasis
from valuation.scoring import IndicatorScore, LevelScore, indicator_tree
from valuation.uncertainty import PERCENTILES, income_draws

TEMPLATE = "reports/appraisal.html"
REPORT_NUMBER_PREFIX = "PV"
HASH_DIGITS = 8
CHART_PATENTS = 20
"""The portfolio chart shows the patents of largest value, at most this many."""
LIFE_INPUT = "economic_life_years"
ALIVE = (LegalStatus.IN_FORCE, LegalStatus.PENDING)
WEIGHT_QUANTUM = Decimal("0.0001")
"""The reconciliation's weights are quantized to this; a default weight within it is the default."""


@dataclass(frozen=True, slots=True)
class PatentAppraisal:
    """One patent, its financials, the engine's result and the income draws behind its range."""

    patent: Patent
    financials: Financials
    result: ValuationResult
    draws: FloatArray | None = None


def appraise(
    patent: Patent,
    financials: Financials | None = None,
    *,
    base_date: date,
    draws: int | None = None,
    seed: int | None = None,
    model: FittedModel | None = None,
    weights: dict[Approach, Decimal] | None = None,
) -> PatentAppraisal:
    """Value ``patent`` at ``base_date``; with ``draws`` and ``seed``, keep the income draws."""
    financials = financials or Financials()
    result = value_patent(
        patent,
        financials,
        base_date=base_date,
        model=model,
        weights=weights,
        draws=draws,
        seed=seed,
    )
    sample = None
    if result.value_range is not None:
        inputs = income_inputs(patent, financials, result.score.total_score)
        sample = income_draws(
            inputs, result.remaining_term, seed=result.value_range.seed, draws=draws
        )
    return PatentAppraisal(patent, financials, result, sample)


def redraw(patent: Patent, financials: Financials, result: ValuationResult) -> FloatArray | None:
    """The income draws behind a stored result's range, drawn again from its inputs, seed and
    number of draws; None when the result has no range, or when the draws do not give back its
    P10/P50/P90 to the fen (another engine version): the figures are always the result's own,
    and a chart that did not match them is left out rather than shown."""
    spread = result.value_range
    if spread is None:
        return None
    inputs = income_inputs(patent, financials, result.score.total_score)
    sample = income_draws(inputs, result.remaining_term, seed=spread.seed, draws=spread.draws)
    currency = spread.p50.currency
    found = [round_money(Decimal(float(q)), currency) for q in np.percentile(sample, PERCENTILES)]
    if found != [spread.p10.amount, spread.p50.amount, spread.p90.amount]:
        return None
    return sample


def stored_appraisal(
    patent: Patent, financials: Financials, result: ValuationResult
) -> PatentAppraisal:
    """A stored result as the report reads it: its figures as stored, never valued again; the
    draws of its distribution chart redrawn (:func:`redraw`)."""
    return PatentAppraisal(patent, financials, result, redraw(patent, financials, result))


@dataclass(frozen=True, slots=True)
class AppraisalReport:
    """What an appraisal report is made of: its own inputs and the appraisals of its patents."""

    info: ReportInfo
    appraisals: tuple[PatentAppraisal, ...]

    def check(self) -> None:
        """Refuse a report with an empty required part, no patent, or a valuation at another
        date than the report's base date."""
        self.info.check()
        if not self.appraisals:
            raise ReportError("the report has no patents")
        for appraisal in self.appraisals:
            if appraisal.result.base_date != self.info.base_date:
                raise ReportError(
                    f"{appraisal.result.patent_id} is valued at {appraisal.result.base_date}, "
                    f"the report's base date is {self.info.base_date}"
                )

    @property
    def input_hash(self) -> str:
        """The hash of the report's inputs: its information and every valuation's input hash."""
        return input_hash(self.info, [a.result.audit.input_hash for a in self.appraisals])

    @property
    def report_number(self) -> str:
        """The report number given, else ``PV-<base date>-<8 hex digits of the input hash>``."""
        if self.info.report_number:
            return self.info.report_number
        digest = self.input_hash.removeprefix("sha256:")[:HASH_DIGITS]
        base = self.info.base_date.strftime("%Y%m%d") if self.info.base_date else "0"
        return f"{REPORT_NUMBER_PREFIX}-{base}-{digest}"


# -- views: what the template prints -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """A leaf indicator with the formula the audit trail gives for its score."""

    indicator: IndicatorScore
    formula: str


@dataclass(frozen=True, slots=True)
class LevelGroup:
    """A first-level indicator's score with its second-level indicators' scores."""

    level: LevelScore
    children: tuple[LevelScore, ...]


@dataclass(frozen=True, slots=True)
class TornadoRow:
    label: str
    low: str
    high: str
    value_at_low: Money
    value_at_high: Money
    swing: Money


@dataclass(frozen=True, slots=True)
class PatentView:
    """One patent's working papers (Annex A)."""

    key: str
    patent: Patent
    financials: Financials
    result: ValuationResult
    owners: str
    legal_status: LegalStatus
    """The status at the base date: as recorded, or expired when the term ended by then."""
    conclusion: Money | None
    levels: tuple[LevelGroup, ...]
    assessed: tuple[ScoreRow, ...]
    """The leaf indicators scored from data or by an appraiser, with their formulas."""
    not_assessed: int
    criteria_met: tuple[str, ...]
    weight_reasons: tuple[Notice, ...]
    """Why each reconciliation line has its weight, in the order of the lines."""
    distribution: Markup | None
    tornado: Markup | None
    tornado_rows: tuple[TornadoRow, ...]


@dataclass(frozen=True, slots=True)
class ApproachUse:
    """How often an approach was applied, and its default weight."""

    approach: Approach
    applied: int
    default_weight: Decimal


@dataclass(frozen=True, slots=True)
class Notice:
    """A special matter the report states from its own figures: a catalog message and the
    values it names, already formatted in the report's language."""

    message: str
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class SourceGroup:
    """The constants cited from one source; ``prefix`` is the dotted start their names share,
    printed once (``weight.pledge.``), and ``entries`` pair each name's rest with its constant."""

    source_id: str
    source: str
    prefix: str
    entries: tuple[tuple[str, CitedConstant], ...]
    checked: bool = True
    """False while the source's figures await a check against their primary source
    (:class:`models.datafiles.Source`); ``to_check`` says what, when more than that."""
    to_check: str = ""


@dataclass(frozen=True, slots=True)
class Totals:
    value: Money
    realisable_value: Money
    max_loan: Money
    conclusion: Money


@dataclass(frozen=True, slots=True)
class AppraisalView:
    """The whole report as the template reads it."""

    info: ReportInfo
    report_number: str
    input_hash: str
    base_date: date
    value_type: ValueType
    patents: tuple[PatentView, ...]
    totals: Totals
    approaches: tuple[ApproachUse, ...]
    high_value_count: int
    validity_months: int
    valid_until: date
    out_of_date: bool
    """Issued after the period of use of its conclusion ended."""
    draws: int | None
    seed: int | None
    income_applied: bool
    """Whether the income approach was applied to any patent (a range needs it)."""
    engine_versions: tuple[str, ...]
    market_models: tuple[MarketValue, ...]
    """One market figure per market model used, for its identity (Annex B)."""
    sources: tuple[SourceGroup, ...]
    chart: Markup | None
    not_in_force: str
    """The numbers of the patents not in force at the base date, listed; "" for none."""
    notices: tuple[Notice, ...]
    """Special matters found in the figures (a patent no longer in force, …), after the given."""


def _conclusion(result: ValuationResult, value_type: ValueType) -> Money | None:
    if value_type is ValueType.REALISABLE_VALUE:
        return None if result.pledge is None else result.pledge.realisable_value
    return result.value


def _tornado(
    result: ValuationResult, formatter: Formatter, language: Language
) -> tuple[Markup | None, tuple[TornadoRow, ...]]:
    if result.tornado is None:
        return None, ()
    rows, bars = [], []
    for bar in result.tornado.bars:
        show = formatter.years if bar.name == LIFE_INPUT else formatter.percent
        row = TornadoRow(
            label=tornado_input(language, bar.name),
            low=show(bar.low_input),
            high=show(bar.high_input),
            value_at_low=bar.value_at_low,
            value_at_high=bar.value_at_high,
            swing=bar.swing,
        )
        rows.append(row)
        bars.append(
            charts.SensitivityBar(
                row.label,
                f"{row.low} – {row.high}",
                bar.value_at_low.amount,
                bar.value_at_high.amount,
            )
        )
    title = gettext_for(language, N_("Sensitivity of the income value (tornado)"))
    svg = charts.tornado(bars, result.tornado.base_value.amount, formatter=formatter, title=title)
    return svg, tuple(rows)


def _distribution(
    appraisal: PatentAppraisal, formatter: Formatter, language: Language
) -> Markup | None:
    spread = appraisal.result.value_range
    if spread is None or appraisal.draws is None:
        return None
    markers = [
        charts.Marker("P10", spread.p10.amount),
        charts.Marker("P50", spread.p50.amount, strong=True),
        charts.Marker("P90", spread.p90.amount),
    ]
    title = gettext_for(language, N_("Distribution of the income value (Monte Carlo)"))
    return charts.distribution(appraisal.draws, markers, formatter=formatter, title=title)


def _levels(result: ValuationResult) -> tuple[LevelGroup, ...]:
    nodes = indicator_tree().nodes
    return tuple(
        LevelGroup(
            first,
            tuple(s for s in result.score.levels if nodes[s.code].parent == first.code),
        )
        for first in result.score.first_level
    )


def _weight_reasons(result: ValuationResult, formatter: Formatter) -> tuple[Notice, ...]:
    """Why each approach got its weight: not applied, corroboration only, the only one, the
    default weight renormalised over the approaches applied, or a weight given instead."""
    defaults = default_weights()
    lines = result.reconciliation.lines
    applied = [line for line in lines if line.value is not None]
    total = sum((defaults.get(line.approach, Decimal(0)) for line in applied), Decimal(0))
    reasons = []
    for line in lines:
        default = defaults.get(line.approach, Decimal(0))
        values = {"default": formatter.percent(default), "weight": formatter.percent(line.weight)}
        if line.value is None:
            reasons.append(Notice(wording.WEIGHT_NOT_APPLIED, {}))
        elif line.weight == 0:
            reasons.append(Notice(wording.WEIGHT_CORROBORATION, values))
        elif line.weight == 1 and default == 0:
            reasons.append(Notice(wording.WEIGHT_ONLY, {}))
        elif total > 0 and abs(default / total - line.weight) < WEIGHT_QUANTUM:
            reasons.append(Notice(wording.WEIGHT_DEFAULT, values))
        else:
            reasons.append(Notice(wording.WEIGHT_GIVEN, values))
    return tuple(reasons)


def _patent_view(
    key: str,
    appraisal: PatentAppraisal,
    value_type: ValueType,
    formatter: Formatter,
    language: Language,
) -> PatentView:
    result = appraisal.result
    formulas = {step.name.split(" ", 1)[0]: step.formula for step in result.score.audit.steps}
    svg, rows = _tornado(result, formatter, language)
    return PatentView(
        key=key,
        patent=appraisal.patent,
        financials=appraisal.financials,
        result=result,
        owners=names(language, [o.name for o in appraisal.patent.owners]),
        legal_status=appraisal.patent.legal_status_at(result.base_date),
        conclusion=_conclusion(result, value_type),
        levels=_levels(result),
        assessed=tuple(
            ScoreRow(i, formulas.get(i.code, ""))
            for i in result.score.indicators
            if i.basis is not ScoringBasis.DEFAULT
        ),
        not_assessed=len(result.score.codes(ScoringBasis.DEFAULT)),
        criteria_met=tuple(c.criterion.value for c in result.high_value.criteria if c.met),
        weight_reasons=_weight_reasons(result, formatter),
        distribution=_distribution(appraisal, formatter, language),
        tornado=svg,
        tornado_rows=rows,
    )


def _sum(amounts: Iterable[Money | None]) -> Money:
    return total([a for a in amounts if a is not None])


def _approaches(results: list[ValuationResult]) -> tuple[ApproachUse, ...]:
    defaults = default_weights()
    uses = []
    for approach in Approach:
        lines = [
            line for r in results for line in r.reconciliation.lines if line.approach == approach
        ]
        uses.append(
            ApproachUse(
                approach=approach,
                applied=sum(line.value is not None for line in lines),
                default_weight=defaults.get(approach, Decimal(0)),
            )
        )
    return tuple(uses)


def _constants(results: list[ValuationResult]) -> tuple[SourceGroup, ...]:
    """Every constant cited by a result, its Monte Carlo range or its tornado, by source."""
    seen: dict[tuple[str, Decimal, str], CitedConstant] = {}
    texts: dict[str, str] = {}
    for result in results:
        parts: list[Citations] = [result.audit]
        parts += [x.audit for x in (result.value_range, result.tornado) if x is not None]
        parts += [result.market] if result.market is not None else []
        for part in parts:
            texts.update(part.sources)
            for constant in part.constants:
                seen.setdefault((constant.name, constant.value, constant.source_id), constant)
    groups: dict[str, list[CitedConstant]] = {}
    for constant in seen.values():
        groups.setdefault(constant.source_id, []).append(constant)
    return tuple(
        _group(source_id, texts[source_id], cited) for source_id, cited in sorted(groups.items())
    )


def _market_models(results: list[ValuationResult]) -> tuple[MarketValue, ...]:
    """The market figure of the first patent of each market model (by identifier or label)."""
    seen: dict[str, MarketValue] = {}
    for result in results:
        if result.market is not None:
            seen.setdefault(result.market.model_id or result.market.model, result.market)
    return tuple(seen.values())


def _shared_prefix(names: list[str]) -> str:
    """The dotted start all ``names`` share, with its dot (``weight.pledge.``); "" for one."""
    if len(names) < 2:
        return ""
    parts = [name.split(".")[:-1] for name in names]
    shared: list[str] = []
    for column in zip(*parts, strict=False):
        if len(set(column)) > 1:
            break
        shared.append(column[0])
    return "".join(f"{part}." for part in shared)


def _group(source_id: str, source: str, cited: list[CitedConstant]) -> SourceGroup:
    ordered = sorted(cited, key=lambda c: c.name)
    prefix = _shared_prefix([c.name for c in ordered])
    known = DATA_FILES.sources().get(source_id)
    return SourceGroup(
        source_id=source_id,
        source=source,
        prefix=prefix,
        entries=tuple((c.name.removeprefix(prefix), c) for c in ordered),
        checked=known is None or known.checked,
        to_check="" if known is None else known.to_check,
    )


def _chart(patents: tuple[PatentView, ...], formatter: Formatter, language: Language) -> Markup:
    valued = [p for p in patents if p.conclusion is not None]
    largest = sorted(valued, key=lambda p: p.conclusion.amount if p.conclusion else 0)[::-1]
    shown = largest[:CHART_PATENTS]
    title = gettext_for(language, N_("Value of the patents, largest first"))
    return charts.bars(
        [p.patent.number.patent_number for p in shown],
        [p.conclusion.amount for p in shown if p.conclusion is not None],
        formatter=formatter,
        title=title,
    )


def _ended(patent: PatentView, formatter: Formatter, language: Language) -> Notice | None:
    """The special matter of a patent not in force at the base date, if it is one."""
    status, at = patent.legal_status, patent.result.base_date
    if status in ALIVE:
        return None
    number = patent.patent.number.patent_number
    if status is LegalStatus.EXPIRED and patent.patent.legal_status is not status:
        return Notice(
            wording.TERM_ENDED,
            {
                "number": number,
                "day": formatter.date(patent.patent.expiry_date),
                "base": formatter.date(at),
            },
        )
    return Notice(wording.NOT_IN_FORCE, {"number": number, "status": label(language, status)})


def _disagreement(patent: PatentView, formatter: Formatter, language: Language) -> Notice | None:
    """The special matter of a patent whose weighed approaches disagree
    (:func:`valuation.reconcile.divergence`), if they do."""
    lines = patent.result.reconciliation.lines
    found = divergence({x.approach: x.value for x in lines}, {x.approach: x.weight for x in lines})
    if found is None:
        return None
    factor = found.factor

    def named(approach: Approach) -> str:  # inside a sentence: lower case in English
        name = label(language, approach)
        return name.lower() if language is Language.EN else name

    return Notice(
        wording.APPROACHES_DISAGREE,
        {
            "number": patent.patent.number.patent_number,
            "high": named(found.high),
            "high_value": formatter.money(found.high_value),
            "low": named(found.low),
            "low_value": formatter.money(found.low_value),
            "factor": "∞" if factor is None else formatter.number(factor, "#,##0.0"),
            "limit": formatter.step(found.limit),
        },
    )


def _dated(sources: tuple[SourceGroup, ...], base_date: date, formatter: Formatter) -> list[Notice]:
    """A special matter for each constant cited whose stated year (``constant_dates.csv``) is
    more than the tolerance from the base date's year: it was not updated to the base date."""
    years = {row["name"]: int(row["as_of_year"]) for row in read_table("constant_dates")}
    tolerance = dated_constant_tolerance()
    found = []
    for group in sources:
        for _, constant in group.entries:
            year = years.get(constant.name)
            if year is not None and abs(base_date.year - year) > tolerance:
                values = {
                    "name": constant.name,
                    "value": formatter.step(constant.value),
                    "source": constant.source_id,
                    "year": str(year),
                    "base": formatter.date(base_date),
                }
                found.append(Notice(wording.DATED_CONSTANT, values))
    return found


def _notices(
    patents: tuple[PatentView, ...],
    sources: tuple[SourceGroup, ...],
    base_date: date,
    formatter: Formatter,
    language: Language,
) -> tuple[Notice, ...]:
    """The special matters the figures call for: the patents not in force, in their order,
    the patents whose approaches disagree, then the constants not updated to the base date."""
    found = [n for n in (_ended(p, formatter, language) for p in patents) if n is not None]
    apart = [n for n in (_disagreement(p, formatter, language) for p in patents) if n]
    return (*found, *apart, *_dated(sources, base_date, formatter))


def appraisal_view(report: AppraisalReport, language: Language) -> AppraisalView:
    """The report laid out for the template (after :meth:`AppraisalReport.check`)."""
    report.check()
    info = report.info
    value_type, base_date = info.value_type, info.base_date
    if value_type is None or base_date is None:  # refused by check(); narrows the types
        raise ReportError("the report has no value type or base date")
    formatter = Formatter(language)
    patents = tuple(
        _patent_view(f"A.{i}", a, value_type, formatter, language)
        for i, a in enumerate(report.appraisals, start=1)
    )
    results = [a.result for a in report.appraisals]
    book = policy_book()
    months = min(
        book.for_type(info.lender, a.patent.patent_type).validity for a in report.appraisals
    )
    spreads = [r.value_range for r in results if r.value_range is not None]
    ended = [p.patent.number.patent_number for p in patents if p.legal_status not in ALIVE]
    valid_until = valuation_valid_until(base_date, months)
    sources = _constants(results)
    return AppraisalView(
        info=info,
        report_number=report.report_number,
        input_hash=report.input_hash,
        base_date=base_date,
        value_type=value_type,
        patents=patents,
        totals=Totals(
            value=_sum(r.value for r in results),
            realisable_value=_sum(r.pledge.realisable_value for r in results if r.pledge),
            max_loan=_sum(r.pledge.max_loan for r in results if r.pledge),
            conclusion=_sum(p.conclusion for p in patents),
        ),
        approaches=_approaches(results),
        high_value_count=sum(r.high_value.is_high_value for r in results),
        validity_months=months,
        valid_until=valid_until,
        out_of_date=info.report_date > valid_until,
        draws=spreads[0].draws if spreads else None,
        seed=spreads[0].seed if spreads else None,
        income_applied=any(r.income is not None for r in results),
        engine_versions=tuple(sorted({r.audit.engine_version for r in results})),
        market_models=_market_models(results),
        sources=sources,
        chart=_chart(patents, formatter, language) if len(patents) > 1 else None,
        not_in_force=names(language, ended) if ended else "",
        notices=_notices(patents, sources, base_date, formatter, language),
    )


def render_appraisal(
    report: AppraisalReport,
    language: Language = DEFAULT_LANGUAGE,
    *,
    working_papers: bool = True,
) -> str:
    """The report's HTML in ``language``; refused (:class:`reports.info.ReportError`) when a
    required part is empty.

    ``working_papers=False`` leaves out Annex A (the per-patent working papers), for portfolios
    whose full report would run to hundreds of pages; the body and Annex B stay.
    """
    view = appraisal_view(report, language)
    return render_html(
        TEMPLATE, language, report=view, wording=wording, working_papers=working_papers
    )

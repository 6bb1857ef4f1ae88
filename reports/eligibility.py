"""The eligibility certificate (质押融资资格预审证明) of an enterprise's patents for a loan.

:func:`check_eligibility` runs the pledge pre-check of :func:`pledge.eligibility.check_portfolio`
on the patents of a file (read by :mod:`reports.patent_rows`): a verdict per patent, its findings
with reasons and fixes in Chinese and English (the pledge catalogue's own texts), the findings on
the loan as a whole, the rules left unchecked, and an indicative loan amount. A patent with no
appraised value in the file is valued by the engine at the check date for that indication (and the
certificate says so). :func:`render_certificate` writes the certificate as HTML.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from models.patent import Patent
from pledge.eligibility import EligibilityResult, PortfolioResult, check_portfolio
from pledge.findings import Finding
from pledge.policy import DEFAULT_LENDER, PatentValuation
from pledge.proposal import ProposedLoan
from reports import wording
from reports.i18n import DEFAULT_LANGUAGE, Language
from reports.patent_rows import PatentRow
from reports.rendering import render_html
from valuation.audit import input_hash
from valuation.engine import Financials, value_patent
from valuation.features import FittedModel

TEMPLATE = "reports/eligibility.html"
NUMBER_PREFIX = "PC"
HASH_DIGITS = 8


@dataclass(frozen=True, slots=True)
class PatentCheck:
    """One patent's verdict, with the valuation its indicative loan rests on."""

    patent: Patent
    result: EligibilityResult
    valuation: PatentValuation | None
    valued_by_engine: bool


@dataclass(frozen=True, slots=True)
class EligibilityCertificate:
    """The pre-check of an enterprise's patents for one proposed loan, as of a date."""

    loan: ProposedLoan
    as_of: date
    portfolio: PortfolioResult
    patents: tuple[PatentCheck, ...]
    number: str

    @property
    def default_lender(self) -> bool:
        """Whether the loan is checked against the default policy rather than a named lender's."""
        return self.loan.lender == DEFAULT_LENDER

    @property
    def any_valued_by_engine(self) -> bool:
        return any(p.valued_by_engine for p in self.patents)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """The findings on the loan as a whole that stop the registration."""
        return tuple(f for f in self.portfolio.findings if f.blocks)


def engine_valuation(
    patent: Patent, financials: Financials, at: date, model: FittedModel | None = None
) -> PatentValuation:
    """The engine's value of ``patent`` at ``at``, for an indicative loan (not an appraisal)."""
    return PatentValuation.from_result(value_patent(patent, financials, base_date=at, model=model))


def check_eligibility(
    rows: Sequence[PatentRow],
    loan: ProposedLoan,
    at: date,
    *,
    live_pledges: Sequence[str] = (),
    model: FittedModel | None = None,
    number: str | None = None,
) -> EligibilityCertificate:
    """Pre-check the patents of ``rows`` as the collateral of ``loan``, as of ``at``.

    A row without an appraised value is valued by the engine at ``at`` for the indicative loan.
    ``number`` as :func:`certify`'s.
    """
    valuations: list[PatentValuation] = []
    engine: set[str] = set()
    for row in rows:
        if row.valuation is not None:
            valuations.append(row.valuation)
            continue
        valued = engine_valuation(row.patent, row.financials, at, model)
        valuations.append(valued)
        engine.add(valued.patent_number)
    patents = [row.patent for row in rows]
    portfolio = check_portfolio(patents, loan, at, valuations=valuations, live_pledges=live_pledges)
    return certify(portfolio, patents, valuations, engine=engine, number=number)


def certify(
    portfolio: PortfolioResult,
    patents: Sequence[Patent],
    valuations: Sequence[PatentValuation],
    *,
    engine: Collection[str] = (),
    number: str | None = None,
) -> EligibilityCertificate:
    """The certificate of the pre-check ``portfolio`` of ``patents`` (in its order), whose
    indicative loans rest on ``valuations`` (those of the numbers ``engine`` valued by the engine
    for the check). ``number`` defaults to ``PC-<date>-<8 hex digits of the inputs' hash>``."""
    loan, at = portfolio.loan, portfolio.as_of
    by_number = {v.patent_number: v for v in valuations}
    checks = tuple(
        PatentCheck(
            patent=patent,
            result=result,
            valuation=by_number.get(result.patent_number),
            valued_by_engine=result.patent_number in engine,
        )
        for patent, result in zip(patents, portfolio.patents, strict=True)
    )
    if number is None:
        digest = input_hash(loan, at, list(patents), list(valuations))
        number = f"{NUMBER_PREFIX}-{at:%Y%m%d}-{digest.removeprefix('sha256:')[:HASH_DIGITS]}"
    return EligibilityCertificate(loan, at, portfolio, checks, number)


def render_certificate(
    certificate: EligibilityCertificate, language: Language = DEFAULT_LANGUAGE
) -> str:
    """The certificate's HTML in ``language``."""
    return render_html(TEMPLATE, language, certificate=certificate, wording=wording)

"""HTTP shapes of the pledge pre-check: a proposed loan, and the findings per patent."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas.common import Day, MoneyIn, MoneyRead, PartyId, PatentNumbers, Strict
from models.money import Money
from pledge.eligibility import EligibilityResult, PortfolioResult
from pledge.findings import Code, Finding, Severity
from pledge.policy import PatentValuation
from pledge.proposal import ContractTerms, ProposedLoan, Unchecked


class ContractIn(Strict):
    """The items the pledge contract states (a missing one is a CONTRACT_INCOMPLETE finding)."""

    pledgor: Annotated[str, Field(max_length=200)] | None = None
    pledgee: Annotated[str, Field(max_length=200)] | None = None
    secured_amount: MoneyIn | None = None
    term_months: Annotated[int, Field(ge=1, le=360)] | None = None
    patents: Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=200)] = []
    scope: Annotated[str, Field(max_length=500)] | None = None


class ProposedLoanIn(Strict):
    """The loan the patents are to secure."""

    amount: MoneyIn
    term_months: Annotated[int, Field(ge=1, le=360)]
    lender: PartyId | None = Field(
        default=None,
        description="The lender whose policy applies (a bank's party id); default: the calling "
        "bank, or the default policy.",
    )
    start: Day | None = None
    contract: ContractIn | None = None
    forfeiture_clause: bool = False
    acknowledged: Annotated[list[Code], Field(max_length=20)] = []

    def proposed(self, pledgor: str, lender: str, lender_name: str | None = None) -> ProposedLoan:
        """The pre-check's proposed loan, pledged by ``pledgor`` (a name) to ``lender`` (named
        ``lender_name`` in the findings)."""
        contract = None
        if self.contract is not None:
            terms = self.contract.model_dump(exclude={"secured_amount"})
            secured = self.contract.secured_amount
            contract = ContractTerms.model_validate(
                {**terms, "secured_amount": None if secured is None else secured.money()}
            )
        return ProposedLoan(
            amount=self.amount.money(),
            term_months=self.term_months,
            pledgor=pledgor,
            lender=lender,
            lender_name=lender_name,
            start=self.start,
            contract=contract,
            forfeiture_clause=self.forfeiture_clause,
            acknowledged=frozenset(self.acknowledged),
        )


class EligibilityCreate(Strict):
    """Pre-check one registered patent or a list of them against a proposed loan."""

    patents: PatentNumbers
    loan: ProposedLoanIn
    as_of: Day
    pledgor: PartyId | None = Field(
        default=None,
        description="Who pledges (a party id); an enterprise pledges for itself, a bank names "
        "the enterprise.",
    )


class FindingRead(BaseModel):
    code: Code
    severity: Severity
    field: str
    message_zh: str
    message_en: str
    fix_zh: str
    fix_en: str
    amount: MoneyRead | None = None

    @classmethod
    def of(cls, finding: Finding) -> FindingRead:
        """The HTTP shape of a finding."""
        return cls(
            code=finding.code,
            severity=finding.severity,
            field=finding.field,
            message_zh=finding.message_zh,
            message_en=finding.message_en,
            fix_zh=finding.fix_zh,
            fix_en=finding.fix_en,
            amount=MoneyRead.maybe(finding.amount),
        )


class PatentEligibilityRead(BaseModel):
    patent_number: str
    eligible: bool
    findings: list[FindingRead]
    value: MoneyRead | None = Field(
        description="The value the indicative loan rests on: the latest stored appraisal the "
        "relying party asked for (the caller; for a pledge's pre-check, the pledgee) or one made "
        "outside the service, else the engine's (see valued_by_engine)."
    )
    valued_by_engine: bool = Field(
        description="No such appraisal: the engine valued the patent at the check date from "
        "its registered record, for this indication only; that figure is not an appraisal."
    )
    indicative_max_loan: MoneyRead | None
    not_checked: list[Unchecked]

    @classmethod
    def of(
        cls, result: EligibilityResult, value: Money | None, valued_by_engine: bool
    ) -> PatentEligibilityRead:
        """The HTTP shape of one patent's pre-check."""
        return cls(
            patent_number=result.patent_number,
            eligible=result.eligible,
            findings=[FindingRead.of(f) for f in result.findings],
            value=MoneyRead.maybe(value),
            valued_by_engine=valued_by_engine,
            indicative_max_loan=MoneyRead.maybe(result.indicative_max_loan),
            not_checked=list(result.not_checked),
        )


class EligibilityRead(BaseModel):
    """The verdict: eligible when no finding blocks, with an indicative maximum loan."""

    as_of: date
    lender: str
    pledgor: str
    eligible: bool
    patent_count: int
    eligible_count: int
    appraised_total: MoneyRead | None = Field(
        description="The appraised value of the patents that can be pledged, the LTV's base: a "
        "patent a registration ground blocks (lapsed, not the pledgor's, already pledged, …) "
        "counts nothing; each patent's own value is under patents. Null when a patent has none."
    )
    indicative_max_loan: MoneyRead | None
    ltv: str | None
    ltv_cap: str | None
    fits_policy: bool | None
    findings: list[FindingRead]
    patents: list[PatentEligibilityRead]
    not_checked: list[Unchecked]

    @classmethod
    def of(
        cls,
        result: PortfolioResult,
        valuations: Sequence[PatentValuation] = (),
        engine: Collection[str] = (),
    ) -> EligibilityRead:
        """The HTTP shape of a portfolio pre-check whose indicative loans rest on
        ``valuations`` (those of the numbers ``engine`` valued by the engine)."""
        ltv = result.ltv
        values = {v.patent_number: v.value for v in valuations}
        return cls(
            as_of=result.as_of,
            lender=result.lender,
            pledgor=result.loan.pledgor,
            eligible=result.eligible,
            patent_count=result.patent_count,
            eligible_count=result.eligible_count,
            appraised_total=MoneyRead.maybe(result.appraised_total),
            indicative_max_loan=MoneyRead.maybe(result.indicative_max_loan),
            ltv=None if ltv is None or ltv.ltv is None else str(ltv.ltv),
            ltv_cap=None if ltv is None or ltv.cap is None else str(ltv.cap),
            fits_policy=result.fits_policy,
            findings=[FindingRead.of(f) for f in result.findings],
            patents=[
                PatentEligibilityRead.of(p, values.get(p.patent_number), p.patent_number in engine)
                for p in result.patents
            ],
            not_checked=list(result.not_checked),
        )

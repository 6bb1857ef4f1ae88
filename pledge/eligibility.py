"""Pledge pre-check: can these patents secure this loan, and if not, why and how to fix it.

Every ground on which CNIPA refuses a pledge registration (docs/DOMAIN.md §4) is checked under its
own :class:`~pledge.findings.Code`, plus the lender's policy (term, valuation validity, LTV).
Checks run as of a date ``at``:

* ownership — the pledgor must be a registered patentee (names compared after trimming spaces);
  a co-owned patent needs every other co-owner's consent;
* status — an application (pending, withdrawn, rejected, or granted after ``at``) is
  ``NOT_GRANTED``; a lapsed, expired, invalidated or surrendered patent, or one whose term has ended
  by ``at``, is ``PATENT_NOT_IN_FORCE``;
* fees (CN patents in force whose ``fees_paid_through_year`` is known) — the first unpaid patent
  year's fee falls due on ``Patent.fee_due_date``; unpaid for the whole grace window
  (``models.rules.grace_months``) it is ``FEE_UNPAID``, inside it ``FEE_IN_GRACE`` with the
  surcharge of its month (``models.patent.late_surcharge``);
* ``SUSPENDED_OR_PRESERVED`` while an ownership dispute is open or on any day up to
  ``preservation_until``; ``TERM_EXCEEDS_PATENT_LIFE`` when the loan (from ``start``, default
  ``at``) ends after the patent expires;
* the contract's required items, the patent's place in its list, a forfeiture clause (void,
  a warning), a live pledge on the patent, the soft dual-filing and pending-invalidation warnings
  (cleared by an acknowledgement), and the lender's term cap, valuation validity and LTV cap
  (:mod:`pledge.policy`).

A rule whose input is absent is not guessed: the result lists it under ``not_checked``.
A patent with a valuation gets an indicative maximum loan: the lower of its appraised value times
the lender's cap and the appraisal's own maximum loan, zero when a finding blocks it. A list's LTV
test weighs the loan against the appraised values of the patents that can be pledged: those no
finding blocks other than the lender's policy (:data:`POLICY_CODES`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, model_validator

from models import rules
from models.dates import add_months, months_elapsed
from models.enums import LegalStatus, PatentType
from models.money import Money, total
from models.patent import Patent, RuleError, late_surcharge
from pledge.findings import Code, Finding, Wording, finding, order, percent
from pledge.policy import (
    DEFAULT_LENDER,
    LtvCheck,
    PatentValuation,
    PolicyBook,
    TypePolicy,
    check_ltv,
    policy_book,
    valuation_valid_until,
)
from pledge.proposal import ProposedLoan, Unchecked, normalise_number

NOT_GRANTED_STATUS = {
    LegalStatus.PENDING: "pending",
    LegalStatus.WITHDRAWN: "withdrawn",
    LegalStatus.REJECTED: "rejected",
}
ENDED_STATUS = {
    LegalStatus.LAPSED: "lapsed",
    LegalStatus.EXPIRED: "expired",
    LegalStatus.INVALIDATED: "invalidated",
    LegalStatus.SURRENDERED: "surrendered",
}
FEE_JURISDICTION = "CN"
DUAL_TYPES = frozenset({PatentType.INVENTION, PatentType.UTILITY_MODEL})


class EligibilityResult(BaseModel):
    """The pre-check of one patent: eligible when no finding blocks."""

    model_config = ConfigDict(frozen=True)

    patent_number: str
    as_of: date
    lender: str
    eligible: bool
    findings: tuple[Finding, ...]
    indicative_max_loan: Money | None = None
    not_checked: tuple[Unchecked, ...] = ()

    @model_validator(mode="after")
    def _eligible_iff_no_block(self) -> EligibilityResult:
        if self.eligible == any(f.blocks for f in self.findings):
            raise ValueError("eligible must be true exactly when no finding blocks")
        return self

    @property
    def codes(self) -> tuple[Code, ...]:
        """The codes of the findings, in catalogue order."""
        return tuple(f.code for f in self.findings)


class PortfolioResult(BaseModel):
    """The pre-check of a list of patents against one loan, with totals and the LTV test."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    lender: str
    loan: ProposedLoan
    patents: tuple[EligibilityResult, ...]
    findings: tuple[Finding, ...]  # on the loan as a whole
    eligible: bool
    patent_count: int
    eligible_count: int
    appraised_total: Money | None
    indicative_max_loan: Money | None
    ltv: LtvCheck | None
    fits_policy: bool | None
    not_checked: tuple[Unchecked, ...]


def _ownership(patent: Patent, pledgor: str) -> Iterable[Finding]:
    names = tuple(dict.fromkeys(o.name.strip() for o in patent.owners))
    if not names:
        yield finding(Code.PLEDGOR_NOT_REGISTERED_OWNER, "no_owners", pledgor=pledgor)
        return
    if pledgor not in names:
        yield finding(Code.PLEDGOR_NOT_REGISTERED_OWNER, pledgor=pledgor, owners=names)
    consenting = {o.name.strip() for o in patent.owners if o.consents_to_pledge}
    missing = tuple(sorted(n for n in names if n != pledgor and n not in consenting))
    if len(names) > 1 and missing:
        yield finding(Code.COOWNER_CONSENT_MISSING, coowners=missing)


def _fees(patent: Patent, at: date) -> Iterable[Finding]:
    paid = patent.fees_paid_through_year
    if paid is None or paid >= patent.patent_year(at):
        return
    year = paid + 1
    due = patent.fee_due_date(year)
    window_end = add_months(due, rules.grace_months()) - timedelta(days=1)
    if at > window_end:
        yield finding(Code.FEE_UNPAID, year=year, due=due, window_end=window_end)
        return
    month = months_elapsed(due, at) + 1
    fee = patent.annual_fee(year)
    surcharge = late_surcharge(fee, month)
    yield finding(
        Code.FEE_IN_GRACE,
        amount=surcharge,
        year=year,
        fee=fee,
        due=due,
        month=month,
        surcharge=surcharge,
        window_end=window_end,
    )


def _status(patent: Patent, loan: ProposedLoan, at: date) -> tuple[list[Finding], bool]:
    """Status findings, and whether fee rules could be applied."""
    status = patent.legal_status
    if status in NOT_GRANTED_STATUS:
        return [finding(Code.NOT_GRANTED, NOT_GRANTED_STATUS[status])], True
    if status in ENDED_STATUS:
        return [finding(Code.PATENT_NOT_IN_FORCE, ENDED_STATUS[status])], True
    grant = patent.grant_date
    if grant is not None and grant > at:
        return [finding(Code.NOT_GRANTED, "granted_later", grant_date=grant, as_of=at)], True
    expiry = patent.expiry_date
    if at >= expiry:
        return [finding(Code.PATENT_NOT_IN_FORCE, "term_ended", expiry=expiry)], True
    found: list[Finding] = []
    if loan.end(at) > expiry:
        found.append(finding(Code.TERM_EXCEEDS_PATENT_LIFE, loan_end=loan.end(at), expiry=expiry))
    if patent.jurisdiction != FEE_JURISDICTION or patent.fees_paid_through_year is None:
        return found, False
    try:
        found.extend(_fees(patent, at))
    except RuleError:
        return found, False
    return found, True


def patent_findings(
    patent: Patent,
    loan: ProposedLoan,
    at: date,
    *,
    policy: TypePolicy,
    valuation: PatentValuation | None = None,
    already_pledged: bool = False,
    dual_filing: bool = False,
) -> tuple[list[Finding], list[Unchecked]]:
    """The findings on ``patent`` itself (not on the loan as a whole), and what went unchecked."""
    number = patent.number.patent_number
    pledgor = loan.pledgor.strip()
    found = list(_ownership(patent, pledgor))
    status, fees_checked = _status(patent, loan, at)
    found += status
    unchecked = [] if fees_checked else [Unchecked.FEES]
    if patent.ownership_dispute:
        found.append(finding(Code.SUSPENDED_OR_PRESERVED, "dispute"))
    if patent.preservation_until is not None and at <= patent.preservation_until:
        found.append(
            finding(Code.SUSPENDED_OR_PRESERVED, "preservation", until=patent.preservation_until)
        )
    contract = loan.contract
    if contract is not None and contract.patents and number not in contract.patents:
        found.append(finding(Code.CONTRACT_INCOMPLETE, "patent_not_listed", patent=number))
    if already_pledged:
        found.append(finding(Code.ALREADY_PLEDGED, patent=number))
    if dual_filing and Code.DUAL_FILING_ACK_REQUIRED not in loan.acknowledged:
        found.append(finding(Code.DUAL_FILING_ACK_REQUIRED))
    acknowledged = Code.INVALIDATION_PENDING_ACK_REQUIRED in loan.acknowledged
    if patent.invalidation_pending and not acknowledged:
        found.append(finding(Code.INVALIDATION_PENDING_ACK_REQUIRED))
    if loan.term_months > policy.max_term:
        found.append(
            finding(
                Code.TERM_EXCEEDS_POLICY,
                term=loan.term_months,
                lender=whose_policy(policy.max_term_months.lender, loan),
                max_term=policy.max_term,
            )
        )
    if valuation is None:
        unchecked.append(Unchecked.VALUATION)
    elif at > (until := valuation_valid_until(valuation.base_date, policy.validity)):
        found.append(
            finding(
                Code.VALUATION_EXPIRED,
                base_date=valuation.base_date,
                lender=whose_policy(policy.valuation_validity_months.lender, loan),
                validity=policy.validity,
                valid_until=until,
            )
        )
    return found, unchecked


DEFAULT_POLICY = Wording(zh="默认贷款人政策", en="the default lender policy")
"""How a finding names the policy of a lender without rows of its own for the setting."""


def whose_policy(owner: str, loan: ProposedLoan) -> Wording:
    """How a finding names the lender whose policy rows gave a setting (``owner``): the loan's
    lender by name, or the default policy that applied in its place."""
    if owner == DEFAULT_LENDER:
        return DEFAULT_POLICY
    name = loan.lender_name or loan.lender
    return Wording(zh=name, en=name)


POLICY_CODES = frozenset(
    {Code.TERM_EXCEEDS_POLICY, Code.VALUATION_EXPIRED, Code.LTV_EXCEEDS_POLICY}
)
"""Blocks of the lender's policy: the patent can be pledged once the loan's terms or the appraisal
change, so its value still counts toward the LTV test."""


def can_be_pledged(findings: Iterable[Finding]) -> bool:
    """No finding other than the lender's policy blocks the patent."""
    return not any(f.blocks and f.code not in POLICY_CODES for f in findings)


def loan_findings(
    loan: ProposedLoan, ltv: LtvCheck | None, *, any_pledgeable: bool = True
) -> tuple[list[Finding], list[Unchecked]]:
    """The findings on the loan as a whole: contract items, forfeiture clause, LTV.

    When no patent can be pledged (``any_pledgeable`` false) their own findings say why, and
    the LTV test, weighing the loan against nothing, adds no finding.
    """
    found: list[Finding] = []
    unchecked: list[Unchecked] = []
    if loan.contract is None:
        unchecked.append(Unchecked.CONTRACT)
    else:
        found += [finding(Code.CONTRACT_INCOMPLETE, item) for item in loan.contract.missing()]
    if loan.forfeiture_clause:
        found.append(finding(Code.FORFEITURE_CLAUSE))
    if ltv is None:
        unchecked.append(Unchecked.VALUATION)
    elif not any_pledgeable or ltv.within:
        pass
    elif ltv.appraised_total.amount == 0:  # pledgeable patents, all appraised at nothing
        found.append(finding(Code.LTV_EXCEEDS_POLICY, "no_collateral", loan_amount=loan.amount))
    else:
        found.append(
            finding(
                Code.LTV_EXCEEDS_POLICY,
                loan_amount=loan.amount,
                appraised=ltv.appraised_total,
                ltv="—" if ltv.ltv is None else percent(ltv.ltv),
                lender=whose_policy(ltv.cap_lender, loan),
                cap="—" if ltv.cap is None else percent(ltv.cap),
                max_loan=ltv.policy_max_loan,
            )
        )
    return found, unchecked


def _result(
    patent: Patent,
    loan: ProposedLoan,
    at: date,
    findings: list[Finding],
    unchecked: Iterable[Unchecked],
    valuation: PatentValuation | None,
    policy: TypePolicy,
) -> EligibilityResult:
    eligible = not any(f.blocks for f in findings)
    max_loan = None
    if valuation is not None:
        max_loan = valuation.value * policy.cap
        if valuation.max_loan is not None:
            max_loan = min(max_loan, valuation.max_loan)
        max_loan = max_loan if eligible else Money.zero(max_loan.currency)
    return EligibilityResult(
        patent_number=patent.number.patent_number,
        as_of=at,
        lender=loan.lender,
        eligible=eligible,
        findings=tuple(sorted(findings, key=order)),
        indicative_max_loan=max_loan,
        not_checked=tuple(sorted(set(unchecked), key=list(Unchecked).index)),
    )


def check_patent(
    patent: Patent,
    loan: ProposedLoan,
    at: date,
    *,
    valuation: PatentValuation | None = None,
    live_pledges: Iterable[str] = (),
    dual_filings: Iterable[str] = (),
    book: PolicyBook | None = None,
) -> EligibilityResult:
    """Pre-check one patent as the sole collateral of ``loan``, as of ``at``.

    ``live_pledges`` and ``dual_filings`` are patent numbers already in a live pledge, and known
    to have a same-day twin filing. Findings on the loan as a whole are included.
    """
    book = book or policy_book()
    policy = book.for_type(loan.lender, patent.patent_type)
    number = patent.number.patent_number
    if valuation is not None and valuation.patent_number != number:
        raise ValueError(f"the valuation of {valuation.patent_number} does not belong to {number}")
    found, unchecked = patent_findings(
        patent,
        loan,
        at,
        policy=policy,
        valuation=valuation,
        already_pledged=number in {normalise_number(n) for n in live_pledges},
        dual_filing=number in {normalise_number(n) for n in dual_filings},
    )
    pledgeable = can_be_pledged(found)
    ltv = None
    if valuation is not None:
        ltv = check_ltv(loan.amount, [valuation] if pledgeable else [], loan.lender, book)
    more, more_unchecked = loan_findings(loan, ltv, any_pledgeable=pledgeable)
    return _result(patent, loan, at, found + more, unchecked + more_unchecked, valuation, policy)


def same_day_twins(patents: Sequence[Patent]) -> frozenset[str]:
    """Patents of the list filed on one day by the same owners as invention and utility model."""
    groups: dict[tuple[date, frozenset[str]], set[PatentType]] = {}
    for patent in patents:
        owners = frozenset(o.name.strip() for o in patent.owners)
        if owners:
            groups.setdefault((patent.filing_date, owners), set()).add(patent.patent_type)
    return frozenset(
        p.number.patent_number
        for p in patents
        if p.patent_type in DUAL_TYPES
        and groups.get((p.filing_date, frozenset(o.name.strip() for o in p.owners)), set())
        >= DUAL_TYPES
    )


def check_portfolio(
    patents: Sequence[Patent],
    loan: ProposedLoan,
    at: date,
    *,
    valuations: Mapping[str, PatentValuation] | Sequence[PatentValuation] = (),
    live_pledges: Iterable[str] = (),
    dual_filings: Iterable[str] = (),
    book: PolicyBook | None = None,
) -> PortfolioResult:
    """Pre-check a list of patents as the collateral of ``loan``, as of ``at``.

    Each patent's result holds the findings on that patent; ``findings`` holds those on the
    loan as a whole. Same-day invention / utility-model twins within the list are detected too.
    """
    if not patents:
        raise ValueError("no patents to check")
    book = book or policy_book()
    numbers = [p.number.patent_number for p in patents]
    if len(set(numbers)) != len(numbers):
        raise ValueError("a patent appears more than once in the list")
    listed = valuations.values() if isinstance(valuations, Mapping) else valuations
    by_number = {v.patent_number: v for v in listed}
    live = {normalise_number(n) for n in live_pledges}
    dual = {normalise_number(n) for n in dual_filings} | same_day_twins(patents)
    results, unchecked = [], set()
    for patent in patents:
        number = patent.number.patent_number
        policy = book.for_type(loan.lender, patent.patent_type)
        valuation = by_number.get(number)
        found, missing = patent_findings(
            patent,
            loan,
            at,
            policy=policy,
            valuation=valuation,
            already_pledged=number in live,
            dual_filing=number in dual,
        )
        unchecked |= set(missing)
        results.append(_result(patent, loan, at, found, missing, valuation, policy))
    # The loan is secured only by the patents that can be pledged: the value of a patent that a
    # registration ground blocks neither lowers the LTV nor raises the policy's maximum loan.
    ltv = None
    if all(n in by_number for n in numbers):
        pledgeable = [by_number[r.patent_number] for r in results if can_be_pledged(r.findings)]
        ltv = check_ltv(loan.amount, pledgeable, loan.lender, book)
    any_pledgeable = any(can_be_pledged(r.findings) for r in results)
    found, missing = loan_findings(loan, ltv, any_pledgeable=any_pledgeable)
    unchecked |= set(missing)
    found.sort(key=order)
    currency = loan.amount.currency
    maxima = [r.indicative_max_loan for r in results if r.indicative_max_loan is not None]
    return PortfolioResult(
        as_of=at,
        lender=loan.lender,
        loan=loan,
        patents=tuple(results),
        findings=tuple(found),
        eligible=all(r.eligible for r in results) and not any(f.blocks for f in found),
        patent_count=len(results),
        eligible_count=sum(r.eligible for r in results),
        appraised_total=None if ltv is None else ltv.appraised_total,
        indicative_max_loan=total(maxima, currency) if maxima else None,
        ltv=ltv,
        fits_policy=None if ltv is None else ltv.within,
        not_checked=tuple(u for u in Unchecked if u in unchecked),
    )

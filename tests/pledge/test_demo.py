"""The synthetic Jinhua portfolio: deterministic, valid records, the registered total it is built
around, and financings that each pass the pre-check on the day they are drafted."""

from datetime import date
from decimal import Decimal

import polars as pl

from models.parties import credit_code_check
from models.patent_number import check_character
from pledge.demo import (
    AS_OF,
    HORIZON,
    INDUSTRIES,
    REGISTERED_TOTAL,
    jinhua_portfolio,
    split_total,
)
from pledge.eligibility import check_portfolio
from pledge.policy import check_ltv
from pledge.proposal import ContractTerms, ProposedLoan
from pledge.statistics import Dimension, pledge_statistics

PORTFOLIO = jinhua_portfolio()


def test_the_same_portfolio_every_time() -> None:
    jinhua_portfolio.cache_clear()
    assert jinhua_portfolio() == PORTFOLIO


def test_the_registered_total_live_on_the_as_of_date() -> None:
    figures = pledge_statistics(PORTFOLIO.pledge_frame(AS_OF), AS_OF)
    # the figure the demo is built around: ¥1,170,000,000.00 on 2019-11-30
    assert figures["registered_amount"].to_list() == [Decimal("1170000000.00")]
    assert PORTFOLIO.registered_total == REGISTERED_TOTAL
    # the day before the last release on the date itself, and after, the totals differ
    later = pledge_statistics(PORTFOLIO.pledge_frame(HORIZON), HORIZON)
    assert later["registered_amount"][0] != REGISTERED_TOTAL.amount


def test_pledges_are_spread_over_banks_industries_and_three_years() -> None:
    frame = PORTFOLIO.pledge_frame(AS_OF)
    live = pledge_statistics(frame, AS_OF, [Dimension.INDUSTRY])
    assert set(live["industry"]) == {i.key for i in INDUSTRIES}
    assert pledge_statistics(frame, AS_OF, [Dimension.BANK]).height >= 5
    years = {f.registered_on.year for f in PORTFOLIO.financings}
    assert years == {2017, 2018, 2019}
    released = [f.released_on for f in PORTFOLIO.financings if f.released_on is not None]
    assert any(d < AS_OF for d in released)
    assert AS_OF in released
    assert any(d > AS_OF for d in released)
    assert any(f.registered_on > AS_OF for f in PORTFOLIO.financings)


def test_records_are_valid_and_labelled_synthetic() -> None:
    assert "synthetic" in PORTFOLIO.label
    for patent in PORTFOLIO.patents:
        digits, check = patent.number.application_number.split(".")
        assert check == check_character(digits)
    numbers = [p.number.patent_number for p in PORTFOLIO.patents]
    assert len(set(numbers)) == len(numbers)
    for party in PORTFOLIO.parties:
        assert party.credit_code is not None
        assert party.credit_code[17] == credit_code_check(party.credit_code[:17])
        assert "示例" in party.name


def test_every_financing_passes_its_precheck_and_policy() -> None:
    parties = {p.party_id: p for p in PORTFOLIO.parties}
    patents = {p.number.patent_number: p for p in PORTFOLIO.patents}
    for item in PORTFOLIO.financings:
        numbers = [n.patent_number for n in item.pledge.patents]
        owner = parties[item.pledge.pledgor_id].name
        loan = ProposedLoan(
            amount=item.loan.principal,
            term_months=item.loan.term_months,
            pledgor=owner,
            lender=item.pledge.pledgee_id,
            start=item.disbursed_on,
            contract=ContractTerms(
                pledgor=owner,
                pledgee=parties[item.pledge.pledgee_id].name,
                secured_amount=item.pledge.secured_amount,
                term_months=item.loan.term_months,
                patents=tuple(numbers),
                scope="本金及利息",
            ),
        )
        result = check_portfolio(
            [patents[n] for n in numbers], loan, item.drafted_on, valuations=item.valuations
        )
        assert result.eligible, (item.pledge.pledge_id, result.findings)
        assert not any(r.findings for r in result.patents), item.pledge.pledge_id
        ltv = check_ltv(item.loan.principal, list(item.valuations), item.pledge.pledgee_id)
        assert ltv.within
        assert item.drafted_on <= item.submitted_on <= item.registered_on <= item.disbursed_on
        assert item.instalments_paid == sum(r.due_date <= HORIZON for r in item.schedule().rows)


def test_lapses_and_revaluations_concern_live_financings() -> None:
    live = {
        n.patent_number
        for f in PORTFOLIO.financings
        if f.released_on is None and f.registered_on < PORTFOLIO.lapses[0].on
        for n in f.pledge.patents
    }
    assert PORTFOLIO.lapses[0].patent_number in live
    check = PORTFOLIO.revaluations[0]
    item = next(f for f in PORTFOLIO.financings if f.loan.loan_id == check.loan_id)
    owed = [r.closing_balance for r in item.schedule().rows if r.due_date <= check.on][-1]
    assert owed.amount > check.collateral_value.amount * check.ltv_limit  # a margin call


def test_split_total_is_exact_and_round() -> None:
    import random

    parts = split_total(random.Random(1), REGISTERED_TOTAL, 37)
    assert sum(p.amount for p in parts) == REGISTERED_TOTAL.amount
    assert all(p.amount % 100_000 == 0 and p.amount >= 2_000_000 for p in parts)
    assert isinstance(PORTFOLIO.pledge_frame(), pl.DataFrame)
    assert min(f.drafted_on for f in PORTFOLIO.financings) >= date(2016, 12, 1)

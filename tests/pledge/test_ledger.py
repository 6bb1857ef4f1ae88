"""Double-entry postings: balanced entries, reversals, balances and outstanding principal."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models import Money
from pledge.ledger import (
    Account,
    AccountType,
    EntryKind,
    JournalEntry,
    Leg,
    Side,
    accrue_interest,
    accrued_interest,
    balances,
    check_journal,
    disburse,
    outstanding_principal,
    repay,
    reverse,
    trial_balance,
    write_off,
)

DAY = date(2024, 3, 1)


def leg(account: Account, side: Side, amount: str, currency: str = "CNY") -> Leg:
    return Leg(account=account, side=side, amount=Money.of(amount, currency))


def nonzero(found: dict[tuple[Account, str], Money]) -> dict[tuple[Account, str], Money]:
    return {key: value for key, value in found.items() if value.amount != 0}


def test_loan_lifecycle_postings() -> None:
    entries = [
        disburse("e1", "L1", Money.of("1000000"), DAY),
        accrue_interest("e2", "L1", Money.of("3625.00"), date(2024, 4, 1)),
        repay("e3", "L1", Money.of("3625.00"), Money.of("81684.90"), date(2024, 4, 1)),
        accrue_interest("e4", "L1", Money.of("3328.89"), date(2024, 5, 1)),
    ]
    assert outstanding_principal(entries, "L1") == Money.of("918315.10")
    assert accrued_interest(entries, "L1") == Money.of("3328.89")
    found = balances(entries)
    # Cash paid out 1,000,000 and received 85,309.90: a credit balance of 914,690.10.
    assert found[Account.CASH, "CNY"] == Money.of("-914690.10")
    assert found[Account.INTEREST_INCOME, "CNY"] == Money.of("-6953.89")
    assert trial_balance(entries) == {"CNY": Money.of("0")}
    closing = write_off("e5", "L1", Money.of("918315.10"), DAY, Money.of("3328.89"))
    assert {(x.account, x.side) for x in closing.legs} == {
        (Account.CREDIT_LOSS_EXPENSE, Side.DEBIT),
        (Account.LOANS_RECEIVABLE, Side.CREDIT),
        (Account.INTEREST_RECEIVABLE, Side.CREDIT),
    }
    entries.append(closing)
    assert outstanding_principal(entries, "L1") == Money.of("0")
    assert accrued_interest(entries, "L1") == Money.of("0")
    assert balances(entries)[Account.CREDIT_LOSS_EXPENSE, "CNY"] == Money.of("921643.99")


def test_repayment_omits_a_zero_part() -> None:
    entry = repay("e1", "L1", Money.of("0"), Money.of("500"), DAY)
    assert [(x.account, x.side) for x in entry.legs] == [
        (Account.CASH, Side.DEBIT),
        (Account.LOANS_RECEIVABLE, Side.CREDIT),
    ]
    assert entry.kind is EntryKind.REPAYMENT


def test_chart_of_accounts_types() -> None:
    assert Account.LOANS_RECEIVABLE.type is AccountType.ASSET
    assert Account.INTEREST_INCOME.type is AccountType.INCOME
    assert Account.CREDIT_LOSS_EXPENSE.type is AccountType.EXPENSE
    assert all(isinstance(account.type, AccountType) for account in Account)


def entry(*legs: Leg) -> JournalEntry:
    return JournalEntry(
        entry_id="x", loan_id="L1", kind=EntryKind.DISBURSEMENT, posted_on=DAY, legs=legs
    )


def test_unbalanced_entries_are_refused() -> None:
    with pytest.raises(ValidationError, match="debits exceed credits by CNY 1"):
        entry(
            leg(Account.LOANS_RECEIVABLE, Side.DEBIT, "100"), leg(Account.CASH, Side.CREDIT, "99")
        )
    with pytest.raises(ValidationError, match="in every currency"):
        entry(
            leg(Account.LOANS_RECEIVABLE, Side.DEBIT, "100"),
            leg(Account.CASH, Side.CREDIT, "100", "USD"),
        )
    with pytest.raises(ValidationError, match="must be a positive amount"):
        entry(leg(Account.LOANS_RECEIVABLE, Side.DEBIT, "0"), leg(Account.CASH, Side.CREDIT, "0"))
    with pytest.raises(ValidationError, match="must be a positive amount"):
        entry(leg(Account.LOANS_RECEIVABLE, Side.DEBIT, "-5"), leg(Account.CASH, Side.CREDIT, "-5"))
    with pytest.raises(ValidationError, match="at least 2"):
        entry(leg(Account.LOANS_RECEIVABLE, Side.DEBIT, "5"))
    with pytest.raises(ValueError, match="nothing to post"):
        disburse("e1", "L1", Money.of("0"), DAY)
    with pytest.raises(ValueError, match="nothing to post"):
        repay("e1", "L1", Money.of("0"), Money.of("0"), DAY)
    with pytest.raises(ValidationError, match="positive amount"):
        accrue_interest("e1", "L1", Money.of("-1"), DAY)


def test_balanced_per_currency() -> None:
    both = entry(
        leg(Account.LOANS_RECEIVABLE, Side.DEBIT, "100"),
        leg(Account.CASH, Side.CREDIT, "100"),
        leg(Account.LOANS_RECEIVABLE, Side.DEBIT, "5", "USD"),
        leg(Account.CASH, Side.CREDIT, "5", "USD"),
    )
    assert trial_balance([both]) == {"CNY": Money.of("0"), "USD": Money.of("0", "USD")}


def test_a_reversal_needs_its_reference() -> None:
    original = disburse("e1", "L1", Money.of("100"), DAY)
    with pytest.raises(ValidationError, match="only a reversal"):
        original.model_validate({**original.model_dump(), "reverses": "e0"})
    with pytest.raises(ValidationError, match="only a reversal"):
        original.model_validate({**original.model_dump(), "kind": EntryKind.REVERSAL})


def test_reverse_mirrors_and_references() -> None:
    original = repay("e1", "L1", Money.of("10"), Money.of("90"), DAY)
    mirror = reverse(original, on=date(2024, 3, 2))
    assert (mirror.entry_id, mirror.reverses, mirror.kind) == (
        "e1:reversal",
        "e1",
        EntryKind.REVERSAL,
    )
    assert mirror.posted_on == date(2024, 3, 2)
    assert [(x.account, x.side, x.amount) for x in mirror.legs] == [
        (x.account, Side.CREDIT if x.side is Side.DEBIT else Side.DEBIT, x.amount)
        for x in original.legs
    ]
    assert nonzero(balances([original, mirror])) == {}
    assert reverse(mirror).legs == original.legs


def test_check_journal() -> None:
    e1 = disburse("e1", "L1", Money.of("100"), DAY)
    r1 = reverse(e1)
    check_journal([e1, r1, reverse(r1)])
    with pytest.raises(ValueError, match="posted twice"):
        check_journal([e1, e1])
    with pytest.raises(ValueError, match="reversed more than once"):
        check_journal([e1, r1, reverse(e1, entry_id="r2")])
    with pytest.raises(ValueError, match="not posted before it"):
        check_journal([r1, e1])


def test_outstanding_refuses_mixed_currencies() -> None:
    entries = [
        disburse("e1", "L1", Money.of("100"), DAY),
        disburse("e2", "L1", Money.of("100", "USD"), DAY),
    ]
    with pytest.raises(ValueError, match="USD"):
        outstanding_principal(entries, "L1")
    assert outstanding_principal(entries[1:], "L1", "USD") == Money.of("100", "USD")
    assert outstanding_principal(entries, "L2") == Money.of("0")


AMOUNTS = st.decimals(Decimal("0.01"), Decimal("10000000"), places=2).map(Money.of)
CENTS = st.one_of(st.just(Money.of("0")), AMOUNTS)
LOANS = st.sampled_from(["L1", "L2", "L3"])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("disburse"), LOANS, AMOUNTS, CENTS),
        st.tuples(st.just("accrue"), LOANS, AMOUNTS, CENTS),
        st.tuples(st.just("repay"), LOANS, CENTS, CENTS),
        st.tuples(st.just("write_off"), LOANS, CENTS, CENTS),
        st.tuples(st.just("reverse"), LOANS, CENTS, CENTS),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(OPERATIONS, st.data())
def test_random_journals_balance(
    operations: list[tuple[str, str, Money, Money]], data: st.DataObject
) -> None:
    journal: list[JournalEntry] = []
    principal: defaultdict[str, Decimal] = defaultdict(Decimal)  # independent bookkeeping
    effect: dict[str, Decimal] = {}  # each entry's effect on its loan's principal
    reversed_ids: set[str] = set()
    for number, (op, loan, first, second) in enumerate(operations):
        entry_id = f"e{number}"
        if op == "disburse":
            new = disburse(entry_id, loan, first, DAY)
            change = first.amount
        elif op == "accrue":
            new = accrue_interest(entry_id, loan, first, DAY)
            change = Decimal(0)
        elif op in ("repay", "write_off"):
            interest, part = first, second  # the interest and principal parts
            if interest.amount == part.amount == 0:
                continue
            if op == "repay":
                new = repay(entry_id, loan, interest, part, DAY)
            else:
                new = write_off(entry_id, loan, part, DAY, interest)
            change = -part.amount
        else:
            candidates = [e for e in journal if e.entry_id not in reversed_ids]
            if not candidates:
                continue
            target = data.draw(st.sampled_from(candidates))
            new = reverse(target, entry_id=entry_id)
            reversed_ids.add(target.entry_id)
            change = -effect[target.entry_id]
        effect[new.entry_id] = change
        principal[new.loan_id] += change
        journal.append(new)

    check_journal(journal)
    for posted in journal:
        net: defaultdict[str, Decimal] = defaultdict(Decimal)
        for x in posted.legs:
            assert x.amount.amount > 0
            net[x.amount.currency] += x.amount.amount if x.side is Side.DEBIT else -x.amount.amount
        assert all(value == 0 for value in net.values())
    assert all(total.amount == 0 for total in trial_balance(journal).values())
    for loan in ("L1", "L2", "L3"):
        assert outstanding_principal(journal, loan).amount == principal[loan]

    # Reversing an entry and then its reversal restores the balances.
    if journal:
        target = data.draw(st.sampled_from(journal))
        once = reverse(target, entry_id="r1")
        twice = reverse(once, entry_id="r2")
        before = nonzero(balances(journal))
        assert nonzero(balances([*journal, once, twice])) == before
        without = [e for e in journal if e is not target]
        assert nonzero(balances([*journal, once])) == nonzero(balances(without))

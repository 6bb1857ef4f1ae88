"""The journal in the database, under random sequences of operations (accrue, repay, reverse,
write off): the trial balance is always zero, the loan owes what a plain model of the operations
says, a refused operation changes nothing, and repaying the schedule leaves exactly the
schedule's balance outstanding. Each example runs in a savepoint that is rolled back."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from models import LoanStatus, Money, RepaymentMethod
from pledge import ledger as pure
from pledge.ledger import Account, EntryKind
from pledge.lifecycle import LoanEvent
from pledge.schedule import allocate_payment, schedule_for_loan
from storage import ledger, loans
from storage.errors import DomainError
from tests.storage.builders import CLERK, OFFICER, ON, active_loan, application, registered_pledge

PRINCIPAL = Money.of("200000")
EXAMPLES = settings(
    max_examples=35,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
amounts = st.integers(1, 25_000_000).map(lambda cents: Money.of(Decimal(cents) / 100))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("accrue"), amounts),
        st.tuples(st.just("repay"), amounts),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
        st.tuples(st.just("write_off"), st.none()),
    ),
    max_size=10,
)


@dataclass
class Model:
    """What the loan owes, by plain arithmetic on the operations taken."""

    principal: Decimal = PRINCIPAL.amount
    interest: Decimal = Decimal(0)
    status: LoanStatus = LoanStatus.ACTIVE
    effects: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # entry → Δ owed
    reversed: set[str] = field(default_factory=set)


def apply(session: Session, model: Model, operation: tuple[str, Any]) -> None:
    """Run one operation against the database and the model; refusals must leave both as they
    were."""
    kind, argument = operation
    active = model.status is LoanStatus.ACTIVE
    try:
        if kind == "accrue":
            entry = loans.accrue_interest(session, "L-1", argument, on=ON, actor=CLERK)
            assert active
            model.interest += argument.amount
            model.effects[entry.entry_id] = (Decimal(0), argument.amount)
        elif kind == "repay":
            paid = loans.repay(session, "L-1", argument, on=ON, actor=CLERK)
            split = allocate_payment(argument, Money.of(model.interest), Money.of(model.principal))
            assert active
            assert model.interest >= 0
            assert split.unapplied.amount == 0
            model.interest -= split.interest.amount
            model.principal -= split.principal.amount
            model.effects[paid.repayment_id] = (-split.principal.amount, -split.interest.amount)
            if model.principal == 0 and model.interest == 0:
                model.status = LoanStatus.CLOSED
        elif kind == "reverse":
            candidates = [e for e in model.effects if e not in model.reversed]
            if not candidates:
                return
            target = candidates[argument % len(candidates)]
            entry = loans.reverse_entry(session, target, on=ON, actor=CLERK)
            dp, di = model.effects[target]
            assert active
            assert model.principal - dp >= 0
            assert model.interest - di >= 0
            model.principal, model.interest = model.principal - dp, model.interest - di
            model.reversed.add(target)
            model.effects[entry.entry_id] = (-dp, -di)
        else:
            loans.transition(session, "L-1", LoanEvent.WRITE_OFF, on=ON, actor=OFFICER)
            assert active
            model.principal = model.interest = Decimal(0)
            model.status = LoanStatus.WRITTEN_OFF
    except DomainError:
        # refused: the loan was not active, the payment too large, or the reversal of an
        # amount paid since; the model is unchanged and the database must be too
        if kind == "repay" and active:
            assert argument.amount > model.principal + model.interest or model.interest < 0
        elif kind == "reverse" and active:
            dp, di = model.effects[target]
            assert model.principal - dp < 0 or model.interest - di < 0
        elif kind == "write_off":
            assert not active


def check(session: Session, model: Model) -> None:
    assert ledger.trial_balance(session) == {"CNY": Decimal("0.00")}
    owed = loans.position(session, "L-1")
    assert (owed.principal.amount, owed.interest.amount, owed.status) == (
        model.principal,
        model.interest,
        model.status,
    )
    # the database's sums agree with the pure ledger over the entries read back
    entries = ledger.entries(session, "L-1")
    pure.check_journal(entries)
    assert pure.outstanding_principal(entries, "L-1").amount == model.principal
    assert pure.accrued_interest(entries, "L-1").amount == model.interest
    stored = {(a, c): m for (_, a, c), m in ledger.balances(session, ["L-1"]).items()}
    assert stored == dict(pure.balances(entries))


def test_random_operations_keep_the_journal_balanced_and_exact(session: Session) -> None:
    active_loan(session)

    @EXAMPLES
    @given(steps=operations)
    def run(steps: list[tuple[str, Any]]) -> None:
        savepoint = session.begin_nested()
        try:
            model = Model()
            for step in steps:
                apply(session, model, step)
                check(session, model)
        finally:
            savepoint.rollback()

    run()


def test_repaying_instalments_leaves_the_schedules_balance(session: Session) -> None:
    registered_pledge(session, pledge_id="P-L-1")

    @EXAMPLES
    @given(
        principal=st.integers(1_000_00, 250_000_00).map(lambda c: Money.of(Decimal(c) / 100)),
        rate=st.sampled_from(["0", "0.0435", "0.0600", "0.1200"]),
        term=st.integers(1, 36),
        method=st.sampled_from(list(RepaymentMethod)),
        day_count=st.sampled_from(["act/365", "30/360"]),
        data=st.data(),
    )
    def run(
        principal: Money, rate: str, term: int, method: RepaymentMethod, day_count: str, data: Any
    ) -> None:
        savepoint = session.begin_nested()
        try:
            loan = application(
                "L-1",
                "P-L-1",
                principal=principal,
                annual_rate=Decimal(rate),
                term_months=term,
                repayment=method,
                day_count=day_count,
            )
            loans.create_loan(session, loan, on=ON, actor=CLERK)
            loans.transition(session, "L-1", LoanEvent.APPROVE, on=ON, actor=OFFICER)
            loans.transition(session, "L-1", LoanEvent.DISBURSE, on=ON, actor=OFFICER)
            schedule = schedule_for_loan(loan, ON)
            paid = data.draw(st.integers(0, len(schedule.rows)), label="instalments paid")
            for row in schedule.rows[:paid]:
                if row.interest.amount:
                    loans.accrue_interest(
                        session, "L-1", row.interest, on=row.due_date, actor=CLERK
                    )
                loans.repay(session, "L-1", row.payment, on=row.due_date, actor=CLERK)
            expected = schedule.rows[paid - 1].closing_balance if paid else principal
            owed = loans.position(session, "L-1")
            assert owed.principal == expected
            assert owed.interest == Money.zero()
            assert (owed.status is LoanStatus.CLOSED) == (paid == len(schedule.rows))
            kinds = [e.kind for e in ledger.entries(session, "L-1")]
            assert kinds.count(EntryKind.REPAYMENT) == paid
            assert ledger.trial_balance(session) == {"CNY": Decimal("0.00")}
            balance = ledger.loan_balance(session, "L-1", Account.LOANS_RECEIVABLE, "CNY")
            assert balance == expected
        finally:
            savepoint.rollback()

    run()

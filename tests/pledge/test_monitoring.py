"""Collateral monitoring: LTV ratio, margin calls, impairment alerts."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models import LegalStatus, Money
from pledge.monitoring import (
    ImpairmentAlert,
    MarginCall,
    MonitoringEvent,
    breaches,
    check_collateral,
    check_patent_status,
    collateral_ratio,
    shortfall,
)

DAY = date(2024, 9, 30)


def test_margin_call_arithmetic() -> None:
    # Outstanding 2,000,000 against a patent now worth 5,000,000 under a 30 % limit:
    # ratio 2,000,000 / 5,000,000 = 0.4 > 0.3; shortfall 2,000,000 − 5,000,000 × 0.3 = 500,000;
    # top-up 2,000,000 / 0.3 − 5,000,000 = 1,666,666.67 of extra collateral value.
    call = check_collateral("L1", DAY, Money.of("2000000"), Money.of("5000000"), Decimal("0.3"))
    assert isinstance(call, MarginCall)
    assert call.event is MonitoringEvent.MARGIN_CALL
    assert call.ratio == Decimal("0.4")
    assert call.shortfall == Money.of("500000.00")
    assert call.top_up == Money.of("1666666.67")
    with pytest.raises(ValidationError, match="frozen"):
        setattr(call, "shortfall", Money.of("0"))  # noqa: B010


def test_within_the_limit_no_call() -> None:
    # 1,500,000 / 5,000,000 = 0.3: at the limit is not above it.
    assert (
        check_collateral("L1", DAY, Money.of("1500000"), Money.of("5000000"), Decimal("0.3"))
        is None
    )
    assert shortfall(Money.of("1500000"), Money.of("5000000"), Decimal("0.3")) == Money.of("0")
    assert not breaches(Money.of("1500000"), Money.of("5000000"), Decimal("0.3"))
    assert breaches(Money.of("1500000.01"), Money.of("5000000"), Decimal("0.3"))


def test_worthless_collateral() -> None:
    call = check_collateral("L1", DAY, Money.of("100"), Money.of("0"), Decimal("0.25"))
    assert call is not None
    assert call.ratio is None
    assert call.shortfall == Money.of("100")
    assert collateral_ratio(Money.of("0"), Money.of("0")) is None
    no_limit = check_collateral("L1", DAY, Money.of("100"), Money.of("1000"), Decimal(0))
    assert no_limit is not None
    assert no_limit.top_up is None


def test_refusals() -> None:
    with pytest.raises(ValueError, match="convert first"):
        collateral_ratio(Money.of("1"), Money.of("1", "USD"))
    with pytest.raises(ValueError, match="cannot be negative"):
        collateral_ratio(Money.of("-1"), Money.of("1"))
    with pytest.raises(ValueError, match=r"lies in 0\.\.1"):
        check_collateral("L1", DAY, Money.of("10"), Money.of("1"), Decimal("1.5"))
    with pytest.raises(ValueError, match="float"):
        shortfall(Money.of("10"), Money.of("1"), 0.3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (LegalStatus.LAPSED, "lapsed"),
        (LegalStatus.INVALIDATED, "declared invalid"),
        (LegalStatus.EXPIRED, "expired"),
        (LegalStatus.SURRENDERED, "surrendered"),
        (LegalStatus.PENDING, "only an application"),
    ],
)
def test_impairment_alerts(status: LegalStatus, words: str) -> None:
    alert = check_patent_status("ZL201710601862.3", status, DAY, loan_id="L1")
    assert isinstance(alert, ImpairmentAlert)
    assert (alert.event, alert.legal_status, alert.loan_id) == (
        MonitoringEvent.IMPAIRMENT,
        status,
        "L1",
    )
    assert words in alert.message
    assert "ZL201710601862.3" in alert.message


def test_every_status_but_in_force_alerts() -> None:
    assert check_patent_status("P", LegalStatus.IN_FORCE, DAY) is None
    for status in LegalStatus:
        if status is not LegalStatus.IN_FORCE:
            assert check_patent_status("P", status, DAY) is not None


AMOUNTS = st.decimals(0, 10**10, places=2).map(Money.of)


@settings(max_examples=300, deadline=None)
@given(AMOUNTS, AMOUNTS, st.decimals(0, 1, places=4))
def test_call_iff_shortfall(outstanding: Money, value: Money, limit: Decimal) -> None:
    call = check_collateral("L", DAY, outstanding, value, limit)
    gap = shortfall(outstanding, value, limit)
    assert gap.amount >= 0
    assert (call is None) == (outstanding.amount <= value.amount * limit)
    if call is not None:
        assert call.shortfall == gap
        # Repaying the shortfall brings the loan back within (a fen of) the limit.
        assert (outstanding - gap).amount <= value.amount * limit + Decimal("0.005")

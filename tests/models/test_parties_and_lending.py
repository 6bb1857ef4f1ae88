"""Parties and the first shapes of pledge and loan records."""

from datetime import date

import pytest
from pydantic import ValidationError

from models import Loan, Money, Party, Pledge


def test_credit_code_check_character() -> None:
    # GB 32100-2015 check: a widely published sample code with check character 3.
    party = Party(
        party_id="p1", kind="enterprise", name="示例公司", credit_code="91350100m000100y43"
    )
    assert party.credit_code == "91350100M000100Y43"
    with pytest.raises(ValidationError, match="expected '3'"):
        Party(party_id="p1", kind="enterprise", name="X", credit_code="91350100M000100Y44")


def test_unknown_party_kind_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Party(party_id="p1", kind="pirate", name="X")
    assert caught.value.errors()[0]["loc"] == ("kind",)


def test_loan_approver_must_not_be_the_maker() -> None:
    common = {
        "loan_id": "L1",
        "borrower_id": "E1",
        "lender_id": "B1",
        "principal": Money.of("1000000"),
        "annual_rate": "0.0435",
        "term_months": 12,
        "maker": "alice",
    }
    assert Loan(**common, approver="bob").approver == "bob"
    with pytest.raises(ValidationError) as caught:
        Loan(**common, approver="alice")
    assert caught.value.errors()[0]["loc"] == ("approver",)


def test_loan_rate_is_a_fraction_not_a_percentage() -> None:
    with pytest.raises(ValidationError, match=r"outside 0\.\.1"):
        Loan(
            loan_id="L1",
            borrower_id="E1",
            lender_id="B1",
            principal=Money.of(1),
            annual_rate="4.35",
            term_months=12,
            maker="alice",
        )


def test_pledge_needs_patents_two_parties_and_a_positive_amount() -> None:
    pledge = Pledge(
        pledge_id="P1",
        patents=["ZL201710601862.3"],
        pledgor_id="E1",
        pledgee_id="B1",
        secured_amount=Money.of("5000000"),
        registered_on=date(2019, 11, 30),
    )
    assert str(pledge.patents[0]) == "ZL201710601862.3"
    with pytest.raises(ValidationError) as caught:
        Pledge(
            pledge_id="P1",
            patents=[],
            pledgor_id="E1",
            pledgee_id="E1",
            secured_amount=Money.of(0),
        )
    assert {e["loc"][0] for e in caught.value.errors()} == {
        "patents",
        "pledgee_id",
        "secured_amount",
    }

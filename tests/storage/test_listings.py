"""Whose patents a scope reaches, read one number at a time and as a list: an owner its own, a
bank those it holds in a pledge or asked to have appraised, everyone every stored patent."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage import appraisals, listings, patents, pledges
from storage.listings import EVERYONE, Scope
from tests.pledge.builders import OWNER, make_patent
from tests.storage.builders import BANK, CLERK, ENTERPRISE, ON, draft, stored_parties
from valuation.engine import value_patent


def _owned(session: Session, serial: int, party_id: str | None) -> str:
    patent = make_patent(serial=serial, owners=[{"name": OWNER, "party_id": party_id}])
    patents.save_patent(session, patent, actor=CLERK)
    return patent.number.patent_number


def test_each_scope_reaches_its_patents_alone_both_one_at_a_time_and_as_a_list(
    session: Session,
) -> None:
    stored_parties(session)
    own = _owned(session, 601001, ENTERPRISE.party_id)
    pledged = _owned(session, 601002, ENTERPRISE.party_id)
    stranger = _owned(session, 601003, None)
    appraised = _owned(session, 601005, None)
    pledges.create_pledge(session, draft("P-1", pledged), on=ON, actor=CLERK)
    [patent] = patents.get_patents(session, [appraised])
    result = value_patent(patent, base_date=ON)
    appraisals.request_appraisal(
        session, result, appraisal_id="AP-1", requested_by=BANK.party_id, actor=CLERK, request={}
    )
    missing = make_patent(serial=601004).number.patent_number
    numbers = [own, pledged, stranger, appraised, missing]
    reached = {
        "everyone": (EVERYONE, {own, pledged, stranger, appraised}),
        "the owner": (Scope(ENTERPRISE.party_id), {own, pledged}),
        "the bank": (Scope(BANK.party_id, as_bank=True), {pledged, appraised}),
        "another party": (Scope("ent-other"), set()),
        "another bank": (Scope("bank-other", as_bank=True), set()),
    }
    for who, (scope, expected) in reached.items():
        found = listings.patents_in_scope(session, numbers, scope)
        assert set(found) == expected, who
        assert all(found[n].number.patent_number == n for n in found), who
        one_by_one = {n for n in numbers if listings.patent_in_scope(session, n, scope)}
        assert one_by_one == expected, who
    assert listings.patents_in_scope(session, [], EVERYONE) == {}

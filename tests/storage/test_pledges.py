"""Pledges through the repository: drafting, the pre-check with stored valuations and live
pledges, registration events, and the refusals, each with its code and field."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import LegalStatus, Patent, PledgeStatus
from pledge.findings import Code
from pledge.lifecycle import ImpairmentReason, PledgeEvent
from storage import audit, patents, pledges
from storage.errors import (
    AlreadyExistsError,
    AlreadyPledgedError,
    DomainError,
    ErrorKind,
    NotFoundError,
    RefusedError,
)
from storage.monitoring import record_legal_status
from storage.tables import PatentOwnerRow, PatentRow, PledgedPatentRow, PledgeRow
from tests.pledge.builders import make_loan, make_patent
from tests.storage.builders import (
    CLERK,
    ON,
    draft,
    registered_pledge,
    stored_parties,
    stored_patent,
)


def test_a_pledge_moves_through_registration_to_release(session: Session) -> None:
    pledge = registered_pledge(session)
    assert pledge.status is PledgeStatus.REGISTERED
    assert (pledge.registration_number, pledge.registered_on) == ("Y2025-P-1", ON)
    later = date(2026, 6, 1)
    pledges.transition(session, "P-1", PledgeEvent.REQUEST_RELEASE, on=later, actor=CLERK)
    done = pledges.transition(session, "P-1", PledgeEvent.RELEASE, on=later, actor=CLERK)
    assert done.status is PledgeStatus.CANCELLED
    assert session.get(PledgeRow, "P-1").released_on == later  # type: ignore[union-attr]
    actions = [e.action for e in audit.history(session, "pledge", "P-1")]
    assert actions == [
        "pledge.create",
        "pledge.precheck_passed",
        "pledge.submit",
        "pledge.register",
        "pledge.request_release",
        "pledge.release",
    ]
    assert pledges.live_pledges(session) == {}


def test_a_second_live_pledge_of_a_patent_is_refused(session: Session) -> None:
    number = registered_pledge(session).patents[0].patent_number
    with pytest.raises(AlreadyPledgedError) as refused:
        pledges.create_pledge(session, draft("P-2", number), on=ON, actor=CLERK)
    assert refused.value.code == "ALREADY_PLEDGED" == Code.ALREADY_PLEDGED
    assert refused.value.kind is ErrorKind.CONFLICT
    assert refused.value.field == "patents"
    assert number in refused.value.reason
    assert "P-1" not in refused.value.reason  # the holder may be another tenant's pledge
    assert session.get(PledgeRow, "P-2") is None
    assert pledges.live_pledges(session) == {number: "P-1"}


def test_an_application_needs_the_pledgor_to_own_the_patents_still(session: Session) -> None:
    """An unsubmitted pledge does not hold its patent: it may be transferred meanwhile, and the
    application that would hold it is then refused as a new draft would be."""
    stored_parties(session)
    patent = stored_patent(session)
    number = patent.number.patent_number
    pledges.create_pledge(session, draft("P-1", number), on=ON, actor=CLERK)
    pledges.transition(session, "P-1", PledgeEvent.PRECHECK_PASSED, on=ON, actor=CLERK)
    sold = Patent.model_validate(
        {**patent.model_dump(), "owners": [{"name": "另一家公司", "share_percent": "100"}]}
    )
    patents.save_patent(session, sold, actor=CLERK)
    with pytest.raises(DomainError) as refused:
        pledges.transition(session, "P-1", PledgeEvent.SUBMIT, on=ON, actor=CLERK)
    assert refused.value.code == "PLEDGOR_NOT_OWNER"
    assert pledges.get_pledge(session, "P-1").status is PledgeStatus.READY
    assert pledges.live_pledges(session) == {}


def test_the_precheck_uses_stored_valuations_and_other_live_pledges(session: Session) -> None:
    stored_parties(session)
    patent = stored_patent(session, value="100000")
    pledges.create_pledge(session, draft("P-1", patent.number.patent_number), on=ON, actor=CLERK)
    outcome = pledges.precheck(session, "P-1", make_loan(patent), on=ON, actor=CLERK)
    # CNY 200,000 on an appraised CNY 100,000 is above the 25 % cap for an invention
    assert outcome.pledge.status is PledgeStatus.PRECHECK_FAILED
    assert [f.code for f in outcome.result.findings] == [Code.LTV_EXCEEDS_POLICY]
    assert outcome.result.appraised_total is not None
    assert str(outcome.result.appraised_total) == "CNY 100,000.00"


def test_illegal_events_and_missing_data_are_refused_with_codes(session: Session) -> None:
    registered_pledge(session)
    with pytest.raises(RefusedError) as illegal:
        pledges.transition(session, "P-1", PledgeEvent.SUBMIT, on=ON, actor=CLERK)
    assert illegal.value.code == "ILLEGAL_TRANSITION"
    assert "registered" in illegal.value.reason
    assert "request_release" in illegal.value.reason
    with pytest.raises(RefusedError) as missing:
        pledges.transition(session, "P-1", PledgeEvent.IMPAIR, on=ON, actor=CLERK)
    assert missing.value.code == "MISSING_EVENT_DATA"
    impaired = pledges.transition(
        session,
        "P-1",
        PledgeEvent.IMPAIR,
        on=ON,
        actor=CLERK,
        impairment=ImpairmentReason.SEIZED,
    )
    assert impaired.status is PledgeStatus.IMPAIRED


def test_unknown_things_are_not_found(session: Session) -> None:
    with pytest.raises(NotFoundError) as absent:
        pledges.get_pledge(session, "nope")
    assert (absent.value.code, absent.value.field) == ("NOT_FOUND", "pledge_id")
    with pytest.raises(NotFoundError, match="no party"):
        pledges.create_pledge(session, draft("P-1", "ZL201910601862.2"), on=ON, actor=CLERK)
    stored_parties(session)
    with pytest.raises(NotFoundError, match="no patent"):
        pledges.create_pledge(session, draft("P-1", "ZL201910601862.2"), on=ON, actor=CLERK)
    with pytest.raises(NotFoundError):
        pledges.transition(session, "nope", PledgeEvent.SUBMIT, on=ON, actor=CLERK)


def test_drafts_only_and_no_duplicates(session: Session) -> None:
    stored_parties(session)
    number = stored_patent(session).number.patent_number
    registered = draft("P-1", number).model_copy(update={"status": PledgeStatus.READY})
    with pytest.raises(DomainError, match="draft"):
        pledges.create_pledge(session, registered, on=ON, actor=CLERK)
    twice = draft("P-1", number, number)
    with pytest.raises(DomainError, match="twice"):
        pledges.create_pledge(session, twice, on=ON, actor=CLERK)
    pledges.create_pledge(session, draft("P-1", number), on=ON, actor=CLERK)
    with pytest.raises(AlreadyExistsError):
        pledges.create_pledge(session, draft("P-1", number), on=ON, actor=CLERK)
    rows = session.execute(select(func.count()).select_from(PledgedPatentRow)).scalar_one()
    assert rows == 1


def test_a_pledge_is_given_by_a_party_its_patents_name_as_owner(session: Session) -> None:
    """A draft naming a pledgor that owns one of its patents but not the other would pledge
    the other's patent: it is refused and writes nothing."""
    stored_parties(session)
    owned = stored_patent(session).number.patent_number
    theirs = make_patent(serial=7)  # its owner is named without a party
    patents.save_patent(session, theirs, actor=CLERK)
    other = theirs.number.patent_number
    with pytest.raises(DomainError) as refused:
        pledges.create_pledge(session, draft("P-1", owned, other), on=ON, actor=CLERK)
    assert (refused.value.code, refused.value.field) == ("PLEDGOR_NOT_OWNER", "pledgor_id")
    assert refused.value.reason == (
        f"ent-jh is not named an owner of {other}: a patent is pledged by its patentee"
    )
    assert session.execute(select(func.count()).select_from(PledgeRow)).scalar_one() == 0
    assert pledges.live_pledges(session) == {}
    assert pledges.create_pledge(session, draft("P-1", owned), on=ON, actor=CLERK).patents
    assert pledges.live_pledges(session) == {}  # a draft holds nothing yet


def test_a_pledged_patent_is_neither_transferred_nor_licensed_until_the_release(
    session: Session,
) -> None:
    """Civil Code art. 444 (docs/DOMAIN.md): no transfer, in whole or in part, and no licence
    while the pledge lasts; a correction of anything else is saved."""
    patent = patents.get_patents(session, [registered_pledge(session).patents[0].patent_number])[0]
    number = patent.number.patent_number

    def changed(**fields: object) -> Patent:
        return Patent.model_validate({**patent.model_dump(), **fields})

    pledgor = patent.owners[0].model_dump()
    buyer = changed(owners=[{"name": "另一家公司", "share_percent": "100"}])
    joint = changed(
        owners=[
            {**pledgor, "share_percent": "1"},
            {"name": "另一家公司", "share_percent": "99", "consents_to_pledge": True},
        ]
    )
    consent = changed(owners=[{**pledgor, "consents_to_pledge": not pledgor["consents_to_pledge"]}])
    licensed = changed(
        licences=[{"licensee": "某被许可公司", "kind": "exclusive", "start": "2025-01-01"}]
    )
    for record, field in ((buyer, "owners"), (joint, "owners"), (consent, "owners")):
        with pytest.raises(RefusedError) as refused:
            patents.save_patent(session, record, actor=CLERK)
        assert (refused.value.code, refused.value.field) == ("PLEDGED", field)
    with pytest.raises(RefusedError) as refused:
        patents.save_patent(session, licensed, actor=CLERK)
    assert (refused.value.code, refused.value.field) == ("PLEDGED", "licences")
    assert refused.value.reason == (
        f"{number} is in a live pledge given by its owner ent-jh: its licences stay as they are "
        "until the pledge is released (no transfer or licence while it lasts without the "
        "pledgee's agreement, Civil Code art. 444)"
    )
    assert patents.get_patents(session, [number]) == [patent]  # nothing written
    corrected = changed(title="一种改进的电池", fees_paid_through_year=7)
    assert patents.save_patent(session, corrected, actor=CLERK) == corrected
    # the same owner written another way is no transfer
    same = changed(owners=[{**pledgor, "share_percent": "100.00"}], fees_paid_through_year=8)
    assert patents.save_patent(session, same, actor=CLERK) == same
    later = date(2026, 6, 1)
    pledges.transition(session, "P-1", PledgeEvent.REQUEST_RELEASE, on=later, actor=CLERK)
    with pytest.raises(RefusedError):  # a release requested is not yet a release
        patents.save_patent(session, buyer, actor=CLERK)
    pledges.transition(session, "P-1", PledgeEvent.RELEASE, on=later, actor=CLERK)
    assert patents.save_patent(session, buyer, actor=CLERK) == buyer


def test_a_pledge_drafted_before_the_owner_rule_does_not_freeze_its_patent(
    session: Session,
) -> None:
    """A live pledge whose pledgor the patent never named (drafted before create_pledge checked
    it) does not stop the patent's record from being corrected."""
    stored_parties(session)
    patent = stored_patent(session)
    number = patent.number.patent_number
    pledges.create_pledge(session, draft("P-1", number), on=ON, actor=CLERK)
    unnamed = [{"name": patent.owners[0].name, "share_percent": "100"}]
    legacy = Patent.model_validate({**patent.model_dump(), "owners": unnamed})
    session.execute(
        PatentOwnerRow.__table__.update()
        .where(PatentOwnerRow.patent_id == number)
        .values(party_id=None)
    )
    session.execute(
        PatentRow.__table__.update()
        .where(PatentRow.patent_id == number)
        .values(record=legacy.model_dump(mode="json"))
    )
    corrected = Patent.model_validate({**legacy.model_dump(), "title": "一种改进的电池"})
    assert patents.save_patent(session, corrected, actor=CLERK) == corrected


def test_a_lapsed_patent_impairs_its_registered_pledge(session: Session) -> None:
    number = registered_pledge(session).patents[0].patent_number
    alerts = record_legal_status(session, number, LegalStatus.LAPSED, on=ON, actor=CLERK)
    assert [a.patent_id for a in alerts] == [number]
    assert "lapsed" in alerts[0].message
    assert pledges.get_pledge(session, "P-1").status is PledgeStatus.IMPAIRED
    # still live: the patent stays held while the pledge is enforced
    assert pledges.live_pledges(session) == {number: "P-1"}
    assert record_legal_status(session, number, LegalStatus.IN_FORCE, on=ON, actor=CLERK) == []


@pytest.mark.parametrize("before", [PledgeEvent.PRECHECK_PASSED, PledgeEvent.PRECHECK_FAILED, None])
def test_a_pledge_is_withdrawn_before_its_submission_only(
    session: Session, before: PledgeEvent | None
) -> None:
    stored_parties(session)
    number = stored_patent(session).number.patent_number
    pledges.create_pledge(session, draft("P-1", number), on=ON, actor=CLERK)
    if before is not None:
        pledges.transition(session, "P-1", before, on=ON, actor=CLERK)
    pledges.create_pledge(session, draft("P-2", number), on=ON, actor=CLERK)  # P-1 holds nothing
    withdrawn = pledges.transition(session, "P-1", PledgeEvent.WITHDRAW, on=ON, actor=CLERK)
    assert withdrawn.status is PledgeStatus.CANCELLED
    row = session.get(PledgeRow, "P-1")
    assert row is not None
    assert (row.registered_on, row.released_on) == (None, None)  # never registered or released
    with pytest.raises(DomainError, match="cannot take event 'withdraw'"):
        pledges.transition(session, "P-1", PledgeEvent.WITHDRAW, on=ON, actor=CLERK)
    pledges.transition(session, "P-2", PledgeEvent.PRECHECK_PASSED, on=ON, actor=CLERK)
    pledges.transition(session, "P-2", PledgeEvent.SUBMIT, on=ON, actor=CLERK)
    assert pledges.live_pledges(session) == {number: "P-2"}
    with pytest.raises(DomainError, match="cannot take event 'withdraw'"):
        pledges.transition(session, "P-2", PledgeEvent.WITHDRAW, on=ON, actor=CLERK)


def test_a_pledge_event_dated_before_the_draft_or_the_registration_is_refused(
    session: Session,
) -> None:
    stored_parties(session)
    number = stored_patent(session).number.patent_number
    pledges.create_pledge(session, draft("P-2", number), on=ON, actor=CLERK)
    before = ON - timedelta(days=1)
    with pytest.raises(DomainError) as refused:
        pledges.transition(session, "P-2", PledgeEvent.PRECHECK_PASSED, on=before, actor=CLERK)
    assert (refused.value.code, refused.value.field) == ("BEFORE_PLEDGE", "on")
    assert refused.value.reason == f"{before} is before pledge P-2 was drafted on {ON}"
    assert pledges.get_pledge(session, "P-2").status is PledgeStatus.DRAFT
    registered_on = ON + timedelta(days=30)
    for event, extra in (
        (PledgeEvent.PRECHECK_PASSED, {}),
        (PledgeEvent.SUBMIT, {}),
        (PledgeEvent.REGISTER, {"registration_number": "Y-P-2"}),
    ):
        pledges.transition(session, "P-2", event, on=registered_on, actor=CLERK, **extra)
    with pytest.raises(DomainError) as refused:
        pledges.transition(session, "P-2", PledgeEvent.REQUEST_RELEASE, on=ON, actor=CLERK)
    assert f"before the registration on {registered_on}" in refused.value.reason
    assert pledges.get_pledge(session, "P-2").status is PledgeStatus.REGISTERED

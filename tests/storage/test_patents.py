"""Patents and appraisals in the database: the engine's result is kept whole with its audit
trail, the latest valuation by a date is the one the checks use, and a patent is updated in
place."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LegalStatus, Money
from storage import audit, parties, patents
from storage.errors import AlreadyExistsError, DomainError, NotFoundError
from storage.tables import ValuationRow
from tests.pledge.builders import make_patent, make_valuation
from tests.storage.builders import BANK, CLERK, ENTERPRISE, stored_parties
from valuation.engine import Financials, ValuationResult, value_patent


def test_an_engine_result_is_stored_whole_with_its_audit_trail(session: Session) -> None:
    stored_parties(session)
    patent = make_patent(industry="electrical", claims=12)
    patents.save_patent(session, patent, actor=CLERK)
    result = value_patent(
        patent, Financials(revenue=Money.of("8000000")), base_date=date(2025, 3, 31)
    )
    summary = patents.save_valuation_result(session, result, appraisal_id="V-1", actor=CLERK)
    assert summary.market_value == result.value
    assert result.pledge is not None
    assert summary.max_loan == result.pledge.max_loan
    session.expire_all()
    row = session.execute(select(ValuationRow)).scalar_one()
    assert row.input_hash == result.audit.input_hash
    # the document is the result's JSON, audit trail included, and reads back as a result
    assert row.result == result.model_dump(mode="json")
    assert row.result["audit"]["constants"]
    back = ValuationResult.model_validate(row.result)
    assert (back.value, back.audit.input_hash) == (result.value, result.audit.input_hash)
    number = patent.number.patent_number
    [latest] = patents.latest_valuations(
        session, [number], date(2025, 6, 1), relied_on_by=patents.EVERY_VALUATION
    )
    assert (latest.value, latest.max_loan, latest.base_date) == (
        result.value,
        result.pledge.max_loan,
        date(2025, 3, 31),
    )


def test_the_latest_valuation_by_a_date_counts(session: Session) -> None:
    stored_parties(session)
    patent = make_patent()
    patents.save_patent(session, patent, actor=CLERK)
    for n, (base, value) in enumerate(((date(2024, 1, 1), "100"), (date(2025, 1, 1), "200"))):
        valuation = make_valuation(patent, value, base_date=base)
        summary = patents.summarise(f"A-{n}", [valuation], method="test appraisal")
        patents.save_appraisal(session, summary, [valuation], actor=CLERK)
    number = patent.number.patent_number
    found = {
        on: [
            v.value
            for v in patents.latest_valuations(
                session, [number], on, relied_on_by=patents.EVERY_VALUATION
            )
        ]
        for on in (date(2023, 12, 31), date(2024, 6, 1), date(2025, 6, 1))
    }
    assert found == {
        date(2023, 12, 31): [],
        date(2024, 6, 1): [Money.of("100")],
        date(2025, 6, 1): [Money.of("200")],
    }


def test_a_party_relies_on_its_own_appraisals_and_those_made_outside_the_service(
    session: Session,
) -> None:
    stored_parties(session)
    other_bank = BANK.model_copy(update={"party_id": "bank-2", "name": "另一银行"})
    parties.save_party(session, other_bank, actor=CLERK)
    patent = make_patent()
    patents.save_patent(session, patent, actor=CLERK)
    asked = {"A-outside": None, "A-mine": BANK.party_id, "A-theirs": "bank-2"}
    days = (date(2024, 1, 1), date(2024, 6, 1), date(2025, 1, 1))
    values = ("100", "200", "300")
    for (appraisal_id, requester), base, value in zip(asked.items(), days, values, strict=True):
        valuation = make_valuation(patent, value, base_date=base)
        summary = patents.summarise(appraisal_id, [valuation], method="test appraisal")
        patents.save_appraisal(session, summary, [valuation], actor=CLERK, requested_by=requester)
    session.flush()
    number = patent.number.patent_number

    def latest(on: date, party: str | patents.Reliance) -> list[Money]:
        return [
            v.value for v in patents.latest_valuations(session, [number], on, relied_on_by=party)
        ]

    on = date(2025, 6, 1)
    assert latest(on, BANK.party_id) == [Money.of("200")]  # its own, not the newer of bank-2
    assert latest(on, "bank-2") == [Money.of("300")]
    assert latest(on, ENTERPRISE.party_id) == [Money.of("100")]  # only the one made outside
    assert latest(on, patents.EVERY_VALUATION) == [Money.of("300")]
    assert latest(date(2024, 3, 1), BANK.party_id) == [Money.of("100")]


def test_an_appraisal_must_match_its_valuations(session: Session) -> None:
    stored_parties(session)
    patent, other = make_patent(), make_patent(serial=2)
    patents.save_patent(session, patent, actor=CLERK)
    valuation = make_valuation(patent)
    summary = patents.summarise("A-1", [valuation], method="test appraisal")
    with pytest.raises(DomainError, match="each patent"):
        patents.save_appraisal(session, summary, [make_valuation(other)], actor=CLERK)
    moved = valuation.model_copy(update={"base_date": date(2024, 1, 1)})
    with pytest.raises(DomainError, match="base_date"):
        patents.save_appraisal(session, summary, [moved], actor=CLERK)
    patents.save_appraisal(session, summary, [valuation], actor=CLERK)
    with pytest.raises(AlreadyExistsError):
        patents.save_appraisal(session, summary, [valuation], actor=CLERK)
    unknown = patents.summarise("A-2", [make_valuation(other)], method="test appraisal")
    with pytest.raises(NotFoundError):
        patents.save_appraisal(session, unknown, [make_valuation(other)], actor=CLERK)


def test_a_patent_is_saved_once_and_updated_in_place(session: Session) -> None:
    patent = make_patent()
    patents.save_patent(session, patent, actor=CLERK)
    events = audit.count(session)
    patents.save_patent(session, patent, actor=CLERK)
    assert audit.count(session) == events  # unchanged: nothing written
    lapsed = patent.model_copy(update={"legal_status": LegalStatus.LAPSED})
    patents.save_patent(session, lapsed, actor=CLERK)
    assert audit.count(session) == events + 1
    [stored] = patents.get_patents(session, [patent.number.format(spaced=True)])
    assert stored.legal_status is LegalStatus.LAPSED
    with pytest.raises(NotFoundError):
        patents.set_legal_status(
            session, make_patent(serial=3).number.patent_number, LegalStatus.LAPSED
        )

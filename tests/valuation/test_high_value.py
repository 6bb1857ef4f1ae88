"""High-value invention patents: each CNIPA criterion with its reason; batch = single."""

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import LegalStatus, Money, Patent
from models.patent_number import check_character
from valuation.constants import parameter
from valuation.high_value import (
    Criterion,
    classify_high_value,
    classify_high_value_batch,
    normalise_industry,
    strategic_match,
)

AT = date(2025, 6, 30)
TYPE_DIGIT = {"invention": 1, "utility_model": 2, "design": 3}


def make(kind: str = "invention", filing: date = date(2020, 5, 10), **fields: Any) -> Patent:
    digits = f"{filing.year}{TYPE_DIGIT[kind]}{fields.pop('serial', 123456):07d}"
    data: dict[str, Any] = {
        "number": f"ZL{digits}.{check_character(digits)}",
        "filing_date": filing,
        "grant_date": filing + timedelta(days=600),
    }
    return Patent.model_validate(data | fields)


def met(patent: Patent, **kwargs: Any) -> set[Criterion]:
    return set(classify_high_value(patent, at=kwargs.pop("at", AT), **kwargs).met)


def test_plain_invention_meets_nothing_and_says_why() -> None:
    result = classify_high_value(make(), at=AT)
    assert result.eligible
    assert not result.is_high_value
    assert [c.criterion for c in result.criteria] == list(Criterion)
    assert all(c.reason for c in result.criteria)
    assert result.audit.constants[0].name == "high_value_maintained_years"


def test_the_reasons_name_values_as_a_reader_writes_them() -> None:
    patent = make(industry="automotive", ipc_codes=["B60K 6/00", "G06F 16/00"])
    reasons = {c.criterion: c.reason for c in classify_high_value(patent, at=AT).criteria}
    assert reasons[Criterion.STRATEGIC_INDUSTRY] == (
        "industry automotive and IPC B60K 6/00, G06F 16/00 match no listed entry"
    )
    assert reasons[Criterion.FOREIGN_FAMILY] == "no family country is recorded"
    home = make(family_countries=["CN"])
    assert classify_high_value(home, at=AT).criteria[1].reason == (
        "no family country other than CN in CN"
    )
    assert not any(mark in r for r in reasons.values() for mark in ("'", "[]", "['"))


@pytest.mark.parametrize(
    ("industry", "ipc", "fragment"),
    [
        ("new_energy_vehicles", [], "新能源汽车产业"),
        ("New-Energy Vehicles", [], "新能源汽车产业"),
        ("生物产业", [], "biotechnology"),
        (None, ["H01M 10/052"], "IPC prefix H01M (still to check):"),
        ("textiles", ["A61K 39/395"], "IPC prefix A61K39"),
    ],
)
def test_strategic_industry_by_name_or_ipc(
    industry: str | None, ipc: list[str], fragment: str
) -> None:
    result = classify_high_value(make(industry=industry, ipc_codes=ipc), at=AT)
    criterion = result.criteria[0]
    assert criterion.criterion is Criterion.STRATEGIC_INDUSTRY
    assert criterion.met
    assert fragment in criterion.reason
    assert result.is_high_value


def test_ipc_prefixes_can_be_switched_off() -> None:
    patent = make(industry="textiles", ipc_codes=["H01M 10/052"])
    assert Criterion.STRATEGIC_INDUSTRY not in met(patent, use_ipc=False)
    assert strategic_match("machinery", ["D06M 1/00"]) is None
    assert normalise_industry("  New Energy  Vehicles ") == "new_energy_vehicles"


def test_foreign_family_member() -> None:
    result = classify_high_value(make(family_countries=["CN", "US", "EP"]), at=AT)
    assert result.criteria[1].met
    assert result.criteria[1].reason == "family granted abroad in EP, US"
    assert Criterion.FOREIGN_FAMILY not in met(make(family_countries=["CN"]))


def test_maintained_more_than_ten_years_boundary() -> None:
    # Filed 2014-05-10: ten years are complete on 2024-05-10; "more than" starts the day after.
    patent = make(filing=date(2014, 5, 10))
    assert parameter("high_value_maintained_years").value == 10
    assert Criterion.LONG_MAINTAINED not in met(patent, at=date(2024, 5, 10))
    assert Criterion.LONG_MAINTAINED in met(patent, at=date(2024, 5, 11))
    lapsed = patent.model_copy(update={"legal_status": LegalStatus.LAPSED})
    result = classify_high_value(lapsed, at=date(2024, 5, 11))
    assert not result.criteria[2].met
    assert result.criteria[2].reason == "not granted and in force at 2024-05-11"


def test_high_pledge_financing_threshold() -> None:
    threshold = parameter("high_value_pledge_amount_threshold").value
    assert Criterion.HIGH_PLEDGE_FINANCING in met(make(), pledge_amount=Money.of(threshold))
    below = classify_high_value(make(), at=AT, pledge_amount=Money.of(threshold - 1))
    assert not below.criteria[3].met
    assert "<" in below.criteria[3].reason
    assert classify_high_value(make(), at=AT).criteria[3].reason == (
        "no pledge-financing amount given"
    )


def test_award() -> None:
    result = classify_high_value(make(), at=AT, award=True, award_name="China Patent Award (Gold)")
    assert result.criteria[4].met
    assert result.criteria[4].reason == "award: China Patent Award (Gold)"
    assert result.is_high_value


@pytest.mark.parametrize(
    ("patent", "why"),
    [
        (make("utility_model", family_countries=["CN", "US"]), "only invention patents qualify"),
        (make(family_countries=["US"], legal_status="expired"), "not in force"),
        (make(filing=date(2000, 1, 3), family_countries=["US"]), "not in force"),  # past term
    ],
)
def test_only_inventions_in_force_qualify(patent: Patent, why: str) -> None:
    result = classify_high_value(patent, at=AT)
    assert Criterion.FOREIGN_FAMILY in result.met  # the criterion is still reported
    assert not result.eligible
    assert not result.is_high_value
    assert why in result.eligibility_reason


# -- batch = single -----------------------------------------------------------------------------

SCHEMA = {
    "patent_id": pl.String,
    "patent_type": pl.String,
    "filing_date": pl.Date,
    "grant_date": pl.Date,
    "legal_status": pl.String,
    "ipc": pl.String,
    "family_countries": pl.String,
    "industry": pl.String,
    "term_adjustment_days": pl.Int64,
    "pledge_amount": pl.Float64,
    "award": pl.Boolean,
}
IPC = ["H01M 10/052", "G06F 1/00", "A61K 39/00", "D06M 1/00", "C12N 5/10"]


@st.composite
def cases(draw: st.DrawFn) -> tuple[Patent, int | None, bool]:
    kind = draw(st.sampled_from(list(TYPE_DIGIT)))
    filing = draw(st.dates(date(2000, 1, 1), date(2024, 12, 31)))
    patent = make(
        kind,
        filing,
        serial=draw(st.integers(1, 9_999_999)),
        legal_status=draw(st.sampled_from(["in_force", "lapsed", "invalidated"])),
        ipc_codes=draw(st.lists(st.sampled_from(IPC), max_size=3)),
        family_countries=draw(st.lists(st.sampled_from(["CN", "US", "JP"]), unique=True)),
        industry=draw(st.none() | st.sampled_from(["biomedicine", "machinery", "新材料产业"])),
        term_adjustment_days=draw(st.integers(0, 400)),
    )
    return patent, draw(st.none() | st.integers(0, 20_000_000)), draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.lists(cases(), min_size=1, max_size=8), st.dates(date(2005, 1, 1), date(2045, 1, 1)))
def test_batch_equals_single(items: list[tuple[Patent, int | None, bool]], at: date) -> None:
    rows = [
        {
            "patent_id": str(p.number),
            "patent_type": p.patent_type.value,
            "filing_date": p.filing_date,
            "grant_date": p.grant_date,
            "legal_status": p.legal_status.value,
            "ipc": ";".join(p.ipc_codes) or None,
            "family_countries": ";".join(p.family_countries) or None,
            "industry": p.industry,
            "term_adjustment_days": p.term_adjustment_days,
            "pledge_amount": None if amount is None else float(amount),
            "award": award,
        }
        for p, amount, award in items
    ]
    batch = classify_high_value_batch(pl.DataFrame(rows, schema=SCHEMA), at=at)
    for (patent, amount, award), line in zip(items, batch.iter_rows(named=True), strict=True):
        pledge = None if amount is None else Money.of(amount)
        single = classify_high_value(patent, at=at, pledge_amount=pledge, award=award)
        assert line["hv_eligible"] == single.eligible
        assert line["hv_is_high_value"] == single.is_high_value
        for criterion in single.criteria:
            assert line[f"hv_{criterion.criterion.value}"] == criterion.met
        assert line["hv_criteria"] == [c.value for c in single.met]


def test_batch_without_optional_columns() -> None:
    data = pl.DataFrame(
        {"patent_id": ["ZL201710601862.3"], "filing_date": [date(2017, 7, 27)]},
    ).with_columns(grant_date=pl.lit(date(2019, 1, 1)), industry=pl.lit("new_energy"))
    line = classify_high_value_batch(data, at=AT).row(0, named=True)
    assert line["hv_eligible"]  # invention from the number, in force by the schema default
    assert line["hv_criteria"] == ["strategic_industry"]

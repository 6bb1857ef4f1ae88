"""Pledge capacity: the headroom arithmetic as a property, and who is eligible."""

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from models import PatentType
from navigation.capacity import (
    BORROWING_COLUMNS,
    capacity_table,
    pledge_capacity,
    without_borrowing,
)
from navigation.dataset import prepare
from pledge import constants
from pledge.policy import DEFAULT_LENDER, load_policies, policy_book
from tests.navigation.builders import number, pledge_frame

DAY = date(2019, 11, 30)
MONEY = pl.Decimal(20, 2)
FIRMS = ["甲公司", "乙公司", "丙公司"]
amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)
patent_rows = st.lists(
    st.tuples(
        st.sampled_from(FIRMS),
        st.sampled_from([t.value for t in PatentType]),
        st.booleans(),
        amounts,
        amounts,
    ),
    max_size=25,
)
debt_rows = st.dictionaries(st.sampled_from([*FIRMS, "丁公司"]), amounts, max_size=4)


@settings(max_examples=60, deadline=None)
@given(patent_rows, debt_rows)
def test_headroom_is_capacity_less_debt_never_below_zero(
    rows: list[tuple[str, str, bool, Decimal, Decimal]], debts: dict[str, Decimal]
) -> None:
    book = policy_book()
    patents = pl.DataFrame(
        {
            "applicant": [r[0] for r in rows],
            "patent_type": [r[1] for r in rows],
            "eligible": [r[2] for r in rows],
            "value": [max(r[3], r[4]) if r[2] else None for r in rows],
            "realisable_value": [min(r[3], r[4]) if r[2] else None for r in rows],
        },
        schema={
            "applicant": pl.String,
            "patent_type": pl.String,
            "eligible": pl.Boolean,
            "value": MONEY,
            "realisable_value": MONEY,
        },
    )
    owed = pl.DataFrame(
        {"applicant": list(debts), "borrowed": list(debts.values())},
        schema={"applicant": pl.String, "borrowed": MONEY},
    )
    table = {
        r["applicant"]: r
        for r in capacity_table(patents, owed, lender=DEFAULT_LENDER, book=book).to_dicts()
    }
    assert set(table) == {r[0] for r in rows} | set(debts)
    for firm, row in table.items():
        mine = [r for r in rows if r[0] == firm]
        eligible = [r for r in mine if r[2]]
        cap = {
            t: book.for_type(DEFAULT_LENDER, PatentType(t)).cap for t in {r[1] for r in eligible}
        }
        capacity = sum(
            (
                (min(r[3], r[4]) * cap[r[1]]).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
                for r in eligible
            ),
            Decimal(0),
        )
        borrowed = debts.get(firm, Decimal(0))
        assert row["valid_patents"] == len(mine)
        assert row["eligible_patents"] == len(eligible)
        assert row["eligible_value"] == sum((max(r[3], r[4]) for r in eligible), Decimal(0))
        assert row["capacity"] == capacity
        assert row["borrowed"] == borrowed
        assert row["headroom"] == max(capacity - borrowed, Decimal(0))
        assert Decimal(0) <= row["headroom"] <= row["capacity"] <= row["realisable_value"]
    headrooms = [r["headroom"] for r in table.values()]
    ordered = capacity_table(patents, owed, lender=DEFAULT_LENDER, book=book)["headroom"].to_list()
    assert ordered == sorted(headrooms, reverse=True)


def patent(serial: int, firm: str | None, **fields: object) -> dict[str, object]:
    filed = date(2015, 3, 1) + timedelta(days=serial)
    return {
        "patent_id": "ZL" + number(filed.year, "invention", serial),
        "patent_type": "invention",
        "filing_date": filed,
        "grant_date": filed + timedelta(days=800),
        "legal_status": "in_force",
        "status_date": None,
        "applicant": firm,
        "claims": 10,
        "family_size": 2,
    } | fields


def pledges(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    """Pledges as (id, enterprise, listed patents, outstanding)."""
    return pledge_frame(
        {
            "pledge_id": [r[0] for r in rows],
            "registered_on": [date(2019, 1, 10)] * len(rows),
            "released_on": [None] * len(rows),
            "bank": ["某银行"] * len(rows),
            "industry": ["textiles"] * len(rows),
            "patent_type": ["invention"] * len(rows),
            "enterprise": [r[1] for r in rows],
            "patent_count": [len(r[2].split(";")) for r in rows],
            "secured_amount": [Decimal("5000000.00")] * len(rows),
            "outstanding": [Decimal(r[3]) for r in rows],
            "pledged_patents": [r[2] for r in rows],
        }
    )


def test_only_eligible_patents_count_and_debts_are_subtracted() -> None:
    rows = [
        patent(1, "甲公司"),
        patent(2, "甲公司"),
        patent(3, "甲公司"),  # in a live pledge: not eligible again
        patent(4, "甲公司", legal_status="lapsed", status_date=date(2019, 3, 1)),  # not valid
        patent(5, "甲公司", fees_paid_through_year=1),  # fees long unpaid: lapsed, not valid
        patent(6, "乙公司"),
        patent(7, None),  # no applicant: no firm to count for
        patent(8, "丙公司", grant_date=None, legal_status="pending"),  # an application only
    ]
    pledged = "ZL" + number(2015, "invention", 3)
    debt = pledges([("P1", "甲公司", pledged, "1000.00"), ("P2", "丁公司", pledged, "250.00")])
    table = {
        r["applicant"]: r
        for r in pledge_capacity(prepare(pl.DataFrame(rows)), DAY, pledges=debt).to_dicts()
    }
    assert set(table) == {"甲公司", "乙公司", "丁公司"}
    first = table["甲公司"]
    assert (first["valid_patents"], first["eligible_patents"]) == (3, 2)
    assert first["borrowed"] == Decimal("1000.00")
    assert first["capacity"] > 0
    assert first["headroom"] == max(first["capacity"] - first["borrowed"], Decimal(0))
    second = table["乙公司"]
    assert second["eligible_patents"] == 1
    assert first["capacity"] > second["capacity"]
    assert table["丁公司"]["valid_patents"] == 0
    assert table["丁公司"]["headroom"] == Decimal(0)


def test_without_borrowing_keeps_the_capacity_and_drops_every_loan() -> None:
    rows = [patent(1, "甲公司"), patent(2, "甲公司"), patent(3, "甲公司"), patent(6, "乙公司")]
    pledged = "ZL" + number(2015, "invention", 3)
    debt = pledges([("P1", "甲公司", pledged, "1000.00"), ("P2", "丁公司", pledged, "250.00")])
    full = pledge_capacity(prepare(pl.DataFrame(rows)), DAY, pledges=debt)
    public = without_borrowing(full)
    assert not set(BORROWING_COLUMNS) & set(public.columns)
    assert public.columns == [c for c in full.columns if c not in BORROWING_COLUMNS]
    # the firm known only by its loan is gone; the others keep their figures, most capacity first
    assert public["applicant"].to_list() == ["甲公司", "乙公司"]
    kept = full.filter(pl.col("valid_patents") > 0).drop(BORROWING_COLUMNS)
    assert public.sort("applicant").equals(kept.sort("applicant"))
    assert public["capacity"].to_list() == sorted(public["capacity"].to_list(), reverse=True)


def test_the_lenders_own_cap_applies() -> None:
    rows = [patent(i, "甲公司") for i in range(1, 6)]
    shipped = list(constants.read_table("lender_policies"))
    strict = {
        "policy_version": "test",
        "lender": "小银行",
        "patent_type": "invention",
        "setting": "ltv_cap",
        "value": "0.10",
        "unit": "fraction",
        "source_id": "BANK-PLEDGE-CAP",
        "note": "",
    }
    book = load_policies([*shipped, strict])
    frame = prepare(pl.DataFrame(rows))
    default = pledge_capacity(frame, DAY, book=book).row(0, named=True)
    small = pledge_capacity(frame, DAY, lender="小银行", book=book).row(0, named=True)
    assert small["realisable_value"] == default["realisable_value"]
    default_cap = book.for_type(DEFAULT_LENDER, PatentType.INVENTION).cap
    assert default_cap == Decimal("0.25")
    assert small["capacity"] < default["capacity"]
    # five patents, each rounded to the fen: the totals differ from the exact product by < 5 fen
    for row, cap in ((default, default_cap), (small, Decimal("0.10"))):
        exact = row["realisable_value"] * cap
        assert abs(row["capacity"] - exact) <= Decimal("0.025")

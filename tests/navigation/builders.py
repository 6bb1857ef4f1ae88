"""A small random navigation dataset, made with the standard library only (no project code), and
the pledge frames the tests give it."""

import random
from datetime import date, timedelta
from typing import Any

import polars as pl

WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
TYPES = {"invention": 1, "utility_model": 2, "design": 3}
APPLICANTS = ["甲公司", "乙公司", "丙公司", "丁公司", "Acme Ltd", None]
REGIONS = ["义乌市", "永康市", "东阳市", None]
INDUSTRIES = ["textiles", "new_energy_vehicles", "hardware", "biomedicine", None]
IPCS = ["H01M 10/052", "D03D 15/00;B60L 53/00", "A61K 31/00", "c12n 15/00", "", None]
COUNTRIES = ["CN", "CN;US", None, "CN;EP;JP"]


def number(year: int, kind: str, serial: int) -> str:
    digits = f"{year}{TYPES[kind]}{serial:07d}"
    total = sum(int(d) * w for d, w in zip(digits, WEIGHTS, strict=True)) % 11
    return f"{digits}.{'X' if total == 10 else total}"


def dataset(size: int, seed: int) -> list[dict[str, Any]]:
    """Rows filed 2015–2019: pending, granted (in force or lapsed later), or refused."""
    rng = random.Random(seed)
    rows = []
    for serial in range(size):
        kind = rng.choice(list(TYPES))
        filed = date(2015, 1, 1) + timedelta(days=rng.randrange(5 * 365))
        outcome = rng.choice(["pending", "granted", "granted", "lapsed", "rejected", "withdrawn"])
        decided = filed + timedelta(days=rng.randrange(60, 1200))
        grant = decided if outcome in ("granted", "lapsed") else None
        status_date = None
        if outcome == "lapsed":
            status_date = decided + timedelta(days=rng.randrange(30, 900))
        elif outcome in ("rejected", "withdrawn"):
            status_date = decided
        rows.append(
            {
                "patent_id": number(filed.year, kind, serial + 1000),
                "patent_type": kind,
                "filing_date": filed,
                "grant_date": grant,
                "legal_status": "in_force" if outcome == "granted" else outcome,
                "status_date": status_date,
                "applicant": rng.choice(APPLICANTS),
                "region": rng.choice(REGIONS),
                "industry": rng.choice(INDUSTRIES),
                "ipc": rng.choice(IPCS),
                "family_countries": rng.choice(COUNTRIES),
                "claims": rng.randrange(1, 20),
            }
        )
    return rows


def status_on(row: dict[str, Any], day: date) -> str | None:
    """The row's status on ``day``, by the rule the dataset module documents."""
    if row["filing_date"] > day:
        return None
    status, grant = row["legal_status"], row["grant_date"]
    lasting = status in ("pending", "in_force")
    started = row["status_date"] or grant or row["filing_date"]
    if not lasting and started <= day:
        return status
    if grant is not None and grant <= day:
        return "in_force"  # no row of this dataset reaches its statutory expiry by 2019
    return "pending"


def pledge_frame(columns: dict[str, list[Any]]) -> pl.DataFrame:
    """Pledges in the statistics schema from their ``columns``: the release day a date, the
    amounts ``Decimal(20, 2)`` (a column of ``None`` would be read as nulls of no type)."""
    money = pl.Decimal(20, 2)
    return pl.DataFrame(
        columns,
        schema_overrides={"released_on": pl.Date, "secured_amount": money, "outstanding": money},
    )

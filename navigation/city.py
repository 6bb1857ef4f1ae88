"""A synthetic demo city: patent filings, grants and lapses of one prefecture-level city.

**Synthetic data.** Every firm, number and date here is made up; only the headline figures are
the city's reported ones (``navigation/data/city_reported.csv``, source JINHUA-2019): from
1 January to 31 October 2019 exactly 35,043 applications and 20,770 grants, of which 5,202
invention applications and 1,403 invention grants. Behind them lies a history from
``demo.first_year`` growing by ``demo.growth`` a year, over the city's main industries
(pharmaceuticals, electromechanical, hardware, textiles) and the ones it cultivates (new-energy
vehicles, biomedicine, optoelectronics), whose shares grow year by year
(``demo_city_sectors.csv``). The shape parameters are in ``parameters_demo.csv``.

How a row is made (numpy, one seeded generator, no per-row Python):

1. filings per year and type: the reported window exactly, the rest of each year at the
   window's pace scaled back by the growth rate; filing days uniform within their span;
2. each application is granted with its type's probability after a lag drawn uniformly between
   the type's bounds, or else rejected or withdrawn then; a decision after the last day leaves it
   pending;
3. grants decided inside the window are then adjusted, by flipping the fewest decisions, so that
   the window holds exactly the reported grants of inventions and of other types;
4. a granted patent lapses for an unpaid annual fee with a yearly probability; the right ends on
   the due date (the filing anniversary), once the six-month grace window has passed by the last
   day;
5. each application goes to a firm of its sector (firm sizes Zipf-distributed), which sits in one
   of the city's districts; the features (claims, citations, family) are drawn by type.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import numpy.typing as npt
import polars as pl

from models.enums import LegalStatus, PartyKind
from navigation.constants import parameter, read_table
from pledge.demo import CITY, INDUSTRIES, PROVINCE, jinhua_portfolio
from valuation.constants import read_table as valuation_table
from valuation.frame import add_years

DAYS_PER_MONTH = 30.4375
GRACE_MONTHS = 6
INVENTION, UTILITY_MODEL, DESIGN = 0, 1, 2
_TYPE_NAMES = ("invention", "utility_model", "design")
_TYPE_DIGITS = np.array([1, 2, 3])
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_SYLLABLES = "金华宏达信恒通明瑞泰鑫盛嘉德博新科源康力安正永丰兴隆天宇"
_SUFFIXES = ("有限公司", "股份有限公司", "科技有限公司")
_SERIALS = (2_000_000, 5_000_000)
"""Serial numbers of the city's filings start in this range (the demo portfolio's lie below)."""
_FOREIGN = ("CN;US", "CN;EP", "CN;US;EP", "CN;JP", "CN;KR", "CN;US;JP;EP")

Dates = npt.NDArray[np.datetime64]
Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Reported:
    """The city's reported figures (``city_reported.csv``)."""

    window_start: date
    window_end: date
    applications: int
    grants: int
    invention_applications: int
    invention_grants: int
    pledge_as_of: date
    pledge_total: str


@cache
def reported() -> Reported:
    """The reported figures, read once."""
    values = {
        row["name"].removeprefix("city."): row["value"] for row in read_table("city_reported")
    }
    return Reported(
        window_start=date.fromisoformat(values["window_start"]),
        window_end=date.fromisoformat(values["window_end"]),
        applications=int(values["applications"]),
        grants=int(values["grants"]),
        invention_applications=int(values["invention_applications"]),
        invention_grants=int(values["invention_grants"]),
        pledge_as_of=date.fromisoformat(values["pledge_as_of"]),
        pledge_total=values["pledge_total"],
    )


def _p(name: str) -> float:
    return float(parameter(f"demo.{name}").value)


def _day(value: date) -> np.datetime64:
    return np.datetime64(value, "D")


def _uniform_days(rng: np.random.Generator, start: date, end: date, size: int) -> Dates:
    span = (end - start).days + 1
    return _day(start) + rng.integers(0, span, size).astype("timedelta64[D]")


def _filings(rng: np.random.Generator, last_day: date) -> tuple[Dates, Ints]:
    """Filing days and types: the reported window exactly, the history scaled by growth."""
    target = reported()
    window_days = (target.window_end - target.window_start).days + 1
    daily = target.applications / window_days
    invention_share = target.invention_applications / target.applications
    utility_share = _p("utility_model_share")
    spans: list[tuple[date, date, int, int]] = [
        (target.window_start, target.window_end, target.applications, target.invention_applications)
    ]
    after = date.fromordinal(target.window_end.toordinal() + 1)
    if after <= last_day:
        count = round(daily * ((last_day - after).days + 1))
        spans.append((after, last_day, count, round(count * invention_share)))
    for year in range(int(_p("first_year")), target.window_start.year):
        scale = (1 + _p("growth")) ** (target.window_start.year - year)
        count = round(daily * 365 / scale)
        spans.append((date(year, 1, 1), date(year, 12, 31), count, round(count * invention_share)))
    days: list[Dates] = []
    kinds: list[Ints] = []
    for start, end, count, inventions in spans:
        utility = round((count - inventions) * utility_share)
        kind = np.repeat(
            [INVENTION, UTILITY_MODEL, DESIGN], [inventions, utility, count - inventions - utility]
        )
        days.append(_uniform_days(rng, start, end, count))
        kinds.append(rng.permutation(kind))
    return np.concatenate(days), np.concatenate(kinds).astype(np.int64)


def _decisions(rng: np.random.Generator, filed: Dates, kind: Ints) -> tuple[Dates, Flags]:
    """Decision day and whether the application is granted, by its type's probability and lag."""
    names = ("invention", "utility", "design")
    probability = np.array([_p(f"{n}_grant_probability") for n in names])[kind]
    low = np.array([_p(f"{n}_lag_months_low") for n in names])[kind]
    high = np.array([_p(f"{n}_lag_months_high") for n in names])[kind]
    lag = np.rint(rng.uniform(low, high) * DAYS_PER_MONTH).astype(np.int64)
    return filed + lag.astype("timedelta64[D]"), rng.random(kind.size) < probability


def _hit(rng: np.random.Generator, granted: Flags, pool: Flags, target: int) -> None:
    """Flip the fewest decisions in ``pool`` so that exactly ``target`` of it are grants."""
    gap = target - int((granted & pool).sum())
    if gap == 0:
        return
    flip_from = pool & (granted if gap < 0 else ~granted)
    candidates = np.flatnonzero(flip_from)
    if candidates.size < abs(gap):
        raise ValueError(f"the demo parameters cannot give {target} grants in the window")
    granted[rng.choice(candidates, abs(gap), replace=False)] = gap > 0


def _lapses(
    rng: np.random.Generator, filed: Dates, granted_on: Dates, granted: Flags, last: date
) -> tuple[Flags, Dates]:
    """Which granted patents have lapsed by ``last``, and the due date their right ended on."""
    years_to_grant = ((granted_on - filed).astype(np.int64) // 365) + 1
    unpaid_after = rng.geometric(_p("lapse_probability_per_year"), filed.size).astype(np.int64)
    anniversaries = pl.DataFrame({"filed": filed, "years": years_to_grant + unpaid_after - 1})
    moved = anniversaries.select(add_years(pl.col("filed").cast(pl.Date), pl.col("years")))
    due: Dates = moved.to_series().to_numpy().astype("datetime64[D]")
    window_end = due.astype("datetime64[M]") + GRACE_MONTHS
    lapsed = granted & (window_end.astype("datetime64[D]") <= _day(last))
    return lapsed, due


@dataclass(frozen=True, slots=True)
class Firms:
    """The synthetic applicant firms: name, district and sector, and each one's size weight."""

    names: list[str]
    regions: list[str]
    sectors: Ints
    weights: npt.NDArray[np.float64]


def _firms(rng: np.random.Generator, sectors: pl.DataFrame) -> Firms:
    """``demo.enterprises`` distinct firms: '<district><brand><sector>有限公司', Zipf-sized."""
    count = int(_p("enterprises"))
    districts = read_table("demo_city_regions")
    places = [row["region"] for row in districts]
    weights = np.array([float(row["weight"]) for row in districts])
    brands = ["".join(pair) for pair in itertools.permutations(_SYLLABLES, 2)]
    mean_share = (sectors["share_first_year"] + sectors["share_2019"]).to_numpy() / 2
    region = rng.choice(len(places), count, p=weights / weights.sum())
    sector = rng.choice(sectors.height, count, p=mean_share / mean_share.sum())
    names: list[str] = []
    seen: set[str] = set()
    words = sectors["name_zh"].to_list()
    for r, k in zip(region.tolist(), sector.tolist(), strict=True):
        while True:
            brand = brands[int(rng.integers(len(brands)))]
            suffix = _SUFFIXES[int(rng.integers(len(_SUFFIXES)))]
            name = f"{places[r][:2]}{brand}{words[k]}{suffix}"
            if name not in seen:
                break
        seen.add(name)
        names.append(name)
    size = rng.permutation(1.0 / np.arange(1, count + 1) ** _p("enterprise_size_exponent"))
    regions = [places[r] for r in region.tolist()]
    # The demo portfolio's enterprises are the largest firms of their sectors.
    keys = sectors["sector"].to_list()
    for k, members in itertools.groupby(
        sorted(_portfolio_firms(), key=lambda f: f[2]), lambda f: f[2]
    ):
        index = keys.index(k)
        largest = np.flatnonzero(sector == index)[np.argsort(-size[sector == index])]
        for slot, (name, district, _) in zip(largest.tolist(), members, strict=False):
            names[slot], regions[slot] = name, district
    return Firms(names, regions, sector.astype(np.int64), size)


def _portfolio_firms() -> list[tuple[str, str, str]]:
    """The demo portfolio's enterprises as (name, district, sector)."""
    prefix = PROVINCE + CITY
    return [
        (party.name, (party.region or "").removeprefix(prefix), party.industry or "")
        for party in jinhua_portfolio().parties
        if party.kind is PartyKind.ENTERPRISE
    ]


def _sector_table() -> pl.DataFrame:
    """Each sector's filing shares, Chinese name, IPC codes and royalty band (the demo
    portfolio's industries, ``pledge.demo.INDUSTRIES``)."""
    shape = pl.DataFrame(read_table("demo_city_sectors")).select(
        "sector", pl.col("share_first_year", "share_2019").cast(pl.Float64)
    )
    known = {industry.key: industry for industry in INDUSTRIES}
    if set(shape["sector"]) != set(known):
        raise ValueError("demo_city_sectors.csv and pledge.demo.INDUSTRIES name other sectors")
    return shape.with_columns(
        name_zh=pl.col("sector").replace_strict({k: i.name_zh for k, i in known.items()}),
        ipc=pl.col("sector").replace_strict({k: ";".join(i.ipc) for k, i in known.items()}),
        royalty_band=pl.col("sector").replace_strict(
            {k: i.royalty_band for k, i in known.items()}, return_dtype=pl.String
        ),
    )


def _assign_firms(
    rng: np.random.Generator, year: Ints, sectors: pl.DataFrame, firms: Firms
) -> Ints:
    """A firm for each application: its sector by the filing year's mix, then a firm of it."""
    first, last = int(_p("first_year")), reported().window_start.year
    start = sectors["share_first_year"].to_numpy()
    end = sectors["share_2019"].to_numpy()
    firm_of = np.empty(year.size, dtype=np.int64)
    for y in np.unique(year).tolist():
        rows = np.flatnonzero(year == y)
        t = min(max((y - first) / max(last - first, 1), 0.0), 1.0)
        mix = start + (end - start) * t
        sector = rng.choice(mix.size, rows.size, p=mix / mix.sum())
        for k in range(mix.size):
            members = np.flatnonzero(firms.sectors == k)
            picked = rows[sector == k]
            weight = firms.weights[members]
            firm_of[picked] = members[
                rng.choice(members.size, picked.size, p=weight / weight.sum())
            ]
    return firm_of


def _numbers(
    rng: np.random.Generator, filed: Dates, kind: Ints, granted: Flags
) -> npt.NDArray[np.str_]:
    """Distinct application numbers (YYYY + type digit + serial + check); 'ZL' once granted."""
    year = filed.astype("datetime64[Y]").astype(np.int64) + 1970
    order = np.lexsort((filed, kind, year))
    serial = np.empty(kind.size, dtype=np.int64)
    group = year[order] * 10 + kind[order]
    starts = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
    position = np.arange(kind.size) - np.repeat(starts, np.diff(np.r_[starts, kind.size]))
    offset = rng.integers(*_SERIALS, starts.size)
    serial[order] = np.repeat(offset, np.diff(np.r_[starts, kind.size])) + position
    number = year * 10**8 + _TYPE_DIGITS[kind] * 10**7 + serial
    weighted = sum(((number // 10 ** (11 - i)) % 10) * w for i, w in enumerate(_WEIGHTS))
    check = np.where(weighted % 11 == 10, "X", (weighted % 11).astype(str))
    text = np.char.add(np.char.add(number.astype(str), "."), check)
    return np.where(granted, np.char.add("ZL", text), text)


def _features(
    rng: np.random.Generator, kind: Ints, ipc_codes: list[list[str]], sector: Ints
) -> dict[str, object]:
    """Bibliographic features drawn by type (inventions carry more claims and citations)."""
    size = kind.size
    invention, design = kind == INVENTION, kind == DESIGN
    claims = np.where(invention, rng.integers(6, 16, size), rng.integers(3, 10, size))
    claims = np.where(design, 1, claims)
    independent = np.minimum(
        np.where(invention, rng.integers(1, 4, size), rng.integers(1, 3, size)), claims
    )
    foreign = invention & (rng.random(size) < _p("foreign_family_probability"))
    countries = np.where(foreign, np.array(_FOREIGN)[rng.integers(0, len(_FOREIGN), size)], "CN")
    codes = [ipc_codes[k] for k in sector.tolist()]
    picked = rng.integers(0, 3, size)
    extra = rng.random(size) < 0.35
    ipc = [
        c[p] + (";" + c[(p + 1) % len(c)] if x else "")
        for c, p, x in zip(codes, picked.tolist(), extra.tolist(), strict=True)
    ]
    return {
        "ipc": ipc,
        "claims": claims,
        "independent_claims": independent,
        "forward_citations": rng.poisson(np.where(invention, 1.2, np.where(design, 0.0, 0.4))),
        "backward_citations": rng.poisson(np.where(invention, 6.0, np.where(design, 0.0, 2.5))),
        "npl_citations": rng.poisson(np.where(invention, 2.0, 0.2)) * ~design,
        "family_size": np.where(
            foreign, np.char.count(countries, ";") + 1 + rng.integers(0, 3, size), 1
        ),
        "family_countries": countries,
        "inventors": np.where(design, rng.integers(1, 3, size), rng.integers(1, 7, size)),
    }


def portfolio_patents() -> pl.DataFrame:
    """The demo portfolio's pledged patents (``pledge.demo``) as dataset rows, owned by its
    enterprises; the one that lapsed carries its lapse day."""
    portfolio = jinhua_portfolio()
    firms = {p.party_id: p for p in portfolio.parties}
    lapsed = {lapse.patent_number: lapse.on for lapse in portfolio.lapses}
    prefix = PROVINCE + CITY
    rows = []
    for patent in portfolio.patents:
        owner = firms[patent.owners[0].party_id or ""]
        number = patent.number.patent_number
        rows.append(
            {
                "patent_id": number,
                "patent_type": patent.patent_type.value,
                "filing_date": patent.filing_date,
                "grant_date": patent.grant_date,
                "legal_status": LegalStatus.LAPSED.value if number in lapsed else "in_force",
                "status_date": lapsed.get(number),
                "applicant": owner.name,
                "region": (owner.region or "").removeprefix(prefix),
                "industry": owner.industry,
                "ipc": ";".join(patent.ipc_codes),
                "claims": patent.claims,
                "independent_claims": patent.independent_claims,
                "family_size": patent.family_size,
                "family_countries": "CN",
                "inventors": len(patent.inventors),
                "fees_paid_through_year": patent.fees_paid_through_year,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"status_date": pl.Date})


def city_pledges() -> pl.DataFrame:
    """The demo portfolio's pledges in the statistics schema (:mod:`pledge.statistics`), as
    known on the day of the reported total, with the pledgor's name as ``enterprise`` and the
    ``pledged_patents`` each lists."""
    portfolio = jinhua_portfolio()
    names = {p.party_id: p.name for p in portfolio.parties}
    listed = {
        f.pledge.pledge_id: ";".join(n.patent_number for n in f.pledge.patents)
        for f in portfolio.financings
    }
    frame = portfolio.pledge_frame(reported().pledge_as_of)
    return frame.with_columns(
        pl.col("enterprise").replace_strict(names),
        pl.col("pledge_id").replace_strict(listed).alias("pledged_patents"),
    )


def _window_counts(rows: pl.DataFrame) -> dict[str, int]:
    """Applications and grants of ``rows`` inside the reported window, in all and inventions."""
    target = reported()
    filed = pl.col("filing_date").is_between(target.window_start, target.window_end)
    granted = pl.col("grant_date").is_between(target.window_start, target.window_end)
    invention = pl.col("patent_type") == "invention"
    counts = rows.select(
        applications=filed.sum(),
        invention_applications=(filed & invention).sum(),
        grants=granted.sum(),
        invention_grants=(granted & invention).sum(),
    )
    return {k: int(v) for k, v in counts.row(0, named=True).items()}


def _income_inputs(
    rng: np.random.Generator, kind: Ints, granted: Flags, bands: list[tuple[float, float] | None]
) -> dict[str, object]:
    """Yearly revenue of the products using a share of the granted patents, with a royalty rate
    drawn within the band of the patent's sector (none where the sector has no band)."""
    share = np.where(kind == INVENTION, _p("revenue_share_invention"), _p("revenue_share_other"))
    has_band = np.array([band is not None for band in bands])
    reports = granted & has_band & (rng.random(kind.size) < share)
    low = np.array([band[0] if band else 0.0 for band in bands])
    high = np.array([band[1] if band else 0.0 for band in bands])
    revenue = np.round(rng.lognormal(_p("revenue_log_mean"), _p("revenue_log_sd"), kind.size), 2)
    royalty = np.round(rng.uniform(low, high), 4)
    return {
        "revenue": np.where(reports, revenue, np.nan),
        "royalty_rate": np.where(reports, royalty, np.nan),
    }


def city_patents(last_day: date | None = None) -> pl.DataFrame:
    """The synthetic city's patents and applications filed up to ``last_day`` (default: the
    day of the reported pledge total), one row each, in the navigation dataset schema."""
    last = last_day or reported().pledge_as_of
    rng = np.random.default_rng(int(_p("seed")))
    sectors = _sector_table()
    firms = _firms(rng, sectors)
    filed, kind = _filings(rng, last)
    decided, granted = _decisions(rng, filed, kind)
    target = reported()
    portfolio = portfolio_patents()
    theirs = _window_counts(portfolio)
    in_window = (decided >= _day(target.window_start)) & (decided <= _day(target.window_end))
    inventions = target.invention_grants - theirs["invention_grants"]
    others = target.grants - target.invention_grants - theirs["grants"] + theirs["invention_grants"]
    _hit(rng, granted, in_window & (kind == INVENTION), inventions)
    _hit(rng, granted, in_window & (kind != INVENTION), others)
    decided_by_last = decided <= _day(last)
    granted &= decided_by_last
    lapsed, due = _lapses(rng, filed, decided, granted, last)
    refused = decided_by_last & ~granted
    rejected = refused & (rng.random(kind.size) < 0.5)
    status = np.select(
        [lapsed, granted, rejected, refused],
        ["lapsed", "in_force", "rejected", "withdrawn"],
        default="pending",
    )
    status_date = np.where(lapsed, due, np.where(refused, decided, np.datetime64("NaT")))
    year = filed.astype("datetime64[Y]").astype(np.int64) + 1970
    firm = _assign_firms(rng, year, sectors, firms)
    sector = firms.sectors[firm]
    ipc_codes = [text.split(";") for text in sectors["ipc"].to_list()]
    band_table = {
        r["industry"]: (float(r["low"]), float(r["high"])) for r in valuation_table("royalty_bands")
    }
    bands = [band_table.get(key) if key else None for key in sectors["royalty_band"].to_list()]
    frame = pl.DataFrame(
        {
            "patent_id": _numbers(rng, filed, kind, granted | lapsed),
            "patent_type": np.array(_TYPE_NAMES)[kind],
            "filing_date": filed,
            "grant_date": np.where(granted | lapsed, decided, np.datetime64("NaT")),
            "legal_status": status,
            "status_date": status_date,
            "applicant": np.array(firms.names)[firm],
            "region": np.array(firms.regions)[firm],
            "industry": sectors["sector"].to_numpy()[sector],
            **_features(rng, kind, ipc_codes, sector),
            **_income_inputs(rng, kind, granted & ~lapsed, [bands[k] for k in sector.tolist()]),
        }
    ).with_columns(
        pl.col("filing_date", "grant_date", "status_date").cast(pl.Date),
        pl.col("revenue").fill_nan(None).cast(pl.Decimal(20, 2)),
        pl.col("royalty_rate").fill_nan(None).cast(pl.Decimal(12, 6)),
    )
    merged = pl.concat([frame, portfolio], how="diagonal_relaxed")
    if merged["patent_id"].str.strip_prefix("ZL").n_unique() != merged.height:
        raise ValueError("a city number repeats one of the demo portfolio's")
    return merged.sort("filing_date", "patent_id")

"""Pledge financing seen from a region: totals, each patent's pledged amount, each firm's debt.

The pledges are the frame of :mod:`pledge.statistics` (one row per pledge), optionally with a
``pledged_patents`` column: the patent numbers the pledge lists, separated by ``;``, in any form
:class:`models.patent_number.PatentNumber` reads. A pledge's ``enterprise`` is matched with the
dataset's ``applicant`` on the text.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pledge.disclosure import DisclosureRule
from pledge.proposal import normalise_number
from pledge.statistics import Dimension, live_as_of, pledge_statistics, registrations

MONEY = pl.Decimal(20, 2)
PLEDGED_PATENTS = "pledged_patents"


def pledge_tables(
    pledges: pl.DataFrame, day: date, disclosure: DisclosureRule | None = None
) -> dict[str, pl.DataFrame]:
    """Live pledges on ``day`` in total, by bank and by industry; registrations per year; with
    ``disclosure``, the amounts of lines of few enterprises withheld (:mod:`pledge.disclosure`)."""
    return {
        "pledges": pledge_statistics(pledges, day, disclosure=disclosure),
        "pledges_by_bank": pledge_statistics(
            pledges, day, by=[Dimension.BANK], disclosure=disclosure
        ),
        "pledges_by_industry": pledge_statistics(
            pledges, day, by=[Dimension.INDUSTRY], disclosure=disclosure
        ),
        "pledge_registrations": registrations(
            pledges, Dimension.YEAR, until=day, disclosure=disclosure
        ),
    }


def _listed(pledges: pl.DataFrame, day: date) -> pl.DataFrame:
    """One row per (live pledge, listed patent): ``patent_id`` normalised, with the pledge's
    ``enterprise``, ``secured_amount`` and ``patent_count``."""
    live = live_as_of(pledges, day)
    if PLEDGED_PATENTS not in pledges.columns:
        return pl.DataFrame(
            schema={
                "patent_id": pl.String,
                "enterprise": pl.String,
                "secured_amount": MONEY,
                "patent_count": pl.Int64,
            }
        )
    lists = pledges.select("pledge_id", pl.col(PLEDGED_PATENTS).cast(pl.String))
    exploded = (
        live.join(lists, on="pledge_id", how="left")
        .with_columns(pl.col(PLEDGED_PATENTS).str.split(";"))
        .explode(PLEDGED_PATENTS)
        .with_columns(pl.col(PLEDGED_PATENTS).str.strip_chars())
        .filter(pl.col(PLEDGED_PATENTS).str.len_chars() > 0)
    )
    numbers = exploded[PLEDGED_PATENTS].unique().to_list()
    normal = {number: normalise_number(number) for number in numbers}
    return exploded.select(
        pl.col(PLEDGED_PATENTS).replace_strict(normal, return_dtype=pl.String).alias("patent_id"),
        "enterprise",
        "secured_amount",
        "patent_count",
    )


def patent_pledge_amounts(pledges: pl.DataFrame, day: date) -> pl.DataFrame:
    """``patent_id`` and ``pledge_amount``: the patent's share (amount / patent count) of each
    live pledge on ``day`` that lists it, summed."""
    listed = _listed(pledges, day)
    share = (pl.col("secured_amount") / pl.col("patent_count")).cast(MONEY)
    return listed.group_by("patent_id").agg(share.sum().cast(MONEY).alias("pledge_amount"))


def pledged_patents(pledges: pl.DataFrame, day: date) -> frozenset[str]:
    """The patents in a live pledge on ``day``."""
    return frozenset(_listed(pledges, day)["patent_id"].to_list())


def borrowed(pledges: pl.DataFrame, day: date) -> pl.DataFrame:
    """``enterprise`` and ``borrowed``: the outstanding balance of its live pledges on ``day``."""
    live = live_as_of(pledges, day)
    return live.group_by("enterprise").agg(
        pl.col("outstanding").sum().cast(MONEY).alias("borrowed")
    )

r"""Pledge capacity: what each firm's patents could secure, what it borrows, and the headroom.

For each applicant, as of a day D and under a lender's policy:

.. math::

    \text{capacity} = \sum_{p \in E} \operatorname{round}(V^{real}_p \cdot \mathrm{LTV}_{type(p)}),
    \qquad \text{headroom} = \max(\text{capacity} - \text{borrowed},\ 0)

where :math:`E` are its **eligible** patents: valid on D and passing the pledge pre-check
(:func:`pledge.eligibility_batch.eligibility_batch`) with no blocking finding for a loan of
``capacity.term_months`` months from D — fees paid, no preservation or dispute, not already in a
live pledge, in force through the loan term. Ownership is not in question (each firm pledges
its own patents): the pre-check runs with the applicant as the owner, and its findings on who
pledges are not counted.
:math:`V^{real}_p` is the realisable value of :func:`valuation.batch.value_frame` at D and
:math:`\mathrm{LTV}` the lender's cap per patent type (:mod:`pledge.policy`); ``borrowed`` is the
outstanding balance of the firm's live pledges on D. Money is Decimal, each patent's loan rounded
half-even to the fen.

``borrowed`` and ``headroom`` are a firm's loans: :func:`without_borrowing` leaves them out for a
reader who may see no borrower's financing (the service's regulator and admin). What remains rests
on the patent register and the pledge registrations alone (a pledged patent is not eligible).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial

import polars as pl

from models.enums import LegalStatus, PatentType
from models.money import Money
from navigation.constants import parameter
from navigation.dataset import CHUNK_ROWS, as_of
from navigation.pledges import MONEY, borrowed, pledged_patents
from pledge.eligibility_batch import eligibility_batch
from pledge.findings import Code, Severity
from pledge.policy import DEFAULT_LENDER, PolicyBook, policy_book
from pledge.proposal import ProposedLoan
from valuation.batch import value_frame
from valuation.features import FittedModel
from valuation.pipeline import in_order

FEN = 2
RATE = pl.Decimal(12, 6)
PLEDGOR = "applicant"
"""The loan's pledgor in the pre-check; each row is pledged by its own applicant."""
OWNERSHIP = [Code.PLEDGOR_NOT_REGISTERED_OWNER.value, Code.COOWNER_CONSENT_MISSING.value]
"""Findings on who pledges, not on the patent: each firm pledges its own patents (an applicant
whose name holds ``;`` would read as several owners)."""
CAPACITY_COLUMNS = (
    "applicant",
    "valid_patents",
    "eligible_patents",
    "eligible_value",
    "realisable_value",
    "capacity",
    "borrowed",
    "headroom",
)
BORROWING_COLUMNS = ("borrowed", "headroom")
"""The columns that tell what a firm borrows."""


def _eligible(
    valid: pl.DataFrame, day: date, live: frozenset[str], lender: str, book: PolicyBook
) -> pl.Series:
    """Whether each row of ``valid`` passes the per-patent pre-check with no blocking finding
    other than those on who pledges (:data:`OWNERSHIP`)."""
    term = int(parameter("capacity.term_months").value)
    loan = ProposedLoan(
        amount=Money.of(parameter("capacity.probe_amount").value),
        term_months=term,
        pledgor=PLEDGOR,
        lender=lender,
    )
    checked = eligibility_batch(
        valid.with_columns(
            pl.col("applicant").alias("owners"), pl.col("applicant").alias("pledgor")
        ),
        loan,
        day,
        live_pledges=live,
        book=book,
    )
    findings = checked.findings
    blocked = findings.filter(
        (pl.col("severity") == Severity.BLOCK.value) & ~pl.col("code").is_in(OWNERSHIP)
    )["row"]
    return ~pl.Series(range(valid.height)).is_in(blocked.cast(pl.Int64).implode())


def _loan_per_patent(book: PolicyBook, lender: str) -> pl.Expr:
    """Realisable value × the lender's LTV cap for the patent's type, half-even to the fen."""
    caps = {kind.value: book.for_type(lender, kind).cap for kind in PatentType}
    cap = pl.col("patent_type").replace_strict(caps, default=None, return_dtype=RATE)
    loan = pl.col("realisable_value").cast(MONEY) * cap
    return loan.round(FEN, mode="half_to_even").cast(MONEY)


def capacity_table(
    patents: pl.DataFrame, debts: pl.DataFrame, *, lender: str, book: PolicyBook
) -> pl.DataFrame:
    """The capacity arithmetic: :data:`CAPACITY_COLUMNS` per applicant, most headroom first.

    ``patents`` holds a firm's valid patents: ``applicant``, ``patent_type``, ``eligible``
    (bool) and, for the eligible ones, ``value`` and ``realisable_value`` (Decimal CNY);
    ``debts`` holds ``applicant`` and ``borrowed``. A firm that borrows without a valid patent
    is listed too.
    """
    zero = pl.lit(Decimal(0)).cast(MONEY)
    eligible = pl.col("eligible")
    priced = patents.with_columns(
        pl.when(eligible).then(_loan_per_patent(book, lender)).alias("capacity")
    )
    per_firm = priced.group_by("applicant").agg(
        pl.len().cast(pl.Int64).alias("valid_patents"),
        eligible.sum().cast(pl.Int64).alias("eligible_patents"),
        *(
            pl.col(name).filter(eligible).sum().cast(MONEY).alias(alias)
            for name, alias in (
                ("value", "eligible_value"),
                ("realisable_value", "realisable_value"),
                ("capacity", "capacity"),
            )
        ),
    )
    table = per_firm.join(debts, on="applicant", how="full", coalesce=True).with_columns(
        pl.col("valid_patents", "eligible_patents").fill_null(0),
        pl.col("eligible_value", "realisable_value", "capacity", "borrowed").fill_null(zero),
    )
    headroom = pl.max_horizontal(pl.col("capacity") - pl.col("borrowed"), zero).cast(MONEY)
    return (
        table.with_columns(headroom.alias("headroom"))
        .select(CAPACITY_COLUMNS)
        .sort(["headroom", "applicant"], descending=[True, False])
    )


def without_borrowing(table: pl.DataFrame) -> pl.DataFrame:
    """The capacity table without what each firm borrows (:data:`BORROWING_COLUMNS`), most
    capacity first; a firm listed only for its borrowing (no valid patent) is left out."""
    return (
        table.filter(pl.col("valid_patents") > 0)
        .drop(BORROWING_COLUMNS, strict=False)
        .sort(["capacity", "applicant"], descending=[True, False])
    )


def pledge_capacity(
    rows: pl.DataFrame | pl.LazyFrame,
    day: date,
    *,
    pledges: pl.DataFrame | None = None,
    lender: str = DEFAULT_LENDER,
    book: PolicyBook | None = None,
    model: FittedModel | None = None,
) -> pl.DataFrame:
    """Per applicant: :data:`CAPACITY_COLUMNS`, most headroom first (:func:`capacity_table`).

    ``rows`` are the valid rows of a prepared dataset (:func:`navigation.dataset.prepare`);
    a patent without an applicant has no firm to count for and is left out.
    """
    book = book or policy_book()
    valid = (
        as_of(rows.lazy(), day)
        .filter(
            (pl.col("legal_status") == LegalStatus.IN_FORCE.value)
            & pl.col("applicant").is_not_null()
        )
        .collect()
    )
    debts = (
        borrowed(pledges, day).rename({"enterprise": "applicant"})
        if pledges is not None
        else pl.DataFrame(schema={"applicant": pl.String, "borrowed": MONEY})
    )
    live = pledged_patents(pledges, day) if pledges is not None else frozenset()
    # Firms are checked and valued a part at a time (two at once), each firm's patents in one
    # part (the pre-check compares a firm's patents with each other), so a part's work is held
    # at once.
    parts = max(1, -(-valid.height // CHUNK_ROWS))
    part = pl.col("applicant").hash() % parts
    firms = (valid.filter(part == number) for number in range(parts))
    price = partial(_priced, day=day, live=live, lender=lender, book=book, model=model)
    patents = pl.concat(list(in_order(firms, price)))
    return capacity_table(patents, debts, lender=lender, book=book)


def _priced(
    valid: pl.DataFrame,
    day: date,
    live: frozenset[str],
    lender: str,
    book: PolicyBook,
    model: FittedModel | None,
) -> pl.DataFrame:
    """Per valid patent: ``applicant``, ``patent_type``, ``eligible`` and, when eligible,
    ``value`` and ``realisable_value``."""
    patents = valid.select(
        pl.int_range(pl.len()).alias("_row"),
        "applicant",
        "patent_type",
        _eligible(valid, day, live, lender, book).alias("eligible"),
    )
    chosen = valid.filter(patents["eligible"])
    values = value_frame(chosen, base_date=day, model=model).select("value", "realisable_value")
    priced = values.with_columns(patents.filter("eligible")["_row"])
    return patents.join(priced, on="_row", how="left").drop("_row")

"""Whose records a caller sees: the tenancy rule, in one place.

* an enterprise sees its own patents (it is named an owner), the pledges it gives and the loans
  it takes, and the appraisals it asked for;
* a bank sees the loans it lends, the pledges it holds, the appraisals it asked for, and the
  patents of those pledges and appraisals;
* an admin sees every patent and manages parties and credentials, but no financing;
* a regulator sees aggregates only (statistics), never a borrower-level record.

No figure a party sees rests on another party's record: the valuations a pre-check, a pledge's
pre-check or a loan's collateral use are those the relying party asked for, or made outside the
service (:func:`storage.patents.latest_valuations`).

A role that may not use an operation at all gets 403 (before any record is looked up, so a 403
tells nothing about records). A record of another tenant reads exactly as a missing one: 404
``NOT_FOUND`` with the same message.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from api.errors import not_found
from api.security import Principal
from models.enums import Role
from models.patent import Patent
from pledge.proposal import normalise_number
from storage import listings
from storage.appraisals import requester_of
from storage.listings import Scope


def scope_of(principal: Principal) -> Scope:
    """The listing scope of a caller (every record for an admin)."""
    if principal.role is Role.ADMIN:
        return listings.EVERYONE
    return Scope(principal.party_id, as_bank=principal.role is Role.BANK)


def patent_number(text: str) -> str:
    """A patent number in its granted form; 404 when it is not one (no such patent)."""
    try:
        return normalise_number(text)
    except ValueError:
        raise not_found("patent_number", f"no patent {text!r} in the register") from None


def visible_patent(session: Session, principal: Principal, number: str) -> str:
    """The normalised number of a patent the caller may read; 404 otherwise."""
    normal = patent_number(number)
    if not listings.patent_in_scope(session, normal, scope_of(principal)):
        raise not_found("patent_number", f"no patent {number!r} in the register")
    return normal


def _usable_scope(principal: Principal) -> Scope:
    """Whose patents the caller may appraise or pre-check: an enterprise its own; a bank any
    registered patent (the borrower hands it the numbers; the register is public)."""
    return listings.EVERYONE if principal.role is Role.BANK else scope_of(principal)


def usable_patent(session: Session, principal: Principal, number: str) -> str:
    """The normalised number of a patent the caller may appraise or pre-check
    (:func:`usable_patents`); 404 otherwise."""
    normal = patent_number(number)
    if not listings.patent_in_scope(session, normal, _usable_scope(principal)):
        raise not_found("patent_number", f"no patent {number!r} in the register")
    return normal


def usable_patents(session: Session, principal: Principal, numbers: Sequence[str]) -> list[Patent]:
    """The patents ``numbers`` that the caller may appraise or pre-check, in the order given,
    read in one query; 404 naming the first that is not one."""
    normal = [patent_number(n) for n in numbers]
    found = listings.patents_in_scope(session, normal, _usable_scope(principal))
    for text, number in zip(numbers, normal, strict=True):
        if number not in found:
            raise not_found("patent_number", f"no patent {text!r} in the register")
    return [found[n] for n in normal]


def visible_pledge(session: Session, principal: Principal, pledge_id: str) -> None:
    """404 unless the caller is a party to pledge ``pledge_id``."""
    if not listings.pledge_in_scope(session, pledge_id, scope_of(principal)):
        raise not_found("pledge_id", f"no pledge {pledge_id!r}")


def visible_loan(session: Session, principal: Principal, loan_id: str) -> None:
    """404 unless the caller is a party to loan ``loan_id``."""
    if not listings.loan_in_scope(session, loan_id, scope_of(principal)):
        raise not_found("loan_id", f"no loan {loan_id!r}")


def visible_appraisal(session: Session, principal: Principal, appraisal_id: str) -> None:
    """404 unless the caller asked for appraisal ``appraisal_id``."""
    if requester_of(session, appraisal_id) != principal.party_id:
        raise not_found("appraisal_id", f"no appraisal {appraisal_id!r}")

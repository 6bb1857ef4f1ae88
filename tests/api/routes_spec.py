"""Every /v1 route: who may call it, and a well-formed request for it (path values and body).

``allowed`` are the roles that pass the role check; every other role must get 403. A test that
lists the app's routes fails when a route is missing here, so a new endpoint cannot be left out
of the role matrix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.api.world import AS_OF, PARTIES, World, cn_number, money, patent_body

BANK, ENTERPRISE, REGULATOR, ADMIN = "bank", "enterprise", "regulator", "admin"
BORROWING = frozenset({BANK, ENTERPRISE})
EVERY_ROLE = frozenset({BANK, ENTERPRISE, REGULATOR, ADMIN})
ON = {"on": "2025-06-02"}
RECORD_PARAMS = ("number", "appraisal_id", "pledge_id", "loan_id", "request_id")
PLEDGEE_EVENTS = (
    "request-correction",
    "register",
    "refuse",
    "release",
    "impair",
    "enforce",
    "realise",
    "cancel",
)
"""Pledge events only the pledgee records: an enterprise, a party to the pledge, gets 403."""
"""Path parameters that name a tenant's record: another tenant gets 404 for them."""


@dataclass(frozen=True)
class Case:
    """``allowed``: the roles whose well-formed request is served (not 401, 403 or 404);
    ``hidden``: roles that pass the role check but for which side A's record is not theirs
    (404); every other role gets 403."""

    allowed: frozenset[str]
    body: dict[str, Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    upload: bool = False
    hidden: frozenset[str] = frozenset()

    def expected(self, role: str) -> int | str:
        """``"served"``, 403 or 404 for ``role``."""
        if role in self.allowed:
            return "served"
        return 404 if role in self.hidden else 403


def _loan_terms(principal: str) -> dict[str, Any]:
    return {"amount": money(principal), "term_months": 12}


def cases(world: World) -> dict[tuple[str, str], Case]:
    a = world.records["a"]
    ent_a = next(p for p in PARTIES if p.party_id == "ent-a")
    as_of = {"as_of": AS_OF.isoformat()}
    pledge_event = Case(BORROWING, {**ON, "reason": "示例", "registration_number": "Y-1"})
    pledgee_event = Case(
        frozenset({BANK}),
        {**ON, "reason": "示例", "registration_number": "Y-2", "impairment": "lapsed"},
    )
    lender_event = Case(frozenset({BANK}), ON)
    table: dict[tuple[str, str], Case] = {
        ("GET", "/v1/health"): Case(EVERY_ROLE),
        ("POST", "/v1/patents"): Case(
            frozenset({ENTERPRISE, ADMIN}), patent_body(cn_number(700001), ent_a)
        ),
        ("GET", "/v1/patents"): Case(frozenset({BANK, ENTERPRISE, ADMIN})),
        ("PUT", "/v1/patents/{number}"): Case(
            frozenset({ENTERPRISE, ADMIN}), patent_body(a["patent"], ent_a)
        ),
        ("GET", "/v1/patents/{number}"): Case(frozenset({BANK, ENTERPRISE, ADMIN})),
        ("POST", "/v1/appraisals"): Case(
            BORROWING, {"patent_number": a["patent"], "base_date": AS_OF.isoformat()}
        ),
        ("GET", "/v1/appraisals"): Case(BORROWING),
        ("GET", "/v1/appraisals/{appraisal_id}"): Case(
            frozenset({BANK}), hidden=frozenset({ENTERPRISE})
        ),
        ("POST", "/v1/eligibility"): Case(
            BORROWING,
            {
                "patents": [a["patent"]],
                "loan": _loan_terms("100000"),
                "as_of": AS_OF.isoformat(),
                "pledgor": "ent-a",
            },
        ),
        ("GET", "/v1/appraisals/{appraisal_id}/report"): Case(
            frozenset({BANK}), query={"format": "html"}, hidden=frozenset({ENTERPRISE})
        ),
        ("POST", "/v1/eligibility/certificate"): Case(
            BORROWING,
            {
                "patents": [a["patent"]],
                "loan": _loan_terms("100000"),
                "as_of": AS_OF.isoformat(),
                "pledgor": "ent-a",
            },
            query={"format": "html", "lang": "en"},
        ),
        ("GET", "/v1/statistics/pledges/statement"): Case(
            frozenset({BANK, REGULATOR}), query={**as_of, "format": "html"}
        ),
        ("GET", "/v1/navigation"): Case(frozenset({REGULATOR, ADMIN}), query=as_of),
        ("GET", "/v1/navigation/report"): Case(
            frozenset({REGULATOR, ADMIN}), query={**as_of, "format": "xlsx"}
        ),
        ("POST", "/v1/valuations/batch"): Case(
            frozenset({BANK, ENTERPRISE, REGULATOR}), upload=True
        ),
        ("POST", "/v1/pledges"): Case(
            BORROWING,
            {
                "patents": [a["patent"]],
                "pledgor_id": "ent-a",
                "pledgee_id": "bank-a",
                "secured_amount": money("1000"),
                "on": AS_OF.isoformat(),
            },
        ),
        ("GET", "/v1/pledges"): Case(BORROWING),
        ("GET", "/v1/pledges/{pledge_id}"): Case(BORROWING),
        ("POST", "/v1/pledges/{pledge_id}/precheck"): Case(
            BORROWING, {"loan": _loan_terms("1000"), **ON}
        ),
        ("POST", "/v1/pledges/{pledge_id}/revise"): pledge_event,
        ("POST", "/v1/pledges/{pledge_id}/withdraw"): pledge_event,
        ("POST", "/v1/pledges/{pledge_id}/submit"): Case(frozenset({ENTERPRISE}), ON),
        ("POST", "/v1/pledges/{pledge_id}/request-release"): pledge_event,
        ("POST", "/v1/loans"): Case(
            frozenset({BANK}),
            {
                "borrower_id": "ent-a",
                "principal": money("1000"),
                "annual_rate": "0.05",
                "term_months": 12,
                "on": AS_OF.isoformat(),
            },
        ),
        ("GET", "/v1/loans"): Case(BORROWING),
        ("GET", "/v1/loans/{loan_id}"): Case(BORROWING),
        ("POST", "/v1/loans/{loan_id}/withdraw"): Case(BORROWING, ON),
        ("POST", "/v1/loans/{loan_id}/repayments"): Case(
            frozenset({BANK}), {"amount": money("100.00"), "paid_on": "2025-07-01"}
        ),
        ("GET", "/v1/loans/{loan_id}/repayments"): Case(BORROWING),
        ("POST", "/v1/loans/{loan_id}/reschedules"): Case(
            frozenset({BANK}), {"annual_rate": "0.0385", "term_months": 24, **ON}
        ),
        ("GET", "/v1/loans/{loan_id}/reschedules"): Case(BORROWING),
        # the world's request was rejected: a bank is served a 409 RESCHEDULE_DECIDED
        ("POST", "/v1/loans/{loan_id}/reschedules/{request_id}/approve"): Case(
            frozenset({BANK}), {}
        ),
        ("POST", "/v1/loans/{loan_id}/reschedules/{request_id}/reject"): Case(
            frozenset({BANK}), {"note": "示例"}
        ),
        ("POST", "/v1/loans/{loan_id}/interest-accruals"): Case(
            frozenset({BANK}), {"amount": money("10.00"), **ON}
        ),
        ("GET", "/v1/loans/{loan_id}/schedule"): Case(BORROWING),
        ("GET", "/v1/loans/{loan_id}/position"): Case(BORROWING),
        ("GET", "/v1/monitoring/loans/{loan_id}"): Case(BORROWING, query=as_of),
        ("GET", "/v1/monitoring/shortfalls"): Case(BORROWING, query=as_of),
        ("GET", "/v1/monitoring/alerts"): Case(BORROWING),
        ("GET", "/v1/statistics/pledges"): Case(
            frozenset({REGULATOR}), query={**as_of, "by": ["bank", "industry"]}
        ),
        ("POST", "/v1/parties"): Case(
            frozenset({ADMIN}), {"party_id": "ent-c", "kind": "enterprise", "name": "丙示例公司"}
        ),
        ("GET", "/v1/parties"): Case(frozenset({ADMIN})),
        ("GET", "/v1/parties/{party_id}"): Case(frozenset({ADMIN})),
        ("POST", "/v1/credentials"): Case(
            frozenset({ADMIN}), {"party_id": "ent-a", "role": "enterprise", "label": "new"}
        ),
        ("GET", "/v1/credentials"): Case(frozenset({ADMIN})),
        ("POST", "/v1/credentials/{credential_id}/revoke"): Case(frozenset({ADMIN})),
        ("GET", "/v1/me"): Case(EVERY_ROLE),
    }
    for event in PLEDGEE_EVENTS:
        table[("POST", f"/v1/pledges/{{pledge_id}}/{event}")] = pledgee_event
    for event in (
        "approve",
        "undo-approval",
        "reject",
        "disburse",
        "close",
        "write-off",
    ):
        table[("POST", f"/v1/loans/{{loan_id}}/{event}")] = lender_event
    return table


def path_values(world: World, side: str) -> dict[str, str]:
    """The path parameters naming ``side``'s records."""
    records = world.records[side]
    return {
        "number": records["patent"],
        "appraisal_id": records["appraisal"],
        "pledge_id": records["pledge"],
        "loan_id": records["loan"],
        "request_id": records["reschedule"],
        "party_id": f"ent-{side}",
        "credential_id": world.records["spare"]["credential"],
    }

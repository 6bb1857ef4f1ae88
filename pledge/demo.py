"""A synthetic demo portfolio of one city: patent-pledge financing in Jinhua (金华市), Zhejiang.

SYNTHETIC: every enterprise, bank, patent, appraisal and loan here is invented (names carry the
mark 示例); patent and credit-code check characters are valid, so every record passes the domain
checks. The portfolio is built deterministically by :func:`jinhua_portfolio` (no database, no
clock, no randomness beyond a fixed seed) and is shaped so that:

* the registered pledge amount live on :data:`AS_OF` (2019-11-30), as
  :func:`pledge.statistics.pledge_statistics` counts it, is exactly :data:`REGISTERED_TOTAL`,
  ¥1,170,000,000.00;
* pledges are registered over 2017–2019 with several banks, by enterprises of seven industries
  (:data:`INDUSTRIES`), each in the district where that industry clusters;
* some pledges ended before :data:`AS_OF` (their loans matured and were repaid, the pledge
  released), one was released on :data:`AS_OF` itself (still counted), some after it, and a few
  were registered after it (not counted);
* every pledge passes the pre-check on the day it is drafted (owner, fees, term within the
  patents' lives and the lender's 36 months, a valuation of at most 12 months, LTV within the
  default caps of 25 % for inventions and 15 % for utility models);
* one pledged patent lapses in 2019 (its pledge becomes IMPAIRED but stays registered) and one
  loan is revalued below its LTV limit (a margin call).

History runs to :data:`HORIZON`: each loan repays its schedule
(:func:`pledge.schedule.schedule_for_loan`) instalment by instalment up to that day.
:meth:`DemoPortfolio.pledge_frame` is the statistics frame the history implies, so a loader that
replays it faithfully yields the same statistics from its database.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

import polars as pl
from pydantic import BaseModel, ConfigDict

from models.dates import add_months
from models.enums import LegalStatus, PartyKind, PatentType, RepaymentMethod
from models.lending import Loan, Pledge
from models.money import Money, round_money
from models.parties import Party, credit_code_check
from models.patent import Owner, Patent
from models.patent_number import check_character
from pledge.policy import PatentValuation, policy_book
from pledge.schedule import Schedule, schedule_for_loan
from pledge.statistics import MIXED_TYPES, SCHEMA

CITY, PROVINCE = "金华市", "浙江省"
LABEL = "synthetic demo data (示例数据): invented parties, patents and loans"
AS_OF = date(2019, 11, 30)
HORIZON = date(2019, 12, 31)
REGISTERED_TOTAL = Money.of("1170000000.00")
SEED = 20191130

_CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_AMOUNT_STEP = Decimal(100_000)  # banks lend round sums
_DISTRICTS = {
    "婺城区": "330702",
    "金东区": "330703",
    "兰溪市": "330781",
    "义乌市": "330782",
    "东阳市": "330783",
    "永康市": "330784",
    "武义县": "330723",
    "浦江县": "330726",
}


@dataclass(frozen=True, slots=True)
class DemoIndustry:
    """An industry of the city: its key, Chinese name, the royalty band its patents use (a key
    of ``valuation/data/royalty_bands.csv``, or None), its district, and patent vocabulary."""

    key: str
    name_zh: str
    royalty_band: str | None
    district: str
    ipc: tuple[str, ...]
    products: tuple[str, ...]


INDUSTRIES: tuple[DemoIndustry, ...] = (
    DemoIndustry(
        "pharmaceuticals",
        "医药",
        "pharmaceuticals",
        "兰溪市",
        ("A61K 31/00", "A61K 9/20", "A61P 29/00"),
        ("缓释片剂", "注射液", "原料药结晶"),
    ),
    DemoIndustry(
        "electromechanical",
        "机电",
        "electrical",
        "金东区",
        ("H02K 7/00", "H02P 6/00", "F04D 25/06"),
        ("无刷电机", "变频控制器", "水泵电机"),
    ),
    DemoIndustry(
        "hardware",
        "五金",
        "machinery",
        "永康市",
        ("B25B 13/00", "B25F 1/00", "A47J 27/00"),
        ("电动工具", "不锈钢炊具", "防盗门锁"),
    ),
    DemoIndustry(
        "textiles",
        "纺织",
        None,
        "义乌市",
        ("D03D 15/00", "D04B 1/00", "D06P 1/00"),
        ("无缝针织机", "功能面料", "印染工艺"),
    ),
    DemoIndustry(
        "new_energy_vehicles",
        "新能源汽车",
        "automotive",
        "婺城区",
        ("B60L 50/00", "H01M 10/052", "B60K 6/00"),
        ("动力电池包", "电驱动桥", "整车控制器"),
    ),
    DemoIndustry(
        "biomedicine",
        "生物医药",
        "pharmaceuticals",
        "东阳市",
        ("C12N 15/00", "A61K 39/00", "C07K 16/00"),
        ("重组蛋白", "诊断试剂", "细胞培养基"),
    ),
    DemoIndustry(
        "optoelectronics",
        "光电",
        "optics_electronics",
        "武义县",
        ("H01L 33/00", "G02B 6/00", "F21V 29/00"),
        ("LED芯片", "光纤连接器", "照明模组"),
    ),
)
"""The city's industries (the demo's enterprises are spread over them)."""

BANK_NAMES = (
    "浙中示例银行金华分行",
    "婺江示例商业银行",
    "金华示例农村商业银行",
    "示例兴业银行金华分行",
    "示例城市银行金华分行",
    "八婺示例村镇银行",
)
_ENTERPRISE_STEMS = ("华", "鼎", "康", "信", "联", "达", "宏", "远", "泰", "盛")
_ENTERPRISE_SUFFIX = ("科技", "实业", "股份", "制造", "新材料")


class DemoFinancing(BaseModel):
    """One pledge financing, from draft to the horizon.

    ``pledge`` is the pledge as drafted and ``loan`` the application as submitted (the loader
    moves them through their lifecycles on the dates given). ``instalments_paid`` counts the
    schedule rows repaid by :data:`HORIZON`; ``released_on`` is the day the pledge was cancelled
    after its loan was repaid (release requested on ``release_requested_on``), or None.
    """

    model_config = ConfigDict(frozen=True)

    pledge: Pledge
    loan: Loan
    approver: str
    appraisal_id: str
    valuations: tuple[PatentValuation, ...]
    drafted_on: date
    submitted_on: date
    registered_on: date
    registration_number: str
    disbursed_on: date
    instalments_paid: int
    release_requested_on: date | None = None
    released_on: date | None = None

    def schedule(self) -> Schedule:
        """The loan's repayment schedule from its disbursement."""
        return schedule_for_loan(self.loan, self.disbursed_on)


class Lapse(BaseModel):
    """A pledged patent that lapsed (its annual fee unpaid past the grace period)."""

    model_config = ConfigDict(frozen=True)

    patent_number: str
    on: date


class Revaluation(BaseModel):
    """A later, lower value of a loan's collateral, checked against an LTV limit."""

    model_config = ConfigDict(frozen=True)

    loan_id: str
    on: date
    collateral_value: Money
    ltv_limit: Decimal


class DemoPortfolio(BaseModel):
    """The demo city (see the module).

    ``parties``: the banks (``demo-bank-1`` …), the enterprises (``demo-<industry>-<n>``, each
    with its industry and district) and the appraisal firm, guarantor, insurer and compensation
    fund; ``patents``: every pledged patent, in force, owned by its pledgor; ``financings``: one
    per pledge, in order of registration; ``lapses`` and ``revaluations``: later events on live
    pledges; ``registered_total``: the registered amount live on ``as_of``.
    """

    model_config = ConfigDict(frozen=True)

    city: str
    province: str
    label: str
    as_of: date
    horizon: date
    registered_total: Money
    appraiser_id: str
    parties: tuple[Party, ...]
    patents: tuple[Patent, ...]
    financings: tuple[DemoFinancing, ...]
    lapses: tuple[Lapse, ...]
    revaluations: tuple[Revaluation, ...]

    def pledge_frame(self, at: date | None = None) -> pl.DataFrame:
        """The statistics frame (:mod:`pledge.statistics`) of the registered pledges, with each
        loan's principal outstanding after the instalments repaid by ``at`` (default: the
        horizon)."""
        at = at or self.horizon
        parties = {p.party_id: p for p in self.parties}
        kinds = {p.number.patent_number: p.patent_type.value for p in self.patents}
        rows = []
        for item in self.financings:
            numbers = [n.patent_number for n in item.pledge.patents]
            types = {kinds[n] for n in numbers}
            paid = [r for r in item.schedule().rows[: item.instalments_paid] if r.due_date <= at]
            owed = paid[-1].closing_balance if paid else item.loan.principal
            rows.append(
                {
                    "pledge_id": item.pledge.pledge_id,
                    "registered_on": item.registered_on,
                    "released_on": item.released_on,
                    "bank": parties[item.pledge.pledgee_id].name,
                    "industry": parties[item.pledge.pledgor_id].industry,
                    "patent_type": types.pop() if len(types) == 1 else MIXED_TYPES,
                    "enterprise": item.pledge.pledgor_id,
                    "patent_count": len(numbers),
                    "secured_amount": item.pledge.secured_amount.amount,
                    "outstanding": owed.amount if at >= item.disbursed_on else Decimal(0),
                }
            )
        money = pl.Decimal(20, 2)
        return pl.DataFrame(rows, schema={**SCHEMA, "secured_amount": money, "outstanding": money})


def _credit_code(rng: random.Random, district: str) -> str:
    body = (
        "91" + _DISTRICTS[district] + "".join(rng.choice(_CREDIT_CODE_ALPHABET) for _ in range(9))
    )
    return body + credit_code_check(body)


def _parties(rng: random.Random) -> tuple[list[Party], list[Party], dict[str, DemoIndustry]]:
    banks = [
        Party(
            party_id=f"demo-bank-{i + 1}",
            kind=PartyKind.BANK,
            name=name,
            credit_code=_credit_code(rng, "婺城区"),
            region=f"{PROVINCE}{CITY}",
        )
        for i, name in enumerate(BANK_NAMES)
    ]
    enterprises, industry_of = [], {}
    for industry in INDUSTRIES:
        for k in range(5):
            stem = rng.choice(_ENTERPRISE_STEMS) + rng.choice(_ENTERPRISE_STEMS)
            name = f"金华{stem}{industry.name_zh}{_ENTERPRISE_SUFFIX[k]}有限公司（示例）"
            party_id = f"demo-{industry.key}-{k + 1}"
            enterprises.append(
                Party(
                    party_id=party_id,
                    kind=PartyKind.ENTERPRISE,
                    name=name,
                    credit_code=_credit_code(rng, industry.district),
                    region=f"{PROVINCE}{CITY}{industry.district}",
                    industry=industry.key,
                )
            )
            industry_of[party_id] = industry
    return banks, enterprises, industry_of


def _others(rng: random.Random) -> list[Party]:
    named = (
        ("demo-appraiser", PartyKind.APPRAISAL_FIRM, "金华示例资产评估有限公司"),
        ("demo-guarantor", PartyKind.GUARANTOR, "金华市示例融资担保有限公司"),
        ("demo-insurer", PartyKind.INSURER, "示例财产保险股份有限公司金华中心支公司"),
        ("demo-fund", PartyKind.GOVERNMENT_FUND, "金华市知识产权质押融资风险补偿基金（示例）"),
    )
    return [
        Party(
            party_id=pid,
            kind=kind,
            name=name,
            credit_code=_credit_code(rng, "婺城区"),
            region=f"{PROVINCE}{CITY}",
        )
        for pid, kind, name in named
    ]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one financing must look like before its details are drawn."""

    registered_on: date
    term_months: int
    counted: bool  # live on AS_OF
    released_on: date | None  # None: still registered at the horizon


def _day_in(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _plans(rng: random.Random) -> list[_Plan]:
    """Registration dates, terms and endings: matured and released before AS_OF, live on it
    (some released on or after it), and registered after it."""
    plans: list[_Plan] = []
    for _ in range(14):  # one-year loans of 2017-2018, repaid and released before AS_OF
        registered = _day_in(rng, date(2017, 1, 5), date(2018, 9, 30))
        plans.append(_Plan(registered, 12, False, None))
    # a one-year loan whose pledge is released on AS_OF itself: it still counts that day
    plans.append(_Plan(date(2018, 11, 12), 12, True, AS_OF))
    for _ in range(2):  # one-year loans maturing in December 2019: released after AS_OF
        plans.append(_Plan(_day_in(rng, date(2018, 12, 3), date(2018, 12, 20)), 12, True, None))
    windows = (
        (date(2017, 1, 10), date(2017, 12, 20), (36,), 8),
        (date(2018, 1, 8), date(2018, 12, 20), (24, 36), 18),
        (date(2019, 1, 7), date(2019, 11, 25), (12, 24, 36), 32),
    )
    for start, end, terms, count in windows:
        for _ in range(count):
            plans.append(_Plan(_day_in(rng, start, end), rng.choice(terms), True, None))
    for _ in range(6):  # registered after AS_OF: not counted on it
        plans.append(_Plan(_day_in(rng, date(2019, 12, 2), date(2019, 12, 20)), 12, False, None))
    return sorted(plans, key=lambda p: p.registered_on)


def split_total(rng: random.Random, target: Money, parts: int) -> list[Money]:
    """``parts`` round amounts (multiples of ¥100,000, at least ¥2,000,000) summing to
    ``target`` exactly; the rounding remainder goes to the largest."""
    weights = [Decimal(rng.randint(20, 400)) for _ in range(parts)]
    scale = target.amount / sum(weights)
    amounts = [
        max((w * scale / _AMOUNT_STEP).to_integral_value() * _AMOUNT_STEP, 20 * _AMOUNT_STEP)
        for w in weights
    ]
    largest = amounts.index(max(amounts))
    amounts[largest] += target.amount - sum(amounts)
    return [Money.of(a, target.currency) for a in amounts]


def _patent(
    rng: random.Random,
    serial: int,
    owner: Party,
    industry: DemoIndustry,
    kind: PatentType,
    loan_end: date,
    drafted: date,
    filing_day: int,
) -> Patent:
    """A granted patent of ``owner`` in force, whose term outlives ``loan_end``."""
    life = 20 if kind is PatentType.INVENTION else 10
    latest = drafted.year - (4 if kind is PatentType.INVENTION else 2)  # granted before drafting
    earliest = max(2008, loan_end.year - life + 1)
    year = rng.randint(earliest, latest)
    filing = date(year, 1, 1) + timedelta(days=filing_day)
    grant = add_months(filing, 30 if kind is PatentType.INVENTION else 11)
    digits = f"{year}{1 if kind is PatentType.INVENTION else 2}{serial:07d}"
    product = rng.choice(industry.products)
    return Patent.model_validate(
        {
            "number": f"ZL{digits}.{check_character(digits)}",
            "patent_type": kind,
            "title": f"一种{product}及其制备方法"
            if kind is PatentType.INVENTION
            else f"一种{product}",
            "owners": [Owner(name=owner.name, party_id=owner.party_id, consents_to_pledge=True)],
            "filing_date": filing,
            "grant_date": grant,
            "legal_status": LegalStatus.IN_FORCE,
            # annual fees paid through the patent year after the horizon's
            "fees_paid_through_year": min(HORIZON.year - year + 2, life),
            "ipc_codes": [rng.choice(industry.ipc)],
            "claims": rng.randint(4, 20),
            "independent_claims": 1,
            "family_size": 1,
            "inventors": [f"发明人{serial % 97 + 1}"],
            "industry": industry.royalty_band,
        }
    )


def _valuations(
    rng: random.Random, patents: Sequence[Patent], amount: Money, base_date: date, lender: str
) -> tuple[PatentValuation, ...]:
    """Appraised values whose capped sum covers ``amount`` with a margin."""
    book = policy_book()
    shares = [Decimal(rng.randint(1, 4)) for _ in patents]
    result = []
    for patent, share in zip(patents, shares, strict=True):
        cap = book.for_type(lender, patent.patent_type).cap
        needed = amount.amount * share / sum(shares) / cap
        uplift = Decimal(rng.randint(110, 160)) / 100
        value = (needed * uplift / 1000).to_integral_value() * 1000
        result.append(
            PatentValuation(
                patent_number=patent.number.patent_number,
                patent_type=patent.patent_type,
                base_date=base_date,
                value=Money.of(value),
                max_loan=Money.of(round_money(value * cap)),
            )
        )
    return tuple(result)


@cache
def jinhua_portfolio() -> DemoPortfolio:
    """The Jinhua demo portfolio (the same every time; see the module for what it holds)."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible synthetic data, not secrets
    banks, enterprises, industry_of = _parties(rng)
    plans = _plans(rng)
    counted = [p for p in plans if p.counted]
    amounts = iter(split_total(rng, REGISTERED_TOTAL, len(counted)))
    serial, patents, financings = 100_000, [], []
    for n, plan in enumerate(plans, start=1):
        amount = next(amounts) if plan.counted else Money.of(rng.randint(20, 150) * _AMOUNT_STEP)
        owner = rng.choice(enterprises)
        industry = industry_of[owner.party_id]
        bank = banks[n % len(banks)]
        drafted = plan.registered_on - timedelta(days=rng.randint(8, 20))
        submitted = drafted + timedelta(days=rng.randint(1, 3))
        disbursed = plan.registered_on + timedelta(days=rng.randint(1, 5))
        loan_end = add_months(disbursed, plan.term_months)
        kinds = [
            PatentType.INVENTION if rng.random() < 0.6 else PatentType.UTILITY_MODEL
            for _ in range(rng.randint(1, 3))
        ]
        days = rng.sample(range(0, 360), len(kinds))
        own: list[Patent] = []
        for kind, day in zip(kinds, days, strict=True):
            serial += rng.randint(1, 900)
            own.append(_patent(rng, serial, owner, industry, kind, loan_end, drafted, day))
        patents.extend(own)
        pledge_id, loan_id = f"demo-pledge-{n:03d}", f"demo-loan-{n:03d}"
        base_date = drafted - timedelta(days=rng.randint(20, 60))
        loan = Loan(
            loan_id=loan_id,
            borrower_id=owner.party_id,
            lender_id=bank.party_id,
            pledge_id=pledge_id,
            principal=amount,
            annual_rate=Decimal(rng.choice(("0.0435", "0.0475", "0.0522", "0.0560", "0.0600"))),
            term_months=plan.term_months,
            repayment=rng.choice(tuple(RepaymentMethod)),
            maker=f"{bank.party_id}:loan-officer",
        )
        schedule = schedule_for_loan(loan, disbursed)
        paid = sum(row.due_date <= HORIZON for row in schedule.rows)
        last_due = schedule.rows[-1].due_date
        released, requested = plan.released_on, None
        if released is None and last_due <= HORIZON:
            released = last_due + timedelta(days=rng.randint(3, 15))
            released = released if released <= HORIZON else None
        if released is not None:
            requested = min(last_due + timedelta(days=1), released)
        financings.append(
            DemoFinancing(
                pledge=Pledge(
                    pledge_id=pledge_id,
                    patents=[p.number for p in own],
                    pledgor_id=owner.party_id,
                    pledgee_id=bank.party_id,
                    secured_amount=amount,
                ),
                loan=loan,
                approver=f"{bank.party_id}:credit-committee",
                appraisal_id=f"demo-appraisal-{n:03d}",
                valuations=_valuations(rng, own, amount, base_date, bank.party_id),
                drafted_on=drafted,
                submitted_on=submitted,
                registered_on=plan.registered_on,
                registration_number=f"Y{plan.registered_on.year}33{n:07d}",
                disbursed_on=disbursed,
                instalments_paid=paid,
                release_requested_on=requested,
                released_on=released,
            )
        )
    live = [f for f in financings if f.released_on is None and f.registered_on <= AS_OF]
    lapsed = live[3].pledge.patents[0].patent_number
    margin, checked_on, limit = live[7], date(2019, 11, 15), Decimal("0.25")
    owed = margin.loan.principal
    for row in margin.schedule().rows:
        if row.due_date <= checked_on:
            owed = row.closing_balance
    # a revaluation at which the loan stands 25 % above its LTV limit
    revalued = Money.of((owed.amount / limit / Decimal("1.25") / 1000).to_integral_value() * 1000)
    return DemoPortfolio(
        city=CITY,
        province=PROVINCE,
        label=LABEL,
        as_of=AS_OF,
        horizon=HORIZON,
        registered_total=REGISTERED_TOTAL,
        appraiser_id="demo-appraiser",
        parties=(*banks, *enterprises, *_others(rng)),
        patents=tuple(patents),
        financings=tuple(financings),
        lapses=(Lapse(patent_number=lapsed, on=date(2019, 10, 15)),),
        revaluations=(
            Revaluation(
                loan_id=margin.loan.loan_id,
                on=checked_on,
                collateral_value=revalued,
                ltv_limit=limit,
            ),
        ),
    )

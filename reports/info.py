"""What an appraisal report states besides the valuations: who, why, on which terms, signed by whom.

:class:`ReportInfo` holds the report's own inputs. Defaults suit a pledge appraisal: the purpose is
pledge financing, the value type market value, and the other users, assumptions, special matters
and limits of use take the standard wording of :mod:`reports.wording` (printed in the report's
language). Given text is printed as written. The base date is not defaulted: it is the date the
patents are valued at.

A report is refused — :meth:`ReportInfo.check` raises :class:`IncompleteReportError` naming every
missing part — when its value type, base date, assumptions, special matters or limits of use are
empty (docs/DOMAIN.md §5). An explicitly empty list, or one of blank lines only, is empty.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.enums import ValueType
from pledge.policy import DEFAULT_LENDER
from reports import wording

REPORT_ZONE = ZoneInfo("Asia/Shanghai")
MIN_APPRAISERS = 2
"""Signatures of at least two appraisers (docs/DOMAIN.md §5, part 14)."""
REQUIRED_PARTS = {
    "value_type": "value type (价值类型)",
    "base_date": "base date (评估基准日)",
    "assumptions": "assumptions (评估假设)",
    "special_matters": "special matters (特别事项说明)",
    "limits_of_use": "limits of use (资产评估报告使用限制说明)",
}


class ReportError(ValueError):
    """A report cannot be rendered from these inputs."""


class IncompleteReportError(ReportError):
    """A part the report must have is empty; ``missing`` names each one."""

    def __init__(self, missing: tuple[str, ...]) -> None:
        self.missing = missing
        super().__init__("the report cannot be rendered: empty " + ", ".join(missing))


class Appraiser(BaseModel):
    """An appraiser who signs the report; blank fields print as lines to fill in by hand."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(max_length=100)] = ""
    registration: Annotated[str, Field(max_length=100)] = ""
    """The registration number of the appraiser's qualification."""


class Firm(BaseModel):
    """The appraisal firm that issues the report and puts its seal on it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(max_length=200)] = ""
    filing_number: Annotated[str, Field(max_length=100)] = ""
    """The firm's filing (备案) number with the financial authorities."""


def _today() -> date:
    return datetime.now(REPORT_ZONE).date()


def _blank(lines: tuple[str, ...]) -> bool:
    return not any(line.strip() for line in lines)


class ReportInfo(BaseModel):
    """The report's own inputs (parts 1, 2, 4, 5, 8, 9, 11–14 of docs/DOMAIN.md §5)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client: Annotated[str, Field(min_length=1, max_length=200)]
    other_users: tuple[str, ...] = wording.OTHER_USERS
    purpose: Annotated[str, Field(min_length=1)] = wording.PLEDGE_PURPOSE
    value_type: ValueType | None = ValueType.MARKET_VALUE
    base_date: date | None = None
    assumptions: tuple[str, ...] = wording.STANDARD_ASSUMPTIONS
    special_matters: tuple[str, ...] = wording.STANDARD_SPECIAL_MATTERS
    limits_of_use: tuple[str, ...] = wording.STANDARD_LIMITS_OF_USE
    procedure_restrictions: tuple[str, ...] = ()
    """Restrictions on the procedures, each with its effect on the conclusion; none by default."""
    appraisers: Annotated[tuple[Appraiser, ...], Field(min_length=MIN_APPRAISERS)] = (
        Appraiser(),
        Appraiser(),
    )
    firm: Firm = Firm()
    report_date: date = Field(default_factory=_today)
    report_number: Annotated[str, Field(max_length=64)] | None = None
    """Default ``PV-<base date>-<8 hex digits of the inputs' hash>`` (``reports.appraisal``)."""
    lender: str = DEFAULT_LENDER
    """The lender whose policy sets how long the conclusion may be relied on."""

    @field_validator("client", "purpose")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _issued_after_the_base_date(self) -> ReportInfo:
        if self.base_date is not None and self.report_date < self.base_date:
            raise ValueError(
                f"report_date {self.report_date} is before the base date {self.base_date}: a "
                "report cannot be issued before the date it values at"
            )
        return self

    def missing(self) -> tuple[str, ...]:
        """The required parts that are empty, named in English and Chinese."""
        empty = {
            "value_type": self.value_type is None,
            "base_date": self.base_date is None,
            "assumptions": _blank(self.assumptions),
            "special_matters": _blank(self.special_matters),
            "limits_of_use": _blank(self.limits_of_use),
        }
        return tuple(REQUIRED_PARTS[name] for name, is_empty in empty.items() if is_empty)

    def check(self) -> None:
        """Raise :class:`IncompleteReportError` when a required part is empty."""
        missing = self.missing()
        if missing:
            raise IncompleteReportError(missing)

    @staticmethod
    def lines(lines: tuple[str, ...]) -> tuple[str, ...]:
        """The non-blank lines of a list part."""
        return tuple(line.strip() for line in lines if line.strip())

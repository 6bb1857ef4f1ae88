"""Patent and application numbers.

Chinese numbers are parsed in the forms people type (``ZL 2017 1 0601862.3``,
``CN201710601862.3``, ``201710601862.3``, ``ZL201710601862.3``, the pre-2003 ``95115608.X``),
normalised, and checked: the check character is the weighted digit sum mod 11 (10 is written
``X``), with weights 2,3,4,5,6,7,8,9,2,3,4,5 on the 12 digits of a number filed since
October 2003, and 2..9 on the 8 digits of an older one (docs/DOMAIN.md §2).

Numbers of other jurisdictions are kept as opaque identifiers with their WIPO ST.3 code.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, model_validator

from models.enums import PatentType

_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)

# Type digit → (patent type, entered through the PCT route)
TYPE_DIGITS: dict[int, tuple[PatentType, bool]] = {
    1: (PatentType.INVENTION, False),
    2: (PatentType.UTILITY_MODEL, False),
    3: (PatentType.DESIGN, False),
    8: (PatentType.INVENTION, True),
    9: (PatentType.UTILITY_MODEL, True),
}

_CN_BODY = re.compile(r"^(?:ZL|CN)*(?P<digits>\d{12}|\d{8})\.?(?P<check>[0-9X])?$", re.ASCII)
_FOREIGN = re.compile(r"^(?P<cc>[A-Z]{2})(?P<rest>(?=[A-Z./-]*\d)[A-Z0-9./-]+)$", re.ASCII)


class InvalidPatentNumberError(ValueError):
    """A patent number that cannot be read, or whose check character is wrong."""


def check_character(digits: str) -> str:
    """The check character of a 12-digit (since 2003) or 8-digit (before) application number."""
    weights = _WEIGHTS_12 if len(digits) == 12 else _WEIGHTS_8
    if len(digits) not in (8, 12) or not digits.isdigit():
        raise InvalidPatentNumberError(f"{digits!r} has neither 12 nor 8 digits")
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def _clean(text: str) -> str:
    # Full-width digits and letters (ＺＬ２０１７…) become ASCII; spaces and dashes go.
    text = unicodedata.normalize("NFKC", text).upper()
    return re.sub(r"[\s\-_]", "", text).replace("。", ".")


class PatentNumber(BaseModel):
    """A normalised patent or application number.

    ``jurisdiction`` is a WIPO ST.3 code. For CN numbers ``application_number`` is the
    normalised form ``201710601862.3``; for others it is the identifier as given, upper-cased and
    without spaces.
    """

    model_config = ConfigDict(frozen=True)

    jurisdiction: str
    application_number: str

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return cls._parse_fields(value)
        if isinstance(value, dict) and isinstance(value.get("application_number"), str):
            return cls._parse_fields(value["application_number"], value.get("jurisdiction"))
        return value

    @classmethod
    def parse(cls, text: str, jurisdiction: str | None = None) -> Self:
        """Parse a number as typed; ``jurisdiction`` forces the jurisdiction of an opaque id."""
        return cls.model_validate(cls._parse_fields(text, jurisdiction))

    @staticmethod
    def _parse_fields(text: str, jurisdiction: str | None = None) -> dict[str, str]:
        cleaned = _clean(text)
        if not cleaned:
            raise InvalidPatentNumberError("patent number is empty")
        code = (jurisdiction or "").strip().upper()
        if code and code != "CN":
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise InvalidPatentNumberError(
                    f"jurisdiction {jurisdiction!r} is not a two-letter code (e.g. US, EP, JP)"
                )
            return {"jurisdiction": code, "application_number": cleaned}
        match = _CN_BODY.match(cleaned)
        if match is None:
            foreign = _FOREIGN.match(cleaned)
            if not code and foreign and foreign["cc"] not in ("CN", "ZL"):
                return {"jurisdiction": foreign["cc"], "application_number": cleaned}
            raise InvalidPatentNumberError(
                f"{text!r} is not a Chinese patent number: expected YYYY + type digit + "
                "7-digit serial + '.' + check character (e.g. ZL201710601862.3), "
                "or 8 digits + check character before 2003 (e.g. 95115608.X)"
            )
        digits, check = match["digits"], match["check"]
        expected = check_character(digits)
        if check is None:
            raise InvalidPatentNumberError(
                f"{text!r} lacks its check character: expected {digits}.{expected}"
            )
        if check != expected:
            raise InvalidPatentNumberError(
                f"{text!r} has check character {check!r}, expected {expected!r}"
            )
        type_digit = int(digits[4] if len(digits) == 12 else digits[2])
        if type_digit not in TYPE_DIGITS:
            raise InvalidPatentNumberError(
                f"{text!r} has type digit {type_digit}: expected 1 (invention), "
                "2 (utility model), 3 (design), 8 (PCT invention) or 9 (PCT utility model)"
            )
        return {"jurisdiction": "CN", "application_number": f"{digits}.{check}"}

    @property
    def is_chinese(self) -> bool:
        return self.jurisdiction == "CN"

    @property
    def _digits(self) -> str:
        if not self.is_chinese:
            raise ValueError(f"{self.application_number} is an opaque {self.jurisdiction} number")
        return self.application_number.split(".")[0]

    @property
    def type_digit(self) -> int | None:
        if not self.is_chinese:
            return None
        digits = self._digits
        return int(digits[4] if len(digits) == 12 else digits[2])

    @property
    def patent_type(self) -> PatentType | None:
        """The patent type the number encodes (None for other jurisdictions)."""
        digit = self.type_digit
        return None if digit is None else TYPE_DIGITS[digit][0]

    @property
    def is_pct(self) -> bool:
        digit = self.type_digit
        return digit is not None and TYPE_DIGITS[digit][1]

    @property
    def filing_year(self) -> int | None:
        """The filing year the number encodes (None for other jurisdictions)."""
        if not self.is_chinese:
            return None
        digits = self._digits
        if len(digits) == 12:
            return int(digits[:4])
        two = int(digits[:2])
        return 1900 + two if two >= 85 else 2000 + two

    @property
    def patent_number(self) -> str:
        """The granted-patent form: ``ZL`` + application number for CN."""
        return f"ZL{self.application_number}" if self.is_chinese else self.application_number

    def format(self, spaced: bool = False) -> str:
        """``ZL201710601862.3``, or ``ZL 2017 1 0601862.3`` with ``spaced``."""
        if not self.is_chinese or not spaced:
            return self.patent_number
        digits, check = self.application_number.split(".")
        if len(digits) == 12:
            return f"ZL {digits[:4]} {digits[4]} {digits[5:]}.{check}"
        return f"ZL {digits[:2]} {digits[2]} {digits[3:]}.{check}"

    def __str__(self) -> str:
        return self.patent_number

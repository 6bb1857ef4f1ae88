"""Parties to a pledge financing: enterprises, banks, guarantors, insurers, funds."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.enums import PartyKind

# Unified social credit code (统一社会信用代码), GB 32100-2015: 17 characters from this alphabet,
# then a check character; weights are 3^i mod 31.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check(first17: str) -> str:
    """The check character of a unified social credit code (GB 32100-2015)."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


class Party(BaseModel):
    """A legal person that takes part in a pledge: its kind, name and credit code."""

    model_config = ConfigDict(frozen=True)

    party_id: Annotated[str, Field(min_length=1, max_length=64)]
    kind: PartyKind
    name: Annotated[str, Field(min_length=1, max_length=200)]
    credit_code: str | None = None
    region: str | None = None
    industry: Annotated[str, Field(max_length=64)] | None = None  # an enterprise's sector

    @field_validator("credit_code", mode="before")
    @classmethod
    def _valid_credit_code(cls, value: Any) -> str | None:
        if value is None or value == "":
            return None
        code = str(value).strip().upper()
        if len(code) != 18 or any(c not in _USCC_ALPHABET for c in code):
            raise ValueError(
                f"{value!r} is not a unified social credit code: 18 characters of "
                "digits and capital letters other than I, O, S, V, Z"
            )
        expected = credit_code_check(code[:17])
        if code[17] != expected:
            raise ValueError(f"{value!r} has check character {code[17]!r}, expected {expected!r}")
        return code

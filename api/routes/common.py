"""Query parameters shared by the listings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

Limit = Annotated[int, Query(ge=1, le=200, description="Records per page.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Records to skip.")]

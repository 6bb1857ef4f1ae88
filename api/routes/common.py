"""Query parameters shared by the listings and the statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.schemas.common import Day

Limit = Annotated[int, Query(ge=1, le=200, description="Records per page.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Records to skip.")]
ForPublication = Annotated[
    bool,
    Query(
        description="For publication: the amounts of a line that fewer enterprises make up than "
        "the disclosure rule allows are withheld, and so are those that would reveal them."
    ),
]
AsOf = Annotated[Day, Query(description="Day of the figures, YYYY-MM-DD.")]
"""The day of figures (monitoring, statistics, navigation), in the service's range of days."""

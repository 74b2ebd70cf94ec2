"""Bookmarks: the request, the row of `bookmarks` and the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field, field_validator, model_validator

from gtvision.core.ids import UUID_PATTERN
from gtvision.core.models import Out, Query, QueryTime, Strict
from gtvision.core.rows import rowtype
from gtvision.core.timeutil import parse_rfc3339


class BookmarkIn(Strict):
    at: datetime
    end: datetime | None = None
    label: str = Field(min_length=1, max_length=200)
    case_id: str | None = Field(default=None, pattern=UUID_PATTERN)

    @field_validator("at", "end", mode="before")
    @classmethod
    def _rfc3339(cls, value: Any) -> datetime | None:
        return None if value is None else parse_rfc3339(value)

    @model_validator(mode="after")
    def _span(self) -> BookmarkIn:
        if self.end is not None and self.end <= self.at:
            raise ValueError("end deve ser posterior a at")
        return self


class BookmarksQuery(Query):
    """`GET /v1/cameras/{id}/bookmarks?from&to`: the camera's bookmarks whose instant is in [from, to)."""

    from_: QueryTime = Field(default=None, alias="from")
    to: QueryTime = None


@rowtype
class Bookmark:
    """A bookmark (table `bookmarks`)."""

    id: UUID
    camera_id: UUID
    city_id: UUID
    at: datetime
    end_at: datetime | None
    label: str
    case_id: UUID | None
    created_by: UUID | None
    created_by_name: str | None
    created_at: datetime


class BookmarkOut(Out):
    id: str = Field(json_schema_extra={"format": "uuid"})
    camera_id: str = Field(json_schema_extra={"format": "uuid"})
    at: datetime
    end: datetime | None
    label: str
    case_id: str | None = Field(json_schema_extra={"format": "uuid"})
    created_by_name: str | None
    created_at: datetime


class BookmarkList(Out):
    items: list[BookmarkOut]

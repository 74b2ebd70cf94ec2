"""Audit and LGPD: the trail's query, its rows, and the data-subject answers (`/v1/me*`, plate requests)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import Field, field_validator, model_validator

from gtvision.core.errors import Malformed
from gtvision.core.models import Out, PageQuery, Query, QueryTime
from gtvision.core.rows import rowtype
from gtvision.tenancy.schemas import IdOut

#: A JSON object as stored in a jsonb column.
JsonObject = dict[str, object]

# ------------------------------------------------------------------------------------------ requests


class AuditFilters(Query):
    """`from`/`to` (RFC 3339, half-open), `user_id` (UUID) and `action`; 400 on anything malformed."""

    from_: QueryTime = Field(default=None, alias="from", description="início (RFC 3339, incluído)")
    to: QueryTime = Field(default=None, description="fim (RFC 3339, excluído)")
    user_id: str | None = Field(default=None, json_schema_extra={"format": "uuid"})
    action: str | None = None

    @field_validator("user_id", mode="before")
    @classmethod
    def _user(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        try:
            return str(UUID(str(value)))
        except ValueError:
            raise Malformed("invalid_user_id", "user_id deve ser um UUID") from None

    @field_validator("action", mode="before")
    @classmethod
    def _action(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if len(str(value)) > 100:
            raise Malformed("invalid_action", "action longa demais")
        return str(value)

    @model_validator(mode="after")
    def _range(self) -> AuditFilters:
        if self.from_ and self.to and self.to <= self.from_:
            raise Malformed("invalid_range", "to deve ser posterior a from")
        return self


class AuditQuery(AuditFilters, PageQuery):
    """`GET /v1/audit`: newest first."""


class AuditExportQuery(AuditFilters):
    cursor: str | None = Field(default=None, description="o X-Next-Cursor da parte anterior")


# ---------------------------------------------------------------------------------------------- rows


@rowtype
class Entry:
    """One audit entry (table `audit_log`, the actor's current name joined)."""

    id: int
    at: datetime
    user_id: UUID | None
    actor: str | None
    role: str | None
    city_id: UUID | None
    action: str
    resource: str | None
    status: int | None
    source_ip: str | None
    request_id: str | None
    detail: JsonObject | None


@rowtype
class PlateReadRow:
    """A read of a plate, for the answer to its holder (plate reads with camera and city names)."""

    id: UUID
    plate: str
    camera_id: UUID
    camera_name: str
    city_id: UUID
    city_name: str
    captured_at: datetime
    confidence: float
    has_image: bool
    anonymised_at: datetime | None


@rowtype
class AlertRow:
    """An alert that cites reads (table `alerts`)."""

    id: UUID
    kind: str
    status: str
    created_at: datetime
    read_ids: list[UUID]


# ------------------------------------------------------------------------------------------- answers


class AuditEntry(Out):
    id: int
    at: datetime
    user_id: IdOut | None
    actor: str | None
    role: str | None
    city_id: IdOut | None
    action: str
    resource: str | None
    status: int | None
    source_ip: str | None
    request_id: str | None
    detail: JsonObject | None


class Profile(Out):
    id: IdOut
    username: str
    role: str
    city_id: IdOut | None
    pseudonym: str | None
    created_at: datetime
    totp_enabled: bool = False
    camera_group_ids: list[IdOut] | None = None


class MyData(Out):
    generated_at: datetime
    controller_note: str
    user: Profile
    audit_entries: list[AuditEntry]
    audit_entries_total: int
    audit_entries_truncated: bool
    clips: list[JsonObject] = Field(default_factory=list)
    clip_holds: list[JsonObject] = Field(default_factory=list)
    watchlist: list[JsonObject] = Field(default_factory=list)


class PlateReadOut(Out):
    id: IdOut
    camera_id: IdOut
    camera_name: str
    city_id: IdOut
    city_name: str
    captured_at: datetime
    confidence: float
    has_image: bool


class PlateAlertOut(Out):
    id: IdOut
    kind: str
    status: str
    created_at: datetime
    read_ids: list[IdOut]


class PlateRequest(Out):
    plate: str
    generated_at: datetime
    answer_due_if_received_today: date
    reads: list[PlateReadOut]
    reads_total: int
    anonymised_reads: int
    cities: list[str]
    alerts: list[PlateAlertOut]
    truncated: bool

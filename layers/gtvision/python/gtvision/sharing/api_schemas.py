"""Sharing's API models: what the routes of agreements, hotlists, grants and reports take and answer. Apart from
`schemas` (the rows and the feed's job message, which the feed, delivery and maintenance workers read) so that the
workers do not build them (ADR 0029)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gtvision.core.errors import Invalid
from gtvision.core.ids import query_uuid
from gtvision.core.models import Out, PageQuery, Query, Strict, UuidStr
from gtvision.core.timeutil import parse_rfc3339
from gtvision.sharing.schemas import GRANT_STATUSES, MAX_HOTLIST_ENTRIES, AgreementStatus, GrantStatus, PartnerKind

# ------------------------------------------------------------------------------------------ requests


def _rfc3339(value: Any) -> datetime:
    return parse_rfc3339(value)


class Scope(Strict):
    lpr_reads: bool
    alerts: bool
    camera_ids: list[UuidStr] | None = Field(default=None, max_length=1000)


class AgreementIn(Strict):
    city_id: UuidStr | None = None  # admins say which city; managers get their own
    partner_name: str = Field(min_length=1, max_length=200)
    partner_kind: PartnerKind
    purpose: str = Field(min_length=1, max_length=2000)
    legal_basis: str = Field(min_length=1, max_length=2000)
    valid_from: datetime
    valid_until: datetime
    scope: Scope
    feed_url: str | None = Field(default=None, max_length=2048)

    @field_validator("valid_from", "valid_until", mode="before")
    @classmethod
    def _times(cls, value: Any) -> datetime:
        return _rfc3339(value)

    @model_validator(mode="after")
    def _window(self) -> AgreementIn:
        if self.valid_until <= self.valid_from:
            raise Invalid("invalid_range", "valid_until deve ser posterior a valid_from")
        return self


class AgreementPatch(Strict):
    """Any of these; `status` suspends or resumes (a resume also restarts a feed the receiver had stopped)."""

    status: AgreementStatus | None = None
    partner_name: str | None = Field(default=None, min_length=1, max_length=200)
    purpose: str | None = Field(default=None, min_length=1, max_length=2000)
    legal_basis: str | None = Field(default=None, min_length=1, max_length=2000)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    scope: Scope | None = None
    feed_url: str | None = Field(default=None, max_length=2048)
    rotate: list[Literal["feed_secret", "hotlist_key"]] | None = None

    @field_validator("valid_from", "valid_until", mode="before")
    @classmethod
    def _times(cls, value: Any) -> datetime | None:
        return None if value is None else _rfc3339(value)


class AgreementsQuery(PageQuery):
    """`GET /v1/agreements`: the caller's city's (admins: all, or `city_id`)."""

    city_id: str | None = Field(default=None, json_schema_extra={"format": "uuid"})

    @field_validator("city_id", mode="before")
    @classmethod
    def _city(cls, value: Any) -> str | None:
        return query_uuid(None if value is None else str(value), "city_id")


class HotlistEntryIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=True)

    plate: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=500)
    source_ref: str | None = Field(default=None, max_length=200)
    expires_at: datetime | None = None

    @field_validator("expires_at", mode="before")
    @classmethod
    def _expiry(cls, value: Any) -> datetime | None:
        return None if value in (None, "") else parse_rfc3339(value)


class HotlistIn(BaseModel):
    """The JSON form of a push (entries are checked one by one, so bad rows are reported, not fatal)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    mode: Literal["upsert", "replace"] = "upsert"
    entries: list[dict[str, Any]] = Field(max_length=MAX_HOTLIST_ENTRIES)


class GrantIn(Strict):
    requesting_city_id: UuidStr
    holding_city_id: UuidStr
    case_id: UuidStr
    plates: list[str] = Field(min_length=1, max_length=50)
    from_: datetime = Field(alias="from")
    to: datetime
    justification: str = Field(min_length=1, max_length=2000)

    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _times(cls, value: Any) -> datetime:
        return _rfc3339(value)


class GrantPatch(Strict):
    """The holding city answers (`approved`, `denied`); either city may revoke an approved grant."""

    status: Literal["approved", "denied", "revoked"]


class GrantsQuery(PageQuery):
    """`GET /v1/grants`: grants the caller's city asked for or holds (`status` filter)."""

    status: GrantStatus | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if value not in GRANT_STATUSES:
            raise Invalid("invalid_status", f"status deve ser um de: {', '.join(GRANT_STATUSES)}")
        return str(value)


_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ReportQuery(Query):
    month: str
    format: Literal["json", "csv", "pdf"] = "json"

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, value: Any) -> str:
        if not isinstance(value, str) or not _MONTH.match(value):
            raise Invalid("invalid_month", "month deve ser AAAA-MM")
        return value


# ------------------------------------------------------------------------------------------- answers


def _uuid() -> Any:
    return Field(json_schema_extra={"format": "uuid"})


class ScopeOut(Out):
    lpr_reads: bool
    alerts: bool
    camera_ids: list[str] | None


class AgreementOut(Out):
    id: str = _uuid()
    city_id: str = _uuid()
    partner_name: str
    partner_kind: PartnerKind
    purpose: str
    legal_basis: str
    valid_from: datetime
    valid_until: datetime
    scope: ScopeOut
    feed_url: str | None
    status: AgreementStatus
    #: Whether reads flow right now (active, inside the window, the feed not stopped by the receiver).
    flowing: bool
    feed_stopped_at: datetime | None
    feed_stopped_reason: str | None
    last_delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AgreementSecrets(AgreementOut):
    """The agreement with its secrets, shown this once (on creation and on rotation)."""

    feed_secret: str | None = None
    hotlist_key: str | None = None


class DeliveriesOut(Out):
    pending: int
    delivered: int
    failed: int
    lag_s: float
    last_error: str | None
    #: Reads delivered per hour, the last 24 hours (oldest first): the console's sparkline.
    hourly: list[int]


class HotlistError(Out):
    line: int
    error: str


class HotlistEntryOut(Out):
    plate: str
    reason: str
    source_ref: str | None
    expires_at: datetime | None


class HotlistResult(Out):
    mode: Literal["upsert", "replace"]
    #: False for a dry run, and for a `replace` with bad rows (the list stays as it was).
    applied: bool
    accepted: int
    rejected: int
    errors: list[HotlistError]
    removed: int
    #: The first 20 accepted entries, as stored.
    preview: list[HotlistEntryOut]


class GrantOut(Out):
    id: str = _uuid()
    requesting_city_id: str = _uuid()
    holding_city_id: str = _uuid()
    case_id: str = _uuid()
    plates: list[str]
    from_: datetime = Field(alias="from")
    to: datetime
    justification: str
    status: GrantStatus
    #: Whether the grant gives access right now (approved and not expired).
    in_force: bool
    requested_by: str | None
    answered_by: str | None
    answered_at: datetime | None
    expires_at: datetime | None
    created_at: datetime


class ReportOut(Out):
    agreement_id: str = _uuid()
    city_id: str = _uuid()
    partner_name: str
    month: str
    reads_shared: int
    deliveries: int
    deliveries_failed: int
    hotlist_entries_received: int
    hits: int
    accesses: int
    generated_at: datetime

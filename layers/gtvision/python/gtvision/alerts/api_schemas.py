"""Watchlists' and alerts' API models: what the routes take and answer, and the ops alerts Alertmanager posts.
Apart from `schemas` (the rows and the rules' inputs, which the workers raising alerts read) so that the workers do
not build them (ADR 0029)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from gtvision.alerts.schemas import KINDS, STATUS_ALIASES, STATUSES, Priority, Status
from gtvision.core.errors import Invalid
from gtvision.core.jsonutil import JsonObject
from gtvision.core.models import Out, PageQuery, QueryTime, QueryUuid, UuidStr

# ------------------------------------------------------------------------------------------ requests


def _status(value: Any) -> str | None:
    if value in (None, ""):
        return None
    status = STATUS_ALIASES.get(str(value), str(value))
    if status not in STATUSES:
        raise Invalid("invalid_status", f"status deve ser um de: {', '.join(STATUSES)}")
    return status


class WatchIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=True)

    plate: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=500)
    fuzzy: bool = False
    city_id: UuidStr | None = None  # admins say which city; others get their own


class AlertPatch(BaseModel):
    """Handle an alert: acknowledge it, close it (with a note saying what was done) or open it again."""

    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=True)

    status: Literal["open", "acknowledged", "closed", "investigating"] = Field(
        description="`investigating` (v1.1) é o mesmo que `acknowledged`"
    )
    note: str | None = Field(default=None, min_length=1, max_length=2000)

    @property
    def target(self) -> Status:
        """The status asked for, aliases resolved."""
        return "acknowledged" if self.status == "investigating" else self.status


class WatchlistQuery(PageQuery):
    """`GET /v1/watchlist`: the caller's city (admins: every city or the one asked)."""

    city_id: QueryUuid = None


class AlertsQuery(PageQuery):
    """`GET /v1/alerts`: newest first; `open=true` lists the alerts still to handle (neither resolved nor closed)."""

    city_id: QueryUuid = None
    since: QueryTime = None
    kind: str | None = None
    open: bool | None = Field(default=None, description="true: só os ainda não resolvidos nem encerrados")
    status: str | None = Field(default=None, description="open, acknowledged (ou investigating) ou closed")
    priority: Priority | None = None
    camera_id: QueryUuid = None

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str | None:
        return _status(value)

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if value not in ("high", "normal"):
            raise Invalid("invalid_priority", "priority deve ser high ou normal")
        return str(value)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if value not in KINDS:
            raise Invalid("invalid_kind", f"kind deve ser um de: {', '.join(KINDS)}")
        return str(value)

    @field_validator("open", mode="before")
    @classmethod
    def _open(cls, value: Any) -> bool | None:
        text = str(value).lower() if value is not None else ""
        if text not in ("", "true", "false"):
            raise Invalid("invalid_open", "open deve ser true ou false")
        return None if text == "" else text == "true"


# ------------------------------------------------------------------------------------------- answers


def _uuid(default: Any = ...) -> Any:
    return Field(default=default, json_schema_extra={"format": "uuid"})


class AlertOut(Out):
    id: str = _uuid()
    kind: str
    plate: str | None
    camera_id: str | None = _uuid()
    captured_at: datetime | None
    read_ids: list[str]
    created_at: datetime
    city_id: str | None = Field(json_schema_extra={"format": "uuid"}, description="nulo nos alertas ops (plataforma)")
    status: Status
    priority: Priority
    watchlist_id: str | None = _uuid()
    detail: JsonObject
    resolved_at: datetime | None = Field(description="quando o incidente de saúde terminou; nulo enquanto aberto")
    acknowledged_by: str | None = _uuid()
    acknowledged_by_name: str | None
    acknowledged_at: datetime | None
    closed_by: str | None = _uuid()
    closed_by_name: str | None
    closed_at: datetime | None
    note: str | None
    updated_at: datetime


class WatchOut(Out):
    id: str = _uuid()
    city_id: str = _uuid()
    plate: str
    reason: str
    fuzzy: bool
    created_by: str | None = _uuid()
    created_at: datetime
    #: A partner's hotlist entry: its agreement, reference and expiry (null for the city's own entries).
    agreement_id: str | None = _uuid()
    source_ref: str | None
    expires_at: datetime | None


# ---------------------------------------------------------------------------------- ops (Alertmanager)


def _utf8(value: str) -> str:
    """PostgreSQL stores UTF-8: a lone surrogate (which JSON can carry) is refused here, a 422, not at the INSERT."""
    value.encode("utf-8")  # UnicodeEncodeError is a ValueError: pydantic reports it
    return value


Text = Annotated[str, AfterValidator(_utf8)]


class AlertmanagerAlert(BaseModel):
    """One alert of Alertmanager's webhook (payload version 4)."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[Text, Text]
    annotations: dict[Text, Text] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    #: Alertmanager sends 0001-01-01T00:00:00Z while the alert fires.
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    fingerprint: Text = Field(min_length=1, max_length=64)


class AlertmanagerWebhook(BaseModel):
    """`POST /v1/hooks/alertmanager`: what Alertmanager's webhook receiver sends (group fields ignored)."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    version: str
    status: Literal["firing", "resolved"]
    alerts: list[AlertmanagerAlert] = Field(max_length=1000)


class OpsHookAnswer(Out):
    """How many alerts the notification carried, and how many ops alerts it opened and resolved."""

    received: int
    opened: int
    resolved: int

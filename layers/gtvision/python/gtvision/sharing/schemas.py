"""Sharing: the rows of its tables (agreements, deliveries, grants) and the feed's job message. What the API
takes and answers (agreements, hotlists, grants, reports) is in `api_schemas`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from gtvision.core.ids import UUID_PATTERN
from gtvision.core.rows import rowtype

PartnerKind = Literal["policia_militar", "policia_civil", "prf", "programa_estadual", "municipio", "outro"]
AgreementStatus = Literal["active", "suspended"]
GrantStatus = Literal["pending", "approved", "denied", "revoked"]
GRANT_STATUSES: tuple[GrantStatus, ...] = ("pending", "approved", "denied", "revoked")
MAX_HOTLIST_ENTRIES = 250_000


class DeliveryJob(BaseModel):
    """One message of the feed queue: only the delivery's id; the worker reads the rest from its row."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    delivery_id: str = Field(pattern=UUID_PATTERN)


# ---------------------------------------------------------------------------------------------- rows


@rowtype
class Agreement:
    """An agreement (table `agreements`); its secrets never leave the layer."""

    id: UUID
    city_id: UUID
    partner_name: str
    partner_kind: PartnerKind
    purpose: str
    legal_basis: str
    valid_from: datetime
    valid_until: datetime
    share_reads: bool
    share_alerts: bool
    camera_ids: list[UUID] | None
    feed_url: str | None
    feed_secret_enc: bytes
    hotlist_key_hash: str
    status: AgreementStatus
    feed_stopped_at: datetime | None
    feed_stopped_reason: str | None
    last_delivered_at: datetime | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime

    def flowing(self, now: datetime) -> bool:
        """Whether anything may flow now: active, inside its validity window."""
        return self.status == "active" and self.valid_from <= now < self.valid_until


@rowtype
class Delivery:
    """One delivery of the outbound feed (table `feed_deliveries`)."""

    id: UUID
    agreement_id: UUID
    kind: Literal["reads", "hotlist_hit"]
    read_ids: list[UUID]
    entry: dict[str, Any] | None
    status: Literal["pending", "delivered", "dead"]
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@rowtype
class SharedRead:
    """A read as the feed sends it: the read and its camera."""

    id: UUID
    plate: str
    captured_at: datetime
    confidence: float
    vehicle: dict[str, Any] | None
    vehicle_color: str | None
    vehicle_type: str | None
    camera_id: UUID
    camera_name: str | None
    lat: float | None
    lon: float | None


@rowtype
class DeliveryStats:
    pending: int
    delivered: int
    failed: int
    oldest_pending: datetime | None
    last_error: str | None


@rowtype
class Grant:
    """An inter-city grant (table `grants`)."""

    id: UUID
    requesting_city_id: UUID
    holding_city_id: UUID
    case_id: UUID
    plates: list[str]
    from_at: datetime
    to_at: datetime
    justification: str
    status: GrantStatus
    requested_by: UUID | None
    answered_by: UUID | None
    answered_at: datetime | None
    expires_at: datetime | None
    created_at: datetime


@rowtype
class MonthCounts:
    reads_shared: int
    deliveries: int
    deliveries_failed: int
    hits: int
    entries_received: int
    accesses: int

"""Watchlists and alerts: the kinds, statuses and priorities, and the rows of `alerts` and `watchlist` (and the
rules' inputs). What the API takes and answers, and the ops alerts Alertmanager posts, are in `api_schemas`."""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from gtvision.core.jsonutil import JsonObject
from gtvision.core.rows import rowtype

#: Every kind of alert (migration 0099 lists the same): `hotlist` is a partner's entry matched (sharing), `ops` a
#: platform fault Alertmanager posted (no city: admins list them).
KINDS = (
    "watchlist",
    "hotlist",
    "clone_suspect",
    "recording_changed",
    "camera_offline",
    "recording_stalled",
    "camera_tampered",
    "ops",
)
#: Kinds an operator must see at once (the console sounds them); the database derives `priority` the same way.
HIGH_PRIORITY = ("watchlist", "hotlist", "camera_tampered")
Status = Literal["open", "acknowledged", "closed"]
STATUSES: tuple[Status, ...] = ("open", "acknowledged", "closed")
Priority = Literal["high", "normal"]
#: v1.1's name for `acknowledged`, still accepted wherever a status is given.
STATUS_ALIASES = {"investigating": "acknowledged"}


# ---------------------------------------------------------------------------------------------- rows


@rowtype
class Alert:
    """An alert (table `alerts`; an ops alert belongs to no city)."""

    id: UUID
    city_id: UUID | None
    kind: str
    plate: str | None
    camera_id: UUID | None
    captured_at: datetime | None
    read_ids: list[UUID]
    watchlist_id: UUID | None
    status: Status
    detail: JsonObject
    created_at: datetime
    resolved_at: datetime | None
    priority: Priority
    acknowledged_by: UUID | None
    acknowledged_by_name: str | None
    acknowledged_at: datetime | None
    closed_by: UUID | None
    closed_by_name: str | None
    closed_at: datetime | None
    note: str | None
    updated_at: datetime


@rowtype
class NewAlert:
    """An alert to raise: stored once per (kind, dedup_key), so a redelivered cause never raises it twice.

    With a `subject` (what the alert is about, e.g. a recording's key) the rule is per change instead: only a
    repeat of the latest alert of that kind and subject is a duplicate, so a change back to a state seen before
    (A → B → A → B) raises again.
    """

    city_id: Any
    kind: str
    dedup_key: str
    detail: JsonObject
    plate: str | None = None
    camera_id: Any = None
    captured_at: datetime | None = None
    read_ids: list[Any] = field(default_factory=list)
    watchlist_id: Any = None
    subject: str | None = None


@rowtype
class WatchEntry:
    """A plate on a city's watchlist (table `watchlist`)."""

    id: UUID
    city_id: UUID
    plate: str
    reason: str
    fuzzy: bool
    created_by: UUID | None
    created_at: datetime
    #: A partner's hotlist entry (sharing): its agreement, the partner's reference, when it stops matching.
    agreement_id: UUID | None
    source_ref: str | None
    expires_at: datetime | None


@rowtype
class WatchHit:
    """A new read that matches a watchlist entry (same plate, or a shared fuzzy key)."""

    read_id: UUID
    city_id: UUID
    plate: str
    camera_id: UUID
    captured_at: datetime
    confidence: float
    watchlist_id: UUID
    watch_plate: str
    reason: str
    fuzzy: bool
    agreement_id: UUID | None
    source_ref: str | None


@rowtype
class ClonePair:
    """A new read and another read of the same plate at another located camera within the clone window."""

    read_id: UUID
    city_id: UUID
    plate: str
    camera_id: UUID
    captured_at: datetime
    lat: float
    lon: float
    other_id: UUID
    other_camera_id: UUID
    other_captured_at: datetime
    other_lat: float
    other_lon: float

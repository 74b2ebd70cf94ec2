"""Stream and recording health: the rows the poller and the API read. The metrics query and the answers are in
`api_schemas`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from gtvision.core.rows import rowtype

Status = Literal["online", "offline", "unknown"]

# ---------------------------------------------------------------------------------------------- rows


@rowtype
class StartedCamera:
    """A camera a manager started, as one poll sees it: its health row (NULLs before the first poll), its
    last segment and whether health incidents are open."""

    camera_id: UUID
    city_id: UUID
    name: str
    status: str | None
    since: datetime | None
    started_at: datetime | None
    sampled_at: datetime | None
    online_time: str | None
    inbound_bytes: int | None
    frames_in_error_total: int | None
    stored_segment_end: datetime | None
    segment_end: datetime | None
    segment_duration_s: float | None
    segment_frames: int | None
    offline_open: bool
    stalled_open: bool
    #: Whether the camera has a sub-stream (its MediaMTX path `{id}_sub` must exist too).
    has_substream: bool
    #: Re-adds of its MediaMTX path tried since the path was last seen, and when the next may be tried.
    path_readds: int
    path_readd_after: datetime | None


@rowtype
class CameraHealth:
    """The latest observed state of a camera (table `camera_health`)."""

    camera_id: UUID | str
    city_id: UUID
    status: str
    since: datetime
    started_at: datetime | None
    sampled_at: datetime | None
    online_time: str | None
    inbound_bytes: int | None
    frames_in_error_total: int | None
    inbound_kbps: float | None
    frames_in_error: int | None
    readers: int | None
    readers_by_type: dict[str, int]
    codec: str | None
    width: int | None
    height: int | None
    fps: float | None
    last_segment_end: datetime | None
    recording_lag_s: float | None
    path_readds: int = 0
    path_readd_after: datetime | None = None


@rowtype
class Sample:
    """One poll's sample of a camera (table `stream_samples`)."""

    at: datetime
    online: bool
    inbound_kbps: float | None
    frames_in_error: int | None
    readers: int | None
    fps: float | None
    recording_lag_s: float | None


@rowtype(slots=False)
class StatusChange:
    """A camera's status moved from `previous` to `status` at `at` (seen by `source`; table
    `camera_status_changes`)."""

    camera_id: str
    city_id: str
    status: str
    previous: str | None
    at: datetime
    source: str  # poll | hook | manager


@rowtype
class NewSample:
    """A sample the poll writes (table `stream_samples`)."""

    camera_id: str
    city_id: UUID
    at: datetime
    online: bool
    inbound_kbps: float | None
    frames_in_error: int | None
    readers: int | None
    fps: float | None
    recording_lag_s: float | None


@rowtype
class CityCounts:
    cameras: int
    online: int
    offline: int
    unknown: int
    stopped: int


@rowtype
class Troubled:
    id: UUID
    name: str
    status: str
    since: datetime | None
    recording_lag_s: float | None


@rowtype
class CityHealthRow:
    counts: CityCounts
    stalled: list[UUID]
    troubled: list[Troubled]
    lpr_reads_last_hour: int
    open_alerts: int

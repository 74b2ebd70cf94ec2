"""Recordings: what registering an uploaded segment reads and writes besides the index — the camera's plans, the
rejection log and tamper detection's view state. Apart from `schemas` (the index's rows, which the clip and export
cutters, retention and the reconcilers read) so that those do not define them (ADR 0029)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from gtvision.core.rows import rowtype
from gtvision.recordings.schemas import Segment


@rowtype
class Rejection:
    """An upload that could not be registered (table `rejected_uploads`)."""

    id: int
    s3_key: str
    reason: str
    detail: dict[str, Any]
    at: datetime
    attempts: int


@rowtype
class CameraPlan:
    """A camera and its city's plans, as registration needs them."""

    camera_id: UUID
    city_id: UUID
    name: str
    retention_days: int
    #: The full-quality part of the plan (main stream), at most `retention_days`.
    full_quality_days: int


@rowtype
class ViewState:
    """A camera's reference and the state of the comparison (table `camera_views`)."""

    camera_id: UUID
    reference_luma: bytes
    reference_sharpness: float
    reference_at: datetime
    reference_source: str
    reference_thumb_key: str | None
    last_luma: bytes
    last_sharpness: float
    last_at: datetime
    last_thumb_key: str | None
    suspect_reason: str | None
    suspect_count: int


@rowtype
class ViewUpdate:
    """What a segment writes of the camera's view state (table `camera_views`; the first one is the reference)."""

    last_luma: bytes
    last_sharpness: float
    last_mean: float
    last_contrast: float
    last_thumb_key: str | None
    suspect_reason: str | None
    suspect_count: int


@rowtype(slots=False)
class Registration:
    """What registering one key reads first, in one round trip: the camera and its city's plans (None: no such
    camera), the segment already registered under the key, and the camera's view state (tamper detection)."""

    camera: CameraPlan | None
    existing: Segment | None
    view: ViewState | None

"""Rows the retention run reads: cities' plans, expired segments, clips, plate reads and refused uploads."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from gtvision.core.rows import rowtype


@rowtype
class CityPlan:
    """A city's retention plans (read fresh each run: a lowered plan applies at once)."""

    id: UUID
    retention_days: int
    lpr_retention_days: int
    #: Days main-stream segments are kept (two-tier recording; the sub-stream's are kept `retention_days`).
    full_quality_days: int


@rowtype
class ExpiredSegment:
    camera_id: UUID
    start_at: datetime
    quality: str
    s3_key: str
    thumb_key: str | None
    play_key: str | None

    @property
    def object_keys(self) -> list[str]:
        """Every object of the segment: the original, its thumbnail and its playable rendition (one unit)."""
        return [k for k in (self.s3_key, self.thumb_key, self.play_key) if k]


@rowtype
class ExpiredClip:
    id: UUID
    s3_key: str | None
    manifest_key: str | None


@rowtype
class ExpiredRead:
    id: UUID
    plate: str
    image_key: str | None


@rowtype
class ExpiredRejection:
    id: int
    s3_key: str


@rowtype
class Partition:
    """A daily partition of `segments` and its bounds."""

    name: str
    lo: datetime
    hi: datetime

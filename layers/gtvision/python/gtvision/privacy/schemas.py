"""Privacy masks: the row of `privacy_masks`. The request and the answer are in `api_schemas`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True, slots=True)
class PrivacyMasks:
    """A camera's masks (table `privacy_masks`)."""

    camera_id: UUID
    masks: list[dict[str, Any]]
    updated_by_name: str | None
    updated_at: datetime

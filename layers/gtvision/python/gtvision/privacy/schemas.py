"""Privacy masks: the row of `privacy_masks`. The request and the answer are in `api_schemas`."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from gtvision.core.rows import rowtype


@rowtype
class PrivacyMasks:
    """A camera's masks (table `privacy_masks`)."""

    camera_id: UUID
    masks: list[dict[str, Any]]
    updated_by_name: str | None
    updated_at: datetime

"""Request models of live streams and their health."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class MediaMTXEvent(BaseModel):
    """What MediaMTX's runOnOnline/runOnOffline hook posts (local/mediamtx/stream-event.sh)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    event: Literal["online", "offline"]
    path: str = Field(min_length=1, max_length=128, description="o nome do path no MediaMTX (o id da câmera)")

"""Request models of LPR: a camera's webhook read, the bulk endpoint, and the batch SQS message of reads."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

MAX_BULK_READS = 5000


class Vehicle(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore", str_strip_whitespace=True)

    color: str | None = Field(default=None, max_length=64)
    type: str | None = Field(default=None, max_length=64)
    make: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=64)


class ReadBase(BaseModel):
    # Cameras add vendor fields; ignoring them keeps firmware updates from breaking ingest.
    model_config = ConfigDict(defer_build=True, extra="ignore", str_strip_whitespace=True)

    event_id: str = Field(min_length=1, max_length=128)
    plate: str = Field(min_length=1, max_length=32)
    confidence: float = Field(ge=0, le=1, allow_inf_nan=False)
    captured_at: AwareDatetime
    vehicle: Vehicle | None = None
    direction: str | None = Field(default=None, max_length=32)


class WebhookRead(ReadBase):
    image_jpeg_base64: str | None = None


class BatchRead(ReadBase):
    camera_id: uuid.UUID


class BulkIn(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    reads: list[BatchRead] = Field(min_length=1, max_length=MAX_BULK_READS)


class ReadsMessage(BaseModel):
    """One message of the LPR ingest queue: ``{"reads": [...]}``, a bare list of reads, or one read."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    reads: list[BatchRead] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _one_shape(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"reads": data}
        if isinstance(data, dict) and "reads" not in data:
            return {"reads": [data]}
        return data

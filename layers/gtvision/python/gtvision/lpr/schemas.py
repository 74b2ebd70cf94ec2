"""LPR: what a camera's webhook and the ingest queue carry, and the rows of `plate_reads`. The bulk endpoint's
body, the search queries and what the API answers are in `api_schemas`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from gtvision.core.jsonutil import JsonObject

MAX_BULK_READS = 5000
Match = Literal["exact", "prefix", "fuzzy"]
MATCHES: tuple[Match, ...] = ("exact", "prefix", "fuzzy")

# ------------------------------------------------------------------------------------------ requests


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


# ---------------------------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class PlateReadRow:
    """A stored read (table `plate_reads`, the columns searches select)."""

    id: uuid.UUID
    city_id: uuid.UUID
    camera_id: uuid.UUID
    event_id: str
    plate: str
    confidence: float
    captured_at: datetime
    image_key: str | None
    vehicle: JsonObject | None
    direction: str | None
    created_at: datetime
    vehicle_color: str | None
    vehicle_type: str | None


@dataclass(frozen=True, slots=True)
class RankedRead(PlateReadRow):
    """A read found by fuzzy search, with its plate's distance from the query."""

    distance: float


@dataclass(frozen=True, slots=True)
class TrajectoryRow(PlateReadRow):
    """A read of a trajectory, with its camera's name and place."""

    camera_name: str | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True, slots=True)
class StoredRead:
    """A read as ingest stored it: what the alert rules and the post-ingest observers receive."""

    id: uuid.UUID
    city_id: uuid.UUID
    camera_id: uuid.UUID
    event_id: str
    plate: str
    confidence: float
    captured_at: datetime
    vehicle_color: str | None
    vehicle_type: str | None
    image_key: str | None

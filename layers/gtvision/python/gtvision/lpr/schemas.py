"""LPR: what a camera's webhook and the ingest queue carry, and the rows of `plate_reads`. The bulk endpoint's
body, the search queries and what the API answers are in `api_schemas`."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, model_validator, with_config
from typing_extensions import TypedDict

from gtvision.core.jsonutil import JsonObject
from gtvision.core.rows import rowtype

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


# The queue's usual message, {"reads": [...]}, as plain dicts: the same fields, constraints and config as
# `ReadsMessage` / `BatchRead` / `Vehicle` above (tests/unit/test_lpr_batch_lines.py holds them equal), validated
# by pydantic straight from the JSON text without two model instances per read — 1.8 µs a read instead of 7
# (docs/benchmarks.md, "LPR ingest"). The batch path falls back to `ReadsMessage` for any message this refuses
# (the other shapes, invalid reads), so errors are the model's.


@with_config(ConfigDict(extra="ignore", str_strip_whitespace=True))
class VehicleFields(TypedDict, total=False):
    color: Annotated[str | None, Field(max_length=64)]
    type: Annotated[str | None, Field(max_length=64)]
    make: Annotated[str | None, Field(max_length=64)]
    model: Annotated[str | None, Field(max_length=64)]


@with_config(ConfigDict(extra="ignore", str_strip_whitespace=True))
class BatchReadFields(TypedDict):
    event_id: Annotated[str, Field(min_length=1, max_length=128)]
    plate: Annotated[str, Field(min_length=1, max_length=32)]
    confidence: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
    captured_at: AwareDatetime
    vehicle: NotRequired[VehicleFields | None]
    direction: NotRequired[Annotated[str | None, Field(max_length=32)]]
    camera_id: uuid.UUID


@with_config(ConfigDict(extra="forbid"))
class ReadsFields(TypedDict):
    reads: Annotated[list[BatchReadFields], Field(min_length=1)]


@functools.cache
def reads_fields() -> TypeAdapter[ReadsFields]:
    """The validator of `ReadsFields`, built on first use (not at import, which cold starts pay), once."""
    return TypeAdapter(ReadsFields)


# ---------------------------------------------------------------------------------------------- rows


@rowtype
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


@rowtype
class RankedRead(PlateReadRow):
    """A read found by fuzzy search, with its plate's distance from the query."""

    distance: float


@rowtype
class TrajectoryRow(PlateReadRow):
    """A read of a trajectory, with its camera's name and place."""

    camera_name: str | None
    lat: float | None
    lon: float | None


@rowtype
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

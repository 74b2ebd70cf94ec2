"""Request models of the core resources: cities, users, login and cameras."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from gtvision.core.models import Strict, UuidStr


class CityIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    state: str = Field(min_length=2, max_length=2)
    retention_days: Literal[7, 15, 30]
    camera_limit: int = Field(default=1000, ge=1, le=100000)
    lpr_retention_days: int = Field(default=30, ge=1, le=3650)
    timezone: str = Field(default="America/Sao_Paulo", min_length=1, max_length=64)
    #: Two-tier recording: days the main stream is kept (the sub-stream: retention_days); default all of them.
    full_quality_days: int | None = Field(default=None, ge=1, le=30)


class CityPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    state: str | None = Field(default=None, min_length=2, max_length=2)
    retention_days: Literal[7, 15, 30] | None = None
    camera_limit: int | None = Field(default=None, ge=1, le=100000)
    lpr_retention_days: int | None = Field(default=None, ge=1, le=3650)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    full_quality_days: int | None = Field(default=None, ge=1, le=30)


class UserIn(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=8, max_length=256)
    role: Literal["admin", "manager", "operator", "viewer"]
    city_id: UuidStr | None = None


class Login(Strict):
    username: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=256)


class Location(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str | None = Field(default=None, max_length=300)


class CameraIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    source_url: str = Field(min_length=1, max_length=2048)
    username: str | None = Field(default=None, max_length=128)
    password: str | None = Field(default=None, max_length=256)
    location: Location | None = None
    lpr_enabled: bool = False
    #: The camera's sub-stream (same URL rules and credentials as `source_url`).
    substream_url: str | None = Field(default=None, min_length=1, max_length=2048)


class CameraPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    source_url: str | None = Field(default=None, min_length=1, max_length=2048)
    username: str | None = Field(default=None, max_length=128)
    password: str | None = Field(default=None, max_length=256)
    location: Location | None = None
    lpr_enabled: bool | None = None
    rotate_webhook_secret: bool | None = None
    #: The sub-stream's URL; null removes it.
    substream_url: str | None = Field(default=None, min_length=1, max_length=2048)
    # Intelbras/Dahua ITS push (HTTP Digest): the password is write-only; null clears the pair.
    lpr_digest_username: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\"]+$")
    lpr_digest_password: str | None = Field(default=None, min_length=8, max_length=128)


# ---------------------------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class City:
    """A city, the tenant (table `cities`)."""

    id: UUID
    name: str
    state: str
    retention_days: int
    lpr_retention_days: int
    camera_limit: int
    timezone: str
    created_at: datetime
    updated_at: datetime
    #: Days the main stream is kept (two-tier recording): at most retention_days; NULL in the table = all.
    full_quality_days: int | None = None


@dataclass(frozen=True, slots=True)
class Camera:
    """A camera as every feature reads it (table `cameras`): never its secrets (`store.cameras.secrets`)."""

    id: UUID
    city_id: UUID
    name: str
    source_url: str
    username: str | None
    has_password: bool
    lat: float | None
    lon: float | None
    address: str | None
    lpr_enabled: bool
    #: What a manager asked for: registered | streaming | stopped.
    status: str
    created_at: datetime
    updated_at: datetime
    lpr_digest_username: str | None
    lpr_keepalive_at: datetime | None
    #: What the health poll last observed (online | offline | unknown), None before any poll.
    health_status: str | None
    #: The camera's sub-stream, without credentials (MediaMTX path `{id}_sub`); None when it has none.
    substream_url: str | None = None

"""Tenancy: the rows of cities and cameras (which every function reads) and the types answers share. Users, their
standing and camera groups are in `account_schemas`; what the routes take and answer in `api_schemas`; login,
sessions and 2FA in `session_schemas`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BeforeValidator, Field

from gtvision.core.rows import rowtype

Role = Literal["admin", "manager", "operator", "viewer"]


def _text_id(value: Any) -> Any:
    return str(value) if isinstance(value, UUID) else value


#: An id in an answer: a row's UUID (or a string), as its canonical text.
IdOut = Annotated[str, BeforeValidator(_text_id), Field(json_schema_extra={"format": "uuid"})]

# ---------------------------------------------------------------------------------------------- rows


@rowtype
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
    require_2fa_roles: list[str]
    #: Days the main stream is kept (two-tier recording): at most retention_days; NULL in the table = all.
    full_quality_days: int | None = None


@rowtype
class Camera:
    """A camera as every feature reads it (table `cameras`): never its secrets (`CameraSecrets`).

    `source_url` is the stored form: it may hold credential markers (`core.urls`); answers show
    `core.urls.public_url(source_url)`."""

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


@rowtype
class CameraSecrets:
    """A camera's encrypted secrets (never leaves tenancy decrypted except to MediaMTX and the webhook check)."""

    id: UUID
    city_id: UUID
    source_url: str
    substream_url: str | None
    username: str | None
    password_enc: bytes | None
    lpr_enabled: bool
    webhook_secret_enc: bytes | None
    webhook_secret_prev_enc: bytes | None
    webhook_secret_prev_until: datetime | None
    lpr_digest_username: str | None
    lpr_digest_password_enc: bytes | None

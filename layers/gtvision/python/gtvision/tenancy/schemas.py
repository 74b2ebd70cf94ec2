"""Tenancy: what requests take (cities, cameras, camera groups, users), the rows of their tables, and what the
API answers. Login, sessions and 2FA are in `session_schemas`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BeforeValidator, Field, SerializerFunctionWrapHandler, field_validator, model_serializer

from gtvision.core.models import Out, PageQuery, Strict, UuidStr

Role = Literal["admin", "manager", "operator", "viewer"]


def _text_id(value: Any) -> Any:
    return str(value) if isinstance(value, UUID) else value


#: An id in an answer: a row's UUID (or a string), as its canonical text.
IdOut = Annotated[str, BeforeValidator(_text_id), Field(json_schema_extra={"format": "uuid"})]

# ------------------------------------------------------------------------------------------ requests


class CityIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    state: str = Field(min_length=2, max_length=2)
    retention_days: Literal[7, 15, 30]
    camera_limit: int = Field(default=1000, ge=1, le=100000)
    lpr_retention_days: int = Field(default=30, ge=1, le=3650)
    timezone: str = Field(default="America/Sao_Paulo", min_length=1, max_length=64)
    require_2fa_roles: list[Role] = Field(default_factory=list, max_length=4)
    #: Two-tier recording: days the main stream is kept (the sub-stream: retention_days); default all of them.
    full_quality_days: int | None = Field(default=None, ge=1, le=30)


class CityPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    state: str | None = Field(default=None, min_length=2, max_length=2)
    retention_days: Literal[7, 15, 30] | None = None
    camera_limit: int | None = Field(default=None, ge=1, le=100000)
    lpr_retention_days: int | None = Field(default=None, ge=1, le=3650)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    #: Roles of the city that must sign in with a second factor ("admin": every admin).
    require_2fa_roles: list[Role] | None = Field(default=None, max_length=4)
    full_quality_days: int | None = Field(default=None, ge=1, le=30)


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


def _unique_ids(values: list[str] | None) -> list[str] | None:
    """Canonical, de-duplicated ids in the order given."""
    if values is None:
        return None
    return list(dict.fromkeys(str(UUID(v)) for v in values))


class CameraGroupIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    camera_ids: list[UuidStr] = Field(default_factory=list, max_length=1000)

    @field_validator("camera_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        return _unique_ids(value) or []


class CameraGroupPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    camera_ids: list[UuidStr] | None = Field(default=None, max_length=1000)

    @field_validator("camera_ids")
    @classmethod
    def _ids(cls, value: list[str] | None) -> list[str] | None:
        return _unique_ids(value)


class UserIn(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=1, max_length=256)
    role: Role
    city_id: UuidStr | None = None
    camera_group_ids: list[UuidStr] | None = Field(default=None, max_length=100)

    @field_validator("camera_group_ids")
    @classmethod
    def _ids(cls, value: list[str] | None) -> list[str] | None:
        return _unique_ids(value)


class UserPatch(Strict):
    """What a manager changes of a user: role, reactivation/deactivation, camera restriction (null: none)."""

    role: Role | None = None
    active: bool | None = None
    camera_group_ids: list[UuidStr] | None = Field(default=None, max_length=100)

    @field_validator("camera_group_ids")
    @classmethod
    def _ids(cls, value: list[str] | None) -> list[str] | None:
        return _unique_ids(value)


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
    require_2fa_roles: list[str]
    #: Days the main stream is kept (two-tier recording): at most retention_days; NULL in the table = all.
    full_quality_days: int | None = None


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class CameraGroup:
    """A named set of a city's cameras (tables `camera_groups`, `camera_group_members`)."""

    id: UUID
    city_id: UUID
    name: str
    camera_ids: list[UUID]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class User:
    """An account (table `users`) without its password hash; `totp_enabled` and `camera_group_ids` are
    read from `user_totp` and `user_camera_groups` (None: not restricted to groups)."""

    id: UUID
    username: str
    role: str
    city_id: UUID | None
    pseudonym: str
    created_at: datetime
    last_login_at: datetime | None
    reactivated_at: datetime | None
    deactivated_at: datetime | None
    #: Not used for GTV_INACTIVE_DAYS (admins never are: nobody above them could reactivate them).
    inactive: bool
    totp_enabled: bool
    camera_group_ids: list[UUID] | None


@dataclass(frozen=True, slots=True)
class Standing:
    """What a request needs to know about its caller now (one query per request): whether the token still
    opens anything, and the camera restriction and 2FA obligation in force."""

    role: str
    city_id: UUID | None
    blocked: bool
    token_revoked: bool
    session_live: bool
    totp_enabled: bool
    totp_required: bool
    #: None when the user is not restricted to camera groups.
    camera_ids: list[UUID] | None


# ------------------------------------------------------------------------------------------- answers


class CityOut(Out):
    id: IdOut
    name: str
    state: str
    retention_days: int
    lpr_retention_days: int
    camera_limit: int
    timezone: str
    require_2fa_roles: list[str]
    created_at: datetime
    updated_at: datetime
    full_quality_days: int | None = Field(default=None, description="dias em qualidade total (o resto: sub-stream)")


class LocationOut(Out):
    lat: float
    lon: float
    address: str | None


class CameraOut(Out):
    """A camera as the API shows it: never a password, never a secret (but `webhook_secret`, once)."""

    id: IdOut
    city_id: IdOut
    name: str
    source_url: str = Field(description="sem credenciais (movidas para username/senha cifrada)")
    username: str | None
    has_credentials: bool
    location: LocationOut | None
    lpr_enabled: bool
    substream_url: str | None = Field(default=None, description="sub-stream da câmera (sem credenciais)")
    status: str = Field(description="estado observado: online, offline ou unknown")
    stream_status: str = Field(description="o pedido do gestor: registered, streaming ou stopped")
    lpr_digest_username: str | None = None
    lpr_keepalive_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    webhook_secret: str | None = Field(default=None, description="só na criação, ao ligar o LPR ou ao rotacionar")

    # No return annotation on purpose: pydantic would take it as the serialized schema (OpenAPI) instead of
    # the fields above.
    @model_serializer(mode="wrap")
    def _secret_only_when_issued(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        """`webhook_secret` is absent from every answer but the one that issued it."""
        data = handler(self)
        if isinstance(data, dict) and data.get("webhook_secret") is None:
            data.pop("webhook_secret", None)
        return data


class CameraGroupOut(Out):
    id: IdOut
    city_id: IdOut
    name: str
    camera_ids: list[IdOut]
    created_at: datetime
    updated_at: datetime


class UserOut(Out):
    id: IdOut
    username: str
    role: Role
    city_id: IdOut | None
    created_at: datetime
    active: bool = Field(description="falso quando desativada por um gestor ou sem uso há GTV_INACTIVE_DAYS dias")
    status: Literal["active", "inactive", "disabled"] = Field(
        description="active; inactive (sem uso, bloqueada até reativação); disabled (desativada por um gestor)"
    )
    last_login_at: datetime | None
    totp_enabled: bool
    camera_group_ids: list[IdOut] | None = Field(description="nulo: todas as câmeras da cidade")


class UsersQuery(PageQuery):
    """`GET /v1/users`: a page of the users the caller manages."""

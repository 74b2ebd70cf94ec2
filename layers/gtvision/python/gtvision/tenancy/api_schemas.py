"""Tenancy's API models: what the routes of cities, cameras, camera groups and users take and answer. Apart from
`schemas` (the rows, which every function reads) so that the workers do not build them (ADR 0029)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, SerializerFunctionWrapHandler, field_validator, model_serializer

from gtvision.core.models import Out, PageQuery, Strict, UuidStr
from gtvision.tenancy.schemas import IdOut, Role

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

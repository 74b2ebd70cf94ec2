"""Request models (pydantic) and the one function that turns validation errors into 422s."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gtvision.errors import Invalid, Malformed

M = TypeVar("M", bound=BaseModel)

BR_STATES = {
    "AC",
    "AL",
    "AP",
    "AM",
    "BA",
    "CE",
    "DF",
    "ES",
    "GO",
    "MA",
    "MT",
    "MS",
    "MG",
    "PA",
    "PB",
    "PR",
    "PE",
    "PI",
    "RJ",
    "RN",
    "RS",
    "RO",
    "RR",
    "SC",
    "SP",
    "SE",
    "TO",
}


UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# An id field of a request body: anything else is a 422 here, not a database error later.
UuidStr = Annotated[str, Field(pattern=UUID_PATTERN)]


def query_uuid(value: str | None, name: str) -> str | None:
    """A UUID query parameter (None when absent); 422 when it is not a UUID."""
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Invalid(f"invalid_{name}", f"{name} deve ser um UUID") from None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CityIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    state: str = Field(min_length=2, max_length=2)
    retention_days: Literal[7, 15, 30]
    camera_limit: int = Field(default=1000, ge=1, le=100000)
    lpr_retention_days: int = Field(default=30, ge=1, le=3650)
    timezone: str = Field(default="America/Sao_Paulo", min_length=1, max_length=64)


class CityPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    state: str | None = Field(default=None, min_length=2, max_length=2)
    retention_days: Literal[7, 15, 30] | None = None
    camera_limit: int | None = Field(default=None, ge=1, le=100000)
    lpr_retention_days: int | None = Field(default=None, ge=1, le=3650)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)


class UserIn(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=8, max_length=256)
    role: Literal["admin", "manager", "viewer"]
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


class CameraPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    source_url: str | None = Field(default=None, min_length=1, max_length=2048)
    username: str | None = Field(default=None, max_length=128)
    password: str | None = Field(default=None, max_length=256)
    location: Location | None = None
    lpr_enabled: bool | None = None
    rotate_webhook_secret: bool | None = None
    # Intelbras/Dahua ITS push (HTTP Digest): the password is write-only; null clears the pair.
    lpr_digest_username: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\"]+$")
    lpr_digest_password: str | None = Field(default=None, min_length=8, max_length=128)


def parse(model: type[M], data: Any) -> M:
    """Validate `data` as `model`: 400 when it is not a JSON object, 422 listing the bad fields otherwise."""
    if not isinstance(data, dict):
        raise Malformed("malformed_body", "o corpo deve ser um objeto JSON")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Never echo input values back (they may hold passwords): only field names and reasons.
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        raise Invalid("validation_error", f"dados inválidos — {fields}") from None

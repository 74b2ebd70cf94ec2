"""What every request model shares: ``Strict``, the UUID pattern and the one function that turns
validation errors into 422s."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, TypeGuard, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gtvision.core.errors import Invalid, Malformed

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


#: A UUID in its canonical hyphenated form (any case), unanchored, for use inside other patterns.
UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
UUID_PATTERN = rf"^{UUID_RE}$"
_UUID = re.compile(UUID_PATTERN)
# An id field of a request body: anything else is a 422 here, not a database error later.
UuidStr = Annotated[str, Field(pattern=UUID_PATTERN)]


def is_uuid(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a string holding one canonical UUID."""
    return isinstance(value, str) and _UUID.match(value) is not None


def query_uuid(value: str | None, name: str) -> str | None:
    """A UUID query parameter (None when absent); 422 when it is not a UUID."""
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Invalid(f"invalid_{name}", f"{name} deve ser um UUID") from None


class Strict(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=True)


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

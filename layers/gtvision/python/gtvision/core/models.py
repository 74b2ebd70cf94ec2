"""What every request model shares: ``Strict`` (bodies), ``Query`` (query strings) with its parameter
types, ``Out`` (answers) and the one function that turns validation errors into 422s. The UUID pattern and
checks are `core.ids` (workers use them without the models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo

from gtvision.core.errors import Invalid, Malformed
from gtvision.core.ids import UUID_PATTERN, query_uuid
from gtvision.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, parse_limit
from gtvision.core.timeutil import query_time

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


# An id field of a request body: anything else is a 422 here, not a database error later.
UuidStr = Annotated[str, Field(pattern=UUID_PATTERN)]


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


# ------------------------------------------------------------------------------------------- queries


class Query(BaseModel):
    """Query parameters, parsed by the route decorator (`chalicelib.routing.parse_query`) before the view
    runs. Unknown parameters are ignored; a validator may raise a `DomainError` to answer with its own code."""

    model_config = ConfigDict(defer_build=True, extra="ignore", populate_by_name=True)


def _limit(value: Any) -> int:
    return parse_limit(None if value is None else str(value))


def _param_name(info: ValidationInfo) -> str:
    """The parameter's name in the query string (`from_` is `from`)."""
    return (info.field_name or "").rstrip("_")


def _time(value: Any, info: ValidationInfo) -> datetime | None:
    if isinstance(value, datetime):
        return value
    return query_time(None if value is None else str(value), _param_name(info))


def _query_uuid(value: Any, info: ValidationInfo) -> str | None:
    return query_uuid(None if value is None else str(value), _param_name(info))


#: `?limit=` (1–500, default 50; 400 `invalid_limit` otherwise).
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT), BeforeValidator(_limit)]
#: A time parameter (RFC 3339 with an offset; 422 `invalid_time` naming the parameter otherwise).
QueryTime = Annotated[datetime | None, BeforeValidator(_time)]
#: A UUID parameter, canonicalised (422 `invalid_{name}` otherwise).
QueryUuid = Annotated[str | None, Field(json_schema_extra={"format": "uuid"}), BeforeValidator(_query_uuid)]


class PageQuery(Query):
    """`?limit=&cursor=` of every list."""

    limit: Limit = DEFAULT_LIMIT
    cursor: str | None = Field(default=None, description="opaco, o next_cursor da página anterior")


# ------------------------------------------------------------------------------------------- answers


class Out(BaseModel):
    """An answer: every field it has is declared here (the OpenAPI document lists them all); objects of
    other classes are read by attribute, so a typed row or a dataclass converts directly."""

    model_config = ConfigDict(defer_build=True, extra="ignore", from_attributes=True, populate_by_name=True)


class Page(Out, Generic[T]):
    """A page of a list: `next_cursor` is null on the last page."""

    items: list[T]
    next_cursor: str | None

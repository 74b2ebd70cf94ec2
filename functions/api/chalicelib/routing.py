"""Each route declared once: path, method, role, status, body, query and response models on one decorator.

    api = Api(__name__)

    @api.route("GET", "/v1/clips/{clip_id}", role="manager", response=ClipOut, audit="clip.read")
    def get_clip(req: Request[None, None], clip: Clip) -> ClipOut:
        return clips.public(clip)

In this order, for every route: the caller is authenticated (401 before anything about the path or query);
every `{…_id}` path parameter is parsed as a UUID in any spelling and canonicalised (404 otherwise), then
resolved to its row in the caller's scope by `resolvers` (404 for another city's id), and the row is handed
to the view under the name without `_id` (`clip_id` → `clip`); then the role is checked (403); only then are
the query and the body parsed with their models (400/422), so a caller who may not use a route never learns
its input from a 422. What the view returns is serialized through the response model. `openapi.build` reads
the same declarations, so the document cannot drift from what the route does.
"""

from __future__ import annotations

import functools
import inspect
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib import http, resolvers
from gtvision.audit import service as audit
from gtvision.core.errors import Invalid, Malformed, NotFound, not_found
from gtvision.core.models import Page, parse
from gtvision.core.principal import Principal
from gtvision.core.rows import rowtype
from gtvision.tenancy.auth import bearer
from gtvision.tenancy.authz import at_least, check_path
from gtvision.tenancy.users import ensure_active

B = TypeVar("B", bound=BaseModel | None)
Q = TypeVar("Q", bound=BaseModel | None)
T = TypeVar("T")
_PARAM = re.compile(r"{(\w+)}")


@rowtype(slots=False)
class Operation:
    """One route as declared: what OpenAPI documents and what the decorator enforces."""

    method: str
    path: str
    #: The least role that may call it (viewer < operator < manager < admin); None: no token (webhooks, login,
    #: health).
    role: str | None
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    #: A response model, a media type (HLS, CSV, HTML...) or None (no body).
    response: type[BaseModel] | str | None = None
    audit: str | None = None
    #: Other documented non-error answers (status → description), e.g. a redirect.
    also: tuple[tuple[int, str], ...] = ()
    #: The body model is documented but the view parses it: a signed webhook checks its signature over the
    #: raw bytes before anything reads them.
    view_parses_body: bool = False
    #: Request media types besides JSON; with them the view reads `raw_body` itself (`body` is only documented).
    content_types: tuple[str, ...] = ()


@dataclass
class Request(Generic[B, Q]):
    """What a view gets of the request, parsed: the caller, the body and query models, and audit fields."""

    principal: Principal | None
    body: B
    query: Q
    raw_body: bytes
    headers: dict[str, str]
    source_ip: str | None
    request_id: str
    #: The raw query string values (for the few routes that document no query model).
    params: dict[str, str] = field(default_factory=dict)
    audit_detail: dict[str, Any] = field(default_factory=dict)
    audit_city_id: str | None = None

    @property
    def user(self) -> Principal:
        assert self.principal is not None, "a route with a role always has a caller"
        return self.principal


def canonical_id(value: str) -> str:
    """A path id in any spelling `uuid.UUID` accepts, lower case and hyphenated; 404 otherwise."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError):
        raise not_found() from None


def parse_query(model: type[BaseModel], raw: Mapping[str, str]) -> BaseModel:
    """Query parameters through their model: a DomainError raised by a field's validator stands (its own
    code); any other failure is a 422 `invalid_{parameter}`."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        first = exc.errors(include_input=False)[0]
        name = str(first["loc"][0]) if first["loc"] else "query"
        raise Invalid(f"invalid_{name}", f"parâmetro '{name}' inválido: {first['msg']}") from None


def _json_body(req: Request[Any, Any]) -> Any:
    return http.parse_json(req.raw_body)


def serialize(result: Any, op: Operation) -> Response:
    """The view's result as the route's answer: models dumped by alias, dicts validated through the model."""
    if isinstance(result, Response):
        return result
    if result is None or op.status == 204:
        return http.json_response(None, 204) if op.status == 204 else http.json_response(None, op.status)
    model = op.response if isinstance(op.response, type) else None
    if model is not None and not isinstance(result, BaseModel):
        result = model.model_validate(result)
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="python", by_alias=True)
    return http.json_response(result, op.status)


class Api:
    """The routes of one feature: a chalice blueprint plus the declarations OpenAPI reads."""

    def __init__(self, name: str) -> None:
        self.bp = Blueprint(name)
        self.operations: list[Operation] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        role: str | None = "viewer",
        status: int = 200,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | str | None = None,
        audit: str | None = None,
        also: tuple[tuple[int, str], ...] = (),
        credentials: Callable[[Request[Any, Any]], None] | None = None,
        content_types: tuple[str, ...] = (),
        view_parses_body: bool = False,
        bad_id: Callable[[], Exception] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare and register a route (see the module's docstring for the order of checks).

        Writes (anything but GET) are always audited, under `audit` or the view's name. A route without a role
        may check its own `credentials` (a webhook's shared secret): they run where the token check would,
        so an unauthenticated caller gets its 401 before anything about the body. `content_types`: request
        media types the route takes besides JSON (e.g. `text/csv`); the view then parses `raw_body` itself and
        `body` only documents the JSON form. `view_parses_body`: the JSON body is documented but the view
        parses it (a signed webhook checks its signature over the raw bytes before anything reads them).
        `bad_id` makes the error a path id that is not a UUID gets (404 otherwise): a push authenticated per
        device answers it like a wrong credential, so ids cannot be probed; its ids are then canonicalised even
        on a route without a token.
        """
        op = Operation(
            method,
            path,
            role,
            status,
            body,
            query,
            response,
            audit,
            also,
            view_parses_body=view_parses_body,
            content_types=content_types,
        )
        params = _PARAM.findall(path)

        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            action = audit or (None if method == "GET" else fn.__name__)
            wanted = set(inspect.signature(fn).parameters)

            @functools.wraps(fn)
            def view(**raw: str) -> Response:
                cr = self.bp.current_request
                rc = (cr.context or {}) if cr else {}
                req: Request[Any, Any] = Request(
                    principal=None,
                    body=None,
                    query=None,
                    # chalice annotates raw_body as str | bytes but always returns bytes (it encodes str bodies).
                    raw_body=cast(bytes, cr.raw_body or b""),
                    headers={k.lower(): v for k, v in (cr.headers or {}).items()},
                    source_ip=(rc.get("identity") or {}).get("sourceIp"),
                    request_id=rc.get("requestId") or uuid.uuid4().hex,
                    params=dict(cr.query_params or {}),
                )
                status = 500
                resource = path.format(**raw) if raw else path
                try:
                    if role is not None:
                        req.principal = ensure_active(bearer(req.headers.get("authorization")))
                        check_path(req.principal, path)
                    elif credentials is not None:
                        credentials(req)
                    kwargs = self._path_kwargs(req, raw, wanted, strict=role is not None, bad_id=bad_id)
                    resource = path.format(**{k: kwargs.get(k, v) for k, v in raw.items()}) if raw else path
                    if req.principal is not None and role is not None:
                        at_least(req.principal, role)
                    if any("\x00" in k or "\x00" in v for k, v in req.params.items()):
                        raise Malformed("invalid_query", "parâmetro de consulta com caractere nulo")
                    if query is not None:
                        req.query = parse_query(query, req.params)
                    if body is not None and not content_types and not view_parses_body:
                        req.body = parse(body, _json_body(req))
                    resp = serialize(fn(req, **{k: v for k, v in kwargs.items() if k in wanted}), op)
                    status = resp.status_code
                    return http.secured(resp)
                except Exception as exc:  # noqa: BLE001 - every failure becomes the contract's error answer
                    resp = http.error_response(exc, path)
                    status = resp.status_code
                    return resp
                finally:
                    if action and req.principal is not None:
                        audit_mod_record(req, action, resource, status)

            view.__gtv_op__ = op  # type: ignore[attr-defined]
            view.__gtv_audit__ = action  # type: ignore[attr-defined]
            view.__gtv_auth__ = role is not None  # type: ignore[attr-defined]
            view.__gtv_roles__ = resolvers.roles_from(role)  # type: ignore[attr-defined]
            accepted = [*http.CONTENT_TYPES, *content_types]
            self.bp.route(path, methods=[method], content_types=accepted, cors=True)(view)
            self.operations.append(op)
            return view

        for name in params:
            if "_id" not in name and name not in resolvers.PLAIN_PARAMS:
                raise ValueError(f"{path}: path parameter {name} is neither an id nor a known plain parameter")
        return deco

    @staticmethod
    def _path_kwargs(
        req: Request[Any, Any],
        raw: Mapping[str, str],
        wanted: set[str],
        strict: bool = True,
        bad_id: Callable[[], Exception] | None = None,
    ) -> dict[str, Any]:
        """Path parameters: ids canonicalised and resolved once (the row under the name without `_id`).

        On a route without a token (`strict` False: a partner's signed push) the id is handed to the view as it
        came: the services it calls canonicalise the id themselves, and an id that is no agreement's —
        malformed or not — gets the same 401 as a wrong key, so the answer tells nothing about ids. With
        `bad_id` (a camera's Digest push) the id is canonicalised here and a malformed one gets `bad_id()`."""
        out: dict[str, Any] = {}
        for name, value in raw.items():
            if not name.endswith("_id") or (not strict and bad_id is None):
                if "\x00" in value:
                    raise not_found()
                out[name] = value
                continue
            try:
                canonical = canonical_id(value)
            except NotFound:
                if bad_id is None:
                    raise
                raise bad_id() from None
            out[name] = canonical
            resolver = resolvers.RESOLVERS.get(name)
            if resolver is not None and req.principal is not None:
                row = resolver(req.principal, canonical)
                out[name[: -len("_id")]] = row
                city = getattr(row, "city_id", None) if not isinstance(row, dict) else row.get("city_id")
                if city is not None and req.audit_city_id is None:
                    req.audit_city_id = str(city)
        return out


def audit_mod_record(req: Request[Any, Any], action: str, resource: str, status: int) -> None:
    """The audit entry of a request (every write, and reads of video, clips, plates...)."""
    assert req.principal is not None
    detail = {"query": req.params, **req.audit_detail} if req.params or req.audit_detail else None
    audit.record(
        req.principal,
        action,
        resource,
        status=status,
        source_ip=req.source_ip,
        request_id=req.request_id,
        city_id=req.audit_city_id,
        detail=detail,
    )


def page(items: list[T], next_cursor: str | None) -> Page[T]:
    """A page of a list, as every list answers."""
    return Page[T](items=items, next_cursor=next_cursor)


__all__ = ["Api", "Operation", "Request", "canonical_id", "page", "parse_query", "serialize"]

"""The one decorator every route goes through: auth, JSON in/out, error mapping and the audit entry."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import psycopg
from chalice import Blueprint, Response

from chalicelib import resolvers as scope
from gtvision.audit import service as audit
from gtvision.core import pagination
from gtvision.core.errors import DomainError, Invalid, Malformed, TooLarge, not_found
from gtvision.core.jsonutil import dumps
from gtvision.core.observability import logger
from gtvision.tenancy.auth import Principal, bearer
from gtvision.tenancy.authz import check_path
from gtvision.tenancy.users import ensure_active

MAX_BODY_BYTES = 4 * 1024 * 1024
#: On every API answer unless the view set its own (the console's assets are cacheable): answers carry
#: presigned URLs, plate data and tokens, which no cache may keep, no browser may sniff into another type,
#: and no Referer header may carry away. Every error answer — a view's, chalice's own, the proxy's 404/405 —
#: is made by `error_answer`, which always sets them.
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
#: A 429 that names no wait (a limit counted elsewhere) still tells the client when to come back.
DEFAULT_RETRY_AFTER_S = "60"
# Accept what real clients send (curl -d sends form encoding); the body is parsed as JSON regardless.
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain", "application/octet-stream"]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except (ValueError, TypeError):
        return False


def _reject_constant(name: str) -> Any:
    """NaN/Infinity are not JSON (RFC 8259); Python's parser accepts them unless told otherwise."""
    raise ValueError(f"{name} is not valid JSON")


def _has_nul(value: Any) -> bool:
    """True when any string (or key) of a parsed JSON document contains NUL."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def json_response(obj: Any, status: int = 200, headers: dict[str, str | list[str]] | None = None) -> Response:
    return Response(
        body="" if status == 204 else dumps(obj),
        status_code=status,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


def paged(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}


def secured(resp: Response) -> Response:
    """The API headers on an answer (those the view set itself stay)."""
    present = {k.lower() for k in resp.headers}
    for name, value in API_HEADERS.items():
        if name.lower() not in present:
            resp.headers[name] = value
    return resp


def error_answer(
    status: int, code: str, message: str, headers: Mapping[str, str | list[str]] | None = None
) -> Response:
    """The one shape of every error answer: the contract's JSON, the API headers, `Retry-After` on a 429."""
    extra = dict(headers or {})
    if status == 429 and not any(k.lower() == "retry-after" for k in extra):
        extra["Retry-After"] = DEFAULT_RETRY_AFTER_S
    return secured(json_response({"error": {"code": code, "message": message}}, status, extra))


#: Chalice answers some requests itself, before any view runs, with {"Code", "Message"} bodies.
_CHALICE_ERRORS = {
    405: ("method_not_allowed", "método não permitido nesta rota"),
    415: ("unsupported_media_type", "tipo de conteúdo não aceito; envie application/json"),
    400: ("bad_request", "requisição inválida"),
}


def contract_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Chalice 'http' middleware: chalice's own error answers (405, 415, …) in the contract's error shape,
    with the API headers; the Allow header of a 405 is kept."""
    resp = get_response(event)
    body = resp.body
    if isinstance(body, dict) and set(body) == {"Code", "Message"}:
        code, message = _CHALICE_ERRORS.get(resp.status_code, ("error", "requisição recusada"))
        if resp.status_code >= 500:
            code, message = "internal_error", "erro interno"
        headers = {k: v for k, v in resp.headers.items() if k.lower() != "content-type"}
        return error_answer(resp.status_code, code, message, headers)
    if resp.status_code >= 400:
        return secured(resp)
    return resp


def parse_json(raw_body: bytes) -> Any:
    """A request body as JSON: 413 when too large, 400 when absent or not JSON, 422 when it holds NUL."""
    if len(raw_body) > MAX_BODY_BYTES:
        raise TooLarge("payload_too_large", "corpo da requisição grande demais")
    if not raw_body:
        raise Malformed("malformed_body", "corpo JSON ausente")
    try:
        data = json.loads(raw_body, parse_constant=_reject_constant)
    # RecursionError: absurdly deep nesting; ValueError: JSONDecodeError, integers of > 4300 digits.
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Malformed("malformed_json", "corpo não é JSON válido") from exc
    if _has_nul(data):
        # PostgreSQL text cannot hold NUL and no field of this API needs it.
        raise Invalid("invalid_characters", "o corpo contém caracteres nulos (\\u0000)")
    return data


def error_response(exc: BaseException, path: str) -> Response:
    """The contract's error answer for anything a view raised (with the API headers)."""
    if isinstance(exc, DomainError):
        return error_answer(exc.status, exc.code, exc.message, exc.headers)
    if isinstance(exc, psycopg.OperationalError):  # database away or frozen (bounded waits, core.db): retry later
        logger.exception("database unavailable", extra={"path": path})
        return error_answer(
            503, "database_unavailable", "banco de dados indisponível; tente novamente", {"Retry-After": "5"}
        )
    logger.exception("unhandled error", extra={"path": path})
    return error_answer(500, "internal_error", "erro interno")


@dataclass
class Ctx:
    """What a view needs of the request, without chalice types leaking into logic."""

    principal: Principal | None
    query: dict[str, str]
    raw_body: bytes
    headers: dict[str, str]
    source_ip: str | None
    request_id: str
    audit_detail: dict[str, Any] = field(default_factory=dict)
    audit_city_id: str | None = None

    @property
    def user(self) -> Principal:
        assert self.principal is not None
        return self.principal

    def json(self) -> Any:
        return parse_json(self.raw_body)

    def limit(self) -> int:
        return pagination.parse_limit(self.query.get("limit"))

    def cursor(self) -> str | None:
        return self.query.get("cursor") or None


def route(
    bp: Blueprint,
    path: str,
    methods: tuple[str, ...] = ("GET",),
    *,
    auth: bool = True,
    roles: tuple[str, ...] | None = None,
    audit_action: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(ctx, **path_params)` on `bp`.

    Authenticated routes are authorised before the view runs, so before any body or query is
    validated (`scope.authorize`: path ids visible in the caller's city, else 404; then `roles`, else
    403). `roles` defaults to every role for reads and to managers and admins for writes (viewers
    write nothing, contract "Auth and roles").

    Writes (non-GET) are always audited; reads are audited when `audit_action` is given (video,
    thumbnails, clips, LPR, trajectories). Domain errors become the contract's error JSON.
    """
    allowed = roles if roles is not None else (scope.ANY if methods == ("GET",) else scope.MANAGERS)

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        action = audit_action or (None if methods == ("GET",) else f"{fn.__name__}")

        @functools.wraps(fn)
        def view(**params: str) -> Response:
            req = bp.current_request
            rc = (req.context or {}) if req else {}
            ctx = Ctx(
                principal=None,
                query=dict(req.query_params or {}),
                # chalice annotates raw_body as str | bytes but always returns bytes (it encodes str bodies).
                raw_body=cast(bytes, req.raw_body or b""),
                headers={k.lower(): v for k, v in (req.headers or {}).items()},
                source_ip=(rc.get("identity") or {}).get("sourceIp"),
                request_id=rc.get("requestId") or uuid.uuid4().hex,
            )
            status = 500
            try:
                if auth:  # 401 before anything about the path or the query
                    ctx.principal = ensure_active(bearer(ctx.headers.get("authorization")))
                    check_path(ctx.principal, path)
                for name, value in list(params.items()):
                    if "\x00" in value or (auth and name.endswith("_id") and not _is_uuid(value)):
                        raise not_found()
                    if auth and name.endswith("_id"):
                        params[name] = str(uuid.UUID(value))  # canonical before any use
                # (A route without a token gets its ids as sent: see routing.Api._path_kwargs.)
                if any("\x00" in k or "\x00" in v for k, v in ctx.query.items()):
                    # PostgreSQL text cannot hold NUL: refused here once rather than in every query.
                    raise Malformed("invalid_query", "parâmetro de consulta com caractere nulo")
                if ctx.principal is not None:
                    scope.authorize(ctx.principal, allowed, params)
                result = fn(ctx, **params)
                resp = result if isinstance(result, Response) else json_response(result)
                status = resp.status_code
                return secured(resp)
            except Exception as exc:  # noqa: BLE001 - every failure becomes the contract's error answer
                resp = error_response(exc, path)
                status = resp.status_code
                return resp
            finally:
                if action and ctx.principal is not None:
                    resource = path.format(**params) if params else path
                    audit.record(
                        ctx.principal,
                        action,
                        resource,
                        status=status,
                        source_ip=ctx.source_ip,
                        request_id=ctx.request_id,
                        city_id=ctx.audit_city_id,
                        detail={"query": ctx.query, **ctx.audit_detail} if ctx.query or ctx.audit_detail else None,
                    )

        view.__gtv_audit__ = action  # type: ignore[attr-defined]
        view.__gtv_auth__ = auth  # type: ignore[attr-defined]
        view.__gtv_roles__ = allowed if auth else ()  # type: ignore[attr-defined]
        bp.route(path, methods=list(methods), content_types=CONTENT_TYPES, cors=True)(view)
        return view

    return deco

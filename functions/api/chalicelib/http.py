"""The one decorator every route goes through: auth, JSON in/out, error mapping and the audit entry."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from chalice import Response

from gtvision.core.errors import DomainError, Invalid, Malformed, TooLarge
from gtvision.core.jsonutil import dumps
from gtvision.core.observability import logger

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

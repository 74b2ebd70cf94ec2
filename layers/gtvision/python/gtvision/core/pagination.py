"""Opaque keyset cursors for `?limit=&cursor=` lists."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from gtvision.core.errors import Malformed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: Every cursor this API makes is a short list (a time and an id): anything longer was not made here.
MAX_CURSOR_CHARS = 512


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        n = int(raw)
    except ValueError as exc:
        raise Malformed("invalid_limit", "limit deve ser um inteiro") from exc
    if not 1 <= n <= MAX_LIMIT:
        raise Malformed("invalid_limit", f"limit deve estar entre 1 e {MAX_LIMIT}")
    return n


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> list[Any] | None:
    if not raw:
        return None
    if len(raw) > MAX_CURSOR_CHARS:
        raise Malformed("invalid_cursor", "cursor inválido")
    try:
        pad = "=" * (-len(raw) % 4)
        value = json.loads(base64.urlsafe_b64decode(raw + pad))
    # RecursionError: deeply nested arrays; ValueError covers JSONDecodeError and bad base64.
    except (ValueError, RecursionError) as exc:
        raise Malformed("invalid_cursor", "cursor inválido") from exc
    if not isinstance(value, list):
        raise Malformed("invalid_cursor", "cursor inválido")
    return value


_BIGINT = 2**63


def _keyset_value(kind: str, value: Any) -> Any:
    if kind == "uuid":
        return str(uuid.UUID(str(value))) if isinstance(value, str) else _bad()
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool) and -_BIGINT <= value < _BIGINT
        return value if ok else _bad()
    moment = datetime.fromisoformat(value) if isinstance(value, str) else _bad()
    # Every keyset timestamp is timestamptz: a naive one was not made by encode_cursor.
    return moment if moment.tzinfo is not None else _bad()


def _bad() -> Any:
    raise ValueError("not a value this cursor can hold")


def decode_keyset(raw: str | None, shape: tuple[str, ...] = ("time", "uuid")) -> list[Any] | None:
    """A cursor whose values are, in order, of `shape` ("time", "uuid" or "int"), each checked and converted,
    so a forged or foreign cursor is a 400 — never a database error."""
    values = decode_cursor(raw)
    return None if values is None else check_keyset(values, shape)


def check_keyset(values: list[Any], shape: tuple[str, ...] = ("time", "uuid")) -> list[Any]:
    """`values` of a decoded cursor checked against `shape` and converted; 400 when they do not fit."""
    if len(values) != len(shape):
        raise Malformed("invalid_cursor", "cursor inválido")
    try:
        return [_keyset_value(kind, value) for kind, value in zip(shape, values, strict=True)]
    except ValueError as exc:
        raise Malformed("invalid_cursor", "cursor inválido") from exc


R = TypeVar("R")


def page(rows: list[R], limit: int, key: tuple[str, ...]) -> tuple[list[R], str | None]:
    """Given up to limit+1 rows ordered by `key`, return the page and the next cursor."""
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        values = [last[k] if isinstance(last, Mapping) else getattr(last, k) for k in key]
        return rows, encode_cursor(values)
    return rows, None

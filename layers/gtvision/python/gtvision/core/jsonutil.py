"""The contract's JSON: RFC 3339 UTC times with `Z`, UUIDs as strings, never binary — for the API's
responses and for everything else that must read the same (live events)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeAlias
from uuid import UUID

from gtvision.core.timeutil import format_rfc3339

#: A JSON document whose shape is someone else's (a JSONB column, a vendor's payload, an AWS answer): not a row.
JsonObject: TypeAlias = dict[str, Any]


def default(o: Any) -> Any:
    if isinstance(o, datetime):
        return format_rfc3339(o)
    if isinstance(o, date):
        return o.isoformat()
    if isinstance(o, UUID):
        return str(o)
    if isinstance(o, Decimal):
        return float(o)
    if isinstance(o, (bytes, memoryview)):
        raise TypeError("binary values are never serialised in responses")
    raise TypeError(f"not serialisable: {type(o).__name__}")


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=default, ensure_ascii=False)

"""RFC 3339 times, the contract's only time format: parsed strictly, always returned in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from gtvision.errors import Invalid

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
HINT = "use RFC 3339 com fuso, ex. 2026-11-23T14:05:00Z"


def format_rfc3339(moment: datetime, timespec: Literal["auto", "seconds", "milliseconds"] = "auto") -> str:
    """``moment`` in UTC with a ``Z`` (a naive one is taken as UTC); ``timespec`` as ``datetime.isoformat``."""
    aware = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.isoformat(timespec=timespec).replace("+00:00", "Z")


def parse_rfc3339(value: Any) -> datetime:
    """An RFC 3339 timestamp with an explicit offset, as an aware UTC datetime (ValueError otherwise)."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(HINT)
    text = value.replace("z", "Z").replace("t", "T")
    frac = re.search(r"\.(\d+)", text)
    if frac and len(frac.group(1)) > 6:  # Python keeps microseconds: drop nanosecond digits
        text = text.replace(frac.group(0), "." + frac.group(1)[:6])
    return datetime.fromisoformat(text).astimezone(UTC)


def query_time(raw: str | None, name: str, *, code: str = "invalid_time") -> datetime | None:
    """A time query parameter (None when absent); 422 naming the parameter when it is not RFC 3339.

    A `+hh:mm` offset left unencoded in a URL arrives as a space; it is read back as `+`.
    """
    if raw is None or raw == "":
        return None
    text = raw[:11] + raw[11:].replace(" ", "+")
    try:
        return parse_rfc3339(text)
    except ValueError:
        raise Invalid(code, f"parâmetro '{name}' inválido: {HINT}") from None

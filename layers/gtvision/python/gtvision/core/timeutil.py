"""RFC 3339 times, the contract's only time format: parsed strictly, always returned in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from gtvision.core.errors import Invalid

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
HINT = "use RFC 3339 com fuso, ex. 2026-11-23T14:05:00Z"
#: Times the API accepts. Nothing this system records lies outside, and arithmetic on a time near year 1
#: or 9999 (a range minus 31 days, a partition bound) overflows: such a time is a 422, never a 500.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
RANGE_HINT = "datas entre 1970-01-01 e 2200-01-01"


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
    try:
        moment = datetime.fromisoformat(text).astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before datetime.min in UTC
        raise ValueError(RANGE_HINT) from None
    if not EARLIEST <= moment < LATEST:
        raise ValueError(RANGE_HINT)
    return moment


def query_time(raw: str | None, name: str, *, code: str = "invalid_time") -> datetime | None:
    """A time query parameter (None when absent); 422 naming the parameter when it is not RFC 3339.

    A `+hh:mm` offset left unencoded in a URL arrives as a space; it is read back as `+`.
    """
    if raw is None or raw == "":
        return None
    text = raw[:11] + raw[11:].replace(" ", "+")
    try:
        return parse_rfc3339(text)
    except ValueError as exc:
        raise Invalid(code, f"parâmetro '{name}' inválido: {exc}") from None

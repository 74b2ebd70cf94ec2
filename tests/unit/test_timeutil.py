"""RFC 3339 parsing shared by every route that takes a time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gtvision.core.errors import Invalid
from gtvision.core.timeutil import parse_rfc3339, query_time


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026-11-23T14:05:00Z", datetime(2026, 11, 23, 14, 5, tzinfo=UTC)),
        ("2026-11-23t14:05:00z", datetime(2026, 11, 23, 14, 5, tzinfo=UTC)),
        ("2026-11-23 11:05:00-03:00", datetime(2026, 11, 23, 14, 5, tzinfo=UTC)),
        ("2026-11-23T14:05:00.123456789Z", datetime(2026, 11, 23, 14, 5, 0, 123456, tzinfo=UTC)),
    ],
)
def test_valid_times_become_utc(raw, expected):
    assert parse_rfc3339(raw) == expected


@pytest.mark.parametrize("raw", ["2026-11-23T14:05:00", "2026-11-23", "ontem", "1763906700", 1763906700, None])
def test_times_without_offset_or_not_rfc3339_are_refused(raw):
    with pytest.raises(ValueError):
        parse_rfc3339(raw)


def test_query_times_name_the_parameter_and_accept_an_unencoded_plus():
    assert query_time(None, "from") is None and query_time("", "from") is None
    assert query_time("2026-11-23T11:05:00 03:00", "from") == datetime(2026, 11, 23, 8, 5, tzinfo=UTC)
    with pytest.raises(Invalid) as err:
        query_time("amanhã", "to")
    assert err.value.status == 422 and "'to'" in err.value.message

"""Availability (SLA) report of a city's month: for each camera, the time it was expected to record, the
time recorded (the segment index), the incidents (gaps of a minute or more) and the longest gap.

Expected time runs from the later of the month's start and the camera's registration to the earlier of the
month's end and now, minus the periods a manager stopped the camera on purpose (a stop is not a failure).
The month is the city's calendar month, in its timezone, as a rental contract reads it.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from gtvision.availability import store
from gtvision.availability.schemas import CameraWindow, ManagerChange, SlaCamera, SlaOut, SlaQuery, Span
from gtvision.core import db
from gtvision.core.principal import Principal
from gtvision.tenancy.schemas import City

#: A recording gap at least this long is an incident.
INCIDENT_S = 60.0

Interval = tuple[datetime, datetime]


def month_bounds(month: str | None, tz: ZoneInfo, now: datetime) -> tuple[str, datetime, datetime]:
    """(AAAA-MM, first instant, first instant of the next month) in UTC, for the city's calendar month."""
    local = now.astimezone(tz)
    year, mon = (int(month[:4]), int(month[5:7])) if month else (local.year, local.month)
    start = datetime(year, mon, 1, tzinfo=tz)
    nxt = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=tz)
    return f"{year:04d}-{mon:02d}", start.astimezone(UTC), nxt.astimezone(UTC)


def _stopped(changes: list[ManagerChange], camera: CameraWindow, lo: datetime, hi: datetime) -> list[Interval]:
    """When a manager had the camera stopped, within [lo, hi)."""
    out: list[Interval] = []
    since: datetime | None = None
    if not changes and camera.status == "stopped":
        return [(lo, hi)]  # stopped before starts and stops were recorded, and never started since
    for change in changes:
        if change.status == "offline":
            since = since or change.at
        elif since is not None:
            out.append((since, change.at))
            since = None
    if since is not None:
        out.append((since, hi))
    return [(max(s, lo), min(e, hi)) for s, e in out if e > lo and s < hi]


def _subtract(window: Interval, holes: list[Interval]) -> list[Interval]:
    """`window` without the `holes` (sorted, possibly overlapping)."""
    out: list[Interval] = []
    cursor, end = window
    for s, e in sorted(holes):
        if e <= cursor:
            continue
        if s > cursor:
            out.append((cursor, min(s, end)))
        cursor = max(cursor, e)
        if cursor >= end:
            break
    if cursor < end:
        out.append((cursor, end))
    return [(s, e) for s, e in out if e > s]


def _seconds(intervals: list[Interval]) -> float:
    return sum((e - s).total_seconds() for s, e in intervals)


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s1, e1 in a:
        for s2, e2 in b:
            s, e = max(s1, s2), min(e1, e2)
            if e > s:
                out.append((s, e))
    return out


def camera_figures(camera: CameraWindow, expected: list[Interval], spans: list[Span]) -> SlaCamera:
    """One camera's line of the report."""
    recorded = _intersect(expected, [(s.start, s.end) for s in spans])
    gaps = [g for window in expected for g in _subtract(window, recorded)]
    expected_s, recorded_s = _seconds(expected), _seconds(recorded)
    return SlaCamera(
        camera_id=str(camera.id),
        name=camera.name,
        expected_s=round(expected_s, 3),
        recorded_s=round(recorded_s, 3),
        availability=recorded_s / expected_s if expected_s else None,
        incidents=sum(1 for s, e in gaps if (e - s).total_seconds() >= INCIDENT_S),
        longest_gap_s=round(max(((e - s).total_seconds() for s, e in gaps), default=0.0), 3),
    )


def report(city: City, query: SlaQuery, principal: Principal | None = None, now: datetime | None = None) -> SlaOut:
    """The city's availability for the month asked (the current month up to now by default); a caller
    restricted to camera groups sees only those cameras (and the city's figure over them)."""
    now = now or datetime.now(UTC)
    tz = ZoneInfo(city.timezone)
    month, lo, month_end = month_bounds(query.month, tz, now)
    hi = min(month_end, now)
    with db.transaction() as conn:
        cameras = store.cameras(conn, str(city.id), hi) if hi > lo else []
        if principal is not None:
            cameras = [c for c in cameras if principal.can_see_camera(str(c.id))]
        spans = store.spans(conn, str(city.id), lo, hi) if cameras else []
        changes = store.manager_changes(conn, str(city.id), hi) if cameras else []
    spans_of: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        spans_of[str(span.camera_id)].append(span)
    changes_of: dict[str, list[ManagerChange]] = defaultdict(list)
    for change in changes:
        changes_of[str(change.camera_id)].append(change)
    lines = []
    for camera in cameras:
        window = (max(lo, camera.created_at), hi)
        stops = _stopped(changes_of[str(camera.id)], camera, *window)
        lines.append(camera_figures(camera, _subtract(window, stops), spans_of[str(camera.id)]))
    expected = sum(c.expected_s for c in lines)
    recorded = sum(c.recorded_s for c in lines)
    return SlaOut(
        city_id=str(city.id),
        month=month,
        timezone=city.timezone,
        start=lo,
        end=max(lo, hi),
        cameras=lines,
        availability=recorded / expected if expected else None,
    )


def _br(value: float, places: int = 2) -> str:
    """A number as Brazilian spreadsheets read it: decimal comma, no thousands separator."""
    return f"{value:.{places}f}".replace(".", ",")


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def to_csv(out: SlaOut) -> str:
    """The report for a Brazilian spreadsheet: `;` separator, decimal comma, local dates, a BOM for Excel."""
    tz = ZoneInfo(out.timezone)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "camera",
            "camera_id",
            "periodo_inicio",
            "periodo_fim",
            "esperado_h",
            "gravado_h",
            "disponibilidade_pct",
            "incidentes",
            "maior_falha_min",
        ]
    )
    for c in out.cameras:
        writer.writerow(
            [
                c.name,
                c.camera_id,
                _local(out.start, tz),
                _local(out.end, tz),
                _br(c.expected_s / 3600),
                _br(c.recorded_s / 3600),
                "" if c.availability is None else _br(c.availability * 100),
                c.incidents,
                _br(c.longest_gap_s / 60, 1),
            ]
        )
    total = "" if out.availability is None else _br(out.availability * 100)
    writer.writerow(["TOTAL DA CIDADE", out.city_id, _local(out.start, tz), _local(out.end, tz), "", "", total, "", ""])
    return "\ufeff" + buf.getvalue()


__all__ = ["INCIDENT_S", "camera_figures", "month_bounds", "report", "to_csv"]

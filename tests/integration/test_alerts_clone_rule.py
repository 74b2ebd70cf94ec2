"""The clone rule's distance prefilter in SQL keeps every pair the exact rule (`core.geo.is_impossible`) flags.

`alerts.store.clone_pairs` computes the great-circle distance in PostgreSQL and drops plausible trips before they
reach Python, where `is_impossible` decides. Pairs placed right at the limits — a speed a millionth above or below
`lpr_clone_max_kmh`, a distance a hair above or below `MIN_ALARM_KM`, both reads at the same instant — must come
out of `alerts.evaluate` exactly as the rule says on the stored values. Real PostgreSQL.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gtvision.alerts import service as alerts
from gtvision.core import db, geo
from gtvision.core.settings import get_settings


def _place(lat: float, lon: float, km: float, bearing_deg: float) -> tuple[float, float]:
    """The point `km` away from (lat, lon) along `bearing_deg` (spherical Earth, as `geo.haversine_km`)."""
    d = km / geo.EARTH_RADIUS_KM
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    phi2 = math.asin(math.sin(phi) * math.cos(d) + math.cos(phi) * math.sin(d) * math.cos(theta))
    lam2 = lam + math.atan2(math.sin(theta) * math.sin(d) * math.cos(phi), math.cos(d) - math.sin(phi) * math.sin(phi2))
    return math.degrees(phi2), (math.degrees(lam2) + 540) % 360 - 180


def _pair(km: float, seconds: float, bearing: float, lat: float, lon: float) -> tuple[bool, bool]:
    """Two reads of one plate at two cameras `km` apart, `seconds` apart; (alert raised, the rule's verdict on
    the stored values)."""
    city, cams, plate = str(uuid.uuid4()), [str(uuid.uuid4()), str(uuid.uuid4())], "CLN1A23"
    places = [(lat, lon), _place(lat, lon, km, bearing)]
    now = datetime.now(UTC).replace(microsecond=0)
    times = [now - timedelta(minutes=30), now - timedelta(minutes=30) + timedelta(seconds=seconds)]
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO cities (id, name, state, retention_days) VALUES (%s, %s, 'SP', 30)", (city, f"C {city[:8]}")
        )
        for cam, (cam_lat, cam_lon) in zip(cams, places, strict=True):
            conn.execute(
                "INSERT INTO cameras (id, city_id, name, source_url, lat, lon, lpr_enabled)"
                " VALUES (%s, %s, %s, 'rtsp://10.0.0.9/s', %s, %s, true)",
                (cam, city, f"cam {cam[:6]}", cam_lat, cam_lon),
            )
        ids = []
        for cam, at in zip(cams, times, strict=True):
            row = conn.execute(
                "INSERT INTO plate_reads (id, city_id, camera_id, event_id, plate, plate_skeleton, plate_keys,"
                " confidence, captured_at) VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, %s, 0.9, %s)"
                " RETURNING id, captured_at",
                (city, cam, uuid.uuid4().hex, plate, plate, [plate], at),
            ).fetchone()
            ids.append(row)
        created = alerts.evaluate(conn, [ids[1]["id"]])
        stored = conn.execute(
            "SELECT lat, lon FROM cameras WHERE id = ANY(%s::uuid[]) ORDER BY array_position(%s::uuid[], id)",
            (cams, cams),
        ).fetchall()
    km_stored = geo.haversine_km(stored[0]["lat"], stored[0]["lon"], stored[1]["lat"], stored[1]["lon"])
    gap = (ids[1]["captured_at"] - ids[0]["captured_at"]).total_seconds()
    verdict = geo.is_impossible(km_stored, gap, get_settings().lpr_clone_max_kmh)
    return any(a.kind == "clone_suspect" for a in created), verdict


@pytest.mark.parametrize(
    ("km", "speed_factor", "expected"),
    [
        (84.0, 1.001, True),  # 84 km a hair too fast
        (84.0, 0.999, False),  # a hair slower: possible
        (2.6, 50.0, True),
        (geo.MIN_ALARM_KM * 0.98, 1e6, False),  # the same corner: never alarms
        (geo.MIN_ALARM_KM * 1.02, 1e6, True),
    ],
)
def test_pairs_at_the_limits_alert_as_the_rule_says(
    stack: dict[str, str], km: float, speed_factor: float, expected: bool
) -> None:
    max_kmh = get_settings().lpr_clone_max_kmh
    seconds = km / (max_kmh * speed_factor) * 3600
    raised, verdict = _pair(km, seconds, 45.0, -23.5505, -46.6333)
    assert verdict is expected
    assert raised is expected


def test_reads_at_the_same_instant_far_apart_alert(stack: dict[str, str]) -> None:
    assert _pair(10.0, 0.0, 90.0, -23.5505, -46.6333) == (True, True)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    km=st.floats(0.3, 400),
    factor=st.one_of(st.floats(0.5, 2.0), st.floats(1 - 1e-5, 1 + 1e-5)),
    bearing=st.floats(0, 360),
    lat=st.floats(-33, 5),
    lon=st.floats(-73, -35),
)
def test_the_prefilter_never_drops_a_pair_the_rule_flags(
    stack: dict[str, str], km: float, factor: float, bearing: float, lat: float, lon: float
) -> None:
    seconds = km / (get_settings().lpr_clone_max_kmh * factor) * 3600
    raised, verdict = _pair(km, seconds, bearing, lat, lon)
    assert raised is verdict

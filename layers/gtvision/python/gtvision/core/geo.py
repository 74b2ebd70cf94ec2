"""Great-circle distances and the "impossible speed" test behind clone-plate suspicion."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
# Below this, two reads are "the same place": cameras on one corner, GPS error in the
# camera's configured location, or one camera read twice.
MIN_ALARM_KM = 0.5


def _check_coordinate(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("Coordenadas inválidas.")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two WGS84 points given in degrees."""
    _check_coordinate(lat1, lon1)
    _check_coordinate(lat2, lon2)
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    # Rounding can push a a hair above 1 for antipodal points; asin would then fail.
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def speed_kmh(km: float, seconds: float) -> float | None:
    """Average speed in km/h; ``None`` when there is neither distance nor time, ``inf`` for
    distance in no time. The sign of ``seconds`` is ignored (reads may come in any order)."""
    if math.isnan(km) or math.isnan(seconds) or km < 0:
        raise ValueError("Distância ou intervalo inválido.")
    seconds = abs(seconds)
    if seconds == 0:
        return None if km == 0 else math.inf
    return km / (seconds / 3600.0)


def is_impossible(
    km: float,
    seconds: float,
    max_kmh: float = 200.0,
    *,
    min_km: float = MIN_ALARM_KM,
    clock_skew_s: float = 0.0,
) -> bool:
    """True when covering ``km`` in ``seconds`` needs more than ``max_kmh``.

    Distances up to ``min_km`` never alarm. ``clock_skew_s`` widens the interval to tolerate
    cameras whose clocks disagree by that much.
    """
    if km <= min_km:
        return False
    speed = speed_kmh(km, abs(seconds) + clock_skew_s)
    return speed is not None and speed > max_kmh

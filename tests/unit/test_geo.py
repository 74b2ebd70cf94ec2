"""Geo: haversine distance, speed and the impossible-travel test."""

import math

import pytest

from gtvision.core.geo import haversine_km, is_impossible, speed_kmh

SAO_PAULO = (-23.5505, -46.6333)
RIO = (-22.9068, -43.1729)


def test_haversine_known_distance() -> None:
    # São Paulo–Rio de Janeiro is about 360 km in a straight line
    assert haversine_km(*SAO_PAULO, *RIO) == pytest.approx(360, abs=5)
    assert haversine_km(*RIO, *SAO_PAULO) == pytest.approx(haversine_km(*SAO_PAULO, *RIO))


def test_haversine_same_point_and_antipodes() -> None:
    assert haversine_km(*SAO_PAULO, *SAO_PAULO) == 0
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * 6371.0088)


@pytest.mark.parametrize("coords", [(91, 0, 0, 0), (0, 181, 0, 0), (math.nan, 0, 0, 0), (0, 0, math.inf, 0)])
def test_haversine_rejects_invalid_coordinates(coords: tuple[float, float, float, float]) -> None:
    with pytest.raises(ValueError):
        haversine_km(*coords)


def test_speed() -> None:
    assert speed_kmh(10, 600) == pytest.approx(60)
    assert speed_kmh(10, -600) == pytest.approx(60)
    assert speed_kmh(0, 0) is None
    assert speed_kmh(5, 0) == math.inf
    assert speed_kmh(math.inf, 10) == math.inf
    with pytest.raises(ValueError):
        speed_kmh(-1, 10)
    with pytest.raises(ValueError):
        speed_kmh(1, math.nan)


def test_impossible_travel() -> None:
    # Given two reads 357 km apart, 10 minutes apart: a clone
    km = haversine_km(*SAO_PAULO, *RIO)
    assert is_impossible(km, 600)
    # A plausible trip of 5 hours is not
    assert not is_impossible(km, 5 * 3600)
    # Same time, far apart
    assert is_impossible(km, 0)


def test_cameras_on_the_same_corner_never_alarm() -> None:
    # ~60 m apart, same second
    km = haversine_km(-23.5505, -46.6333, -23.5510, -46.6337)
    assert km < 0.1
    assert not is_impossible(km, 0)
    assert not is_impossible(0, 0)


def test_clock_skew_allowance() -> None:
    assert is_impossible(2.0, 10)
    assert not is_impossible(2.0, 10, clock_skew_s=30)

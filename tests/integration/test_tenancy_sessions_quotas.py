"""Server-side logout, refresh tokens, and quotas on expensive work (429 with Retry-After)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import api_resources
import pytest
from api_resources import PLATE, iso
from utils import World

from gtvision.core import db
from gtvision.core.settings import get_settings
from gtvision.tenancy import quotas


def _user(world: World, role: str = "viewer") -> tuple[str, dict[str, object]]:
    name = f"s-{uuid.uuid4().hex[:10]}"
    body = {"username": name, "password": "senha-forte-123", "role": role, "city_id": world.city_a}
    assert world.api.call("POST", "/v1/users", body, world.admin).status == 201
    r = world.api.call("POST", "/v1/auth/login", {"username": name, "password": "senha-forte-123"})
    assert r.status == 200, r.text
    return name, r.json()


def test_logout_revokes_the_token_and_its_session_server_side(world: World) -> None:
    _, tokens = _user(world)
    access, refresh = str(tokens["access_token"]), str(tokens["refresh_token"])
    assert world.api.call("GET", "/v1/me", token=access).status == 200
    # A second access token of the same session (from a refresh) …
    r = world.api.call("POST", "/v1/auth/refresh", {"refresh_token": refresh})
    assert r.status == 200, r.text
    second, refresh2 = r.json()["access_token"], r.json()["refresh_token"]
    assert world.api.call("GET", "/v1/me", token=second).status == 200
    # When the first one logs out
    assert world.api.call("POST", "/v1/auth/logout", token=access).status == 204
    # Then that token, the session's other token and its refresh token are all refused
    for token in (access, second):
        r = world.api.call("GET", "/v1/me", token=token)
        assert r.status == 401 and r.json()["error"]["code"] == "invalid_token", r.text
    assert world.api.call("POST", "/v1/auth/refresh", {"refresh_token": refresh2}).status == 401
    # And the logout is audited
    audit = world.api.call("GET", "/v1/audit", token=world.admin, query={"action": "auth.logout"}).json()["items"]
    assert audit and audit[0]["status"] == 204


def test_refresh_tokens_are_single_use_and_a_replay_ends_the_session(world: World) -> None:
    _, tokens = _user(world)
    first = str(tokens["refresh_token"])
    assert int(str(tokens["refresh_expires_in"])) > int(str(tokens["expires_in"]))
    r = world.api.call("POST", "/v1/auth/refresh", {"refresh_token": first})
    assert r.status == 200 and r.json()["refresh_token"] != first
    newer, access = r.json()["refresh_token"], r.json()["access_token"]
    # The rotated-away token comes back (someone kept a copy): refused, and the session ends for everyone.
    r = world.api.call("POST", "/v1/auth/refresh", {"refresh_token": first})
    assert r.status == 401 and r.json()["error"]["code"] == "invalid_refresh_token", r.text
    assert world.api.call("POST", "/v1/auth/refresh", {"refresh_token": newer}).status == 401
    assert world.api.call("GET", "/v1/me", token=access).status == 401
    # Garbage is the same 401.
    assert world.api.call("POST", "/v1/auth/refresh", {"refresh_token": "x" * 43}).status == 401
    assert world.api.call("POST", "/v1/auth/refresh", {"refresh_token": 5}).status == 422


def test_an_anonymised_account_cannot_refresh(world: World) -> None:
    _, tokens = _user(world)
    assert world.api.call("DELETE", "/v1/me", token=str(tokens["access_token"])).status == 204
    assert world.api.call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status == 401


@pytest.fixture()
def real_quotas(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The deployed limits (the suite runs with GTV_QUOTA_SCALE=100), in a one-hour window so that a burst
    never straddles two windows (a minute boundary would reset the counts mid-test).

    The counters start empty: the hour's window begins at hh:00:00, the same key as the one-minute window of
    hh:00, so the suite's own logins and searches in that minute would count against this test."""
    monkeypatch.setenv("GTV_QUOTA_SCALE", "1")
    monkeypatch.setattr(quotas, "WINDOW", timedelta(hours=1))
    get_settings.cache_clear()
    with db.transaction() as conn:
        conn.execute("DELETE FROM rate_counters")
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _retry_after(r) -> int:
    assert r.status == 429, r.text
    assert r.json()["error"]["code"] == "quota_exceeded", r.text
    value = int(r.headers["retry-after"])
    assert 1 <= value <= quotas.WINDOW.total_seconds()
    return value


def _in_one_window(seconds: float = 20.0) -> None:
    """Quotas count fixed one-minute windows aligned to the epoch (`tenancy.quotas`): a burst that straddles a
    window's end starts counting again. Start a burst only where `seconds` of the window are left."""
    left = quotas.WINDOW.total_seconds() - time.time() % quotas.WINDOW.total_seconds()
    if left < seconds:
        time.sleep(left + 0.1)


def test_clip_jobs_trajectories_and_fuzzy_searches_meet_a_quota(world: World, real_quotas: None) -> None:
    res = api_resources.build(world)
    start, end = iso(res.recorded_from), iso(res.recorded_from + timedelta(seconds=2))
    body = {"camera_id": res.camera_id, "start": start, "end": end}
    _in_one_window()
    statuses = [world.api.call("POST", "/v1/clips", body, world.manager_a).status for _ in range(12)]
    # 10 per user per minute (the fixture made one already): then 429 with Retry-After
    assert statuses.count(202) in (9, 10) and statuses[-1] == 429, statuses
    _retry_after(world.api.call("POST", "/v1/clips", body, world.manager_a))
    # Another manager of the city still may (the limit is per user), until the city's limit (30).
    _, other = _user(world, "manager")
    assert world.api.call("POST", "/v1/clips", body, str(other["access_token"])).status == 202
    q = {"plate": PLATE, "from": iso(res.recorded_from - timedelta(days=30)), "limit": "500"}
    _in_one_window()
    codes = [world.api.call("GET", "/v1/lpr/trajectory", token=world.viewer_a, query=q).status for _ in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429, codes
    fuzzy = {"plate": PLATE, "match": "fuzzy", "limit": "500"}
    _in_one_window()
    codes = [world.api.call("GET", "/v1/lpr/events", token=world.viewer_a, query=fuzzy).status for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429, codes
    # Exact searches are cheap and not counted.
    assert world.api.call("GET", "/v1/lpr/events", token=world.viewer_a, query={"plate": PLATE}).status == 200


def test_login_attempts_across_usernames_are_limited_per_source(world: World, real_quotas: None) -> None:
    source = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    codes = []
    _in_one_window()
    for i in range(31):
        body = {"username": f"spray-{i}-{uuid.uuid4().hex[:6]}", "password": "123456"}
        codes.append(world.api.call("POST", "/v1/auth/login", body, source_ip=source).status)
    assert codes[:30] == [401] * 30 and codes[30] == 429, codes
    _retry_after(world.api.call("POST", "/v1/auth/login", {"username": "admin", "password": "x"}, source_ip=source))
    # Another address is not affected.
    assert world.api.call("POST", "/v1/auth/login", {"username": "admin", "password": "x"}).status == 401

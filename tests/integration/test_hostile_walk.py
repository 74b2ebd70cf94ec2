"""Regressions of the hostile walk over the running stack (issue 11, item 6): each was a 500, an answer
that leaked, or work done before a check.
"""

from __future__ import annotations

import base64
import json
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import api_resources
import pytest
from api_resources import PLATE, CityResources, iso, signed_webhook
from utils import World

from gtvision.core import db, signatures

YEAR_1 = "0001-01-01T00:00:00Z"
YEAR_1_OFFSET = "0001-01-01T00:00:00+01:00"  # before datetime.min once in UTC
YEAR_9999 = "9999-12-31T23:59:59Z"


@pytest.fixture()
def res(world: World) -> CityResources:
    return api_resources.build(world)


def _lists(res: CityResources) -> list[tuple[str, dict[str, str]]]:
    rng = {"from": iso(res.recorded_from), "to": iso(res.recorded_from + timedelta(minutes=1))}
    return [
        ("/v1/users", {}),
        ("/v1/cities", {}),
        (f"/v1/cities/{res.city_id}/cameras", {}),
        ("/v1/mosaics", {}),
        ("/v1/audit", {}),
        ("/v1/audit/export.csv", {}),
        ("/v1/alerts", {}),
        ("/v1/watchlist", {}),
        ("/v1/clips", {}),
        (f"/v1/cameras/{res.camera_id}/thumbnails", rng),
        ("/v1/lpr/events", {"plate": PLATE}),
        ("/v1/lpr/events", {"plate": PLATE, "match": "fuzzy"}),
    ]


@pytest.mark.parametrize("moment", [YEAR_1, YEAR_1_OFFSET, YEAR_9999, "1969-12-31T23:59:59Z"])
def test_dates_at_the_ends_of_the_calendar_are_4xx(world: World, res: CityResources, moment: str) -> None:
    """`from=0001-01-01T00:00:00Z` overflowed in range arithmetic (500) on timeline, playback, trajectory…"""
    cam = f"/v1/cameras/{res.camera_id}"
    near = iso(res.recorded_from)
    calls: list[tuple[str, str, Any, dict[str, str]]] = [
        ("GET", f"{cam}/timeline", None, {"from": moment, "to": near}),
        ("GET", f"{cam}/timeline", None, {"from": near, "to": moment}),
        ("GET", f"{cam}/playback.m3u8", None, {"from": moment, "to": near}),
        ("GET", f"{cam}/thumbnails", None, {"from": moment, "to": near}),
        ("GET", "/v1/lpr/trajectory", None, {"plate": PLATE, "from": moment}),
        ("GET", "/v1/lpr/trajectory", None, {"plate": PLATE, "to": moment}),
        ("GET", "/v1/lpr/events", None, {"plate": PLATE, "from": moment}),
        ("GET", "/v1/alerts", None, {"since": moment}),
        ("GET", "/v1/audit", None, {"from": moment}),
        ("GET", "/v1/audit", None, {"to": moment}),
        ("POST", "/v1/clips", {"camera_id": res.camera_id, "start": moment, "end": near}, {}),
        ("POST", "/v1/clips", {"camera_id": res.camera_id, "start": near, "end": moment}, {}),
    ]
    for event_time in (moment, "1970-01-01T00:00:00Z"):
        read = {"camera_id": res.camera_id, "event_id": uuid.uuid4().hex, "plate": PLATE, "confidence": 0.9,
                "captured_at": event_time}  # fmt: skip
        calls.append(("POST", "/v1/lpr/batch", {"reads": [read]}, {}))
    failures = []
    for method, path, body, query in calls:
        r = world.api.call(method, path, body, world.admin, query=query)
        if not (400 <= r.status < 500 and "error" in (r.json() or {})):
            failures.append(f"{method} {path} {query or body}: {r.status} {r.text[:200]}")
    assert not failures, "\n".join(failures)


def test_webhook_captured_at_outside_a_sane_window_is_422(world: World, res: CityResources) -> None:
    for moment in (YEAR_1, "1970-01-01T00:00:00Z", iso(datetime.now(UTC) - timedelta(days=400))):
        event = {"event_id": uuid.uuid4().hex, "plate": PLATE, "confidence": 0.9, "captured_at": moment}
        r = signed_webhook(world.api, res.camera_id, res.webhook_secret, json.dumps(event).encode())
        assert r.status == 422, (moment, r.text)
        assert r.json()["error"]["code"] in ("captured_at_too_old", "validation_error"), r.text
    # A backfill from last week is still a read.
    event = {"event_id": uuid.uuid4().hex, "plate": PLATE, "confidence": 0.9,
             "captured_at": iso(datetime.now(UTC) - timedelta(days=7))}  # fmt: skip
    assert signed_webhook(world.api, res.camera_id, res.webhook_secret, json.dumps(event).encode()).status == 202


def test_deeply_nested_cursor_is_400_on_every_list(world: World, res: CityResources) -> None:
    """base64 of 5,000 nested `[` raised RecursionError (500) in every list; short nests too."""
    for depth in (5000, 1200):
        cursor = base64.urlsafe_b64encode(b"[" * depth).decode().rstrip("=")
        for path, query in _lists(res):
            r = world.api.call("GET", path, token=world.admin, query={**query, "cursor": cursor})
            assert (r.status, r.json()["error"]["code"]) == (400, "invalid_cursor"), (depth, path, r.text)


def test_webhook_refuses_an_oversized_body_before_hashing_it(
    world: World, res: CityResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 12 MB unsigned body was read and HMACed in full before its size was checked."""
    hashed: list[int] = []
    real_mac = signatures._mac
    monkeypatch.setattr(signatures, "_mac", lambda s, b, t: hashed.append(len(b)) or real_mac(s, b, t))  # type: ignore[func-returns-value]
    big = b'{"event_id": "x", "pad": "' + b"a" * (12 * 1024 * 1024) + b'"}'
    headers = {"x-gtv-camera": res.camera_id, "x-gtv-signature": f"t={int(time.time())},v1={'0' * 64}"}
    r = world.api.call("POST", "/v1/lpr/events", token=None, headers=headers, raw=big)
    assert (r.status, r.json()["error"]["code"]) == (413, "payload_too_large"), r.text
    # A small body claiming a huge Content-Length is refused on the header alone.
    r = world.api.call("POST", "/v1/lpr/events", token=None, headers={**headers, "content-length": "12582912"},
                       raw=b"{}")  # fmt: skip
    assert r.status == 413, r.text
    assert hashed == [], "no HMAC was computed over an oversized body"
    # A normal signed read still goes through (and is hashed).
    event = {"event_id": uuid.uuid4().hex, "plate": PLATE, "confidence": 0.9, "captured_at": iso(datetime.now(UTC))}
    assert signed_webhook(world.api, res.camera_id, res.webhook_secret, json.dumps(event).encode()).status == 202
    assert hashed


def test_lpr_off_then_on_issues_a_new_secret(world: World, res: CityResources) -> None:
    cam = f"/v1/cameras/{res.camera_id}"
    old = res.webhook_secret

    def post(secret: str) -> int:
        event = {"event_id": uuid.uuid4().hex, "plate": PLATE, "confidence": 0.9,
                 "captured_at": iso(datetime.now(UTC))}  # fmt: skip
        return signed_webhook(world.api, res.camera_id, secret, json.dumps(event).encode()).status

    assert post(old) == 202
    off = world.api.call("PATCH", cam, {"lpr_enabled": False}, world.manager_a)
    assert off.status == 200 and "webhook_secret" not in off.json(), off.text
    assert post(old) == 401
    on = world.api.call("PATCH", cam, {"lpr_enabled": True}, world.manager_a)
    assert on.status == 200, on.text
    new = on.json()["webhook_secret"]
    assert new != old
    assert post(old) == 401, "the secret of before LPR was turned off is not revived"
    assert post(new) == 202


def test_api_json_responses_carry_no_store_and_nosniff(world: World, res: CityResources) -> None:
    for method, path, token in [
        ("GET", f"/v1/cameras/{res.camera_id}", world.manager_a),
        ("GET", f"/v1/clips/{res.clip_id}", world.manager_a),
        ("GET", "/v1/lpr/events", world.manager_a),
        ("GET", "/v1/cities/" + str(uuid.uuid4()), world.manager_a),  # errors too
        ("GET", "/v1/me", None),  # 401
        ("GET", "/v1/health", None),
    ]:
        r = world.api.call(method, path, token=token, query={"plate": PLATE} if "lpr" in path else None)
        assert r.headers.get("content-type", "").startswith("application/json"), (path, r.headers)
        assert r.headers.get("cache-control") == "no-store", (path, r.headers)
        assert r.headers.get("x-content-type-options") == "nosniff", (path, r.headers)
        assert r.headers.get("referrer-policy") == "no-referrer", (path, r.headers)


def test_viewer_reads_no_watchlist_reason_in_alerts(world: World, res: CityResources) -> None:
    viewer = world.api.call("GET", "/v1/alerts", token=world.viewer_a).json()["items"]
    manager = world.api.call("GET", "/v1/alerts", token=world.manager_a).json()["items"]
    assert viewer and manager
    assert "furto" in json.dumps(manager, ensure_ascii=False), "the manager sees the reason"
    assert "furto" not in json.dumps(viewer, ensure_ascii=False), viewer


# ----------------------------------------------------------------- camera hosts resolved (item 5)


def loopback_alias() -> str:
    """A name that is not `localhost` yet resolves to loopback here through /etc/hosts (the machine's own
    hostname on Debian-like systems, `127.0.1.1`); the test skips if this machine has none."""
    names = [socket.gethostname()]
    for line in Path("/etc/hosts").read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and fields[0].startswith("127."):
            names += fields[1:]
    for name in names:
        if not name or "localhost" in name:
            continue
        try:
            if all(str(a[4][0]).startswith("127.") for a in socket.getaddrinfo(name, None)):
                return name
        except OSError:
            continue
    pytest.skip("no non-localhost name resolves to loopback on this machine")


def test_a_name_resolving_to_loopback_is_refused_at_registration(world: World) -> None:
    name = loopback_alias()
    for url in (f"rtsp://{name}:554/live", f"rtsp://user:pw@{name.upper()}./live"):
        r = world.api.call("POST", f"/v1/cities/{world.city_a}/cameras", {"name": "x", "source_url": url},
                           world.manager_a)  # fmt: skip
        assert r.status == 422 and r.json()["error"]["code"] == "invalid_source_url", (url, r.text)
        assert "pw" not in r.text
    # PATCH goes through the same check.
    cam = world.camera()
    r = world.api.call("PATCH", f"/v1/cameras/{cam['id']}", {"source_url": f"rtsp://{name}/x"}, world.manager_a)
    assert r.status == 422, r.text


def test_a_name_repointed_to_loopback_is_refused_when_the_stream_starts(world: World) -> None:
    # Given a camera registered under a name that did not resolve to anything forbidden then
    cam = world.camera(source_url=f"rtsp://cam-{uuid.uuid4().hex[:8]}.invalid/live")
    # When its name now resolves to loopback (the row is edited as DNS would be repointed)
    with db.transaction() as conn:
        conn.execute("UPDATE cameras SET source_url = %s WHERE id = %s", (f"rtsp://{loopback_alias()}/live", cam["id"]))
    # Then starting the stream is refused before MediaMTX is asked to pull it
    r = world.api.call("POST", f"/v1/cameras/{cam['id']}/stream/start", token=world.manager_a)
    assert r.status == 422 and r.json()["error"]["code"] == "invalid_source_url", r.text


# ----------------------------------------------------------------- chalice's own answers and GET /


def test_chalices_own_405_and_415_use_the_contract_error_shape(world: World) -> None:
    r = world.api.call("PUT", "/v1/cities", {"name": "x"}, world.admin)
    assert r.status == 405 and r.json()["error"]["code"] == "method_not_allowed", r.text
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert r.headers["x-content-type-options"] == "nosniff"
    r = world.api.call("POST", "/v1/cities", token=world.admin, headers={"content-type": "application/xml"},
                       raw=b"<city/>")  # fmt: skip
    assert r.status == 415 and r.json()["error"]["code"] == "unsupported_media_type", r.text


def test_root_sends_a_browser_to_the_console(api) -> None:
    r = api.call("GET", "/")
    assert r.status == 302 and r.headers["location"] == "/console", r.headers
    assert api.call("GET", r.headers["location"]).status == 200

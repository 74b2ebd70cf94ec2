"""Live events end to end through the local runtime, as `make run` serves them.

The template's WebSocket API on a free port (the `websockets` package), its $connect/$default/$disconnect
function, the LPR webhook over the runtime's HTTP gateway, the events queue on moto and the notifier fed
by the runtime's SQS poller, posting through boto3's `apigatewaymanagementapi` client to the local
management endpoint. Real PostgreSQL throughout.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import string
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from utils import iso
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from gtvision.core import db, signatures
from gtvision.core.settings import get_settings
from gtvision_local.ports import free_port as _free_port


class Live:
    """The running runtime: HTTP API, WebSocket API and the pollers this test needs."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.api_url = runtime.gateway.url
        (self.ws,) = runtime.websockets
        self.clients = contextlib.ExitStack()

    def connect(self, token: str, topics: list[str], **extra: Any) -> ClientConnection:
        client = self.clients.enter_context(connect(f"{self.ws.url}/?token={token}", open_timeout=10))
        client.send(json.dumps({"action": "subscribe", "topics": topics, **extra}))
        reply = json.loads(client.recv(timeout=10))
        assert reply["type"] == "subscribed", reply
        return client

    def http(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        req = urllib.request.Request(self.api_url + path, data=body, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")


@pytest.fixture()
def live(stack: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    """Given the local runtime serving the template's HTTP and WebSocket APIs, with the events and clip pollers."""
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    monkeypatch.setenv("GTV_WS_PORT", str(_free_port()))
    monkeypatch.setenv("GTV_WS_MANAGEMENT_PORT", str(_free_port()))
    runtime = Runtime(load_template(endpoint_url=stack["aws_endpoint"]), api_port=0)
    wanted = {"EventsNotifierFunction", "ClipWorkerFunction"}
    runtime.pollers = [p for p in runtime.pollers if p.function.logical_id in wanted]
    for poller in runtime.pollers:
        poller.wait_seconds = 0 if poller.function.logical_id == "ClipWorkerFunction" else 1
        _drain(poller.queue.url)  # what other tests queued is not this test's business
    runtime.start()
    harness = Live(runtime)
    try:
        yield harness
    finally:
        harness.clients.close()
        runtime.stop()
        monkeypatch.undo()  # GTV_WS_* back before the settings cache is rebuilt
        get_settings.cache_clear()


def _drain(url: str) -> None:
    from gtvision.core import aws

    sqs = aws.client("sqs")
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", []):
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _connection_rows(**where: str) -> list[dict[str, Any]]:
    ((column, value),) = where.items()
    with db.transaction() as conn:
        return conn.execute(f"SELECT * FROM ws_connections WHERE {column} = %s", (value,)).fetchall()


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def _plate(letters: str) -> str:
    """A fresh Mercosul plate (LLLNLNN) for each test run."""
    rng = random.Random()
    return f"{letters}{rng.randrange(10)}{rng.choice(string.ascii_uppercase)}{rng.randrange(100):02d}"


def _post_plate(live: Live, camera: dict[str, Any], plate: str) -> str:
    body = json.dumps(
        {
            "event_id": uuid.uuid4().hex,
            "plate": plate,
            "confidence": 0.95,
            "captured_at": (datetime.now(UTC) - timedelta(seconds=2)).isoformat().replace("+00:00", "Z"),
        }
    ).encode()
    signature = signatures.sign(camera["webhook_secret"], body, int(time.time()))
    status, reply = live.http(
        "POST",
        "/v1/lpr/events",
        body,
        {"Content-Type": "application/json", "X-GTV-Camera": camera["id"], "X-GTV-Signature": signature},
    )
    assert status == 202, reply
    return str(reply["id"])


def test_watchlist_hit_reaches_the_city_manager_and_not_another_city(world: Any, live: Live) -> None:
    # Given a watchlisted plate and an LPR camera in city A
    plate = _plate("LIV")
    camera = world.camera(lpr_enabled=True)
    r = world.api.call("POST", "/v1/watchlist", {"plate": plate, "reason": "furto"}, world.manager_a)
    assert r.status == 201, r.text
    # and, connected at the same time, city A's manager and city B's viewer, both subscribed to alerts
    manager_a = live.connect(world.manager_a, ["alerts", "streams"])
    viewer_b = live.connect(world.viewer_b, ["alerts", "streams", "clips"])

    # When the camera posts a read of the plate to the LPR webhook
    read_id = _post_plate(live, camera, plate)

    # Then city A's manager gets the alert (as in GET /v1/alerts) within 2 s
    message = json.loads(manager_a.recv(timeout=2))
    assert message["type"] == "alert"
    alert = message["data"]
    assert (alert["kind"], alert["plate"], alert["camera_id"], alert["read_ids"]) == (
        "watchlist",
        plate,
        camera["id"],
        [read_id],
    )
    listed = world.api.call("GET", "/v1/alerts", token=world.manager_a, query={"limit": "5"}).json()["items"]
    assert alert == next(a for a in listed if a["id"] == alert["id"])
    # and city B's viewer gets nothing (a ping is answered, no event came before the pong)
    with pytest.raises(TimeoutError):
        viewer_b.recv(timeout=1)
    viewer_b.send(json.dumps({"action": "ping"}))
    assert json.loads(viewer_b.recv(timeout=5)) == {"type": "pong"}


def test_missing_invalid_or_expired_token_is_refused_at_connect(world: Any, live: Live) -> None:
    s = get_settings()
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "role": "manager", "city_id": world.city_a, "iss": s.jwt_issuer}
    claims |= {"aud": s.jwt_audience, "iat": now - 7200, "exp": now - 3600}
    expired = jwt.encode(claims, s.jwt_secret, algorithm="HS256")
    forged = jwt.encode(
        {"sub": str(uuid.uuid4()), "role": "admin", "iss": s.jwt_issuer, "aud": s.jwt_audience, "exp": now + 60},
        "not-the-secret-0123456789abcdef0123456789",
        algorithm="HS256",
    )
    for query in ("", "?token=", "?token=garbage", f"?token={expired}", f"?token={forged}"):
        with pytest.raises(InvalidStatus) as refused, connect(f"{live.ws.url}/{query}", open_timeout=10):
            pass
        assert refused.value.response.status_code == 401, query
        assert json.loads(refused.value.response.body)["error"]["code"] in ("unauthorized", "invalid_token")
    # while a valid token connects, and its row goes away when the client leaves
    client = live.connect(world.viewer_a, ["alerts"])
    rows = _connection_rows(city_id=world.city_a)
    assert [(r["role"], r["topics"]) for r in rows] == [("viewer", ["alerts"])]
    client.close()
    _wait_for(lambda: not _connection_rows(city_id=world.city_a))


def test_a_vanished_connection_is_pruned_after_the_first_gone(world: Any, live: Live) -> None:
    from gtvision.live import publish as events

    # Given a connection whose $disconnect never arrived (API Gateway sends it best effort)
    ghost = "Z2hvc3QtY29ubj0="
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO ws_connections (connection_id, user_id, role, city_id, topics) VALUES (%s, %s, %s, %s, %s)",
            (ghost, str(uuid.uuid4()), "manager", world.city_a, ["streams"]),
        )
    # and a live manager of the same city, both subscribed to stream status
    manager_a = live.connect(world.manager_a, ["streams"])
    posts: list[str] = []
    original = live.ws.send

    async def counting_send(cid: str, data: bytes) -> bool:
        posts.append(cid)
        return await original(cid, data)

    live.ws.send = counting_send

    # When a stream status event of the city is published
    camera = world.camera()
    assert events.stream_status(world.city_a, camera["id"], "online", datetime.now(UTC))

    # Then the live manager gets it, the ghost got one post (410 Gone) and its row is gone
    message = json.loads(manager_a.recv(timeout=5))
    assert message == {
        "type": "stream.status",
        "data": {"camera_id": camera["id"], "status": "online", "at": message["data"]["at"]},
    }
    _wait_for(lambda: not _connection_rows(connection_id=ghost))
    assert posts.count(ghost) == 1

    # and the next event is not posted to it again
    assert events.stream_status(world.city_a, camera["id"], "offline", datetime.now(UTC))
    assert json.loads(manager_a.recv(timeout=5))["data"]["status"] == "offline"
    assert posts.count(ghost) == 1


def test_one_event_to_many_sockets_reaches_every_live_one_and_prunes_every_gone_one(world: Any, live: Live) -> None:
    from gtvision.live import service, transport
    from gtvision.live.schemas import LiveEvent

    # Given 40 live sockets of city A's manager subscribed to alerts, and 40 rows of sockets that are gone
    # (their $disconnect never came), their ids interleaved with the live ones' in the lookup's order
    clients = [live.connect(world.manager_a, ["alerts"]) for _ in range(40)]
    live_ids = {r["connection_id"] for r in _connection_rows(city_id=world.city_a)}
    assert len(live_ids) == 40
    ghosts = {f"{c}gh0st{i:02d}=" for i, c in enumerate(sorted(live_ids))}
    with db.transaction() as conn:
        for ghost in ghosts:
            conn.execute(
                "INSERT INTO ws_connections (connection_id, user_id, role, city_id, topics)"
                " VALUES (%s, %s, %s, %s, %s)",
                (ghost, str(uuid.uuid4()), "manager", world.city_a, ["alerts"]),
            )
    try:
        # When one alert of city A is fanned out through the local gateway's management endpoint
        event = LiveEvent(type="alert", city_id=world.city_a, camera_id=None, data={"kind": "ops", "n": 1})
        result = service.fan_out(event)

        # Then every live socket got the frame once, every gone one was posted to (410) and its row pruned
        assert [json.loads(c.recv(timeout=5)) for c in clients] == [{"type": "alert", "data": event.data}] * 40
        assert result.failed == 0 and result.delivered >= 40 and result.gone >= 40
        rows = {r["connection_id"] for r in _connection_rows(city_id=world.city_a)}
        assert rows == live_ids
        # and nothing more reached the live ones
        with pytest.raises(TimeoutError):
            clients[0].recv(timeout=0.5)
    finally:
        transport.reset()
        with db.transaction() as conn:
            conn.execute("DELETE FROM ws_connections WHERE connection_id = ANY(%s)", (list(ghosts),))


def test_clip_status_arrives_queued_processing_ready(world: Any, live: Live, tmp_path: Any) -> None:
    from test_clips import register

    from gtvision_local.testmedia import make_segments

    # Given 4 s recorded by a camera of city A, its manager subscribed to clips of that camera,
    # and city B's manager subscribed to clips too
    files = make_segments(str(tmp_path), 2, 2.0, fps=25, gop=25, fmt="fmp4")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    rec = register(world.camera(), files, start, indexes=(0, 1))
    manager_a = live.connect(world.manager_a, ["clips"], camera_ids=[rec.camera_id])
    manager_b = live.connect(world.manager_b, ["clips"])

    # When the manager asks for a clip and the worker makes it
    body = {"camera_id": rec.camera_id, "start": iso(rec.at(0.5)), "end": iso(rec.at(3.5))}
    r = world.api.call("POST", "/v1/clips", body, world.manager_a)
    assert r.status == 202, r.text
    clip_id = r.json()["id"]

    # Then its clip.status messages arrive queued → processing → ready, shaped as GET /v1/clips/{id}
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["status"] not in ("ready", "failed"):
        message = json.loads(manager_a.recv(timeout=60))
        assert message["type"] == "clip.status"
        seen.append(message["data"])
    assert [c["status"] for c in seen] == ["queued", "processing", "ready"]
    assert {c["id"] for c in seen} == {clip_id}
    final = world.api.call("GET", f"/v1/clips/{clip_id}", token=world.manager_a).json()
    assert (seen[-1]["sha256"], seen[-1]["size_bytes"]) == (final["sha256"], final["size_bytes"])
    # and the other city's manager got none of them
    manager_b.send(json.dumps({"action": "ping"}))
    assert json.loads(manager_b.recv(timeout=5)) == {"type": "pong"}


def test_a_mediamtx_offline_hook_pushes_stream_status_and_the_health_alert(world: Any, live: Live) -> None:
    from gtvision.tenancy.store import cameras as cameras_dal

    # Given a started camera of city A and its manager subscribed to streams and alerts
    camera = world.camera()
    with db.transaction() as conn:
        cameras_dal.update(conn, camera["id"], {"status": "streaming"})
    manager_a = live.connect(world.manager_a, ["streams", "alerts"])

    # When MediaMTX's runOnOffline hook posts, signed, to the API of the local runtime
    body = json.dumps({"event": "offline", "path": camera["id"]}).encode()
    signature = signatures.sign(os.environ["GTV_MEDIAMTX_HOOK_SECRET"], body, int(time.time()))
    headers = {"Content-Type": "application/json", "X-GTV-Signature": signature}
    status, _ = live.http("POST", "/v1/hooks/mediamtx", body, headers)
    assert status == 202

    # Then the manager gets the camera's stream.status and the camera_offline alert it opened
    got = {m["type"]: m["data"] for m in (json.loads(manager_a.recv(timeout=5)) for _ in range(2))}
    assert (got["stream.status"]["camera_id"], got["stream.status"]["status"]) == (camera["id"], "offline")
    assert (got["alert"]["kind"], got["alert"]["camera_id"], got["alert"]["resolved_at"]) == (
        "camera_offline",
        camera["id"],
        None,
    )


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} não instalado: teste no navegador pulado")
def test_console_shows_the_alert_toast_without_a_reload(world: Any, live: Live) -> None:
    from playwright.sync_api import expect, sync_playwright

    # Given a manager of city A logged in to the console, on the alerts screen, and a watchlisted plate
    username = f"console-{uuid.uuid4().hex[:6]}"
    body = {"username": username, "password": "senha-forte-123", "role": "manager", "city_id": world.city_a}
    assert world.api.call("POST", "/v1/users", body, world.admin).status == 201
    plate = _plate("TST")
    assert world.api.call("POST", "/v1/watchlist", {"plate": plate, "reason": "roubo"}, world.manager_a).status == 201
    camera = world.camera(lpr_enabled=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            page = browser.new_page()
            page.goto(f"{live.api_url}/console#/alertas")
            page.fill("#login-usuario", username)
            page.fill("#login-senha", "senha-forte-123")
            page.click("#form-login button[type=submit]")
            expect(page.locator("#tela-alertas")).to_be_visible()
            _wait_for(lambda: any(r["topics"] for r in _connection_rows(username=username)))
            expect(page.locator("#tempo-real-off")).to_be_hidden()
            page.evaluate("window.__sameDocument = true")

            # When the camera reads the plate
            _post_plate(live, camera, plate)

            # Then a toast names the plate, the alert is on top of the list, and the page was not reloaded
            expect(page.locator(".toast", has_text=plate)).to_be_visible(timeout=5000)
            expect(page.locator("#alertas-lista tr").first).to_contain_text(plate)
            assert page.evaluate("window.__sameDocument") is True

            # and a camera's status badge follows its stream.status on the city's camera list
            from gtvision.live import publish as events

            page.evaluate(f"location.hash = '#/cidades/{world.city_a}'")
            badge = page.locator(f'[data-camera="{camera["id"]}"]')
            expect(badge).to_have_text("desconhecido")
            assert events.stream_status(world.city_a, camera["id"], "online", datetime.now(UTC))
            expect(badge).to_have_text("online", timeout=5000)
            assert page.evaluate("window.__sameDocument") is True

            # and when the server drops the connection the console says so, then reconnects by itself
            (connection,) = _connection_rows(username=username)
            live.ws.delete(connection["connection_id"])
            expect(page.locator("#tempo-real-off")).to_have_text("sem conexão em tempo real")
            _wait_for(lambda: any(r["topics"] for r in _connection_rows(username=username)), timeout=15)
            expect(page.locator("#tempo-real-off")).to_be_hidden()
        finally:
            browser.close()


def test_boto3_management_client_works_unchanged_against_the_local_endpoint(world: Any, live: Live) -> None:
    import boto3

    # Given a connected, subscribed client and boto3's client at the endpoint the functions are given
    client = live.connect(world.viewer_a, ["alerts"])
    (row,) = _connection_rows(city_id=world.city_a)
    cid = row["connection_id"]
    api = boto3.client(
        "apigatewaymanagementapi", endpoint_url=get_settings().ws_management_url, region_name="us-east-1"
    )

    # When it reads, posts to and deletes the connection
    info = api.get_connection(ConnectionId=cid)
    api.post_to_connection(ConnectionId=cid, Data=b'{"type": "hello"}')
    received = json.loads(client.recv(timeout=5))
    api.delete_connection(ConnectionId=cid)

    # Then GetConnection says who it is, the post arrived, and after DELETE the socket closed ($disconnect ran)
    assert info["Identity"]["SourceIp"] == "127.0.0.1" and info["ConnectedAt"].tzinfo is not None
    assert received == {"type": "hello"}
    _wait_for(lambda: not _connection_rows(connection_id=cid))
    # and every call on the gone connection is a GoneException, as in AWS
    for call in (
        lambda: api.post_to_connection(ConnectionId=cid, Data=b"x"),
        lambda: api.get_connection(ConnectionId=cid),
        lambda: api.delete_connection(ConnectionId=cid),
    ):
        with pytest.raises(api.exceptions.GoneException):
            call()


# ------------------------------------------------------------------------------ sockets belong to sessions

#: The contract's bound: a socket closes within 2 s of its session's (or user's) end.
CLOSE_BOUND_S = 2.0


def _new_user(world: Any, role: str = "viewer") -> tuple[str, str]:
    """A fresh user of city A: (user id, username); password `senha-forte-123`."""
    username = f"live-{role}-{uuid.uuid4().hex[:8]}"
    body = {"username": username, "password": "senha-forte-123", "role": role, "city_id": world.city_a}
    r = world.api.call("POST", "/v1/users", body, world.admin)
    assert r.status == 201, r.text
    return str(r.json()["id"]), username


def _closed_within(client: ClientConnection, started: float) -> tuple[int | None, float]:
    """Wait (at most what is left of the bound) for the server to close the socket: (close code, seconds)."""
    with pytest.raises(ConnectionClosed) as closed:
        client.recv(timeout=max(0.0, CLOSE_BOUND_S - (time.monotonic() - started)))
    received = closed.value.rcvd
    return (received.code if received else None), time.monotonic() - started


def test_a_socket_closes_with_4001_within_2_s_of_logout_and_only_that_sessions(world: Any, live: Live) -> None:
    # Given a user logged in twice (two sessions), each with a socket subscribed to alerts
    _, username = _new_user(world)
    first, second = world.api.login(username, "senha-forte-123"), world.api.login(username, "senha-forte-123")
    socket_1 = live.connect(first, ["alerts"])
    socket_2 = live.connect(second, ["alerts"])

    # When the first session logs out
    started = time.monotonic()
    assert world.api.call("POST", "/v1/auth/logout", token=first).status == 204

    # Then its socket is closed by the server with 4001 within 2 s, and its row is gone
    code, took = _closed_within(socket_1, started)
    assert code == 4001 and took <= CLOSE_BOUND_S
    assert len(_connection_rows(username=username)) == 1
    # and the other session's socket stays open and answered
    socket_2.send(json.dumps({"action": "ping"}))
    assert json.loads(socket_2.recv(timeout=5)) == {"type": "pong"}
    # and the ended session cannot open a new one
    with pytest.raises(InvalidStatus) as refused, connect(f"{live.ws.url}/?token={first}", open_timeout=10):
        pass
    assert refused.value.response.status_code == 401


def test_a_socket_closes_within_2_s_of_the_users_deletion(world: Any, live: Live) -> None:
    # Given a viewer connected with two sockets (two tabs)
    user_id, username = _new_user(world)
    token = world.api.login(username, "senha-forte-123")
    tabs = [live.connect(token, ["alerts", "streams"]) for _ in range(2)]

    # When an admin deletes the account
    started = time.monotonic()
    assert world.api.call("DELETE", f"/v1/users/{user_id}", token=world.admin).status == 204

    # Then both sockets are closed with 4001 within 2 s of the deletion
    for tab in tabs:
        code, took = _closed_within(tab, started)
        assert code == 4001 and took <= CLOSE_BOUND_S
    assert _connection_rows(username=username) == []


def test_a_reused_refresh_token_closes_the_sessions_socket(world: Any, live: Live) -> None:
    # Given a session whose refresh token was rotated once, and a socket opened with its new access token
    _, username = _new_user(world, "operator")
    login = world.api.call("POST", "/v1/auth/login", {"username": username, "password": "senha-forte-123"}).json()
    rotated = world.api.call("POST", "/v1/auth/refresh", {"refresh_token": login["refresh_token"]}).json()
    client = live.connect(rotated["access_token"], ["alerts"])

    # When someone presents the rotated-away refresh token again (a stolen copy)
    started = time.monotonic()
    reused = world.api.call("POST", "/v1/auth/refresh", {"refresh_token": login["refresh_token"]})
    assert reused.status == 401

    # Then the whole session ends: its socket closes with 4001 within 2 s
    code, took = _closed_within(client, started)
    assert code == 4001 and took <= CLOSE_BOUND_S


def test_a_user_restricted_to_camera_groups_gets_only_their_cameras_events_until_the_groups_change(
    world: Any, live: Live
) -> None:
    # Given two watchlisted plates, two LPR cameras of city A, and an operator restricted to a group of the first
    plate, elsewhere = _plate("GRP"), _plate("GRQ")
    mine, other = world.camera(lpr_enabled=True), world.camera(lpr_enabled=True)
    for watched in (plate, elsewhere):
        watch = {"plate": watched, "reason": "furto"}
        assert world.api.call("POST", "/v1/watchlist", watch, world.manager_a).status == 201
    body = {"name": f"Escola {uuid.uuid4().hex[:6]}", "camera_ids": [mine["id"]]}
    group = world.api.call("POST", f"/v1/cities/{world.city_a}/camera-groups", body, world.manager_a)
    assert group.status == 201, group.text
    user_id, username = _new_user(world, "operator")
    restrict = {"camera_group_ids": [group.json()["id"]]}
    assert world.api.call("PATCH", f"/v1/users/{user_id}", restrict, world.manager_a).status == 200
    client = live.connect(world.api.login(username, "senha-forte-123"), ["alerts"])
    (row,) = _connection_rows(username=username)
    assert [str(c) for c in row["allowed_camera_ids"]] == [mine["id"]]

    # When the other camera reads one plate, then the operator's camera reads the other
    _post_plate(live, other, elsewhere)
    read_id = _post_plate(live, mine, plate)

    # Then the socket gets the alert of its own camera first, and nothing of the other before a ping's pong
    first = json.loads(client.recv(timeout=10))
    assert first["type"] == "alert" and first["data"]["camera_id"] == mine["id"], first
    assert first["data"]["read_ids"] == [read_id]
    client.send(json.dumps({"action": "ping"}))
    assert json.loads(client.recv(timeout=5)) == {"type": "pong"}

    # When a manager lifts the restriction, the socket (bound to the old rights) closes within 2 s
    started = time.monotonic()
    lift = world.api.call("PATCH", f"/v1/users/{user_id}", {"camera_group_ids": None}, world.manager_a)
    assert lift.status == 200, lift.text
    code, took = _closed_within(client, started)
    assert code == 4001 and took <= CLOSE_BOUND_S


def test_a_viewer_gets_the_alert_as_rest_shows_it_without_the_watchlist_reason(world: Any, live: Live) -> None:
    # Given a watchlisted plate with a reason, an LPR camera, and city A's viewer and manager on alerts
    plate = _plate("RED")
    camera = world.camera(lpr_enabled=True)
    body = {"plate": plate, "reason": "furto de veículo — BO 123"}
    assert world.api.call("POST", "/v1/watchlist", body, world.manager_a).status == 201
    viewer = live.connect(world.viewer_a, ["alerts"])
    manager = live.connect(world.manager_a, ["alerts"])

    # When the camera reads the plate
    _post_plate(live, camera, plate)

    # Then the manager's alert carries the watchlist entry's reason and plate
    for_manager = json.loads(manager.recv(timeout=5))["data"]
    assert (for_manager["detail"]["reason"], for_manager["detail"]["watch_plate"]) == (body["reason"], plate)
    # and the viewer's is the same alert without them: exactly what GET /v1/alerts shows the viewer
    for_viewer = json.loads(viewer.recv(timeout=5))["data"]
    assert "reason" not in for_viewer["detail"] and "watch_plate" not in for_viewer["detail"]
    listed = world.api.call("GET", "/v1/alerts", token=world.viewer_a, query={"limit": "5"}).json()["items"]
    assert for_viewer == next(a for a in listed if a["id"] == for_viewer["id"])


def test_a_deeply_nested_message_is_answered_with_an_error_and_the_socket_stays(world: Any, live: Live) -> None:
    # Given a subscribed socket
    client = live.connect(world.viewer_a, ["alerts"])

    # When it sends a 5,000-deep JSON array, and a 5,000-deep object under "action"
    for frame in ("[" * 5000 + "]" * 5000, '{"action": ' + '{"a": ' * 5000 + "1" + "}" * 5001):
        client.send(frame)
        # Then the answer is the contract's error, not a closed socket (1011)
        reply = json.loads(client.recv(timeout=5))
        assert (reply["type"], reply["error"]["code"]) == ("error", "malformed_json")
    # and the socket still works
    client.send(json.dumps({"action": "ping"}))
    assert json.loads(client.recv(timeout=5)) == {"type": "pong"}

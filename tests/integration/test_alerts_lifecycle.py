"""The control room's alert lifecycle (contract v1.2, "Control room"): open → acknowledged → closed with a note,
priority, filters, `open=true`, `alert.updated` live events, and one `recording_changed` alert per change.

Real PostgreSQL and moto; alerts are raised through the signed LPR webhook and recordings' change path.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from test_lpr_webhook import event, post

from gtvision.alerts import schemas as alerts_schemas
from gtvision.alerts import service as alerts
from gtvision.core import db
from gtvision.live import publish as live
from gtvision.recordings import changes
from gtvision.recordings.schemas import Segment


def member(world: Any, role: str, city: str | None = None) -> tuple[str, str]:
    """A new user of city A (or `city`) with `role`: (id, token)."""
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    body = {"username": name, "password": "senha-forte-123", "role": role, "city_id": city or world.city_a}
    r = world.api.call("POST", "/v1/users", body, world.admin)
    assert r.status == 201, r.text
    return str(r.json()["id"]), str(world.api.login(name, "senha-forte-123"))


@pytest.fixture()
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every live event published (type, data), still sent on through `gtvision.live.publish`."""
    seen: list[tuple[str, dict[str, Any]]] = []
    original = live.publish

    def spy(city_id: str, type_: str, data: dict[str, Any], camera_id: str | None = None) -> bool:
        seen.append((type_, data))
        return original(city_id, type_, data, camera_id)

    monkeypatch.setattr(live, "publish", spy)
    return seen


def watchlist_alert(world: Any, plate: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A watched plate read by a camera of city A: (camera, its alert)."""
    cam = world.camera(lpr_enabled=True)
    r = world.api.call("POST", "/v1/watchlist", {"plate": plate, "reason": "roubo"}, world.manager_a)
    assert r.status == 201, r.text
    assert post(world.api, cam, event(plate=plate)).status == 202
    items = world.api.call("GET", "/v1/alerts", token=world.manager_a, query={"camera_id": cam["id"]}).json()["items"]
    [alert] = items
    return cam, alert


def test_an_alarm_is_acknowledged_then_closed_with_a_note_each_change_announced(
    world: Any, published: list[tuple[str, dict[str, Any]]]
) -> None:
    # Given a watchlist alert: open, high priority, nobody on it yet
    cam, alert = watchlist_alert(world, "ACK1A23")
    assert (alert["status"], alert["priority"], alert["kind"]) == ("open", "high", "watchlist")
    assert alert["acknowledged_by"] is alert["closed_by"] is alert["note"] is None
    op_id, operator = member(world, "operator")
    path = f"/v1/alerts/{alert['id']}"
    # When an operator acknowledges it
    before = len(published)
    r = world.api.call("PATCH", path, {"status": "acknowledged"}, operator)
    # Then who and when are recorded, and an alert.updated event carries the new state
    assert r.status == 200, r.text
    acked = r.json()
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == op_id
    assert acked["acknowledged_at"] is not None and acked["acknowledged_by_name"].startswith("operator-")
    assert [(t, d["id"], d["status"]) for t, d in published[before:]] == [
        ("alert.updated", alert["id"], "acknowledged")
    ]
    # and acknowledging again changes nothing and announces nothing
    assert world.api.call("PATCH", path, {"status": "acknowledged"}, operator).json() == acked
    assert len(published) == before + 1
    # When the operator closes it without saying what was done: 422; with a note: closed
    r = world.api.call("PATCH", path, {"status": "closed"}, operator)
    assert r.status == 422 and r.json()["error"]["code"] == "note_required"
    note = "Viatura 12 abordou o veículo; ocorrência registrada"
    r = world.api.call("PATCH", path, {"status": "closed", "note": note}, operator)
    assert r.status == 200, r.text
    closed = r.json()
    assert (closed["status"], closed["note"], closed["closed_by"]) == ("closed", note, op_id)
    assert closed["acknowledged_by"] == op_id and closed["closed_at"] >= closed["acknowledged_at"]
    assert published[-1][0] == "alert.updated" and published[-1][1]["status"] == "closed"
    # Then it is no longer among the alerts to handle, but is listed as closed
    active = world.api.call("GET", "/v1/alerts", token=world.viewer_a, query={"open": "true"}).json()["items"]
    assert alert["id"] not in [a["id"] for a in active]
    q = {"status": "closed", "camera_id": cam["id"]}
    assert [a["id"] for a in world.api.call("GET", "/v1/alerts", token=world.viewer_a, query=q).json()["items"]] == [
        alert["id"]
    ]
    # A manager may open it again: who acknowledged and closed is cleared, the note stays
    r = world.api.call("PATCH", path, {"status": "open"}, world.manager_a)
    assert r.status == 200 and r.json()["status"] == "open"
    assert r.json()["acknowledged_by"] is r.json()["closed_by"] is None and r.json()["note"] == note
    # Viewers cannot handle alerts, another city's manager does not see it, nonsense is a 422
    assert world.api.call("PATCH", path, {"status": "acknowledged"}, world.viewer_a).status == 403
    assert world.api.call("PATCH", path, {"status": "acknowledged"}, world.manager_b).status == 404
    assert world.api.call("PATCH", path, {"status": "solved"}, operator).status == 422
    assert world.api.call("PATCH", path, {"status": "closed", "note": "x" * 2001}, operator).status == 422
    # v1.1's `investigating` is still accepted: it is `acknowledged`
    r = world.api.call("PATCH", path, {"status": "investigating"}, operator)
    assert r.status == 200 and r.json()["status"] == "acknowledged"


def test_alerts_filter_by_status_priority_kind_and_camera(world: Any) -> None:
    # Given a watchlist alert (high) on one camera, and a recording change (normal) on another
    cam, high = watchlist_alert(world, "FLT1B23")
    other = world.camera(name="Gravação trocada")
    at = datetime.now(UTC) - timedelta(hours=1)
    previous = segment(other, world.city_a, at, "a" * 64)
    changes.changed(previous, {**_now(previous), "sha256": "b" * 64}, readable=True, revision=1)

    def ids(token: str = world.viewer_a, **query: str) -> list[str]:
        r = world.api.call("GET", "/v1/alerts", token=token, query=query)
        assert r.status == 200, r.text
        return [a["id"] for a in r.json()["items"]]

    [changed] = ids(camera_id=other["id"])
    assert (
        ids(camera_id=cam["id"], priority="high") == [high["id"]] and ids(camera_id=cam["id"], priority="normal") == []
    )
    assert ids(camera_id=other["id"], priority="normal", kind="recording_changed", status="open") == [changed]
    assert ids(camera_id=other["id"], status="acknowledged") == []
    # Bad filters are 422 with their own code; another city's camera is a 404
    for query, code in (
        ({"status": "x"}, "invalid_status"),
        ({"priority": "low"}, "invalid_priority"),
        ({"kind": "x"}, "invalid_kind"),
        ({"open": "talvez"}, "invalid_open"),
    ):
        r = world.api.call("GET", "/v1/alerts", token=world.viewer_a, query=query)
        assert (r.status, r.json()["error"]["code"]) == (422, code), query
    assert world.api.call("GET", "/v1/alerts", token=world.viewer_b, query={"camera_id": cam["id"]}).status == 404


def test_open_true_lists_alerts_neither_resolved_nor_closed(world: Any) -> None:
    # Given an alert an operator closed (its incident is not "resolved": it is not a health alert)
    _, alert = watchlist_alert(world, "OPN1C23")
    _, operator = member(world, "operator")
    r = world.api.call("PATCH", f"/v1/alerts/{alert['id']}", {"status": "closed", "note": "falso"}, operator)
    assert r.status == 200, r.text
    # When the console asks for the alerts still open
    items = world.api.call("GET", "/v1/alerts", token=world.viewer_a, query={"open": "true", "limit": "500"}).json()
    # Then the closed one is not among them
    assert alert["id"] not in [a["id"] for a in items["items"]]


def segment(camera: dict[str, Any], city_id: str, at: datetime, sha256: str, revision: int = 0) -> Segment:
    """A registered segment as recordings' change path sees it (the row before the overwrite)."""
    key = f"recordings/{camera['id']}/{at:%Y-%m-%d_%H-%M-%S-%f}.mp4"
    return Segment(
        camera_id=UUID(camera["id"]),
        city_id=UUID(city_id),
        start_at=at,
        end_at=at + timedelta(seconds=60),
        duration_s=60.0,
        s3_key=key,
        thumb_key=None,
        size_bytes=1000,
        sha256=sha256,
        video_codec="h264",
        width=640,
        height=360,
        container="mp4",
        init_bytes=None,
        pts_start=None,
        created_at=at,
        etag=None,
        play_key=None,
        play_size_bytes=None,
        frame_count=None,
        revision=revision,
    )


def _now(seg: Segment) -> dict[str, Any]:
    return {"sha256": seg.sha256, "size_bytes": seg.size_bytes, "duration_s": seg.duration_s}


def test_every_change_of_a_recording_opens_an_alert_also_back_to_content_seen_before(world: Any) -> None:
    # Given a registered segment whose object is overwritten A → B → A → B
    cam = world.camera(name="Sobrescrita")
    at = datetime.now(UTC) - timedelta(hours=2)
    a, b = "a" * 64, "b" * 64
    states = [a, b, a, b]
    # When recordings reports each change as the segment's next revision (and one change is delivered twice)
    for revision, (previous, now) in enumerate(zip(states, states[1:], strict=False), start=1):
        before, after = segment(cam, world.city_a, at, previous, revision - 1), segment(cam, world.city_a, at, now)
        changes.changed(before, _now(after), readable=True, revision=revision)
    changes.changed(
        segment(cam, world.city_a, at, a, 2), _now(segment(cam, world.city_a, at, b)), readable=True, revision=3
    )
    # Then three alerts, one per change (the repeated delivery of the last one adds none)
    q = {"camera_id": cam["id"], "kind": "recording_changed"}
    items = world.api.call("GET", "/v1/alerts", token=world.manager_a, query=q).json()["items"]
    assert [(i["detail"]["previous_sha256"], i["detail"]["sha256"]) for i in reversed(items)] == [
        (a, b),
        (b, a),
        (a, b),
    ]
    assert {i["priority"] for i in items} == {"normal"}


def test_a_health_incident_that_resolves_itself_is_an_alert_update(
    world: Any, published: list[tuple[str, dict[str, Any]]]
) -> None:
    # Given an open camera_offline incident
    cam = world.camera(name="Offline")
    with db.transaction() as conn:
        row = conn.execute(
            "INSERT INTO alerts (city_id, kind, camera_id, captured_at, dedup_key, detail)"
            " VALUES (%s, 'camera_offline', %s, now(), %s, '{}') RETURNING *",
            (world.city_a, cam["id"], uuid.uuid4().hex),
        ).fetchone()
        assert row["priority"] == "normal" and row["status"] == "open"
        resolved = conn.execute(
            "UPDATE alerts SET resolved_at = now() WHERE id = %s RETURNING *", (row["id"],)
        ).fetchone()
    # When the health poll publishes its resolution (as it does, with rows of its own SQL)
    assert resolved is not None
    alerts.publish([resolved])
    # Then the consoles get an update of that alert, not a new one
    assert published[-1][0] == "alert.updated" and published[-1][1]["id"] == str(row["id"])
    assert published[-1][1]["resolved_at"] is not None


def test_every_kind_the_database_allows_has_its_priority_and_is_listed_by_its_name(world: Any) -> None:
    # Given the kinds the alerts table accepts (after migrations 0041, 0085 and 0099 on a fresh database)
    with db.transaction() as conn:
        check = conn.execute(
            "SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint"
            " WHERE conrelid = 'alerts'::regclass AND conname = 'alerts_kind_check'"
        ).fetchone()["d"]
        allowed = {k for k in alerts_schemas.KINDS if f"'{k}'" in check}
        # When one alert of each kind is stored (ops alerts in no city)
        rows = {
            kind: conn.execute(
                "INSERT INTO alerts (city_id, kind, captured_at, dedup_key, detail) VALUES (%s, %s, now(), %s, '{}')"
                " RETURNING priority, status",
                (None if kind == "ops" else world.city_a, kind, uuid.uuid4().hex),
            ).fetchone()
            for kind in alerts_schemas.KINDS
        }
        conn.rollback()
    # Then the database knows exactly the kinds the API filters by, each with the priority the console sounds for
    assert allowed == set(alerts_schemas.KINDS) and check.count("'") == 2 * len(alerts_schemas.KINDS), check
    assert {k for k, r in rows.items() if r["priority"] == "high"} == set(alerts_schemas.HIGH_PRIORITY)
    assert all(r["status"] == "open" for r in rows.values())


def test_ops_alerts_are_handled_by_admins_alone_and_follow_the_filters(
    world: Any, published: list[tuple[str, dict[str, Any]]]
) -> None:
    # Given an ops alert (a platform fault Alertmanager posted: no city, normal priority)
    fingerprint = uuid.uuid4().hex
    with db.transaction() as conn:
        row = conn.execute(
            "INSERT INTO alerts (city_id, kind, captured_at, dedup_key, detail) VALUES (NULL, 'ops', now(), %s,"
            ' \'{"alertname": "DeadLetterQueueNotEmpty", "severity": "critical", "summary": "DLQ"}\')'
            " RETURNING id",
            (fingerprint,),
        ).fetchone()
    alert_id = str(row["id"])

    def listed(token: str, **query: str) -> set[str]:
        r = world.api.call("GET", "/v1/alerts", token=token, query={"kind": "ops", "limit": "500", **query})
        assert r.status == 200, r.text
        return {a["id"] for a in r.json()["items"]}

    assert alert_id in listed(world.admin, status="open", priority="normal")
    assert alert_id not in listed(world.admin, priority="high") and alert_id not in listed(world.manager_a)
    # A city's manager cannot handle it; an admin acknowledges, then closes it with a note
    ack = {"status": "acknowledged"}
    assert world.api.call("PATCH", f"/v1/alerts/{alert_id}", ack, world.manager_a).status == 404
    r = world.api.call("PATCH", f"/v1/alerts/{alert_id}", ack, world.admin)
    assert r.status == 200 and r.json()["status"] == "acknowledged" and r.json()["city_id"] is None, r.text
    assert published[-1][0] == "alert.updated" and published[-1][1]["id"] == alert_id
    closed = world.api.call(
        "PATCH", f"/v1/alerts/{alert_id}", {"status": "closed", "note": "fila drenada"}, world.admin
    )
    assert closed.status == 200 and closed.json()["closed_by_name"] == "admin", closed.text
    assert alert_id in listed(world.admin, status="closed") and alert_id not in listed(world.admin, open="true")

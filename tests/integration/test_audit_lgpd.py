"""Audit trail and LGPD self-service against a real PostgreSQL: the API role, /v1/audit, /v1/me*."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

# Reads the issue names (video, thumbnails, playback, clips, LPR reads, trajectories) and the
# trail itself: any GET route whose path matches must carry an audit action.
SENSITIVE_READ = re.compile(
    r"playback|thumbnail|/clips|/lpr/|trajectory|/segments|/recordings|/alerts|/stream|download|/audit|/lgpd/"
    r"|/me/export"
)


def _db(database_url: str) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(database_url, row_factory=dict_row)


def _me(api, token: str) -> dict:
    r = api.call("GET", "/v1/me", token=token)
    assert r.status == 200, r.text
    return dict(r.json())


def _new_user(api, world, role: str = "viewer", city: str | None = None) -> tuple[str, str]:
    username = f"titular-{uuid.uuid4().hex[:8]}"
    r = api.call(
        "POST",
        "/v1/users",
        {"username": username, "password": "senha-forte-123", "role": role, "city_id": city or world.city_a},
        world.admin,
    )
    assert r.status == 201, r.text
    return username, api.login(username, "senha-forte-123")


# ---------------------------------------------------------------- the API's database role


def test_api_role_can_insert_and_read_audit_rows_but_never_change_them(database_url):
    """Given the API's role, When it writes the trail, Then INSERT/SELECT work and UPDATE/DELETE/TRUNCATE are refused
    by privilege (not only by the append-only trigger)."""
    with _db(database_url) as conn:
        conn.execute("SET ROLE gtvision_api")
        row = conn.execute(
            "INSERT INTO audit_log (actor, action) VALUES ('test:role', 'role.probe') RETURNING id"
        ).fetchone()
        assert row is not None
        assert conn.execute("SELECT count(*) AS n FROM audit_log WHERE id = %s", (row["id"],)).fetchone()["n"] == 1
        # Ordinary app tables stay writable for the API.
        conn.execute("UPDATE cameras SET name = name WHERE false")
        conn.execute("DELETE FROM cameras WHERE false")
        conn.commit()
        for statement in ("UPDATE audit_log SET action = 'x' WHERE id = %s", "DELETE FROM audit_log WHERE id = %s"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for table audit_log"):
                conn.execute(statement, (row["id"],))
            conn.rollback()
            conn.execute("SET ROLE gtvision_api")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for table audit_log"):
            conn.execute("TRUNCATE audit_log")
        conn.rollback()
        # The role cannot log in by itself: deployments connect as a LOGIN member of it.
        role = conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'gtvision_api'").fetchone()
        assert role == {"rolcanlogin": False}


# ---------------------------------------------------------------- coverage of the decorator


def test_every_write_and_every_sensitive_read_route_is_audited(api):
    """Given every route of the app (whoever added it), Then writes and sensitive reads carry an audit action."""
    missing = []
    checked_reads = 0
    for path, methods in api.app.routes.items():
        for method, entry in methods.items():
            action = getattr(entry.view_function, "__gtv_audit__", None)
            sensitive = method != "GET" or bool(SENSITIVE_READ.search(path))
            checked_reads += method == "GET" and sensitive
            if sensitive and not action:
                missing.append(f"{method} {path}")
    assert not missing, f"routes without an audit action: {missing}"
    assert checked_reads >= 4  # at least the audit and LGPD reads of this module


def test_no_route_changes_or_deletes_audit_entries(api):
    for path, methods in api.app.routes.items():
        if path.startswith("/v1/audit"):
            assert set(methods) == {"GET"}, f"{path} accepts {set(methods)}"


# ---------------------------------------------------------------- /v1/audit


def test_audited_actions_leave_entries_admin_sees_all_manager_own_city_viewer_none(world, api):
    cam_a = world.camera()
    cam_b = world.camera(token=world.manager_b, city=world.city_b)
    manager_a = _me(api, world.manager_a)

    r = api.call("GET", "/v1/audit", token=world.admin, query={"action": "create_camera", "limit": "500"})
    assert r.status == 200, r.text
    resources = {e["resource"] for e in r.json()["items"]}
    assert {f"/v1/cities/{world.city_a}/cameras", f"/v1/cities/{world.city_b}/cameras"} <= resources

    r = api.call("GET", "/v1/audit", token=world.manager_a, query={"limit": "500"})
    assert r.status == 200, r.text
    items = r.json()["items"]
    assert items and all(e["city_id"] == world.city_a for e in items)
    mine = [e for e in items if e["action"] == "create_camera" and e["user_id"] == manager_a["id"]]
    assert mine and mine[0]["actor"] == manager_a["username"] and mine[0]["role"] == "manager"
    assert mine[0]["source_ip"] == "203.0.113.7" and mine[0]["request_id"]

    assert api.call("GET", "/v1/audit", token=world.viewer_a).status == 403
    assert api.call("GET", "/v1/audit/export.csv", token=world.viewer_a).status == 403
    assert api.call("GET", "/v1/audit").status == 401
    assert cam_a["id"] and cam_b["id"]


def test_audit_filters_and_newest_first_pagination(world, api):
    manager_a = _me(api, world.manager_a)
    for _ in range(3):
        world.camera()
    q = {"user_id": manager_a["id"], "action": "create_camera", "limit": "2"}
    first = api.call("GET", "/v1/audit", token=world.admin, query=q).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = api.call("GET", "/v1/audit", token=world.admin, query={**q, "cursor": first["next_cursor"]}).json()
    entries = first["items"] + second["items"]
    assert len({e["id"] for e in entries}) == len(entries) >= 3
    stamps = [(e["at"], e["id"]) for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    assert all(e["user_id"] == manager_a["id"] and e["action"] == "create_camera" for e in entries)

    future = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert api.call("GET", "/v1/audit", token=world.admin, query={"from": future}).json()["items"] == []
    assert api.call("GET", "/v1/audit", token=world.admin, query={"from": "ontem"}).status == 422
    assert api.call("GET", "/v1/audit", token=world.admin, query={"user_id": "x"}).status == 400
    # Reading the trail is itself on the trail.
    reads = api.call("GET", "/v1/audit", token=world.admin, query={"action": "audit.read", "limit": "1"}).json()
    assert reads["items"][0]["action"] == "audit.read"


def test_audit_csv_export_for_an_auditor(world, api):
    world.camera(name='=HYPERLINK("http://evil")')
    r = api.call("GET", "/v1/audit/export.csv", token=world.manager_a, query={"action": "create_camera"})
    assert r.status == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and all(row["action"] == "create_camera" and row["city_id"] == world.city_a for row in rows)
    assert set(rows[0]) >= {"at", "actor", "role", "action", "resource", "source_ip", "request_id"}
    assert not any(cell.startswith("=") for row in rows for cell in row.values())


# ---------------------------------------------------------------- /v1/me


def test_me_export_holds_the_callers_data_and_nobody_elses(world, api, database_url):
    username, token = _new_user(api, world, role="manager")
    me = _me(api, token)
    other = _me(api, world.manager_b)
    world.camera(token=token)
    world.camera(token=world.manager_b, city=world.city_b)
    with _db(database_url) as conn:
        cam = conn.execute("SELECT id FROM cameras WHERE city_id = %s LIMIT 1", (world.city_a,)).fetchone()
        cam_b = conn.execute("SELECT id FROM cameras WHERE city_id = %s LIMIT 1", (world.city_b,)).fetchone()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for who, city, camera in ((me["id"], world.city_a, cam["id"]), (other["id"], world.city_b, cam_b["id"])):
            conn.execute(
                "INSERT INTO clips (camera_id, city_id, start_at, end_at, requested_by) VALUES (%s, %s, %s, %s, %s)",
                (camera, city, start, start + timedelta(seconds=30), who),
            )

    for who, tok in ((me["id"], token), (other["id"], world.manager_b)):
        plate = f"WLT{uuid.uuid4().int % 10000:04d}"
        w = api.call("POST", "/v1/watchlist", {"plate": plate, "reason": f"furto — {who}"}, tok)
        assert w.status == 201, w.text

    r = api.call("GET", "/v1/me/export", token=token)
    assert r.status == 200, r.text
    data = r.json()
    assert data["user"]["id"] == me["id"] and data["user"]["username"] == username
    text = r.text
    assert "password" not in text and "argon2" not in text
    assert data["audit_entries"] and all(e["user_id"] == me["id"] for e in data["audit_entries"])
    assert any(e["action"] == "create_camera" for e in data["audit_entries"])
    assert data["clips"] and all(str(c["id"]) for c in data["clips"])
    assert len(data["clips"]) == 1
    assert [w["reason"] for w in data["watchlist"]] == [f"furto — {me['id']}"]
    assert other["id"] not in text and other["username"] not in text
    # The export itself is audited.
    again = api.call("GET", "/v1/me/export", token=token).json()
    assert any(e["action"] == "lgpd.me_export" for e in again["audit_entries"])


def test_delete_me_anonymises_the_account_and_the_trail_keeps_only_a_pseudonym(world, api, database_url):
    username, token = _new_user(api, world)
    me = _me(api, token)
    assert api.call("GET", "/v1/me/export", token=token).status == 200

    r = api.call("DELETE", "/v1/me", token=token)
    assert r.status == 204, r.text

    # The login is gone and the old token opens nothing of the account.
    assert api.call("POST", "/v1/auth/login", {"username": username, "password": "senha-forte-123"}).status == 401
    assert api.call("GET", "/v1/me", token=token).status == 401
    assert api.call("GET", "/v1/me/export", token=token).status == 401
    with _db(database_url) as conn:
        user = conn.execute(
            "SELECT username, password_hash, anonymised_at FROM users WHERE id = %s", (me["id"],)
        ).fetchone()
        entries = conn.execute(
            "SELECT actor, action, detail::text AS d FROM audit_log WHERE user_id = %s", (me["id"],)
        ).fetchall()
    assert user["username"] == me["pseudonym"] and user["password_hash"] == "!" and user["anonymised_at"]
    assert {"lgpd.me_export", "lgpd.me_delete"} <= {e["action"] for e in entries}
    assert all(e["actor"] == me["pseudonym"] and username not in e["d"] for e in entries)
    # An admin reading the trail sees the pseudonym under the same id.
    seen = api.call("GET", "/v1/audit", token=world.admin, query={"user_id": me["id"]}).json()["items"]
    assert seen and {e["actor"] for e in seen} == {me["pseudonym"]}


def test_the_last_admin_cannot_delete_their_own_account(world, api, database_url):
    with _db(database_url) as conn:
        admins = conn.execute("SELECT count(*) AS n FROM users WHERE role = 'admin' AND anonymised_at IS NULL")
        n = admins.fetchone()["n"]
    if n != 1:
        pytest.skip("another test created admins; deleting ours would end the session's admin")
    assert api.call("DELETE", "/v1/me", token=world.admin).status == 409
    assert _me(api, world.admin)["role"] == "admin"


# ---------------------------------------------------------------- the data subject's plate request


def test_plate_request_lists_every_read_of_a_plate_across_cities_and_is_audited(world, api, stack):
    from test_retention import plate_read

    cam_a = world.camera(lpr_enabled=True)
    cam_b = world.camera(token=world.manager_b, city=world.city_b, lpr_enabled=True)
    plate = "RQA" + str(uuid.uuid4().int % 10) + "B" + f"{uuid.uuid4().int % 100:02d}"
    now = datetime.now(UTC)
    plate_read(cam_a["id"], world.city_a, plate, now - timedelta(hours=2), image=True)
    plate_read(cam_b["id"], world.city_b, plate, now - timedelta(hours=1), image=False)
    plate_read(cam_b["id"], world.city_b, "XYZ9A99", now, image=True)

    assert api.call("GET", f"/v1/lgpd/plates/{plate}", token=world.manager_a).status == 403
    r = api.call("GET", f"/v1/lgpd/plates/{plate.lower()[:3]}-{plate[3:]}", token=world.admin)
    assert r.status == 200, r.text
    body = r.json()
    assert body["plate"] == plate and body["reads_total"] == 2
    assert [(x["camera_id"], x["has_image"]) for x in body["reads"]] == [(cam_a["id"], True), (cam_b["id"], False)]
    assert set(body["cities"]) == {world.city_a, world.city_b}
    assert "XYZ9A99" not in json.dumps(body)
    assert api.call("GET", "/v1/lgpd/plates/not-a-plate!", token=world.admin).status == 422
    audit = api.call("GET", "/v1/audit", token=world.admin, query={"action": "lgpd.plate_request"}).json()["items"]
    assert any(e["resource"].endswith(plate.lower()[:3] + "-" + plate[3:]) for e in audit)

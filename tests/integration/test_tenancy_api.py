"""Cities, users and cameras through the API against a real PostgreSQL."""

from __future__ import annotations

import json

import pytest

HOSTILE_URLS = [
    "rtsp://127.0.0.1/stream",
    "rtsp://localhost:554/x",
    "http://169.254.169.254/latest/meta-data/",
    "rtsp://[::1]/x",
    "rtsp://0.0.0.0/x",
    "http://2130706433/",
    "rtsp://0x7f000001/",
    "rtsp://0177.0.0.1/",
    "rtsp://127.1/",
    "rtsp://[::ffff:127.0.0.1]/",
    "file:///etc/passwd",
    "gopher://10.0.0.1/",
    "ftp://10.0.0.1/x",
    "http://metadata.google.internal/",
    "rtsp://fe80::1/",
    "javascript:alert(1)",
    "rtsp://a b/",
]


def test_login_issues_a_bearer_token_and_rejects_bad_passwords(api):
    ok = api.call("POST", "/v1/auth/login", {"username": "admin", "password": "admin-test-password"})
    assert ok.status == 200
    body = ok.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["access_token"].count(".") == 2
    bad = api.call("POST", "/v1/auth/login", {"username": "admin", "password": "wrong"})
    assert bad.status == 401 and bad.json()["error"]["code"] == "invalid_credentials"
    nobody = api.call("POST", "/v1/auth/login", {"username": "ghost", "password": "wrong"})
    assert nobody.status == 401


def test_requests_without_or_with_forged_tokens_get_401(api):
    assert api.call("GET", "/v1/cities").status == 401
    token = api.login("admin", "admin-test-password")
    head, payload, sig = token.split(".")
    forged = f"{head}.{payload}.{sig[::-1]}"
    assert api.call("GET", "/v1/cities", token=forged).status == 401
    # alg=none must never be accepted
    import base64

    none_head = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).decode().rstrip("=")
    assert api.call("GET", "/v1/cities", token=f"{none_head}.{payload}.").status == 401


def test_city_crud_and_validation(world):
    api, admin = world.api, world.admin
    r = api.call("GET", f"/v1/cities/{world.city_a}", token=admin)
    assert r.status == 200 and r.json()["retention_days"] == 7
    r = api.call("PATCH", f"/v1/cities/{world.city_a}", {"retention_days": 30}, admin)
    assert r.status == 200 and r.json()["retention_days"] == 30
    assert api.call("PATCH", f"/v1/cities/{world.city_a}", {"retention_days": 10}, admin).status == 422
    assert api.call("POST", "/v1/cities", {"name": "X", "state": "ZZ", "retention_days": 7}, admin).status == 422
    assert api.call("POST", "/v1/cities", raw=b"{not json", token=admin).status == 400
    assert api.call("POST", "/v1/cities", [1, 2], admin).status == 400
    # managers cannot create cities and only see their own
    assert (
        api.call("POST", "/v1/cities", {"name": "Y", "state": "SP", "retention_days": 7}, world.manager_a).status == 403
    )
    listed = api.call("GET", "/v1/cities", token=world.manager_a).json()
    assert [c["id"] for c in listed["items"]] == [world.city_a]
    assert api.call("GET", f"/v1/cities/{world.city_b}", token=world.manager_a).status == 404


def test_city_list_is_paginated_with_an_opaque_cursor(world):
    api, admin = world.api, world.admin
    seen: list[str] = []
    cursor = None
    while True:
        q = {"limit": "1"} | ({"cursor": cursor} if cursor else {})
        r = api.call("GET", "/v1/cities", token=admin, query=q).json()
        assert len(r["items"]) <= 1
        seen += [c["id"] for c in r["items"]]
        cursor = r["next_cursor"]
        if not cursor:
            break
    assert world.city_a in seen and world.city_b in seen and len(seen) == len(set(seen))
    assert api.call("GET", "/v1/cities", token=admin, query={"limit": "501"}).status == 400
    assert api.call("GET", "/v1/cities", token=admin, query={"cursor": "%%%"}).status == 400


def test_camera_crud_moves_credentials_and_never_returns_the_password(world):
    api = world.api
    secret = "S3nh@-Sup3r-Secreta"
    cam = world.camera(
        source_url=f"rtsp://operador:{secret.replace('@', '%40')}@192.168.10.21:554/h264",
        location={"lat": -23.55, "lon": -46.63, "address": "Praça da Sé"},
    )
    assert cam["source_url"] == "rtsp://192.168.10.21:554/h264"
    assert cam["has_credentials"] is True and cam["username"] == "operador"
    assert "webhook_secret" not in cam and cam["status"] == "unknown" and cam["stream_status"] == "registered"
    got = api.call("GET", f"/v1/cameras/{cam['id']}", token=world.viewer_a)
    assert got.status == 200 and got.json()["location"]["address"] == "Praça da Sé"
    listed = api.call("GET", f"/v1/cities/{world.city_a}/cameras", token=world.viewer_a)
    patched = api.call(
        "PATCH", f"/v1/cameras/{cam['id']}", {"name": "Câmera Sé", "password": "outra-" + secret}, world.manager_a
    )
    assert patched.status == 200 and patched.json()["name"] == "Câmera Sé"
    for reply in (got, listed, patched):
        assert secret not in reply.text and "password" not in reply.json()
    # the stored password is encrypted, not just hidden
    from gtvision.core import db

    with db.transaction() as conn:
        row = conn.execute("SELECT password_enc FROM cameras WHERE id = %s", (cam["id"],)).fetchone()
    assert row["password_enc"] is not None and secret.encode() not in bytes(row["password_enc"])
    from gtvision.tenancy.cameras import source_with_credentials

    assert source_with_credentials(cam["id"]).startswith("rtsp://operador:outra-S3nh%40")
    assert api.call("DELETE", f"/v1/cameras/{cam['id']}", token=world.manager_a).status == 204
    assert api.call("GET", f"/v1/cameras/{cam['id']}", token=world.manager_a).status == 404


def test_lpr_camera_gets_its_webhook_secret_once(world):
    cam = world.camera(lpr_enabled=True)
    assert len(cam["webhook_secret"]) == 64
    again = world.api.call("GET", f"/v1/cameras/{cam['id']}", token=world.manager_a).json()
    assert "webhook_secret" not in again
    rotated = world.api.call("PATCH", f"/v1/cameras/{cam['id']}", {"rotate_webhook_secret": True}, world.manager_a)
    assert rotated.json()["webhook_secret"] != cam["webhook_secret"]
    from gtvision.tenancy.cameras import webhook_secrets

    _, active = webhook_secrets(cam["id"])
    assert active == [rotated.json()["webhook_secret"], cam["webhook_secret"]]  # overlap period


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_source_urls_are_refused_with_422(world, url):
    r = world.api.call("POST", f"/v1/cities/{world.city_a}/cameras", {"name": "x", "source_url": url}, world.manager_a)
    assert r.status == 422, (url, r.text)
    assert r.json()["error"]["code"] in ("invalid_source_url", "validation_error")


def test_tenancy_other_city_gets_404_and_viewer_writes_get_403(world):
    api = world.api
    cam = world.camera()
    cid = cam["id"]
    for token in (world.manager_b, world.viewer_b):
        assert api.call("GET", f"/v1/cameras/{cid}", token=token).status == 404
        assert api.call("PATCH", f"/v1/cameras/{cid}", {"name": "x"}, token).status == 404
        assert api.call("DELETE", f"/v1/cameras/{cid}", token=token).status == 404
        assert api.call("GET", f"/v1/cities/{world.city_a}/cameras", token=token).status == 404
    r = api.call(
        "POST", f"/v1/cities/{world.city_b}/cameras", {"name": "x", "source_url": "rtsp://10.1.1.1/"}, world.manager_a
    )
    assert r.status == 404
    assert api.call("PATCH", f"/v1/cameras/{cid}", {"name": "x"}, world.viewer_a).status == 403
    assert api.call("DELETE", f"/v1/cameras/{cid}", token=world.viewer_a).status == 403
    r = api.call(
        "POST", f"/v1/cities/{world.city_a}/cameras", {"name": "x", "source_url": "rtsp://10.1.1.1/"}, world.viewer_a
    )
    assert r.status == 403
    assert api.call("GET", "/v1/cameras/not-a-uuid", token=world.manager_a).status == 404


def test_camera_limit_is_enforced(world):
    api = world.api
    assert api.call("PATCH", f"/v1/cities/{world.city_b}", {"camera_limit": 2}, world.admin).status == 200
    for _ in range(2):
        world.camera(token=world.manager_b, city=world.city_b)
    r = api.call(
        "POST", f"/v1/cities/{world.city_b}/cameras", {"name": "x", "source_url": "rtsp://10.1.1.1/"}, world.manager_b
    )
    assert r.status == 409 and r.json()["error"]["code"] == "camera_limit_reached"


def test_users_roles_and_scoping(world):
    api = world.api
    r = api.call(
        "POST", "/v1/users", {"username": "novo-admin", "password": "senha-forte-123", "role": "admin"}, world.manager_a
    )
    assert r.status == 403
    r = api.call(
        "POST",
        "/v1/users",
        {"username": "x", "password": "senha-forte-123", "role": "viewer", "city_id": world.city_b},
        world.manager_a,
    )
    assert r.status in (404, 422)
    assert api.call("GET", "/v1/users", token=world.viewer_a).status == 403
    mine = api.call("GET", "/v1/users", token=world.manager_a).json()["items"]
    assert mine and all(u["city_id"] == world.city_a for u in mine)
    assert all("password" not in json.dumps(u) for u in mine)
    dup = api.call(
        "POST",
        "/v1/users",
        {"username": mine[0]["username"], "password": "senha-forte-123", "role": "viewer", "city_id": world.city_a},
        world.manager_a,
    )
    assert dup.status == 409


def test_writes_are_audited_and_audit_rows_cannot_change(world):
    from gtvision.core import db

    cam = world.camera()
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT action, resource, role, host(source_ip) AS ip FROM audit_log WHERE resource = %s",
            (f"/v1/cities/{world.city_a}/cameras",),
        ).fetchall()
    assert any(r["action"] == "create_camera" and r["role"] == "manager" and r["ip"] == "203.0.113.7" for r in rows)
    import psycopg

    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with db.transaction() as conn:
            conn.execute("UPDATE audit_log SET action = 'x'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with db.transaction() as conn:
            conn.execute("DELETE FROM audit_log")
    assert cam["id"]


def test_migrations_reapply_as_a_noop(database_url):
    from gtvision.core import migrations

    assert migrations.apply(database_url) == []


def test_openapi_describes_every_route(api):
    doc = api.call("GET", "/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path, methods in api.app.routes.items():
        assert set(m.lower() for m in methods) <= set(doc["paths"][path]), path
    # security follows each route's own auth flag
    assert "security" not in doc["paths"]["/v1/health"]["get"]
    assert "security" not in doc["paths"]["/v1/lpr/events"]["post"]
    assert doc["paths"]["/v1/lpr/events"]["get"]["security"] == [{"bearer": []}]
    assert doc["paths"]["/v1/cities/{city_id}"]["get"]["parameters"][0]["schema"]["format"] == "uuid"


def test_a_removed_users_token_stops_working_everywhere(world):
    api = world.api
    r = api.call(
        "POST",
        "/v1/users",
        {
            "username": f"temp-{world.city_a[:8]}",
            "password": "senha-forte-123",
            "role": "viewer",
            "city_id": world.city_a,
        },
        world.manager_a,
    )
    assert r.status == 201
    token = api.login(f"temp-{world.city_a[:8]}", "senha-forte-123")
    assert api.call("GET", f"/v1/cities/{world.city_a}", token=token).status == 200
    assert api.call("DELETE", f"/v1/users/{r.json()['id']}", token=world.manager_a).status == 204
    gone = api.call("GET", f"/v1/cities/{world.city_a}", token=token)
    assert gone.status == 401 and gone.json()["error"]["code"] == "invalid_token"


def test_logins_and_failures_are_audited_without_the_typed_secrets(world):
    from gtvision.core import db

    api = world.api
    username = f"alvo-{world.city_a[:8]}"
    body = {"username": username, "password": "senha-forte-123", "role": "viewer", "city_id": world.city_a}
    r = api.call("POST", "/v1/users", body, world.manager_a)
    assert r.status == 201
    api.login(username, "senha-forte-123")
    for _ in range(3):
        assert api.call("POST", "/v1/auth/login", {"username": username, "password": "errada"}).status == 401
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT action, user_id, host(source_ip) AS ip, detail FROM audit_log"
            " WHERE action IN ('auth.login', 'auth.login_failed') AND (user_id = %s OR detail ? 'username_sha256')"
            " ORDER BY id",
            (r.json()["id"],),
        ).fetchall()
    mine = [x for x in rows if x["action"] == "auth.login" and str(x["user_id"]) == r.json()["id"]]
    assert len(mine) == 1 and mine[0]["ip"] == "203.0.113.7"
    failed = [x for x in rows if x["action"] == "auth.login_failed"]
    assert len(failed) >= 3
    assert all("errada" not in str(x["detail"]) and username not in str(x["detail"]) for x in failed)

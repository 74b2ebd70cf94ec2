"""Camera passwords in a URL's path or query (XMEye `…/user=admin&password=…`, `?loginpas=…`) are moved to the
encrypted credential fields: no answer ever holds them, MediaMTX still gets them where the camera expects
them, and cameras stored before the move are shown without them and fixed on first use."""

from __future__ import annotations

import json

from utils import World

from gtvision.core import db
from gtvision.tenancy import cameras

XMEYE = "rtsp://192.168.10.30:554/user=admin&password=Xm3ye-S3nha&channel=1&stream=0.sdp"


def _no_secret(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} in {text[:300]}"


def test_xmeye_and_query_passwords_never_reach_an_answer(world: World) -> None:
    # Given a manager registering an XMEye camera with its credentials in the path
    created = world.camera(source_url=XMEYE)
    assert created["source_url"] == "rtsp://192.168.10.30:554/channel=1&stream=0.sdp"
    assert created["username"] == "admin" and created["has_credentials"] is True
    # Then no answer, for anyone, holds the password: creation, reads, lists
    reads = [
        json.dumps(created),
        world.api.call("GET", f"/v1/cameras/{created['id']}", token=world.viewer_a).text,
        world.api.call("GET", f"/v1/cities/{world.city_a}/cameras", token=world.viewer_a).text,
    ]
    # When the manager points it at a URL with the password in the query
    patched = world.api.call(
        "PATCH",
        f"/v1/cameras/{created['id']}",
        {"source_url": "http://192.168.10.30/videostream.cgi?loginuse=admin&LOGINPAS=Qu3ry-S3nha&res=0"},
        world.manager_a,
    )
    assert patched.status == 200 and patched.json()["source_url"] == "http://192.168.10.30/videostream.cgi?res=0"
    reads.append(patched.text)
    reads.append(world.api.call("GET", f"/v1/cameras/{created['id']}", token=world.viewer_a).text)
    for text in reads:
        _no_secret(text, "Xm3ye-S3nha", "Qu3ry-S3nha")
    # And MediaMTX gets the URL with the credentials where the camera wants them
    assert cameras.source_with_credentials(created["id"]) == (
        "http://192.168.10.30/videostream.cgi?loginuse=admin&LOGINPAS=Qu3ry-S3nha&res=0"
    )
    # And the database holds no plaintext password
    with db.transaction() as conn:
        row = conn.execute("SELECT source_url FROM cameras WHERE id = %s", (created["id"],)).fetchone()
    assert row is not None
    _no_secret(row["source_url"], "Qu3ry-S3nha")


def test_cameras_stored_with_url_credentials_are_shown_without_them_and_moved_on_use(world: World) -> None:
    # Given a camera written before credentials in parameters were moved (straight into the table)
    created = world.camera()
    with db.transaction() as conn:
        conn.execute("UPDATE cameras SET source_url = %s WHERE id = %s", (XMEYE, created["id"]))
    # Then its answers already hide the password
    r = world.api.call("GET", f"/v1/cameras/{created['id']}", token=world.viewer_a)
    assert r.status == 200 and r.json()["source_url"] == "rtsp://192.168.10.30:554/channel=1&stream=0.sdp"
    _no_secret(r.text, "Xm3ye-S3nha")
    # When the stream is next started (MediaMTX asks for the source), the credentials move to the encrypted fields
    assert cameras.source_with_credentials(created["id"]) == XMEYE
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT source_url, username, password_enc FROM cameras WHERE id = %s", (created["id"],)
        ).fetchone()
    assert row is not None and row["username"] == "admin" and row["password_enc"] is not None
    _no_secret(row["source_url"], "Xm3ye-S3nha")
    assert cameras.source_with_credentials(created["id"]) == XMEYE


def test_the_upgrade_sweep_moves_every_stored_url_credential(world: World) -> None:
    created = world.camera()
    with db.transaction() as conn:
        conn.execute(
            "UPDATE cameras SET source_url = %s WHERE id = %s",
            ("rtsp://192.168.10.31/live?pwd=Sw33p-S3nha&channel=1", created["id"]),
        )
    assert cameras.move_url_credentials() >= 1
    with db.transaction() as conn:
        row = conn.execute("SELECT source_url FROM cameras WHERE id = %s", (created["id"],)).fetchone()
    assert row is not None
    _no_secret(row["source_url"], "Sw33p-S3nha")
    assert cameras.source_with_credentials(created["id"]).endswith("?pwd=Sw33p-S3nha&channel=1")


def test_camera_hosts_embedding_link_local_addresses_are_refused(world: World) -> None:
    for host in ("[2002:a9fe:a9fe::]", "[64:ff9b::a9fe:a9fe]", "[2001:0:4136:e378:8000:63bf:80ff:fffe]"):
        body = {"name": "Câmera", "source_url": f"rtsp://{host}:554/live"}
        r = world.api.call("POST", f"/v1/cities/{world.city_a}/cameras", body, world.manager_a)
        assert r.status == 422 and r.json()["error"]["code"] == "invalid_source_url", (host, r.text)

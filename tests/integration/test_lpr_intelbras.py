"""Intelbras/Dahua ITS push: HTTP Digest per camera, local time → UTC, colour normalised, idempotent.

Real PostgreSQL, real moto S3, the chalice app driven with API Gateway events. The Digest client is
`requests`' own HTTPDigestAuth (an implementation independent of ours), answering our challenges.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fixtures.intelbras_its import KEEP_ALIVE, tollgate
from requests.auth import HTTPDigestAuth
from requests.utils import parse_dict_header

from gtvision.core import aws, db
from gtvision.core.settings import get_settings
from gtvision.media import ffmpeg

PASSWORD = "senha-da-camera-1"


def path_of(camera_id: str, kind: str = "TollgateInfo") -> str:
    return f"/v1/lpr/intelbras/{camera_id}/NotificationInfo/{kind}"


def challenges(reply: Any) -> list[str]:
    values = (reply.multi_headers or {}).get("www-authenticate") or []
    assert values, f"401 without WWW-Authenticate: {reply.headers}"
    return values


def answer(challenge: str, username: str, password: str, path: str) -> str:
    """Authorization built by requests' HTTPDigestAuth for this challenge."""
    auth = HTTPDigestAuth(username, password)
    auth.init_per_thread_state()
    auth._thread_local.chal = parse_dict_header(challenge[len("Digest ") :])  # type: ignore[attr-defined]
    header = auth.build_digest_header("POST", "http://camera-server.example" + path)
    assert header
    return str(header)


def push(
    api: Any,
    camera_id: str,
    body: Any,
    *,
    username: str,
    password: str,
    kind: str = "TollgateInfo",
    algorithm: str = "SHA-256",
) -> Any:
    """What a camera does: post, get the 401 challenge, post again with Digest."""
    path = path_of(camera_id, kind)
    first = api.call("POST", path, body)
    assert first.status == 401, first.text
    chal = next(c for c in challenges(first) if f"algorithm={algorithm}" in c)
    return api.call("POST", path, body, headers={"authorization": answer(chal, username, password, path)})


@pytest.fixture(scope="module")
def jpeg(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = Path(tmp_path_factory.mktemp("its")) / "car.jpg"
    ffmpeg.run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc=size=96x64:rate=1", "-frames:v", "1", "-q:v", "5", "-y", str(out)], timeout=60
    )
    return out.read_bytes()


@pytest.fixture()
def its_camera(world: Any) -> dict[str, Any]:
    """An LPR camera of city A (timezone America/Manaus, UTC−4) with Digest credentials set by its manager."""
    r = world.api.call("PATCH", f"/v1/cities/{world.city_a}", {"timezone": "America/Manaus"}, world.admin)
    assert r.status == 200 and r.json()["timezone"] == "America/Manaus", r.text
    cam = world.camera(lpr_enabled=True)
    user = f"its-{uuid.uuid4().hex[:6]}"
    r = world.api.call(
        "PATCH",
        f"/v1/cameras/{cam['id']}",
        {"lpr_digest_username": user, "lpr_digest_password": PASSWORD},
        world.manager_a,
    )
    assert r.status == 200, r.text
    assert r.json()["lpr_digest_username"] == user
    assert PASSWORD not in r.text and "lpr_digest_password" not in r.json()
    return {**cam, "digest_user": user}


def reads_of(camera_id: str) -> list[dict[str, Any]]:
    with db.transaction() as conn:
        return conn.execute(
            "SELECT * FROM plate_reads WHERE camera_id = %s ORDER BY created_at", (camera_id,)
        ).fetchall()


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_tollgate_push_with_digest_is_stored_with_colour_and_utc_time(
    world: Any, its_camera: dict[str, Any], jpeg: bytes, algorithm: str
) -> None:
    # Given an Intelbras-shaped push at 14:05:07.250 Manaus time, red, confidence 87, with a picture
    body = tollgate(plate="BRA-2E19", jpeg=jpeg)
    # When the camera answers our Digest challenge
    r = push(
        world.api, its_camera["id"], body, username=its_camera["digest_user"], password=PASSWORD, algorithm=algorithm
    )
    # Then it gets what the firmware expects, and the read is stored normalised
    assert r.status == 200, r.text
    assert r.json() == {"Result": True, "Message": "Success"}
    [row] = reads_of(its_camera["id"])
    assert row["plate"] == "BRA2E19"
    assert row["captured_at"] == datetime(2026, 11, 29, 18, 5, 7, 250000, tzinfo=UTC)  # Manaus is UTC−4
    assert abs(row["confidence"] - 0.87) < 1e-6
    assert (row["vehicle_color"], row["vehicle_type"]) == ("vermelho", "carro")
    assert row["vehicle"]["color"] == "Red" and row["vehicle"]["type"] == "SaloonCar"  # raw words kept
    assert row["vehicle"]["make"] == "Chevrolet"
    stored = aws.client("s3").get_object(Bucket=get_settings().recordings_bucket, Key=row["image_key"])
    assert stored["Body"].read() == jpeg
    # And the search API shows contract values plus the raw words
    q = {"plate": "BRA2E19", "color": "vermelho", "camera_id": its_camera["id"]}
    items = world.api.call("GET", "/v1/lpr/events", token=world.viewer_a, query=q).json()["items"]
    assert [i["vehicle"]["color"] for i in items] == ["vermelho"]
    assert items[0]["vehicle"]["color_raw"] == "Red"


def test_same_push_twice_is_stored_once(world: Any, its_camera: dict[str, Any]) -> None:
    body = tollgate(plate="QRS4T56", accurate_time="2026-11-29 10:00:00")
    for _ in range(2):
        r = push(world.api, its_camera["id"], body, username=its_camera["digest_user"], password=PASSWORD)
        assert r.status == 200 and r.json()["Result"] is True, r.text
    assert [r["plate"] for r in reads_of(its_camera["id"])] == ["QRS4T56"]


def test_wrong_password_stale_nonce_and_other_cameras_credentials_get_a_fresh_challenge(
    world: Any, its_camera: dict[str, Any]
) -> None:
    path = path_of(its_camera["id"])
    body = tollgate(plate="XYZ9A87")
    chal = challenges(world.api.call("POST", path, body))[0]

    # wrong password
    r = world.api.call(
        "POST", path, body, headers={"authorization": answer(chal, its_camera["digest_user"], "errada-123", path)}
    )
    assert r.status == 401 and r.json()["error"]["code"] == "invalid_digest"
    assert challenges(r)[0] != chal  # a fresh nonce

    # a nonce issued 10 minutes ago (genuine, expired): refused, and told it is stale
    from gtvision.lpr import digest, intelbras

    old = datetime.now(UTC).timestamp() - 600
    stale = digest.challenges(intelbras._key(), f"intelbras:{its_camera['id']}", intelbras.REALM, now=old)[0]
    r = world.api.call(
        "POST", path, body, headers={"authorization": answer(stale, its_camera["digest_user"], PASSWORD, path)}
    )
    assert r.status == 401
    assert all("stale=true" in c for c in challenges(r))

    # another camera's credentials (valid for that camera) do not open this one
    other = world.camera(lpr_enabled=True)
    r = world.api.call(
        "PATCH",
        f"/v1/cameras/{other['id']}",
        {"lpr_digest_username": "outra", "lpr_digest_password": "senha-da-outra"},
        world.manager_a,
    )
    assert r.status == 200
    r = world.api.call("POST", path, body, headers={"authorization": answer(chal, "outra", "senha-da-outra", path)})
    assert r.status == 401 and challenges(r)
    # nor does this camera's nonce work on the other camera's path
    other_path = path_of(other["id"])
    r = world.api.call(
        "POST", other_path, body, headers={"authorization": answer(chal, "outra", "senha-da-outra", other_path)}
    )
    assert r.status == 401
    assert reads_of(its_camera["id"]) == [] and reads_of(other["id"]) == []
    # and an unknown camera id gets the very same 401 with a challenge (ids cannot be probed)
    unknown = path_of(str(uuid.uuid4()))
    r = world.api.call(
        "POST", unknown, body, headers={"authorization": answer(chal, its_camera["digest_user"], PASSWORD, unknown)}
    )
    assert r.status == 401 and r.json()["error"]["code"] == "invalid_digest" and challenges(r)


def test_rotated_password_replaces_the_old_one(world: Any, its_camera: dict[str, Any]) -> None:
    r = world.api.call(
        "PATCH", f"/v1/cameras/{its_camera['id']}", {"lpr_digest_password": "senha-nova-2"}, world.manager_a
    )
    assert r.status == 200
    body = tollgate(plate="ROT1A23", accurate_time="2026-11-29 11:00:00")
    old = push(world.api, its_camera["id"], body, username=its_camera["digest_user"], password=PASSWORD)
    assert old.status == 401
    new = push(world.api, its_camera["id"], body, username=its_camera["digest_user"], password="senha-nova-2")
    assert new.status == 200


def test_keepalive_records_liveness_and_viewers_cannot_set_credentials(world: Any, its_camera: dict[str, Any]) -> None:
    before = datetime.now(UTC)
    r = push(
        world.api, its_camera["id"], KEEP_ALIVE, kind="KeepAlive", username=its_camera["digest_user"], password=PASSWORD
    )
    assert r.status == 200 and r.json() == {"Result": True, "Message": "Success"}
    cam = world.api.call("GET", f"/v1/cameras/{its_camera['id']}", token=world.viewer_a).json()
    assert cam["lpr_keepalive_at"] is not None
    assert datetime.fromisoformat(cam["lpr_keepalive_at"].replace("Z", "+00:00")) >= before.replace(microsecond=0)
    r = world.api.call("PATCH", f"/v1/cameras/{its_camera['id']}", {"lpr_digest_password": "x" * 12}, world.viewer_a)
    assert r.status == 403
    r = world.api.call("PATCH", f"/v1/cameras/{its_camera['id']}", {"lpr_digest_password": "x" * 12}, world.manager_b)
    assert r.status == 404


def test_device_info_is_kept_and_a_push_without_plate_is_acknowledged_not_stored(
    world: Any, its_camera: dict[str, Any]
) -> None:
    info = {"DeviceID": "8L0A2B3PAZ12345", "DeviceType": "VIP 7250 LPR", "SoftwareVersion": "2.800.0000000.9.R"}
    r = push(
        world.api, its_camera["id"], info, kind="DeviceInfo", username=its_camera["digest_user"], password=PASSWORD
    )
    assert r.status == 200 and r.json()["Result"] is True
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT lpr_device_info, lpr_keepalive_at FROM cameras WHERE id = %s", (its_camera["id"],)
        ).fetchone()
    assert row["lpr_device_info"]["DeviceType"] == "VIP 7250 LPR" and row["lpr_keepalive_at"] is not None
    # A vehicle the camera saw without reading its plate: acknowledged (else resent forever), nothing stored
    r = push(world.api, its_camera["id"], tollgate(plate=""), username=its_camera["digest_user"], password=PASSWORD)
    assert r.status == 200 and r.json()["Result"] is True
    assert reads_of(its_camera["id"]) == []
    # A malformed TollgateInfo is a 422 with the contract's error shape
    r = push(
        world.api,
        its_camera["id"],
        {"Picture": {"Plate": {"PlateNumber": "ABC1234"}}},
        username=its_camera["digest_user"],
        password=PASSWORD,
    )
    assert r.status == 422 and r.json()["error"]["code"] == "validation_error"


def test_city_timezone_is_validated(world: Any) -> None:
    r = world.api.call("PATCH", f"/v1/cities/{world.city_b}", {"timezone": "Marte/Olympus"}, world.admin)
    assert r.status == 422 and r.json()["error"]["code"] == "invalid_timezone"
    r = world.api.call("GET", f"/v1/cities/{world.city_b}", token=world.admin)
    assert r.json()["timezone"] == "America/Sao_Paulo"


def test_a_replayed_authorization_with_another_plate_is_401_and_stores_nothing(
    world: Any, its_camera: dict[str, Any]
) -> None:
    # Given a genuine push, answered with Digest (nonce N, nc 00000001)
    path = path_of(its_camera["id"])
    first = tollgate(plate="REP1A23", accurate_time="2026-11-29 12:00:00")
    chal = next(c for c in challenges(world.api.call("POST", path, first)) if "SHA-256" in c)
    auth = HTTPDigestAuth(its_camera["digest_user"], PASSWORD)
    auth.init_per_thread_state()
    auth._thread_local.chal = parse_dict_header(chal[len("Digest ") :])  # type: ignore[attr-defined]
    captured = str(auth.build_digest_header("POST", "http://camera-server.example" + path))
    assert world.api.call("POST", path, first, headers={"authorization": captured}).status == 200
    # When someone who captured that header sends it again with another plate (qop=auth does not cover the body)
    forged = tollgate(plate="FAK3E99", accurate_time="2026-11-29 12:00:05")
    r = world.api.call("POST", path, forged, headers={"authorization": captured})
    # Then it is refused like any bad credential, and nothing forged is stored (nor alerted)
    assert r.status == 401 and r.json()["error"]["code"] == "invalid_digest" and challenges(r)
    assert [row["plate"] for row in reads_of(its_camera["id"])] == ["REP1A23"]
    # And the camera itself may go on using the same (stateless) nonce with the next nc
    following = str(auth.build_digest_header("POST", "http://camera-server.example" + path))
    assert "nc=00000002" in following
    nxt = tollgate(plate="NXT2B34", accurate_time="2026-11-29 12:00:10")
    assert world.api.call("POST", path, nxt, headers={"authorization": following}).status == 200
    assert sorted(row["plate"] for row in reads_of(its_camera["id"])) == ["NXT2B34", "REP1A23"]


def test_the_camera_id_in_any_spelling_is_the_camera_and_a_malformed_one_is_the_same_401(
    world: Any, its_camera: dict[str, Any]
) -> None:
    # Given the camera's id spelled in upper case, in braces and without hyphens
    canonical = its_camera["id"]
    for spelling in (canonical.upper(), "{" + canonical + "}", canonical.replace("-", "")):
        # When it pushes a KeepAlive to that path with its Digest credentials
        r = push(
            world.api, spelling, KEEP_ALIVE, kind="KeepAlive", username=its_camera["digest_user"], password=PASSWORD
        )
        # Then it is the same camera (its secrets decrypt under the canonical id): accepted
        assert r.status == 200, (spelling, r.text)
    # And an id that is no UUID at all, or an unknown one, gets what a wrong password gets: 401 with a challenge
    wrong = world.api.call(
        "POST",
        path_of(canonical),
        KEEP_ALIVE,
        headers={"authorization": answer(challenges(world.api.call("POST", path_of(canonical), {}))[0], "x", "y", "")},
    )
    for camera_id in ("not-a-camera", "ZZZZ", str(uuid.uuid4()).upper()):
        r = world.api.call("POST", path_of(camera_id, "KeepAlive"), KEEP_ALIVE)
        assert (r.status, r.json()["error"]["code"]) == (wrong.status, "invalid_digest") == (401, "invalid_digest")
        assert challenges(r)


@pytest.mark.parametrize("field", ["username", "response", "cnonce", "nc", "uri"])
def test_non_ascii_in_a_digest_header_is_401_not_500(world: Any, its_camera: dict[str, Any], field: str) -> None:
    # Given a well-formed answer to a genuine challenge (so every check up to the password's is passed)
    path = path_of(its_camera["id"])
    chal = challenges(world.api.call("POST", path, {}))[0]
    header = answer(chal, its_camera["digest_user"], PASSWORD, path)
    params = parse_dict_header(header[len("Digest ") :])
    # When one of its fields holds non-ASCII text
    params[field] = f"{params[field]}çã€"
    forged = "Digest " + ", ".join(f'{k}="{v}"' for k, v in params.items())
    r = world.api.call("POST", path, tollgate(plate="ASC1I23"), headers={"authorization": forged})
    # Then it is refused like any bad credential
    assert r.status == 401 and r.json()["error"]["code"] == "invalid_digest", r.text
    assert reads_of(its_camera["id"]) == []


def test_an_accurate_time_past_the_calendar_is_422_not_500(world: Any, its_camera: dict[str, Any]) -> None:
    # Manaus is UTC−4: 9999-12-31 23:59:59 there is past the last instant Python can hold in UTC
    body = tollgate(plate="END9Z99", accurate_time="9999-12-31 23:59:59")
    r = push(world.api, its_camera["id"], body, username=its_camera["digest_user"], password=PASSWORD)
    assert r.status == 422 and r.json()["error"]["code"] == "invalid_accurate_time", r.text
    assert reads_of(its_camera["id"]) == []

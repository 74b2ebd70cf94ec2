"""LPR camera webhook: HMAC signatures over the raw body, validation, images in S3, idempotency.

Real PostgreSQL, real moto S3, the chalice app driven with API Gateway events; JPEGs made by ffmpeg.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from utils import iso

from gtvision.core import aws, db, signatures
from gtvision.core.settings import get_settings
from gtvision.media import ffmpeg


@pytest.fixture(scope="module")
def jpeg(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real 64x48 JPEG from ffmpeg's test source."""
    out = Path(tmp_path_factory.mktemp("jpeg")) / "plate.jpg"
    ffmpeg.run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=1", "-frames:v", "1", "-q:v", "5", "-y", str(out)], timeout=60
    )
    return out.read_bytes()


def event(plate: str = "ABC1D23", **fields: Any) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "plate": plate,
        "confidence": 0.93,
        "captured_at": iso(datetime.now(UTC) - timedelta(seconds=5)),
        "vehicle": {"color": "prata", "type": "carro"},
        "direction": "in",
        **fields,
    }


def post(
    api: Any,
    camera: dict[str, Any],
    body: dict[str, Any] | bytes,
    *,
    secret: str | None = None,
    t: int | None = None,
    camera_header: str | None = None,
    signature: str | None = None,
    signed_body: bytes | None = None,
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = int(time.time()) if t is None else t
    sig = signature or signatures.sign(secret or camera["webhook_secret"], signed_body or raw, ts)
    headers = {"x-gtv-camera": camera_header or camera["id"], "x-gtv-signature": sig}
    return api.call("POST", "/v1/lpr/events", raw=raw, headers=headers)


def reads_of(camera_id: str) -> list[dict[str, Any]]:
    with db.transaction() as conn:
        return conn.execute(
            "SELECT id, event_id, plate, plate_skeleton, plate_keys, confidence, image_key, vehicle, direction"
            " FROM plate_reads WHERE camera_id = %s ORDER BY created_at",
            (camera_id,),
        ).fetchall()


@pytest.fixture()
def cam(world: Any) -> dict[str, Any]:
    return world.camera(lpr_enabled=True, location={"lat": -23.5505, "lon": -46.6333})


# ------------------------------------------------------------------------------- signatures


def test_good_signature_stores_read_and_image(api: Any, cam: dict[str, Any], jpeg: bytes) -> None:
    # Given a signed event with a real JPEG
    body = event(image_jpeg_base64=base64.b64encode(jpeg).decode())
    # When the camera posts it
    r = post(api, cam, body)
    # Then it is accepted with the read id, stored once, image at the contract's key
    assert r.status == 202, r.text
    read_id = r.json()["id"]
    rows = reads_of(cam["id"])
    assert [str(x["id"]) for x in rows] == [read_id]
    row = rows[0]
    assert row["plate"] == "ABC1D23" and row["event_id"] == body["event_id"]
    assert row["vehicle"] == {"color": "prata", "type": "carro"} and row["direction"] == "in"
    assert row["image_key"] == f"lpr/{cam['city_id']}/{cam['id']}/{read_id}.jpg"
    obj = aws.client("s3").get_object(Bucket=get_settings().recordings_bucket, Key=row["image_key"])
    assert obj["Body"].read() == jpeg and obj["ContentType"] == "image/jpeg"


def test_refused_signatures_all_answer_the_same_401(api: Any, world: Any, cam: dict[str, Any]) -> None:
    other = world.camera(lpr_enabled=True)
    no_lpr = world.camera()
    now = int(time.time())
    body = event()
    raw = json.dumps(body).encode()
    cases = {
        "wrong secret": post(api, cam, body, secret="0" * 64),
        "another camera's secret": post(api, cam, body, secret=other["webhook_secret"]),
        "stale": post(api, cam, body, t=now - 301),
        "future": post(api, cam, body, t=now + 120),
        "body changed after signing": post(api, cam, raw.replace(b"0.93", b"0.99"), signed_body=raw),
        "unknown camera": post(api, cam, body, camera_header=str(uuid.uuid4())),
        "camera without LPR": post(api, cam, body, camera_header=no_lpr["id"]),
        "not a uuid": post(api, cam, body, camera_header="cam-1"),
        "malformed header": post(api, cam, body, signature="v1=abc"),
    }
    for name, reply in cases.items():
        assert reply.status == 401, (name, reply.text)
        assert reply.json() == {"error": {"code": "invalid_signature", "message": "assinatura inválida"}}, name
    assert reads_of(cam["id"]) == []
    # and a signature just inside the window still works
    assert post(api, cam, body, t=now - 290).status == 202


def test_replay_returns_same_id_and_stores_one_row(api: Any, cam: dict[str, Any]) -> None:
    body = event()
    first = post(api, cam, body)
    again = post(api, cam, body)  # the exact same request (same signature) replayed
    changed = post(api, cam, {**body, "plate": "XYZ9876"})  # same event id, other content
    assert first.status == again.status == changed.status == 202
    assert first.json()["id"] == again.json()["id"] == changed.json()["id"]
    rows = reads_of(cam["id"])
    assert len(rows) == 1 and rows[0]["plate"] == "ABC1D23"


def test_rotated_secret_keeps_old_one_during_overlap(api: Any, world: Any, cam: dict[str, Any]) -> None:
    r = api.call("PATCH", f"/v1/cameras/{cam['id']}", {"rotate_webhook_secret": True}, world.manager_a)
    assert r.status == 200, r.text
    new_secret = r.json()["webhook_secret"]
    assert post(api, cam, event(), secret=new_secret).status == 202
    assert post(api, cam, event(), secret=cam["webhook_secret"]).status == 202


# ------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("abc-1234", "ABC1234"),
        ("abc 1d23", "ABC1D23"),
        (" Abc.1D23 ", "ABC1D23"),
        ("ABC·1234", "ABC1234"),
        ("xyz-9a87", "XYZ9A87"),
    ],
)
def test_plates_are_normalised(api: Any, cam: dict[str, Any], raw: str, stored: str) -> None:
    r = post(api, cam, event(plate=raw))
    assert r.status == 202, r.text
    row = reads_of(cam["id"])[0]
    assert row["plate"] == stored
    assert len(row["plate_keys"]) == 7 and row["plate_skeleton"]


@pytest.mark.parametrize(
    ("raw", "stored", "fmt"),
    [
        ("R1O2A18", "R1O2A18", "other"),  # an OCR misread of RIO2A18: evidence all the same
        ("ab 123 cd", "AB123CD", "other"),  # Argentina (Mercosul)
        ("ABCD123", "ABCD123", "other"),  # Paraguay (Mercosul)
        ("ABC1234", "ABC1234", "br_old"),
        ("ABC1D23", "ABC1D23", "br_mercosul"),
        ("AB123", "AB123", "other"),  # 5 characters: the shortest kept
        ("ABC12345", "ABC12345", "other"),  # 8 characters: the longest kept
    ],
)
def test_every_alphanumeric_read_of_5_to_8_characters_is_kept_with_its_format(
    api: Any, cam: dict[str, Any], raw: str, stored: str, fmt: str
) -> None:
    r = post(api, cam, event(plate=raw))
    assert r.status == 202, r.text
    row = reads_of(cam["id"])[0]
    assert row["plate"] == stored
    # indexed for fuzzy search whatever its length: one wildcard key per character
    assert len(row["plate_keys"]) == len(stored) and all(len(k) == len(stored) for k in row["plate_keys"])
    from gtvision.lpr.plates import plate_format

    assert plate_format(row["plate"]) == fmt


@pytest.mark.parametrize(
    "plate", ["ABCD", "AB1", "ABC123456", "", "ABC_123", "ÁBC1234", "ABC１234", "!!!!!!", "AB/1234"]
)
def test_invalid_plates_are_422(api: Any, cam: dict[str, Any], plate: str) -> None:
    r = post(api, cam, event(plate=plate))
    assert r.status == 422, r.text
    assert reads_of(cam["id"]) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"confidence": 1.5},
        {"confidence": -0.1},
        {"captured_at": "+10min"},  # ten minutes ahead of the moment the test runs (not of its collection)
        {"captured_at": "2026-11-23T14:05:00"},  # no time zone
        {"captured_at": "ontem"},
        {"event_id": ""},
        {"event_id": "x" * 129},
        {"vehicle": "carro"},
        {"event_id": "ev\u0000"},  # PostgreSQL text holds no NUL: refused, not a 500 at the insert
        {"direction": "\u0000"},
        {"vehicle": {"color": "Branco", "model": "Uno\u0000"}},
    ],
)
def test_invalid_values_are_422(api: Any, cam: dict[str, Any], fields: dict[str, Any]) -> None:
    if fields.get("captured_at") == "+10min":
        fields = {"captured_at": iso(datetime.now(UTC) + timedelta(minutes=10))}
    assert post(api, cam, event(**fields)).status == 422


def test_not_json_is_400_after_a_good_signature(api: Any, cam: dict[str, Any]) -> None:
    assert post(api, cam, b"{not json").status == 400


def test_images_must_be_real_jpegs_up_to_2mb(api: Any, cam: dict[str, Any], jpeg: bytes) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    truncated = jpeg[: len(jpeg) // 2]
    markers_only = b"\xff\xd8" + b"\x00" * 100 + b"\xff\xd9"
    for bad in (png, truncated, markers_only):
        r = post(api, cam, event(image_jpeg_base64=base64.b64encode(bad).decode()))
        assert r.status == 422, r.text
    assert post(api, cam, event(image_jpeg_base64="não é base64!")).status == 422
    # a JPEG padded past 2 MB (decoded) is too large
    big = jpeg[:-2] + b"\x00" * (2 * 1024 * 1024) + b"\xff\xd9"
    r = post(api, cam, event(image_jpeg_base64=base64.b64encode(big).decode()))
    assert r.status == 413, r.text
    assert reads_of(cam["id"]) == []

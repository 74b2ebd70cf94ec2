"""Clip export end to end: API → SQS (moto) → ClipWorkerFunction through the local runtime's poller → S3.

Real H.264 segments (ffmpeg lavfi, 320x180, 2 s) are uploaded to moto and registered in `segments`
with their real SHA-256; clips are checked by decoding them with ffmpeg and hashing the served bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tempfile
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gtvision.core import aws, db, evidence
from gtvision.core.settings import get_settings
from gtvision.media import ffmpeg, isobmff
from gtvision.media.clipping import SegmentSource
from gtvision_local.testmedia import make_segments

FPS = 25
GOP_S = 1.0  # one keyframe a second
SEG_S = 2.0
FRAME_S = 1 / FPS


# ----------------------------------------------------------------------------------------- helpers


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - presigned URL of the local moto server
        return bytes(resp.read())


def decoded_frame_count(path: str) -> int:
    proc = ffmpeg.run_ffmpeg(["-i", path, "-map", "0:v", "-f", "null", "-"], timeout=60)
    return int(re.findall(r"frame=\s*(\d+)", proc.stderr)[-1])


def s3() -> Any:
    return aws.client("s3")


def sqs() -> Any:
    return aws.client("sqs")


def bucket() -> str:
    return get_settings().recordings_bucket


@dataclass
class Recording:
    camera_id: str
    start: datetime
    keys: list[str]

    def at(self, seconds: float) -> datetime:
        return self.start + timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def segment_files(tmp_path_factory: pytest.TempPathFactory) -> list[SegmentSource]:
    """Four consecutive 2 s fMP4 segments (as MediaMTX records them), made once for the module."""
    return make_segments(str(tmp_path_factory.mktemp("segs")), 4, SEG_S, fps=FPS, gop=int(GOP_S * FPS), fmt="fmp4")


def register(
    camera: dict[str, Any], files: list[SegmentSource], start: datetime, indexes: tuple[int, ...] = (0, 1, 2, 3)
) -> Recording:
    """Upload the segments at `indexes` (a missing one is a gap) and register them as the upload pipeline would."""
    from gtvision.recordings import store as segments_dal

    keys = []
    with db.transaction() as conn:
        for index in indexes:
            seg = files[index]
            seg_start = start + timedelta(seconds=SEG_S * index)
            key = f"recordings/{camera['id']}/{seg_start:%Y-%m-%d_%H-%M-%S-%f}.mp4"
            s3().upload_file(seg.url_or_path, bucket(), key)
            info = isobmff.probe(seg.url_or_path)
            segments_dal.insert(
                conn,
                {
                    "camera_id": camera["id"],
                    "city_id": camera["city_id"],
                    "start_at": seg_start,
                    "end_at": seg_start + timedelta(seconds=info.duration_s),
                    "duration_s": info.duration_s,
                    "s3_key": key,
                    "size_bytes": info.size_bytes,
                    "sha256": ffmpeg.sha256_file(seg.url_or_path),
                    "video_codec": info.video_codec,
                    "width": info.width,
                    "height": info.height,
                    "container": "mp4",
                },
            )
            keys.append(key)
    return Recording(str(camera["id"]), start, keys)


@pytest.fixture()
def recorded(world: Any, segment_files: list[SegmentSource]) -> Recording:
    """Given: a camera of city A with 8 s recorded an hour ago, in four 2 s segments."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return register(world.camera(), segment_files, start)


@pytest.fixture()
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "scratch"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))  # where the worker's scratch dirs go (TMPDIR)
    return path


@pytest.fixture()
def worker(stack: dict[str, str], scratch: Path) -> Iterator[Any]:
    """The ClipWorkerFunction fed by the local runtime's SQS poller, on a purged queue."""
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    rt = Runtime(load_template(endpoint_url=stack["aws_endpoint"]), api_port=0)
    poller = next(p for p in rt.pollers if p.function.logical_id == "ClipWorkerFunction")
    poller.wait_seconds = 0
    for queue in (poller.queue.url, dlq_url()):
        drain(queue)
    yield poller
    if rt.gateway:
        rt.gateway.server.server_close()


def drain(url: str) -> None:
    """Delete what other tests left queued (PurgeQueue is limited to once a minute)."""
    while True:
        got = sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return
        for message in got:
            sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


class WorkerContext:
    """A Lambda context with the worker's 900 s still ahead (tests.utils' default leaves 30 s)."""

    function_name = "ClipWorkerFunction"
    memory_limit_in_mb = 2048
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ClipWorkerFunction"
    aws_request_id = "req-clip-test"

    def __init__(self, remaining_s: float = 900) -> None:
        self.remaining_s = remaining_s

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_s * 1000)


def dlq_url() -> str:
    return str(sqs().get_queue_url(QueueName="gtvision-clip-jobs-dlq")["QueueUrl"])


def run_until(poller: Any, done: Callable[[], bool], polls: int = 10) -> None:
    for _ in range(polls):
        if done():
            return
        poller.poll_once()
    assert done(), "the worker did not get there"


def request_clip(world: Any, rec: Recording, start_s: float, end_s: float, mode: str | None = None) -> str:
    body = {"camera_id": rec.camera_id, "start": iso(rec.at(start_s)), "end": iso(rec.at(end_s))}
    if mode:
        body["mode"] = mode
    r = world.api.call("POST", "/v1/clips", body, world.manager_a)
    assert r.status == 202, r.text
    assert r.json()["status"] == "queued"
    return str(r.json()["id"])


def clip(world: Any, clip_id: str) -> dict[str, Any]:
    r = world.api.call("GET", f"/v1/clips/{clip_id}", token=world.manager_a)
    assert r.status == 200, r.text
    return dict(r.json())


def status_is(world: Any, clip_id: str, *statuses: str) -> Callable[[], bool]:
    return lambda: clip(world, clip_id)["status"] in statuses


def clip_objects(clip_id: str) -> list[dict[str, Any]]:
    listing = s3().list_object_versions(Bucket=bucket(), Prefix=f"clips/{clip_id}")
    return list(listing.get("Versions", []))


def queue_depth(url: str) -> int:
    """Messages waiting or in flight, without receiving them (a receive would count towards the DLQ)."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attrs = sqs().get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attrs[n]) for n in names)


def dlq_bodies() -> set[str]:
    got = sqs().receive_message(QueueUrl=dlq_url(), MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0)
    return {m["Body"] for m in got.get("Messages", [])}


# ------------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("mode", ["fast", "exact"])
def test_clip_across_segments_has_the_asked_duration_and_the_served_bytes_match(
    world: Any, recorded: Recording, worker: Any, scratch: Path, tmp_path: Path, mode: str
) -> None:
    # Given 8 s recorded; When a clip from 0.52 s (mid-GOP, segment 1) to 5.0 s (segment 3) is asked
    clip_id = request_clip(world, recorded, 0.52, 5.0, mode)
    assert clip(world, clip_id)["status"] == "queued"
    run_until(worker, status_is(world, clip_id, "ready", "failed"))

    # Then it is ready with a download that hashes to the reported SHA-256
    out = clip(world, clip_id)
    assert out["status"] == "ready", out["error"]
    assert out["mode"] == mode and out["error"] is None
    data = fetch(out["download_url"])
    assert hashlib.sha256(data).hexdigest() == out["sha256"]
    assert len(data) == out["size_bytes"]
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)

    # And the decoded duration is exact within a frame, or (fast) no shorter and at most a GOP longer
    asked = 4.48
    decoded = decoded_frame_count(str(path)) * FRAME_S
    if mode == "exact":
        assert decoded == pytest.approx(asked, abs=FRAME_S + 1e-9)
        assert out["duration_s"] == pytest.approx(asked, abs=FRAME_S + 1e-9)
    else:
        assert asked - 1e-9 <= decoded <= asked + GOP_S + FRAME_S
        assert asked - 1e-9 <= out["duration_s"] <= asked + GOP_S + FRAME_S

    # And the signed manifest names the clip and the three source segments, and verifies
    manifest = json.loads(fetch(out["manifest_url"]))
    assert manifest["clip"]["sha256"] == out["sha256"]
    assert [s["s3_key"] for s in manifest["sources"]] == recorded.keys[:3]
    assert manifest["camera"]["id"] == recorded.camera_id and manifest["mode"] == mode
    deployment_key = evidence.public_key_bytes(evidence.signing_key())
    assert evidence.verify(str(path), manifest, [deployment_key]).ok
    tampered = bytearray(data)
    tampered[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(tampered))
    assert not evidence.verify(str(path), manifest, [deployment_key]).ok

    # And only the segments covering the range are recorded as its sources; the scratch dir is empty
    with db.transaction() as conn:
        starts = conn.execute(
            "SELECT segment_start FROM clip_segments WHERE clip_id = %s ORDER BY 1", (clip_id,)
        ).fetchall()
        reads = conn.execute(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'clip.read' AND resource = %s",
            (f"/v1/clips/{clip_id}",),
        ).fetchone()
    assert [r["segment_start"] for r in starts] == [recorded.at(0), recorded.at(2), recorded.at(4)]
    assert reads is not None and reads["n"] >= 1
    assert list(scratch.iterdir()) == []


def test_a_clip_across_a_recording_gap_joins_what_was_recorded(
    world: Any, segment_files: list[SegmentSource], worker: Any, tmp_path: Path
) -> None:
    # Given 0–4 s and 6–8 s recorded (the recorder was down from 4 s to 6 s)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    rec = register(world.camera(), segment_files, start, indexes=(0, 1, 3))

    # When an exact clip from 3 s to 7 s is made
    clip_id = request_clip(world, rec, 3.0, 7.0, "exact")
    run_until(worker, status_is(world, clip_id, "ready", "failed"))

    # Then it holds the 2 s recorded in the range, decodable, with both sides of the gap as sources
    out = clip(world, clip_id)
    assert out["status"] == "ready", out["error"]
    path = tmp_path / "gap.mp4"
    path.write_bytes(fetch(out["download_url"]))
    assert decoded_frame_count(str(path)) * FRAME_S == pytest.approx(2.0, abs=FRAME_S + 1e-9)
    manifest = json.loads(fetch(out["manifest_url"]))
    assert [s["s3_key"] for s in manifest["sources"]] == [rec.keys[1], rec.keys[2]]


@pytest.mark.parametrize("mode", ["fast", "exact"])
def test_a_clip_across_mixed_containers_holds_every_frame_asked(
    world: Any, worker: Any, tmp_path: Path, mode: str
) -> None:
    import recording_support as rs

    from gtvision.recordings.register import register_upload
    from gtvision.recordings.service import segment_key

    # Given 6 s recorded as progressive MP4 (an NVR), then MPEG-TS, then fMP4 — registered from real uploads
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    camera = world.camera()
    segs = []
    for index, fmt in enumerate(("mp4", "ts", "fmp4")):
        at = start + timedelta(seconds=SEG_S * index)
        segs += make_segments(str(tmp_path / fmt), 1, SEG_S, start=at, fps=FPS, gop=int(GOP_S * FPS), fmt=fmt)  # type: ignore[arg-type]
    keys = [segment_key(str(camera["id"]), s.start, "ts" if s.url_or_path.endswith(".ts") else "mp4") for s in segs]
    for seg, key in zip(segs, keys, strict=True):
        rs.upload(key, seg.url_or_path)
        # registered by the upload function's own logic (this module's worker fixture drains the queues)
        assert register_upload(rs.bucket(), key).status == "registered"
    assert [r["container"] for r in rs.segment_rows(str(camera["id"]))] == ["mp4", "ts", "fmp4"]
    rec = Recording(str(camera["id"]), start, keys)

    # When a clip from 1.0 s (segment 1, on a keyframe) to 5.0 s (segment 3) is made
    clip_id = request_clip(world, rec, 1.0, 5.0, mode)
    run_until(worker, status_is(world, clip_id, "ready", "failed"))

    # Then it holds the 4 s asked, decodable, cut from the three originals (the evidence, not renditions)
    out = clip(world, clip_id)
    assert out["status"] == "ready", out["error"]
    path = tmp_path / "mixed.mp4"
    path.write_bytes(fetch(out["download_url"]))
    assert decoded_frame_count(str(path)) * FRAME_S == pytest.approx(4.0, abs=FRAME_S + 1e-9)
    manifest = json.loads(fetch(out["manifest_url"]))
    assert [s["s3_key"] for s in manifest["sources"]] == keys


def test_the_same_message_twice_yields_one_object_and_an_unchanged_clip(
    world: Any, recorded: Recording, worker: Any
) -> None:
    # Given a queued clip whose job message is delivered twice in the same batch
    clip_id = request_clip(world, recorded, 1.0, 3.0)
    sqs().send_message(QueueUrl=worker.queue.url, MessageBody=json.dumps({"clip_id": clip_id}))
    run_until(worker, lambda: queue_depth(worker.queue.url) == 0 and clip(world, clip_id)["status"] == "ready")
    first = clip(world, clip_id)

    # When it is delivered yet again after the clip is ready
    sqs().send_message(QueueUrl=worker.queue.url, MessageBody=json.dumps({"clip_id": clip_id}))
    assert worker.poll_once() == 1

    # Then there is one clip object (and its manifest), one version each, and the row did not change
    objects = clip_objects(clip_id)
    assert sorted(o["Key"] for o in objects) == [f"clips/{clip_id}.manifest.json", f"clips/{clip_id}.mp4"]
    again = clip(world, clip_id)
    volatile = ("download_url", "manifest_url")
    assert {k: v for k, v in again.items() if k not in volatile} == {
        k: v for k, v in first.items() if k not in volatile
    }
    assert queue_depth(worker.queue.url) == 0 and dlq_bodies() == set()


def test_poison_messages_end_in_the_dlq_without_blocking_the_batch(
    world: Any, recorded: Recording, worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from utils import load_function

    from gtvision_local import events

    # Given a valid job and three that can never succeed
    clip_id = request_clip(world, recorded, 0.0, 2.0)
    poison = ["não é json", json.dumps({"camera": "x"}), json.dumps({"clip_id": str(uuid.uuid4())})]

    # The handler reports exactly the poison records as failed
    handler = load_function("clip_worker", "handler").handler
    event = events.sqs_event(poison, worker.queue.arn)
    result = handler(event, WorkerContext())
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted(
        r["messageId"] for r in event["Records"]
    )

    # When they go through the queue with the valid one (poison is redelivered at once, maxReceiveCount 45)
    monkeypatch.setenv("GTV_LOCAL_VISIBILITY_TIMEOUT", "0")
    for body in poison:
        sqs().send_message(QueueUrl=worker.queue.url, MessageBody=body)
    run_until(worker, lambda: dlq_bodies() == set(poison), polls=100)

    # Then the valid clip is ready, the poison messages are in the DLQ and the queue is empty
    assert clip(world, clip_id)["status"] == "ready"
    assert queue_depth(worker.queue.url) == 0


def test_an_ffmpeg_failure_fails_the_clip_and_the_next_clip_in_the_batch_succeeds(
    world: Any, recorded: Recording, worker: Any, scratch: Path
) -> None:
    # Given segment 1 replaced by junk (registered with the junk's hash, so ffmpeg is what fails)
    # and segment 2 altered after registration (its hash no longer matches)
    junk = b"isto nao e video " * 4096
    s3().put_object(Bucket=bucket(), Key=recorded.keys[0], Body=junk)
    s3().put_object(Bucket=bucket(), Key=recorded.keys[1], Body=junk + b"!")
    with db.transaction() as conn:
        conn.execute(
            "UPDATE segments SET sha256 = %s WHERE camera_id = %s AND s3_key = %s",
            (hashlib.sha256(junk).hexdigest(), recorded.camera_id, recorded.keys[0]),
        )
    broken = request_clip(world, recorded, 0.5, 1.5)
    altered = request_clip(world, recorded, 2.5, 3.5, "exact")
    good = request_clip(world, recorded, 4.5, 7.5, "exact")

    # When the worker runs the batch
    run_until(worker, lambda: all(clip(world, c)["status"] in ("ready", "failed") for c in (broken, altered, good)))

    # Then the broken ones are failed with a readable error, the other is ready, nothing is retried
    out = clip(world, broken)
    assert out["status"] == "failed" and out["error"].startswith("falha ao recortar o vídeo")
    assert recorded.keys[0] in out["error"] and str(scratch) not in out["error"]
    assert out["download_url"] is None
    out = clip(world, altered)
    assert out["status"] == "failed" and "SHA-256" in out["error"]
    assert clip(world, good)["status"] == "ready"
    assert queue_depth(worker.queue.url) == 0 and dlq_bodies() == set()
    assert clip_objects(broken) == [] and list(scratch.iterdir()) == []


def test_limits_and_tenancy(world: Any, recorded: Recording) -> None:
    def post(start_s: float, end_s: float, token: str | None = None, **extra: Any) -> Any:
        body = {"camera_id": recorded.camera_id, "start": iso(recorded.at(start_s)), "end": iso(recorded.at(end_s))}
        return world.api.call("POST", "/v1/clips", {**body, **extra}, token or world.manager_a)

    assert post(5, 2).json()["error"]["code"] == "invalid_range"
    assert post(2, 2).status == 422
    r = post(2, 2.5)
    assert (r.status, r.json()["error"]["code"]) == (422, "clip_too_short")
    r = post(0, 30 * 60 + 1)
    assert (r.status, r.json()["error"]["code"]) == (422, "clip_too_long")
    r = post(-3600, -3000)
    assert (r.status, r.json()["error"]["code"]) == (422, "nothing_recorded")
    assert post(0, 2, mode="slow").status == 422
    assert post(0, 2, start="2026-01-01 12:00").status == 422  # no offset: not RFC 3339
    assert post(0, 2, start=1767268800).status == 422
    assert post(0, 2, token=world.viewer_a).status == 403
    assert post(0, 2, token=world.manager_b).status == 404
    assert post(0, 2, camera_id=str(uuid.uuid4())).status == 404
    assert world.api.call("POST", "/v1/clips", raw=b"{", token=world.manager_a).status == 400

    clip_id = request_clip(world, recorded, 0, 2)
    assert world.api.call("GET", f"/v1/clips/{clip_id}", token=world.manager_b).status == 404
    assert world.api.call("GET", f"/v1/clips/{clip_id}", token=world.viewer_a).status == 403
    assert world.api.call("GET", f"/v1/clips/{uuid.uuid4()}", token=world.manager_a).status == 404
    assert world.api.call("GET", f"/v1/clips/{clip_id}", token=world.admin).status == 200


def test_list_is_city_scoped_filtered_and_paginated(world: Any, recorded: Recording) -> None:
    ids = [request_clip(world, recorded, 0, 2), request_clip(world, recorded, 2, 4)]
    q = {"camera_id": recorded.camera_id, "status": "queued", "limit": "1"}
    first = world.api.call("GET", "/v1/clips", token=world.manager_a, query=q).json()
    second = world.api.call("GET", "/v1/clips", token=world.manager_a, query={**q, "cursor": first["next_cursor"]})
    assert [c["id"] for c in first["items"] + second.json()["items"]] == ids[::-1]  # newest first
    assert (
        world.api.call("GET", "/v1/clips", token=world.manager_a, query={**q, "status": "ready"}).json()["items"] == []
    )
    assert world.api.call("GET", "/v1/clips", token=world.manager_a, query={"status": "bogus"}).status == 422
    forged = base64.urlsafe_b64encode(json.dumps(["x", "y"]).encode()).decode()
    assert world.api.call("GET", "/v1/clips", token=world.manager_a, query={"cursor": forged}).status == 400
    others = world.api.call("GET", "/v1/clips", token=world.manager_b).json()["items"]
    assert not {c["id"] for c in others} & set(ids)
    r = world.api.call("GET", "/v1/clips", token=world.manager_b, query={"camera_id": recorded.camera_id})
    assert r.status == 404


def test_legal_hold_protects_the_clip_and_its_source_segments(world: Any, recorded: Recording) -> None:
    clip_id = request_clip(world, recorded, 1.0, 3.0)
    path = f"/v1/clips/{clip_id}/hold"
    assert world.api.call("POST", path, {}, world.manager_a).status == 422  # reason required
    assert world.api.call("POST", path, {"reason": "inquérito 123"}, world.viewer_a).status == 403
    assert world.api.call("POST", path, {"reason": "inquérito 123"}, world.manager_b).status == 404

    r = world.api.call("POST", path, {"reason": "inquérito 123/2026"}, world.manager_a)
    assert r.status == 200, r.text
    assert (r.json()["held"], r.json()["hold_reason"]) == (True, "inquérito 123/2026")
    assert clip(world, clip_id)["held"] is True

    # The retention predicate (a segment listed in clip_segments of a held clip) covers its sources
    held_sql = (
        "SELECT s.start_at FROM segments s WHERE s.camera_id = %s AND EXISTS (SELECT 1 FROM clip_segments cs"
        " JOIN clips cl ON cl.id = cs.clip_id WHERE cl.held AND cs.camera_id = s.camera_id"
        " AND cs.segment_start = s.start_at) ORDER BY 1"
    )
    with db.transaction() as conn:
        held = [r["start_at"] for r in conn.execute(held_sql, (recorded.camera_id,)).fetchall()]
    assert held == [recorded.at(0), recorded.at(2)]

    # ...and so does the bucket's lifecycle safety net: the source objects are tagged out of every rule
    def retention_tags() -> set[str]:
        s3 = aws.client("s3")
        bucket = get_settings().recordings_bucket
        with db.transaction() as conn:
            keys = [
                r["s3_key"]
                for r in conn.execute(
                    "SELECT s.s3_key FROM clip_segments cs JOIN segments s ON s.camera_id = cs.camera_id"
                    " AND s.start_at = cs.segment_start WHERE cs.clip_id = %s",
                    (clip_id,),
                ).fetchall()
            ]
        assert keys
        return {
            t["Value"]
            for k in keys
            for t in s3.get_object_tagging(Bucket=bucket, Key=k)["TagSet"]
            if t["Key"] == "retention-days"
        }

    assert retention_tags() == {"held"}

    r = world.api.call("DELETE", path, token=world.manager_a)
    assert r.status == 200 and (r.json()["held"], r.json()["hold_reason"]) == (False, None)
    assert retention_tags() == {"7"}  # back under the city's plan
    with db.transaction() as conn:
        assert conn.execute(held_sql, (recorded.camera_id,)).fetchall() == []
        actions = [
            r["action"]
            for r in conn.execute(
                "SELECT action FROM audit_log WHERE resource = %s AND status = 200 ORDER BY id", (path,)
            ).fetchall()
        ]
    assert actions == ["clip.hold", "clip.unhold"]


def test_a_live_claim_is_not_taken_twice_and_an_expired_one_is_taken_over(
    world: Any, recorded: Recording, worker: Any
) -> None:
    from utils import load_function

    from gtvision_local import events

    # Given a clip another worker is processing (its lease still running)
    clip_id = request_clip(world, recorded, 0.0, 2.0)
    drain(worker.queue.url)
    with db.transaction() as conn:
        conn.execute(
            "UPDATE clips SET status = 'processing', claim_token = gen_random_uuid(), attempts = 1,"
            " lease_until = now() + interval '10 minutes' WHERE id = %s",
            (clip_id,),
        )
    handler = load_function("clip_worker", "handler").handler
    event = events.sqs_event([json.dumps({"clip_id": clip_id})], worker.queue.arn)

    # When its job is redelivered, Then the record fails (retried later) and the clip is left alone
    result = handler(event, WorkerContext())
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [event["Records"][0]["messageId"]]
    assert clip(world, clip_id)["status"] == "processing" and clip_objects(clip_id) == []

    # When the lease has expired (that worker died), Then the redelivery takes the clip over
    with db.transaction() as conn:
        conn.execute("UPDATE clips SET lease_until = now() - interval '1 second' WHERE id = %s", (clip_id,))
    # (unless the invocation is nearly out of time: then it is left for the next delivery, unclaimed)
    assert len(handler(event, WorkerContext(remaining_s=90))["batchItemFailures"]) == 1
    assert clip(world, clip_id)["status"] == "processing"
    assert handler(event, WorkerContext())["batchItemFailures"] == []
    assert clip(world, clip_id)["status"] == "ready"
    with db.transaction() as conn:
        row = conn.execute("SELECT attempts, claim_token FROM clips WHERE id = %s", (clip_id,)).fetchone()
    assert row == {"attempts": 2, "claim_token": None}


def test_a_transient_error_hands_the_clip_back_and_the_last_attempt_fails_it(
    world: Any, recorded: Recording, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gtvision.clips import store as clips_dal
    from gtvision.clips import worker as clips
    from gtvision.clips.schemas import MAX_ATTEMPTS

    # Given storage that refuses uploads
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("S3 indisponível")

    monkeypatch.setattr(clips_dal, "upload_file", refuse)
    clip_id = request_clip(world, recorded, 0.0, 2.0)

    # When the job runs, Then the error propagates (the message is retried) and the clip is queued again
    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(ConnectionError):
            clips.process(clip_id, 60)
        assert clip(world, clip_id)["status"] == "queued", attempt

    # And on the last attempt the clip is failed with a reason instead of waiting forever
    assert clips.process(clip_id, 60) == "failed"
    out = clip(world, clip_id)
    assert out["status"] == "failed" and "3 tentativas" in out["error"]
    assert list(scratch.iterdir()) == []

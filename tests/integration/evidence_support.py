"""Helpers of the cases/evidence tests: recordings whose frames carry their own number, segment registration,
the export workers fed by the local runtime's SQS pollers, and reading decoded frames back."""

from __future__ import annotations

import os
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gtvision.core import aws, db
from gtvision.core.settings import get_settings
from gtvision.media import ffmpeg, isobmff
from gtvision.media.ffmpeg import run_ffmpeg

FPS = 25
BITS = 10
STRIPE = 16
WIDTH, HEIGHT = BITS * STRIPE, 96


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - presigned URL of the local moto server
        return bytes(resp.read())


def bucket() -> str:
    return get_settings().recordings_bucket


def coded_segments(directory: str, first_frame: int, count: int, seconds: float) -> list[str]:
    """`count` fMP4 segments of `seconds` whose frames show their global number (frame `first_frame` first) as
    BITS black/white vertical stripes, least significant bit on the left."""
    os.makedirs(directory, exist_ok=True)
    lum = f"16+219*mod(floor((N+{first_frame})/pow(2\\,floor(X/{STRIPE})))\\,2)"
    source = f"nullsrc=s={WIDTH}x{HEIGHT}:r={FPS}:d={seconds * count},geq=lum='{lum}':cb=128:cr=128"
    pattern = os.path.join(directory, "seg-%03d.mp4")
    run_ffmpeg(
        [
            "-y",
            "-f",
            "lavfi",
            "-i",
            source,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            str(FPS),
            "-keyint_min",
            str(FPS),
            "-sc_threshold",
            "0",
            "-bf",
            "0",
            "-threads",
            "2",
            "-f",
            "segment",
            "-segment_time",
            f"{seconds:g}",
            "-force_key_frames",
            f"expr:gte(t,n_forced*{seconds:g})",
            "-segment_format",
            "mp4",
            "-segment_format_options",
            "movflags=+frag_keyframe+empty_moov+default_base_moof",
            "-reset_timestamps",
            "1",
            pattern,
        ],
        120,
    )
    return [pattern % i for i in range(count)]


def register(camera: dict[str, Any], files: list[str], start: datetime, seconds: float) -> list[str]:
    """Upload segment files and register them (consecutive, from `start`) as the upload pipeline would."""
    from gtvision.recordings import store as segments_dal

    keys = []
    with db.transaction() as conn:
        for index, path in enumerate(files):
            seg_start = start + timedelta(seconds=seconds * index)
            key = f"recordings/{camera['id']}/{seg_start:%Y-%m-%d_%H-%M-%S-%f}.mp4"
            aws.client("s3").upload_file(path, bucket(), key)
            info = isobmff.probe(path)
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
                    "sha256": ffmpeg.sha256_file(path),
                    "video_codec": info.video_codec,
                    "width": info.width,
                    "height": info.height,
                    "container": "mp4",
                },
            )
            keys.append(key)
    return keys


def gray_frames(path: str, width: int, height: int, count: int | None = None) -> list[bytes]:
    """Decoded frames of a video as 8-bit grey planes (edit lists honoured)."""
    limit = ["-frames:v", str(count)] if count else []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "frames.gray")
        run_ffmpeg(["-y", "-i", path, *limit, "-f", "rawvideo", "-pix_fmt", "gray", out], 120)
        data = Path(out).read_bytes()
    size = width * height
    return [data[i : i + size] for i in range(0, len(data) - size + 1, size)]


def frame_number(gray: bytes, width: int = WIDTH, row: int = HEIGHT // 2) -> int:
    """The global number a coded frame shows."""
    return sum(1 << bit for bit in range(BITS) if gray[row * width + bit * STRIPE + STRIPE // 2] > 128)


@dataclass
class Workers:
    """The export functions fed by the local runtime's pollers."""

    parts: Any
    redaction: Any
    package: Any
    runtime: Any

    def run_until(self, done: Callable[[], bool], timeout_s: float = 90) -> None:
        """Poll the three queues until `done()` (a retried record waits out its backoff), at most `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while not done():
            assert time.monotonic() < deadline, "the export workers did not get there"
            if not (self.parts.poll_once() + self.redaction.poll_once() + self.package.poll_once()):
                time.sleep(0.2)


def drain(url: str) -> None:
    sqs = aws.client("sqs")
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture()
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "scratch"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


@pytest.fixture()
def workers(stack: dict[str, str], scratch: Path) -> Iterator[Workers]:
    """ExportWorkerFunction, RedactionFunction and ExportPackageFunction on purged queues."""
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    rt = Runtime(load_template(endpoint_url=stack["aws_endpoint"]), api_port=0)
    pollers = {p.function.logical_id: p for p in rt.pollers}
    chosen = [pollers[n] for n in ("ExportWorkerFunction", "RedactionFunction", "ExportPackageFunction")]
    for poller in chosen:
        poller.wait_seconds = 0
        drain(poller.queue.url)
    yield Workers(chosen[0], chosen[1], chosen[2], runtime=rt)
    if rt.gateway:
        rt.gateway.server.server_close()


def operator(world: Any, city: str | None = None) -> str:
    """A new operator of city A (or `city`), logged in."""
    import uuid

    username = f"operador-{uuid.uuid4().hex[:8]}"
    body = {"username": username, "password": "senha-forte-123", "role": "operator", "city_id": city or world.city_a}
    r = world.api.call("POST", "/v1/users", body, world.admin)
    assert r.status == 201, r.text
    return str(world.api.login(username, "senha-forte-123"))


def region(gray: bytes, width: int, box: tuple[int, int, int, int]) -> list[int]:
    """The pixels of a grey frame inside box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    return [gray[y * width + x] for y in range(y0, y1) for x in range(x0, x1)]


def spread(values: list[int]) -> float:
    """Standard deviation of pixel values."""
    mean = sum(values) / len(values)
    return float((sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5)

"""The local recorder over a real RTSP session, and its stop/retry behaviour, against the emulator."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import recording_support as rs
from conftest import free_port

from gtvision.core import aws
from gtvision.media import ffmpeg, isobmff
from gtvision_local.recorder import Recorder


def _publish(url: str, seconds: int, deadline: float) -> None:
    """Push a lavfi test pattern to `url` over RTSP/TCP, retrying until the recorder listens."""
    cmd = [
        ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
        "-f", "rtsp", "-rtsp_transport", "tcp", url,
    ]  # fmt: skip
    while True:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 20)
        if proc.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"publisher failed: {proc.stderr[-500:]}")
        time.sleep(0.2)  # the recorder's ffmpeg is not listening yet


def test_recorder_records_an_rtsp_session_into_registered_segments(world, tmp_path) -> None:
    # Given a camera, and a recorder listening for an encoder that publishes over RTSP/TCP on 127.0.0.1
    camera = str(world.camera()["id"])
    url = f"rtsp://127.0.0.1:{free_port()}/live"
    recorder = Recorder(camera, url, segment_seconds=2, listen=True, work_dir=str(tmp_path / "work"))
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.update(result=recorder.run()), daemon=True)
    started = datetime.now(UTC)
    thread.start()

    # When the encoder streams 5 s of video and hangs up
    _publish(url, 5, time.monotonic() + 15)
    thread.join(30)

    # Then every segment was closed, uploaded under the contract key, and nothing is left behind
    result = outcome["result"]
    assert result.error is None and result.pending == []
    assert 2 <= len(result.uploaded) <= 4
    assert all(k.startswith(f"recordings/{camera}/") and k.endswith(".ts") for k in result.uploaded)
    assert list((tmp_path / "work").glob("*.ts")) == []

    # And the upload events register them: real H.264 at 320x180, about 5 s in all, wall-clock starts
    assert rs.deliver(set(result.uploaded)) == {"batchItemFailures": []}
    rows = rs.segment_rows(camera)
    assert [r["s3_key"] for r in rows] == sorted(result.uploaded)
    assert {(r["video_codec"], r["width"], r["height"]) for r in rows} == {("h264", 320, 180)}
    assert sum(r["duration_s"] for r in rows) == pytest.approx(5.0, abs=0.6)
    assert started - timedelta(seconds=2) < rows[0]["start_at"] < started + timedelta(seconds=15)
    timeline = world.api.call(
        "GET", f"/v1/cameras/{camera}/timeline", token=world.viewer_a,
        query={"from": rows[0]["start_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
               "to": rows[-1]["end_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
    ).json()  # fmt: skip
    assert len(timeline["spans"]) == 1 and timeline["segments"] == len(rows)  # consecutive segments touch


class _FlakyS3:
    """An S3 client whose first upload fails, as a dropped connection would."""

    def __init__(self) -> None:
        self.real = aws.client("s3")
        self.calls = 0

    def put_object(self, **kwargs: Any) -> None:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("conexão recusada")
        self.real.put_object(**kwargs)


def test_recorder_retries_failed_uploads_and_closes_the_last_segment_on_stop(stack, tmp_path) -> None:
    # Given a recorder of a test pattern whose first upload fails
    s3 = _FlakyS3()
    camera = "6f1c2b9e-3d4a-4e5f-8a7b-1c2d3e4f5a6b"
    recorder = Recorder(camera, "lavfi:testsrc2=size=320x180:rate=25", segment_seconds=2, s3=s3,
                        work_dir=str(tmp_path / "w"))  # fmt: skip
    stop = threading.Event()
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.update(result=recorder.run(stop)), daemon=True)
    thread.start()

    # When it is stopped (Ctrl-C) mid-segment, about 1 s after the first segment closed (its upload was tried)
    deadline = time.monotonic() + 30
    while s3.calls == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert s3.calls, "the recorder never closed its first segment"
    time.sleep(1.0)
    stop.set()
    thread.join(40)

    # Then the last, shorter segment was closed and uploaded too, and the failed upload was retried
    result = outcome["result"]
    assert result.pending == [] and 2 <= len(result.uploaded) <= 3 and s3.calls == len(result.uploaded) + 1
    assert list((tmp_path / "w").glob("*.ts")) == []
    durations = []
    for key in result.uploaded:
        local = tmp_path / key.rsplit("/", 1)[1]
        aws.client("s3").download_file(rs.bucket(), key, str(local))
        durations.append(isobmff.probe(str(local)).duration_s)
    assert all(d == pytest.approx(2.0, abs=0.1) for d in durations[:-1])
    assert 0 < durations[-1] <= 2.1  # closed where it was stopped, never longer than a segment


def test_demo_creates_its_camera_once_records_into_it_and_serves_it_live(stack, monkeypatch) -> None:
    import requests

    from gtvision.core.settings import get_settings
    from gtvision_local.demo import ensure_demo_camera, run_demo

    # Given no MediaMTX configured (as `make run`: the template's production URLs are not used locally)
    for name in ("GTV_MEDIAMTX_API_URL", "GTV_MEDIAMTX_HLS_URL", "GTV_MEDIAMTX_WEBRTC_URL", "GTV_MEDIAMTX_BIN"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()

    # When the demo starts against the stack (nor a MediaMTX binary installed: the built-in one)
    demo = run_demo("http://127.0.0.1:3000", segment_seconds=2)
    try:
        deadline = time.monotonic() + 20
        while not demo.recording.uploaded and time.monotonic() < deadline:
            time.sleep(0.2)
        # Then its camera is live at the URLs GT-Vision now gives, and the demo MediaMTX lists it
        settings = get_settings()
        playlist = requests.get(f"{settings.mediamtx_hls_url}/{demo.camera_id}/index.m3u8", timeout=20)
        listed = requests.get(f"{settings.mediamtx_api_url}/v3/paths/list", timeout=10).json()
    finally:
        demo.stop()

    # And it records a test pattern into the bucket, and a second start reuses city and camera
    assert playlist.status_code == 200 and ".ts" in playlist.text
    assert [p["name"] for p in listed["items"]] == [demo.camera_id]
    uploaded = demo.recording.uploaded
    assert uploaded and all(k.startswith(f"recordings/{demo.camera_id}/") for k in uploaded)
    assert ensure_demo_camera() == (demo.city_id, demo.camera_id)
    assert rs.deliver(set(uploaded)) == {"batchItemFailures": []}
    assert {(r["width"], r["height"]) for r in rs.segment_rows(demo.camera_id)} == {(640, 360)}
    # And once stopped, its MediaMTX is gone and this process's MediaMTX settings are what they were before
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{settings.mediamtx_api_url}/v3/paths/list", timeout=5)
    assert "GTV_MEDIAMTX_API_URL" not in os.environ


def test_recorder_command_lines(tmp_path) -> None:
    from gtvision_local.recorder import ffmpeg_args

    rtsp = ffmpeg_args("rtsp://cam:segredo@10.0.0.5:554/h264", 60, tmp_path)
    # A camera is pulled over TCP with an I/O timeout and copied, never re-encoded
    assert rtsp[rtsp.index("-rtsp_transport") + 1] == "tcp" and "-timeout" in rtsp
    assert rtsp[rtsp.index("-c") + 1] == "copy" and "libx264" not in rtsp
    assert rtsp[rtsp.index("-protocol_whitelist") + 1] == ffmpeg.LIVE_PROTOCOLS
    for flag, value in (("-f", "segment"), ("-segment_time", "60"), ("-segment_format", "mpegts"),
                        ("-reset_timestamps", "1"), ("-segment_list_type", "csv")):  # fmt: skip
        assert rtsp[rtsp.index(flag, rtsp.index("-map")) + 1] == value, flag
    # listening for a push instead of pulling
    listen = ffmpeg_args("rtsp://127.0.0.1:8554/live", 2, tmp_path, listen=True)
    assert listen[listen.index("-rtsp_flags") + 1] == "listen" and "-rtsp_transport" not in listen
    # files are replayed in real time with the file-only whitelist; a test pattern has to be encoded
    file_args = ffmpeg_args(str(tmp_path / "a.mp4"), 2, tmp_path)
    assert "-re" in file_args and file_args[file_args.index("-protocol_whitelist") + 1] == ffmpeg.FILE_PROTOCOLS
    assert "libx264" in ffmpeg_args("lavfi:testsrc2", 2, tmp_path)


def test_unreachable_source_ends_with_an_error_that_never_shows_the_password(stack, tmp_path) -> None:
    import io

    out = io.StringIO()
    url = f"rtsp://operador:s3nhaSecreta@127.0.0.1:{free_port()}/cam"
    result = Recorder("6f1c2b9e-3d4a-4e5f-8a7b-1c2d3e4f5a6b", url, segment_seconds=2, out=out).run()
    assert result.returncode != 0 and result.uploaded == [] and "Connection refused" in (result.error or "")
    assert "s3nhaSecreta" not in out.getvalue() + (result.error or "")
    assert "rtsp://***@127.0.0.1" in out.getvalue()

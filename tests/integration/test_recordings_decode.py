"""Registration decodes once: the thumbnail, the probe and the tamper views come from one ffmpeg run (a test
counts them), and they are what the old path — a run for the start time, another for the thumbnail, another
to probe an MPEG-TS, another to remux a progressive MP4 — produced from the same segment."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime
from typing import Any

import pytest
import recording_support as rs

from gtvision.core import aws
from gtvision.media import ffmpeg, isobmff, keyframes, rendition
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_video


@pytest.fixture()
def camera(world) -> str:
    return str(world.camera()["id"])


@pytest.fixture()
def ffmpeg_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every ffmpeg process started from now on (its argument list)."""
    runs: list[list[str]] = []
    real = subprocess.run

    def counting(cmd: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(cmd, list) and cmd and cmd[0] == ffmpeg.ffmpeg_exe():
            runs.append([str(c) for c in cmd])
        return real(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting)  # the module ffmpeg.run_ffmpeg calls
    return runs


def _object(key: str) -> bytes:
    return bytes(aws.client("s3").get_object(Bucket=rs.bucket(), Key=key)["Body"].read())


@pytest.mark.parametrize(("fmt", "ext"), [("fmp4", "mp4"), ("ts", "ts"), ("mp4", "mp4")])
def test_one_ffmpeg_run_per_registration_gives_what_the_old_path_gave(
    camera, tmp_path, ffmpeg_runs, fmt: str, ext: str
) -> None:
    # Given a 6 s segment (keyframe every second) as MediaMTX (fMP4), a TS recorder or an NVR (MP4) uploads it
    start = datetime(2026, 11, 24, 10, ["fmp4", "ts", "mp4"].index(fmt), tzinfo=UTC)
    src = make_video(str(tmp_path / f"seg.{ext}"), 6, fmt=fmt, size="640x360")  # type: ignore[arg-type]
    key = segment_key(camera, start, ext)
    rs.upload(key, src)

    # When it is registered
    ffmpeg_runs.clear()
    assert rs.deliver({key}) == {"batchItemFailures": []}

    # Then ffmpeg ran once
    assert len(ffmpeg_runs) == 1, ffmpeg_runs
    (row,) = rs.segment_rows(camera)

    # And the old path's outputs are the same: the thumbnail's bytes, the start time, the probe, the rendition
    old_thumb = tmp_path / "old.jpg"
    ffmpeg.thumbnail(src, str(old_thumb))
    assert _object(row["thumb_key"]) == old_thumb.read_bytes()
    assert row["pts_start"] == pytest.approx(ffmpeg.start_time(src), abs=1e-6)
    info = isobmff.probe(src)
    assert (row["duration_s"], row["frame_count"], row["video_codec"], row["width"], row["height"]) == (
        info.duration_s,
        info.frame_count,
        info.video_codec,
        info.width,
        info.height,
    )
    if fmt == "mp4":
        old_ts = rendition.remux_to_ts(src, str(tmp_path / "old.ts"))
        playable = _object(row["play_key"])
        assert hashlib.sha256(playable).hexdigest() == ffmpeg.sha256_file(old_ts.path)
    else:
        assert row["play_key"] is None


def test_the_views_of_the_first_keyframes_are_those_of_the_whole_file(tmp_path) -> None:
    # A fragmented MP4's decode reads only the fragments of its first keyframes: the same views as the whole file
    src = make_video(str(tmp_path / "seg.mp4"), 8, fmt="fmp4", size="640x360")
    info = isobmff.probe(src)
    assert info.first_keyframes_bytes is not None and info.first_keyframes_bytes < info.size_bytes / 2
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    prefix = keyframes.decode(src, str(tmp_path / "a"), "fmp4", 60, prefix_bytes=info.first_keyframes_bytes)
    whole = keyframes.decode(src, str(tmp_path / "b"), "fmp4", 60)
    assert len(prefix.views) == keyframes.VIEWS and prefix.views == whole.views
    assert prefix.pts_start == whole.pts_start
    assert (tmp_path / "a" / "thumb.jpg").read_bytes() == (tmp_path / "b" / "thumb.jpg").read_bytes()

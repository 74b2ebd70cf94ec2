"""cut_clip over real recorded segments (lavfi H.264), checked by decoding the clip with ffmpeg."""

from __future__ import annotations

import functools
import http.server
import io
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from gtvision.media import ffmpeg
from gtvision.media.clipping import ClipResult, SegmentSource, cut_clip
from gtvision.media.ffmpeg import MediaError
from gtvision_local.testmedia import make_segments

FPS = 25
GOP = 25  # one keyframe a second
SEG_S = 2.0
FRAME_S = 1 / FPS


def decoded_frames(path: str) -> list[str]:
    """MD5 of every frame ffmpeg decodes and presents (edit lists honoured), in order."""
    proc = ffmpeg.run_ffmpeg(["-i", path, "-map", "0:v:0", "-f", "framemd5", "-"], timeout=60)
    return [line.rsplit(",", 1)[1].strip() for line in proc.stdout.splitlines() if not line.startswith("#")]


def decoded_frame_count(path: str) -> int:
    proc = ffmpeg.run_ffmpeg(["-i", path, "-map", "0:v", "-f", "null", "-"], timeout=60)
    return int(re.findall(r"frame=\s*(\d+)", proc.stderr)[-1])


@pytest.fixture(scope="module", params=["fmp4", "ts"])
def recording(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> list[SegmentSource]:
    """Three consecutive 2 s segments, as MediaMTX records them (fmp4 or MPEG-TS)."""
    return make_segments(str(tmp_path_factory.mktemp(request.param)), 3, SEG_S, fps=FPS, gop=GOP, fmt=request.param)


@pytest.fixture(scope="module")
def source_frames(recording: list[SegmentSource]) -> list[str]:
    return [frame for seg in recording for frame in decoded_frames(seg.url_or_path)]


@pytest.fixture()
def scratch(tmp_path: Path) -> Path:
    path = tmp_path / "scratch"
    path.mkdir()
    return path


def at(recording: list[SegmentSource], seconds: float):
    return recording[0].start + timedelta(seconds=seconds)


def test_exact_clip_is_frame_accurate_across_three_segments(
    recording: list[SegmentSource], source_frames: list[str], tmp_path: Path, scratch: Path
) -> None:
    # Given a range from mid-GOP in segment 1 (0.52 s) to 1 s into segment 3
    out = tmp_path / "exact.mp4"

    result = cut_clip(recording, at(recording, 0.52), at(recording, 5.0), "exact", str(out), str(scratch), 60)

    # Then ffmpeg decodes exactly the asked frames (13..124), bit for bit, and nothing else
    assert decoded_frame_count(str(out)) == pytest.approx(4.48 * FPS, abs=1)
    assert decoded_frames(str(out)) == source_frames[13:125]
    assert result.duration_s == pytest.approx(4.48, abs=FRAME_S)
    assert result == ClipResult(result.duration_s, out.stat().st_size, ffmpeg.sha256_file(str(out)))
    assert list(scratch.iterdir()) == []


def test_exact_clip_degrades_to_fast_in_players_that_ignore_edit_lists(
    recording: list[SegmentSource], source_frames: list[str], tmp_path: Path, scratch: Path
) -> None:
    out = tmp_path / "exact.mp4"

    cut_clip(recording, at(recording, 0.52), at(recording, 5.0), "exact", str(out), str(scratch), 60)

    # Then a player ignoring the edit list shows the GOP preroll too: more than asked, never less
    proc = ffmpeg.run_ffmpeg(
        ["-ignore_editlist", "1", "-i", str(out), "-map", "0:v:0", "-f", "framemd5", "-"], timeout=60
    )
    frames = [line.rsplit(",", 1)[1].strip() for line in proc.stdout.splitlines() if not line.startswith("#")]
    assert frames == source_frames[0:125]


def test_fast_clip_starts_at_the_keyframe_and_is_never_short(
    recording: list[SegmentSource], source_frames: list[str], tmp_path: Path, scratch: Path
) -> None:
    out = tmp_path / "fast.mp4"

    result = cut_clip(recording, at(recording, 0.52), at(recording, 5.0), "fast", str(out), str(scratch), 60)

    frames = decoded_frames(str(out))
    asked = 4.48
    assert asked <= len(frames) * FRAME_S <= asked + GOP * FRAME_S + 1e-9
    assert frames == source_frames[0:125]  # from the keyframe at 0 s up to the exact end
    assert result.duration_s == pytest.approx(len(frames) * FRAME_S, abs=FRAME_S)
    assert list(scratch.iterdir()) == []


def test_clip_across_a_gap_skips_it_with_monotonic_timestamps(
    recording: list[SegmentSource], source_frames: list[str], tmp_path: Path, scratch: Path
) -> None:
    # Given segment 2 (2 s..4 s) was never recorded
    with_gap = [recording[0], recording[2]]
    out = tmp_path / "gap.mp4"

    result = cut_clip(with_gap, at(recording, 1.0), at(recording, 5.0), "exact", str(out), str(scratch), 60)

    # Then the clip holds 1 s before and 1 s after the gap, joined, with no frozen frames in between
    assert decoded_frames(str(out)) == source_frames[25:50] + source_frames[100:125]
    assert result.duration_s == pytest.approx(2.0, abs=FRAME_S)
    proc = ffmpeg.run_ffmpeg(["-i", str(out), "-map", "0:v", "-vf", "showinfo", "-f", "null", "-"], timeout=60)
    pts = [float(t) for t in re.findall(r"pts_time:\s*([\d.]+)", proc.stderr)]
    assert len(pts) == 50 and all(b - a == pytest.approx(FRAME_S) for a, b in zip(pts, pts[1:], strict=False))


def test_range_beyond_the_recording_is_clamped(
    recording: list[SegmentSource], source_frames: list[str], tmp_path: Path, scratch: Path
) -> None:
    out = tmp_path / "tail.mp4"

    cut_clip(recording, at(recording, 4.0), at(recording, 60.0), "exact", str(out), str(scratch), 60)

    assert decoded_frames(str(out)) == source_frames[100:150]


def test_b_frames(tmp_path: Path, scratch: Path) -> None:
    # Given a camera that encodes with B-frames (decode order differs from presentation order)
    segs = make_segments(str(tmp_path / "b"), 2, SEG_S, fps=FPS, gop=GOP, fmt="fmp4", bframes=2)
    source = [frame for seg in segs for frame in decoded_frames(seg.url_or_path)]

    cut_clip(segs, at(segs, 0.6), at(segs, 3.0), "exact", str(tmp_path / "e.mp4"), str(scratch), 60)
    cut_clip(segs, at(segs, 0.6), at(segs, 3.0), "fast", str(tmp_path / "f.mp4"), str(scratch), 60)

    # Then frames reordered past the end are hidden too, in both modes
    assert decoded_frames(str(tmp_path / "e.mp4")) == source[15:75]
    assert decoded_frames(str(tmp_path / "f.mp4")) == source[0:75]


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with single byte-range support, as S3 serves presigned GETs (ffmpeg seeks with Range)."""

    def send_head(self):
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if not match:
            return super().send_head()
        path = Path(self.translate_path(self.path))
        data = path.read_bytes()
        first = int(match.group(1))
        last = min(int(match.group(2) or len(data) - 1), len(data) - 1)
        self.send_response(206)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
        self.send_header("Content-Length", str(last - first + 1))
        self.end_headers()
        return io.BytesIO(data[first : last + 1])

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture()
def http_recording(recording: list[SegmentSource]) -> Iterator[list[SegmentSource]]:
    """The same segments served over HTTP, as presigned S3 URLs would be."""
    directory = str(Path(recording[0].url_or_path).parent)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_RangeHandler, directory=directory))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield [
        SegmentSource(f"{base}/{Path(s.url_or_path).name}?X-Amz-Signature=abc&x='q'", s.start, s.duration_s)
        for s in recording
    ]
    server.shutdown()
    thread.join()


def test_exact_clip_from_http_urls(
    http_recording: list[SegmentSource], source_frames: list[str], tmp_path: Path, scratch: Path
) -> None:
    out = tmp_path / "http.mp4"

    cut_clip(http_recording, at(http_recording, 0.52), at(http_recording, 5.0), "exact", str(out), str(scratch), 60)

    assert decoded_frames(str(out)) == source_frames[13:125]


def test_ffmpeg_failure_raises_and_cleans_up(recording: list[SegmentSource], tmp_path: Path, scratch: Path) -> None:
    # Given a segment whose object is gone (or unreadable)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x08free" + b"garbage" * 100)
    broken = [recording[0], SegmentSource(str(junk), recording[1].start, SEG_S), recording[2]]
    out = tmp_path / "never.mp4"

    for mode in ("fast", "exact"):
        with pytest.raises(MediaError):
            cut_clip(broken, at(recording, 0.5), at(recording, 5.0), mode, str(out), str(scratch), 60)

    assert not out.exists()
    assert list(scratch.iterdir()) == []


def test_timeout_raises_and_cleans_up(recording: list[SegmentSource], tmp_path: Path, scratch: Path) -> None:
    out = tmp_path / "o.mp4"

    with pytest.raises(MediaError, match="tempo limite"):
        cut_clip(recording, at(recording, 0.5), at(recording, 5.0), "exact", str(out), str(scratch), 0.001)

    assert list(scratch.iterdir()) == []


def test_nothing_recorded_in_range(recording: list[SegmentSource], tmp_path: Path, scratch: Path) -> None:
    with pytest.raises(MediaError, match="nenhum segmento"):
        cut_clip(recording, at(recording, 100), at(recording, 110), "fast", str(tmp_path / "o.mp4"), str(scratch), 60)

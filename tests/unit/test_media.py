"""media: probe over real lavfi-made MP4 / fragmented MP4 / MPEG-TS, thumbnails and the ffmpeg run helper."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest

from gtvision.media import ffmpeg, isobmff
from gtvision.media.ffmpeg import MediaError
from gtvision_local.testmedia import make_video


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the JPEG's SOF marker."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    pos = 2
    while pos < len(data):
        marker, length = data[pos + 1], struct.unpack_from(">H", data, pos + 2)[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack_from(">HH", data, pos + 5)
            return width, height
        pos += 2 + length
    raise AssertionError("no SOF marker")


@pytest.mark.parametrize(("fmt", "fragmented"), [("mp4", False), ("fmp4", True)])
def test_probe_reads_mp4_boxes(tmp_path: Path, fmt: str, fragmented: bool) -> None:
    # Given 3 s of 320x180 H.264 at 25 fps with a keyframe every 10 frames
    video = make_video(str(tmp_path / "v.mp4"), 3, gop=10, fmt=fmt)  # type: ignore[arg-type]

    info = isobmff.probe(video)

    assert info.container == "mp4" and info.fragmented is fragmented
    assert info.duration_s == pytest.approx(3.0, abs=1e-6)
    assert (info.video_codec, info.width, info.height) == ("h264", 320, 180)
    assert info.frame_count == 75
    assert info.keyframe_interval_s == pytest.approx(0.4)
    assert info.size_bytes == Path(video).stat().st_size


def test_probe_fmp4_with_timestamps_not_starting_at_zero(tmp_path: Path) -> None:
    # Given a fragment cut from a longer recording (tfdt starts at 10 s), as MediaMTX writes them
    video = make_video(str(tmp_path / "v.mp4"), 2, fmt="fmp4", start_offset=10)

    assert isobmff.probe(video).duration_s == pytest.approx(2.0, abs=1e-6)


def test_probe_mpeg_ts_falls_back_to_ffmpeg(tmp_path: Path) -> None:
    video = make_video(str(tmp_path / "v.ts"), 2, size="256x144", fmt="ts")

    info = isobmff.probe(video)

    assert info.container == "ts"
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    assert (info.video_codec, info.width, info.height, info.frame_count) == ("h264", 256, 144, 50)


@pytest.mark.parametrize(
    "content",
    [b"", b"this is not a video at all\n" * 50, b"\x00\x00\x00\x18ftypisom" + b"\x00" * 8 + b"\x00\x00\xff\xffmoov"],
)
def test_probe_rejects_unreadable_media(tmp_path: Path, content: bytes) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(content)

    with pytest.raises(MediaError):
        isobmff.probe(str(junk))


def test_probe_rejects_truncated_mp4(tmp_path: Path) -> None:
    video = Path(make_video(str(tmp_path / "v.mp4"), 2))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 2])

    with pytest.raises(MediaError, match="truncad"):
        isobmff.probe(str(cut))


def test_probe_missing_file_is_media_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        isobmff.probe(str(tmp_path / "nope.mp4"))


@pytest.mark.parametrize("size", ["320x180", "180x320", "100x100"])
def test_thumbnail_is_a_160x90_jpeg(tmp_path: Path, size: str) -> None:
    video = make_video(str(tmp_path / "v.mp4"), 1, size=size)
    thumb = tmp_path / "t.jpg"

    ffmpeg.thumbnail(video, str(thumb))

    assert jpeg_size(thumb.read_bytes()) == (160, 90)


def test_thumbnail_of_junk_raises(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ts"
    junk.write_bytes(b"\x47" + b"\x00" * 400)

    with pytest.raises(MediaError):
        ffmpeg.thumbnail(str(junk), str(tmp_path / "t.jpg"))


def test_sha256_file(tmp_path: Path) -> None:
    data = b"gt-vision" * 300_000
    (tmp_path / "f").write_bytes(data)

    assert ffmpeg.sha256_file(str(tmp_path / "f")) == hashlib.sha256(data).hexdigest()


def test_run_ffmpeg_failure_carries_stderr_tail(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="No such file"):
        ffmpeg.run_ffmpeg(["-i", str(tmp_path / "missing.mp4"), "-f", "null", "-"], timeout=30)


def test_run_ffmpeg_timeout(tmp_path: Path) -> None:
    endless = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-f", "null", "-"]

    with pytest.raises(MediaError, match="tempo limite"):
        ffmpeg.run_ffmpeg(endless, timeout=0.5)


def test_inputs_are_protocol_whitelisted() -> None:
    # ffmpeg's own whitelist refuses protocols outside file/http(s), e.g. its `concat:` and `data:` protocols
    for url in ("concat:/etc/hostname|/etc/hostname", "data:text/plain;base64,AAAA"):
        with pytest.raises(MediaError, match="not on whitelist"):
            ffmpeg.run_ffmpeg(["-i", url, "-f", "null", "-"], timeout=30)


@pytest.mark.parametrize("url", ["rtsp://127.0.0.1:9/cam", "rtmp://127.0.0.1:9/live", "ftp://127.0.0.1/x.mp4"])
def test_live_schemes_need_live(url: str) -> None:
    # the rtsp/rtmp demuxers open tcp on their own, so the scheme itself is refused unless live
    with pytest.raises(MediaError, match="não permitida"):
        ffmpeg.run_ffmpeg(["-i", url, "-f", "null", "-"], timeout=30)


def test_errors_never_carry_url_credentials_or_signatures() -> None:
    url = "http://admin:S3nh4-Secreta@127.0.0.1:9/rec.mp4?X-Amz-Credential=AKIAX&X-Amz-Signature=deadbeef"

    with pytest.raises(MediaError) as caught:
        ffmpeg.run_ffmpeg(["-i", url, "-f", "null", "-"], timeout=30)

    assert "127.0.0.1" in caught.value.message
    for secret in ("S3nh4-Secreta", "admin", "AKIAX", "deadbeef"):
        assert secret not in caught.value.message


def test_ffmpeg_exe_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GTV_FFMPEG", str(tmp_path / "no-ffmpeg"))

    assert ffmpeg.ffmpeg_exe() == str(tmp_path / "no-ffmpeg")
    with pytest.raises(MediaError, match="não pôde ser executado"):
        ffmpeg.run_ffmpeg(["-version"], timeout=5)

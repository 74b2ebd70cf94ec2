"""HLS playlists from segment rows, contract keys, and the fast presigner against boto3's own output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.config import Config

from gtvision.core.presign import Presigner
from gtvision.recordings.hls import build_playlist
from gtvision.recordings.schemas import Segment
from gtvision.recordings.service import parse_key, segment_key

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CAM = "6f1c2b9e-3d4a-4e5f-8a7b-1c2d3e4f5a6b"


def _seg(offset_s: float, duration: float = 2.0, **fields: Any) -> Segment:
    start = T0 + timedelta(seconds=offset_s)
    row: dict[str, Any] = {
        "camera_id": CAM,
        "city_id": CAM,
        "start_at": start,
        "end_at": start + timedelta(seconds=duration),
        "duration_s": duration,
        "s3_key": "k",
        "thumb_key": None,
        "size_bytes": 1000,
        "sha256": None,
        "video_codec": "h264",
        "width": 320,
        "height": 180,
        "container": "ts",
        "init_bytes": None,
        "pts_start": 1.4,
        "created_at": start,
        "etag": None,
        "play_key": None,
        "play_size_bytes": None,
        "frame_count": None,
    }
    row.update(fields)
    return Segment(**row)


def _tags_between_segments(text: str) -> list[list[str]]:
    """For each segment after the first: the tags that precede it."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines()[1:]:
        if line.startswith("#EXTINF"):
            blocks.append(current)
            current = []
        elif line.startswith("#") and not line.startswith("#EXT-X-BYTERANGE"):
            current.append(line.split(":", 1)[0])
    return blocks[1:]


def test_playlist_is_vod_with_target_duration_and_endlist() -> None:
    rows = [_seg(0), _seg(2, 2.5, pts_start=3.4)]
    text = build_playlist(rows, ["https://s/a.ts", "https://s/b.ts"])
    lines = text.splitlines()
    assert lines[:5] == [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:3",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-MEDIA-SEQUENCE:0",
    ]
    assert lines[-1] == "#EXT-X-ENDLIST" and text.endswith("\n")
    assert [line for line in lines if line.startswith("#EXTINF")] == ["#EXTINF:2.000000,", "#EXTINF:2.500000,"]
    assert "#EXT-X-PROGRAM-DATE-TIME:2026-11-23T14:00:02.000Z" in lines
    # continuous timestamps (pts 1.4 + 2.0 = 3.4): played straight through
    assert _tags_between_segments(text) == [["#EXT-X-PROGRAM-DATE-TIME"]]


@pytest.mark.parametrize(
    "second",
    [
        _seg(5, pts_start=3.4),  # a gap of 3 s
        _seg(2, pts_start=1.4),  # timestamps restart (each file on its own timeline)
        _seg(2, pts_start=None),  # unknown timestamps: play safe
        _seg(2, pts_start=3.4, video_codec="hevc"),
        _seg(2, pts_start=3.4, width=640, height=360),
    ],
)
def test_discontinuity_at_gaps_timestamp_resets_and_codec_or_resolution_changes(second) -> None:
    text = build_playlist([_seg(0), second], ["u1", "u2"])
    assert _tags_between_segments(text) == [["#EXT-X-DISCONTINUITY", "#EXT-X-PROGRAM-DATE-TIME"]]


def test_touching_segments_within_a_second_need_no_discontinuity() -> None:
    text = build_playlist([_seg(0), _seg(2.9, pts_start=3.4)], ["u1", "u2"])
    assert "#EXT-X-DISCONTINUITY" not in text


def test_fmp4_segments_serve_their_own_init_section_by_byte_range() -> None:
    rows = [
        _seg(0, container="fmp4", init_bytes=770, size_bytes=155_242, pts_start=0.0),
        _seg(2, container="fmp4", init_bytes=770, size_bytes=175_398, pts_start=0.0),
    ]
    text = build_playlist(rows, ["https://s/a.mp4?sig=1", "https://s/b.mp4?sig=2"])
    lines = text.splitlines()
    assert "#EXT-X-VERSION:7" in lines
    assert '#EXT-X-MAP:URI="https://s/a.mp4?sig=1",BYTERANGE="770@0"' in lines
    assert '#EXT-X-MAP:URI="https://s/b.mp4?sig=2",BYTERANGE="770@0"' in lines
    assert lines[lines.index("https://s/b.mp4?sig=2") - 1] == "#EXT-X-BYTERANGE:174628@770"
    assert text.count("#EXT-X-DISCONTINUITY") == 1  # both restart at timestamp 0


def test_contract_keys_round_trip() -> None:
    start = datetime(2026, 11, 23, 14, 5, 7, 123456, tzinfo=UTC)
    key = segment_key(CAM, start, "ts")
    assert key == f"recordings/{CAM}/2026-11-23_14-05-07-123456.ts"
    assert parse_key(key) == (CAM, start, "ts")
    # only the canonical key: an upper-case camera UUID or non-ASCII digits are other keys for the same instant
    assert parse_key(key.upper().replace("RECORDINGS", "recordings").replace(".TS", ".ts")) is None
    assert parse_key(key.replace("2026", "\uff12\uff10\uff12\uff16", 1)) is None  # fullwidth digits
    assert parse_key(key.replace("2026", "\u0662\u0660\u0662\u0666", 1)) is None  # Arabic-Indic digits
    assert parse_key(key + "\n") is None
    for bad in (
        f"recordings/{CAM}/2026-11-23_14-05-07.mp4",
        f"recordings/{CAM}/2026-11-23_14-05-07-123456.mkv",
        "recordings/cam-1/2026-11-23_14-05-07-123456.mp4",
        f"recordings/{CAM}/2026-02-30_14-05-07-000000.mp4",
        f"thumbnails/{CAM}/2026-11-23_14-05-07-123456.mp4",
    ):
        assert parse_key(bad) is None, bad


# ---------------------------------------------------------------- presigning


@pytest.mark.parametrize(
    ("endpoint", "region", "token", "style"),
    [
        ("http://127.0.0.1:4566", "us-east-1", None, "path"),  # the local emulator
        (None, "sa-east-1", "FwoGZXIvYXdzE+/token==", None),  # AWS with a Lambda role's session token
        (None, "us-east-1", None, None),
        ("https://minio.prefeitura.sp.gov.br", "us-east-1", None, "path"),
    ],
)
def test_presigned_urls_equal_boto3s_for_the_same_instant(endpoint, region, token, style) -> None:
    client = boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        aws_session_token=token,
        config=Config(signature_version="s3v4", s3={"addressing_style": style} if style else None),
    )
    presigner = Presigner(client, "gtvision-recordings")
    keys = [f"recordings/{CAM}/2026-11-23_14-0{i}-00-000000.ts" for i in range(3)] + ["thumbnails/a b+ç.jpg"]
    for day in (datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC), datetime(2026, 11, 24, 0, 0, 1, tzinfo=UTC)):
        with mock.patch("botocore.auth.get_current_datetime", return_value=day.replace(tzinfo=None)):
            expected = [
                client.generate_presigned_url(
                    "get_object", Params={"Bucket": "gtvision-recordings", "Key": k}, ExpiresIn=7200
                )
                for k in keys
            ]
        assert presigner.urls(keys, 7200, now=day) == expected

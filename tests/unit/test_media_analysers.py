"""Analysers: Rekognition DetectLabels through botocore's Stubber (moto returns a fixed label), and the
local analyser's colour and size rules on synthetic pixels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.stub import Stubber

from gtvision.media import ffmpeg, frames
from gtvision.media.analysers import Frame
from gtvision.media.analysers import local as local_analyser
from gtvision.media.analysers.rekognition import LABEL_TYPES, RekognitionAnalyser

# Shaped like a real DetectLabels answer with Features GENERAL_LABELS + IMAGE_PROPERTIES (per-instance
# DominantColors with SimplifiedColor/CSSColor/PixelPercent, Parents/Aliases/Categories on labels).
RESPONSE: dict[str, Any] = {
    "Labels": [
        {
            "Name": "Car",
            "Confidence": 98.71,
            "Instances": [
                {
                    "BoundingBox": {"Width": 0.31, "Height": 0.22, "Left": 0.12, "Top": 0.51},
                    "Confidence": 98.71,
                    "DominantColors": [
                        {
                            "Red": 182,
                            "Green": 24,
                            "Blue": 31,
                            "HexCode": "#b6181f",
                            "CSSColor": "firebrick",
                            "SimplifiedColor": "red",
                            "PixelPercent": 61.2,
                        },
                        {
                            "Red": 30,
                            "Green": 30,
                            "Blue": 30,
                            "HexCode": "#1e1e1e",
                            "CSSColor": "black",
                            "SimplifiedColor": "black",
                            "PixelPercent": 20.4,
                        },
                    ],
                },
                {
                    "BoundingBox": {"Width": 0.18, "Height": 0.15, "Left": 0.66, "Top": 0.45},
                    "Confidence": 91.02,
                    "DominantColors": [
                        {
                            "Red": 220,
                            "Green": 222,
                            "Blue": 225,
                            "HexCode": "#dcdee1",
                            "CSSColor": "gainsboro",
                            "SimplifiedColor": "white",
                            "PixelPercent": 70.3,
                        }
                    ],
                },
            ],
            "Parents": [{"Name": "Transportation"}, {"Name": "Vehicle"}],
            "Aliases": [{"Name": "Automobile"}],
            "Categories": [{"Name": "Vehicles and Automotive"}],
        },
        {
            "Name": "Vehicle",
            "Confidence": 98.71,
            "Instances": [
                {
                    "BoundingBox": {"Width": 0.31, "Height": 0.22, "Left": 0.12, "Top": 0.51},
                    "Confidence": 98.71,
                    "DominantColors": [{"CSSColor": "firebrick", "SimplifiedColor": "red", "PixelPercent": 61.2}],
                },
            ],
            "Parents": [{"Name": "Transportation"}],
            "Aliases": [],
            "Categories": [{"Name": "Vehicles and Automotive"}],
        },
        {
            "Name": "Pickup Truck",
            "Confidence": 88.5,
            "Instances": [
                {
                    "BoundingBox": {"Width": 0.25, "Height": 0.2, "Left": 0.4, "Top": 0.1},
                    "Confidence": 88.5,
                    "DominantColors": [{"CSSColor": "black", "SimplifiedColor": "black", "PixelPercent": 55.0}],
                },
            ],
            "Parents": [{"Name": "Truck"}, {"Name": "Vehicle"}],
            "Aliases": [],
            "Categories": [{"Name": "Vehicles and Automotive"}],
        },
        {
            "Name": "Transportation",
            "Confidence": 98.71,
            "Instances": [],
            "Parents": [],
            "Aliases": [],
            "Categories": [{"Name": "Vehicles and Automotive"}],
        },
    ],
    "ImageProperties": {
        "Quality": {"Brightness": 61.2, "Sharpness": 46.0, "Contrast": 52.1},
        "DominantColors": [{"CSSColor": "gray", "SimplifiedColor": "grey", "PixelPercent": 58.1}],
    },
    "LabelModelVersion": "3.0",
}


def frame(tmp_path: Path, second: int, data: bytes = b"\xff\xd8jpeg\xff\xd9") -> Frame:
    path = tmp_path / f"{second}.jpg"
    path.write_bytes(data)
    return Frame(second=second, jpeg_path=str(path))  # Rekognition reads the JPEG only: no pixels


def test_rekognition_analyser_asks_for_vehicles_with_colours_and_maps_instances(tmp_path: Path) -> None:
    client = boto3.client("rekognition", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    sampled = [frame(tmp_path, 0), frame(tmp_path, 1, b"\xff\xd8moving\xff\xd9"), frame(tmp_path, 2)]
    with Stubber(client) as stub:
        stub.add_response(
            "detect_labels",
            RESPONSE,
            {
                "Image": {"Bytes": b"\xff\xd8moving\xff\xd9"},
                "MaxLabels": 50,
                "MinConfidence": 60.0,
                "Features": ["GENERAL_LABELS", "IMAGE_PROPERTIES"],
                "Settings": {
                    "GeneralLabels": {"LabelInclusionFilters": list(LABEL_TYPES)},
                    "ImageProperties": {"MaxDominantColors": 3},
                },
            },
        )
        # Only the moving frame is sent (one call); the stub fails on any other call
        out = RekognitionAnalyser(client).analyse(sampled, moving={1})
        stub.assert_no_pending_responses()
    dets = out[1]
    assert set(out) == {1}
    assert [(d.type, d.color) for d in dets] == [("carro", "vermelho"), ("carro", "branco"), ("caminhonete", "preto")]
    assert dets[0].bbox == {"left": 0.12, "top": 0.51, "width": 0.31, "height": 0.22}
    assert dets[0].confidence == pytest.approx(0.9871)


@pytest.mark.parametrize(
    ("rgb", "expected"),
    [
        ((200, 20, 20), "vermelho"),
        ((20, 40, 200), "azul"),
        ((30, 160, 40), "verde"),
        ((230, 210, 30), "amarelo"),
        ((240, 240, 240), "branco"),
        ((15, 15, 15), "preto"),
        ((110, 110, 110), "cinza"),
        ((170, 172, 175), "prata"),
        ((120, 70, 30), "marrom"),
        ((240, 130, 20), "laranja"),
    ],
)
def test_local_dominant_colour(rgb: tuple[int, int, int], expected: str) -> None:
    pixels = np.tile(np.array(rgb, np.uint8), (500, 1))
    noise = np.random.default_rng(7).integers(-8, 9, pixels.shape)
    color, share = local_analyser.dominant_color(np.clip(pixels + noise, 0, 255).astype(np.uint8))
    assert color == expected
    assert share > 0.8


def test_local_type_by_size() -> None:
    assert local_analyser.vehicle_type(96, 48, 640, 360) == "carro"
    assert local_analyser.vehicle_type(30, 45, 640, 360) == "moto"
    assert local_analyser.vehicle_type(400, 200, 640, 360) == "caminhao"
    assert local_analyser.vehicle_type(20, 60, 640, 360) == "outro"


def test_changed_pixels_counts_grid_pixels_where_any_channel_moved_past_the_threshold() -> None:
    diff = bytearray(frames.GRID_W * frames.GRID_H * 3)
    diff[0] = 31  # pixel 0, red channel: counts
    diff[3 * 7 + 1] = 200  # pixel 7, green: counts
    diff[3 * 500 + 2] = 255  # pixel 500, blue: counts
    diff[3 * 900 : 3 * 900 + 3] = bytes([90, 90, 90])  # pixel 900, all three: counts once
    diff[3 * 1000 + 1] = frames.DIFF  # at the threshold: does not count
    diff[-1] = 40  # the last pixel's blue: counts
    assert frames.changed_pixels(bytes(diff)) == 5
    assert frames.changed_pixels(bytes(len(diff))) == 0


def _crossing(path: Path) -> Path:
    """12 s grey scene; a red 96×48 box crosses it between 00:04 and 00:08."""
    ffmpeg.run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "color=c=0x808080:s=640x360:r=5:d=12",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=96x48:r=5",
            "-filter_complex",
            "[0][1]overlay=x='-96+(t-4)*146':y=150:enable='between(t,4,8)':shortest=1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "10",
            "-pix_fmt",
            "yuv420p",
            "-y",
            str(path),
        ],
        timeout=120,
    )
    return path


def test_motion_filter_matches_the_numpy_frame_difference_and_the_local_analyser_finds_the_red_box(
    tmp_path: Path,
) -> None:
    sampled = frames.extract(str(_crossing(tmp_path / "red.mp4")), str(tmp_path), 120)
    assert len(sampled) == 12
    moving = frames.moving_seconds(sampled)
    assert moving == {4, 5, 6, 7, 8}  # on screen 4..7 s, gone at 8 s; still before and after

    # The same decision the analyser made with numpy before (1/4 grid of the RGB frames, max channel difference
    # > 30 in at least 12 grid pixels, the first frame against the second) agrees on this recording.
    grids = [local_analyser.frame_pixels(f)[::4, ::4].astype(np.int16) for f in sampled]
    reference = {
        f.second
        for i, f in enumerate(sampled)
        if int((np.abs(grids[i] - grids[i - 1 if i else 1]).max(axis=2) > 30).sum()) >= 12
    }
    assert moving == reference

    found = local_analyser.LocalAnalyser().analyse(sampled, moving)
    red = {s for s, dets in found.items() if any(d.color == "vermelho" for d in dets)}
    assert red and red <= {4, 5, 6, 7}, found
    assert set(found) <= moving


def test_extraction_for_rekognition_writes_no_raw_pixels(tmp_path: Path) -> None:
    sampled = frames.extract(str(_crossing(tmp_path / "red.mp4")), str(tmp_path), 120, pixels=False)
    assert [f.second for f in sampled] == list(range(12))
    assert all(f.pixels is None and f.jpeg()[:2] == b"\xff\xd8" for f in sampled)
    assert not (tmp_path / "frames.rgb").exists()
    assert frames.moving_seconds(sampled) == {4, 5, 6, 7, 8}

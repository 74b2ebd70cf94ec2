"""Automatic redaction measured on a real picture: frames built from `skimage.data.astronaut()` moving over a
background, exported through RedactionFunction (run from source by the local runtime's poller)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import astronaut_clip as ac
import pytest
from evidence_support import Workers, fetch, iso, register, scratch, workers
from utils import World

from gtvision.redaction import detect, video

__all__ = ["scratch", "workers"]
FRAMES = 50


@pytest.fixture(scope="module")
def astronaut(tmp_path_factory: pytest.TempPathFactory) -> tuple[ac.Clip, str]:
    clip = ac.build(FRAMES)
    return clip, ac.encode(clip, str(tmp_path_factory.mktemp("astro") / "seg.mp4"))


class OnlyAt:
    """A detector that 'finds' one box in one frame only (to see where smoothing blurs)."""

    def __init__(self, frame: int, box: detect.Box) -> None:
        self.frame, self.box, self.seen = frame, box, 0

    def detect(self, frame: Any) -> list[detect.Box]:
        self.seen += 1
        return [self.box] if self.seen - 1 == self.frame else []


def test_a_detection_in_frame_n_is_blurred_in_frames_n_minus_2_to_n_plus_2(
    astronaut: tuple[ac.Clip, str], tmp_path: Path
) -> None:
    clip, source = astronaut
    box = detect.Box(150, 60, 60, 60)
    plain, blurred = str(tmp_path / "plain.mp4"), str(tmp_path / "blurred.mp4")
    video.redact(source, plain, detect.Detector(False, False), 120)
    stats = video.redact(source, blurred, OnlyAt(30, box), 120, detect_every=1)  # type: ignore[arg-type]
    assert stats.frames == FRAMES and stats.frames_with_detections == 1
    region = (box.x, box.y, box.x + box.w, box.y + box.h)
    changed = [
        n
        for n, (a, b) in enumerate(zip(ac.decode(plain), ac.decode(blurred), strict=True))
        if ac.sharpness(b, region) < 0.5 * ac.sharpness(a, region)
    ]
    assert changed == [28, 29, 30, 31, 32]


def test_an_export_with_face_redaction_blurs_the_face_and_leaves_other_frames_alone(
    world: World, astronaut: tuple[ac.Clip, str], workers: Workers, tmp_path: Path
) -> None:
    # Given a camera that recorded the astronaut clip an hour ago, and a case
    clip, source = astronaut
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    camera = world.camera()
    register(camera, [source], start, FRAMES / ac.FPS)
    r = world.api.call("POST", "/v1/cases", {"title": "Titular LGPD", "category": "lgpd_titular"}, world.manager_a)
    case_id = r.json()["id"]
    # When the whole recording is exported with faces redacted
    body = {
        "camera_ids": [camera["id"]],
        "start": iso(start),
        "end": iso(start + timedelta(seconds=FRAMES / ac.FPS)),
        "redact": {"faces": True},
    }
    r = world.api.call("POST", f"/v1/cases/{case_id}/exports", body, world.manager_a)
    assert r.status == 202, r.text
    path = f"/v1/cases/{case_id}/exports/{r.json()['id']}"
    workers.run_until(
        lambda: world.api.call("GET", path, token=world.manager_a).json()["status"] in ("ready", "failed"),
        timeout_s=240,
    )
    out = world.api.call("GET", path, token=world.manager_a).json()
    assert out["status"] == "ready", out["error"]
    with zipfile.ZipFile(io.BytesIO(fetch(out["package_url"]))) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".mp4")]
        exported = tmp_path / "export.mp4"
        exported.write_bytes(zf.read(name))
        manifest = zf.read("manifest.json").decode()
    assert '"faces": true' in manifest and '"frames_with_detections"' in manifest
    redacted, original = ac.decode(str(exported)), ac.decode(source)
    assert len(redacted) == len(original) == FRAMES

    # Then in ≥ 95 % of the frames showing the face, its detail falls below 20 % of the original's
    with_face = [n for n, box in enumerate(clip.faces) if box is not None]
    ratios = [ac.sharpness(redacted[n], clip.faces[n]) / ac.sharpness(original[n], clip.faces[n]) for n in with_face]
    assert sum(r < 0.2 for r in ratios) >= 0.95 * len(with_face), sorted(ratios)[-5:]

    # And a frame without faces is unchanged against a plain re-encode (PSNR ≥ 40 dB)
    plain = tmp_path / "plain.mp4"
    video.redact(source, str(plain), detect.Detector(False, False), 120)
    reencoded = ac.decode(str(plain))
    for n in range(ac.EMPTY_FRAMES - 3):
        assert ac.psnr(redacted[n], reencoded[n]) >= 40, n

"""A real picture moving over a background: frames built from `skimage.data.astronaut()` (a public-domain photo
bundled with scikit-image), for the redaction tests and the redaction benchmark."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from gtvision.media.ffmpeg import run_ffmpeg

WIDTH, HEIGHT, FPS = 384, 216, 25
SIZE = 176  # the photo's side in the frame
#: Eileen Collins' face in the 512×512 photo (x, y, w, h): what must be unrecognisable.
FACE_512 = (177, 67, 93, 93)
#: Frames before the photo enters (nothing to redact in them).
EMPTY_FRAMES = 15
TOP = 20


@dataclass(frozen=True)
class Clip:
    frames: list[npt.NDArray[np.uint8]]
    #: The face box (x0, y0, x1, y1) in each frame, None where the photo is absent.
    faces: list[tuple[int, int, int, int] | None]


def background() -> npt.NDArray[np.uint8]:
    """A street-grey gradient with gentle texture (no face in it)."""
    x = np.linspace(60, 150, WIDTH, dtype=np.float32)[None, :]
    y = np.linspace(0, 30, HEIGHT, dtype=np.float32)[:, None]
    texture = np.random.default_rng(7).normal(0, 4, (HEIGHT, WIDTH)).astype(np.float32)
    grey = np.clip(x + y + texture, 0, 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def build(frames: int = 75, step: int = 3) -> Clip:
    """`frames` BGR frames: the background alone, then the photo moving right by `step` pixels a frame."""
    from skimage import data

    photo = cv2.resize(data.astronaut()[:, :, ::-1], (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    scale = SIZE / 512
    fx, fy, fw, fh = (round(v * scale) for v in FACE_512)
    base = background()
    out: list[npt.NDArray[np.uint8]] = []
    faces: list[tuple[int, int, int, int] | None] = []
    for n in range(frames):
        frame = base.copy()
        if n < EMPTY_FRAMES:
            faces.append(None)
        else:
            left = 10 + (step * (n - EMPTY_FRAMES)) % (WIDTH - SIZE - 20)  # back to the left edge when it gets there
            frame[TOP : TOP + SIZE, left : left + SIZE] = photo
            faces.append((left + fx, TOP + fy, left + fx + fw, TOP + fy + fh))
        out.append(frame)
    return Clip(out, faces)


def encode(clip: Clip, path: str, fragmented: bool = True) -> str:
    """The frames as an H.264 MP4 (fragmented like MediaMTX records: one keyframe a second)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "frames.bgr")
        with open(raw, "wb") as fh:
            for frame in clip.frames:
                fh.write(frame.tobytes())
        flags = ["-movflags", "+frag_keyframe+empty_moov+default_base_moof"] if fragmented else []
        run_ffmpeg(
            [
                "-y",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "bgr24",
                "-s",
                f"{WIDTH}x{HEIGHT}",
                "-r",
                str(FPS),
                "-i",
                raw,
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "16",
                "-pix_fmt",
                "yuv420p",
                "-g",
                str(FPS),
                "-bf",
                "0",
                *flags,
                "-f",
                "mp4",
                path,
            ],
            120,
        )
    return path


def decode(path: str) -> list[npt.NDArray[np.uint8]]:
    """A video's frames, BGR."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "out.bgr")
        run_ffmpeg(["-y", "-i", path, "-f", "rawvideo", "-pix_fmt", "bgr24", raw], 120)
        data = np.fromfile(raw, dtype=np.uint8)
    return list(data.reshape(-1, HEIGHT, WIDTH, 3))


def sharpness(frame: npt.NDArray[np.uint8], box: tuple[int, int, int, int]) -> float:
    """Laplacian variance of a frame's grey region (x0, y0, x1, y1): how much detail it holds."""
    x0, y0, x1, y1 = box
    grey = cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def psnr(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * float(np.log10(255.0**2 / mse))

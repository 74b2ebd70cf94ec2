"""Redact a video: decode every frame, blur the faces/plates found, encode again (in one ffmpeg pair).

Temporal smoothing: a box found in frame n is blurred in frames n−2 … n+2, so a detector that misses a face
for a frame or two leaves nothing visible; frames wait two frames for that look-ahead. The detector runs on
every `DETECT_EVERY`-th frame (2): with that smoothing every frame between two detections is still covered,
for half the detection cost (the cost of redaction; docs/benchmarks.md). Whatever else the export burns in
(privacy masks, the timestamp) is applied by the encoder's filter graph, in the same pass.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

import numpy as np

from gtvision.media import isobmff
from gtvision.media.ffmpeg import FILE_PROTOCOLS, MediaError, MediaInterrupted, ffmpeg_exe
from gtvision.redaction.detect import Box, Detector, Frame, blur

#: Frames before and after a detection that are blurred too.
SMOOTH = 2
#: Detect on one frame in this many (≤ SMOOTH: the frames between are covered by the smoothing).
DETECT_EVERY = 2
#: Box margin, as a fraction of the box's size on each side.
MARGIN = 0.25
ENCODE_ARGS = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p"]


@dataclass
class Stats:
    """What redaction did: frames seen, frames with a detection, boxes found and the seconds it took."""

    frames: int = 0
    frames_with_detections: int = 0
    faces: int = 0
    plates: int = 0
    seconds: float = 0.0
    per_frame: list[list[Box]] = field(default_factory=list)

    def summary(self) -> dict[str, float | int]:
        return {
            "frames": self.frames,
            "frames_with_detections": self.frames_with_detections,
            "faces": self.faces,
            "plates": self.plates,
            "seconds": round(self.seconds, 3),
        }


def frame_rate(path: str, timeout: float) -> tuple[int, int, float]:
    """(width, height, frames per second) of an MP4."""
    info = isobmff.probe(path, timeout)
    if not info.frame_count or not info.duration_s:
        raise MediaError("vídeo sem quadros para redigir")
    return info.width, info.height, round(info.frame_count / info.duration_s, 3)


def redact(
    src: str,
    dst: str,
    detector: Detector,
    timeout: float,
    *,
    extra_inputs: list[str] | None = None,
    graph: Callable[[str, str], str] | None = None,
    keep_boxes: bool = False,
    detect_every: int = DETECT_EVERY,
) -> Stats:
    """Write `src` to `dst` (H.264 MP4) with every detection blurred; `graph(src_label, dst_label)` adds the
    encoder's filters (masks: `extra_inputs` are its inputs after the frames, which are input 0)."""
    width, height, fps = frame_rate(src, timeout)
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    size = width * height * 3
    ff = ffmpeg_exe()
    filters = ["-filter_complex", graph("0:v", "out"), "-map", "[out]"] if graph else ["-map", "0:v"]
    with tempfile.TemporaryFile() as dec_err, tempfile.TemporaryFile() as enc_err:
        decoder = subprocess.Popen(  # noqa: S603 - an argument list, never a shell
            [
                ff,
                "-hide_banner",
                "-nostdin",
                "-protocol_whitelist",
                FILE_PROTOCOLS,
                "-i",
                src,
                "-map",
                "0:v:0",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "bgr24",
                "-",
            ],
            stdout=subprocess.PIPE,
            stderr=dec_err,
        )
        encoder = subprocess.Popen(  # noqa: S603
            [
                ff,
                "-hide_banner",
                "-nostdin",
                "-y",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "bgr24",
                "-s",
                f"{width}x{height}",
                "-r",
                f"{fps:g}",
                "-i",
                "-",
                *(extra_inputs or []),
                *filters,
                *ENCODE_ARGS,
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                dst,
            ],
            stdin=subprocess.PIPE,
            stderr=enc_err,
        )
        assert decoder.stdout is not None and encoder.stdin is not None
        stats = Stats()
        boxes: dict[int, list[Box]] = {}  # frame index → its boxes, for the last 2·SMOOTH+1 frames
        pending: deque[tuple[int, Frame]] = deque()  # decoded, waiting for their look-ahead
        try:
            while True:
                if time.monotonic() > deadline:
                    raise MediaInterrupted("tempo limite da redação esgotado")
                raw = decoder.stdout.read(size)
                if len(raw) < size:
                    break
                index = stats.frames
                frame = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3).copy()
                boxes[index] = detector.detect(frame) if index % detect_every == 0 else []
                _count(stats, boxes[index], keep_boxes)
                pending.append((index, frame))
                if len(pending) > SMOOTH:
                    _emit(*pending.popleft(), boxes, encoder.stdin)
                boxes.pop(index - 2 * SMOOTH - 1, None)
            while pending:
                _emit(*pending.popleft(), boxes, encoder.stdin)
            encoder.stdin.close()
            enc_rc = encoder.wait(max(1.0, deadline - time.monotonic()))
            dec_rc = decoder.wait(max(1.0, deadline - time.monotonic()))
        except (subprocess.TimeoutExpired, BrokenPipeError) as exc:
            raise MediaInterrupted(f"ffmpeg interrompido durante a redação: {type(exc).__name__}") from exc
        finally:
            for proc in (decoder, encoder):
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        if dec_rc != 0 or enc_rc != 0 or stats.frames == 0:
            enc_err.seek(0)
            dec_err.seek(0)
            tail = (dec_err.read() + enc_err.read()).decode(errors="replace").strip()[-600:]
            raise MediaError(f"redação falhou: {tail or 'nenhum quadro decodificado'}")
    stats.seconds = time.monotonic() - started
    if not os.path.getsize(dst):
        raise MediaError("redação não produziu vídeo")
    return stats


def _count(stats: Stats, boxes: list[Box], keep: bool) -> None:
    stats.frames += 1
    stats.frames_with_detections += bool(boxes)
    stats.faces += sum(b.kind == "face" for b in boxes)
    stats.plates += sum(b.kind == "plate" for b in boxes)
    if keep:
        stats.per_frame.append(boxes)


def _emit(index: int, frame: Frame, boxes: dict[int, list[Box]], sink: IO[bytes]) -> None:
    """Blur frame `index` with every box found within SMOOTH frames of it, and write it to the encoder."""
    nearby = [b for k in range(index - SMOOTH, index + SMOOTH + 1) for b in boxes.get(k, [])]
    if nearby:
        blur(frame, nearby, MARGIN)
    sink.write(frame.tobytes())

"""ffmpeg, the one media tool: discovery, a safe process runner (protocol whitelist per input),
thumbnails, the first presentation timestamp, and a stream-copy probe for MPEG-TS.

There is no ffprobe in the Lambda layer nor in imageio-ffmpeg; MP4 files are probed by the box
walker in :mod:`gtvision.media.isobmff` instead (:func:`gtvision.media.isobmff.probe` picks the reader).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import subprocess
from collections.abc import Sequence
from typing import Literal

from gtvision.core.errors import BadInput, ResourceExhausted, TransientError
from gtvision.core.observability import redact
from gtvision.core.rows import rowtype

FILE_PROTOCOLS = "file,http,https,tcp,tls,crypto"
LIVE_PROTOCOLS = FILE_PROTOCOLS + ",rtsp,rtsps,rtmp,rtmps,udp,rtp,srtp"
_FILE_SCHEMES = {"file", "http", "https"}
_LIVE_SCHEMES = _FILE_SCHEMES | {"rtsp", "rtsps", "rtmp", "rtmps", "udp", "rtp", "srt"}
LAYER_FFMPEG = "/opt/bin/ffmpeg"
_STDERR_TAIL = 1500


class MediaError(BadInput):
    """Media that cannot be read, or an ffmpeg run that failed or timed out."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def retold(self, message: str) -> MediaError:
        """The same error (same class, same errno) told in other words (e.g. keys instead of scratch paths)."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.message, clone.args = message, (message,)
        return clone


class MediaInterrupted(MediaError, TransientError):
    """ffmpeg did not finish (timed out, killed by a signal, could not start): says nothing about the media."""


class MediaResourceError(MediaInterrupted, ResourceExhausted):
    """ffmpeg ran out of something of this machine (scratch space, a writable scratch, file handles, memory):
    says nothing about the media, retried after minutes."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        #: The errno that ran out (ENOSPC, EROFS, EMFILE, ENFILE, ENOMEM, EDQUOT).
        self.errno = code


#: What a resource error is called, for people (pt-BR).
RESOURCE_REASONS = {
    errno.ENOSPC: "sem espaço temporário",
    errno.EDQUOT: "sem cota de espaço temporário",
    errno.EROFS: "sem armazenamento temporário gravável",
    errno.EMFILE: "sem descritores de arquivo livres",
    errno.ENFILE: "sem descritores de arquivo livres no sistema",
    errno.ENOMEM: "sem memória suficiente",
}


def resource_reason(exc: BaseException) -> str | None:
    """What ran out, for people (pt-BR), when `exc` is a resource error of ffmpeg or of Python's own I/O."""
    code = getattr(exc, "errno", None)
    if isinstance(exc, MemoryError):
        code = errno.ENOMEM
    return (
        RESOURCE_REASONS.get(code)
        if isinstance(code, int) and isinstance(exc, OSError | MediaResourceError | MemoryError)
        else None
    )


def resource_errno(returncode: int, stderr: str) -> int | None:
    """The errno of a resource failure in an ffmpeg run, if it was one: ffmpeg exits with the AVERROR's low
    byte (ENOSPC → 228) or prints the C library's message ("No space left on device"). A demuxer refusing
    bad bytes prints neither."""
    for code in RESOURCE_REASONS:
        if returncode == 256 - code or os.strerror(code) in stderr:
            return code
    return None


def ffmpeg_exe() -> str:
    """The ffmpeg binary: env GTV_FFMPEG, else the FFmpeg Lambda layer, else imageio-ffmpeg's."""
    configured = os.environ.get("GTV_FFMPEG")
    if configured:
        return configured
    if os.path.exists(LAYER_FFMPEG):
        return LAYER_FFMPEG
    import imageio_ffmpeg  # imported late: not shipped in the Lambda layer, where /opt/bin/ffmpeg exists

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _with_whitelist(args: Sequence[str], protocols: str) -> list[str]:
    """Give every `-i` input a `-protocol_whitelist` unless the caller set one for that input."""
    out: list[str] = []
    has_whitelist = False
    for arg in args:
        if arg == "-protocol_whitelist":
            has_whitelist = True
        if arg == "-i":
            if not has_whitelist:
                out += ["-protocol_whitelist", protocols]
            has_whitelist = False
        out.append(arg)
    return out


def _check_input_schemes(args: Sequence[str], live: bool) -> None:
    """The rtsp/rtmp demuxers open tcp themselves, past the protocol whitelist: refuse them by scheme too."""
    allowed = _LIVE_SCHEMES if live else _FILE_SCHEMES
    for flag, value in zip(args, args[1:], strict=False):
        if flag == "-i" and "://" in value and value.split("://", 1)[0].lower() not in allowed:
            raise MediaError(f"entrada não permitida: esquema '{value.split('://', 1)[0]}'")


def _tail(text: str) -> str:
    return redact(text.strip()[-_STDERR_TAIL:])


def _command(args: Sequence[str], live: bool) -> list[str]:
    _check_input_schemes(args, live)
    return [
        ffmpeg_exe(),
        "-nostdin",
        "-hide_banner",
        *_with_whitelist(args, LIVE_PROTOCOLS if live else FILE_PROTOCOLS),
    ]


def _check(returncode: int, stderr: str) -> None:
    """Raise for a failed run: interrupted (a signal), a resource error of this machine, or the media's fault."""
    if returncode < 0:  # killed by a signal (OOM killer, the host shutting down): not the media's fault
        raise MediaInterrupted(f"ffmpeg interrompido pelo sinal {-returncode}: {_tail(stderr)}")
    if returncode != 0:
        code = resource_errno(returncode, stderr)
        if code is not None:
            raise MediaResourceError(code, f"ffmpeg: {RESOURCE_REASONS[code]} (código {returncode}): {_tail(stderr)}")
        raise MediaError(f"ffmpeg falhou (código {returncode}): {_tail(stderr)}")


def run_ffmpeg(
    args: Sequence[str], timeout: float, cwd: str | None = None, *, live: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ffmpeg with an argument list and a timeout; raise `MediaError` with stderr's tail on failure.

    Every input gets a protocol whitelist (files and http(s) only; rtsp/udp/rtp only when `live`).
    """
    cmd = _command(args, live)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise MediaInterrupted(f"ffmpeg excedeu o tempo limite de {timeout:g} s: {_tail(stderr)}") from exc
    except OSError as exc:
        raise MediaInterrupted(f"ffmpeg não pôde ser executado: {exc}") from exc
    _check(proc.returncode, proc.stderr)
    return proc


@rowtype(slots=False)
class BytesRun:
    """An ffmpeg run whose stdout is data (raw frames), its stderr text."""

    stdout: bytes
    stderr: str


def run_ffmpeg_bytes(args: Sequence[str], timeout: float, stdin: bytes | None = None) -> BytesRun:
    """`run_ffmpeg` for a run that writes raw data to stdout (`pipe:1`), kept as bytes; `stdin` is fed to an
    input read from `pipe:0` (whose `-protocol_whitelist pipe` the caller sets)."""
    cmd = _command(args, False)
    try:
        proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        raise MediaInterrupted(f"ffmpeg excedeu o tempo limite de {timeout:g} s: {_tail(stderr)}") from exc
    except OSError as exc:
        raise MediaInterrupted(f"ffmpeg não pôde ser executado: {exc}") from exc
    stderr = proc.stderr.decode(errors="replace")
    _check(proc.returncode, stderr)
    return BytesRun(proc.stdout, stderr)


@rowtype(slots=False)
class MediaInfo:
    """What a recording or clip holds. `duration_s` is the presentation duration of its video track."""

    duration_s: float
    video_codec: str  # ffmpeg codec name: h264, hevc, av1...
    width: int
    height: int
    size_bytes: int
    container: Literal["mp4", "ts"]
    fragmented: bool = False
    frame_count: int | None = None
    keyframe_interval_s: float | None = None  # largest distance between two keyframes, when known
    #: Fragmented MP4: bytes from the start through the fragment holding the 3rd keyframe (what a decode of
    #: the first keyframes needs to read), when there are that many.
    first_keyframes_bytes: int | None = None


# ------------------------------------------------------------------------------------ MPEG-TS probe

_STREAM = re.compile(r"Stream #0:\d+\S*: Video: (\w+).*?, (\d{2,5})x(\d{2,5})")
_TIME = re.compile(r"time=\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_FRAMES = re.compile(r"frame=\s*(\d+)")


def probe_with_ffmpeg(path: str, timeout: float) -> MediaInfo:
    """MediaInfo from an ffmpeg stream-copy pass of the first video stream (used for MPEG-TS)."""
    proc = run_ffmpeg(["-i", path, "-map", "0:v:0", "-c", "copy", "-f", "null", "-"], timeout)
    return info_from_stats(proc.stderr, path)


def info_from_stats(stderr: str, path: str) -> MediaInfo:
    """MediaInfo from the stderr of a run whose first output is a stream copy of the first video stream."""
    stream = _STREAM.search(stderr)
    times = _TIME.findall(stderr)
    frames = _FRAMES.findall(stderr)
    if not stream or not times or not frames or int(frames[-1]) == 0:
        raise MediaError(f"mídia sem vídeo legível: {_tail(stderr)}")
    h, m, s = times[-1]
    frame_count = int(frames[-1])
    duration = int(h) * 3600 + int(m) * 60 + float(s)  # ffmpeg reports the end of the last frame
    return MediaInfo(
        duration_s=round(duration, 6),
        video_codec=stream.group(1),
        width=int(stream.group(2)),
        height=int(stream.group(3)),
        size_bytes=os.path.getsize(path),
        container="ts",
        frame_count=frame_count,
    )


_START = re.compile(r"Duration: [^,]+, start: (-?\d+(?:\.\d+)?)")


def start_time(src: str, timeout: float = 60) -> float:
    """The first presentation timestamp of a file, in seconds, as ffmpeg's demuxers see it."""
    proc = run_ffmpeg(["-i", src, "-map", "0:v:0", "-frames:v", "1", "-c", "copy", "-f", "null", "-"], timeout)
    return start_from(proc.stderr)


def start_from(stderr: str) -> float:
    """The first presentation timestamp ffmpeg's input dump shows ("Duration: …, start: 1.400000")."""
    match = _START.search(stderr)
    return float(match.group(1)) if match else 0.0


# ---------------------------------------------------------------------------------------- thumbnails


def thumbnail(src: str, dst: str, width: int = 160, height: int = 90, timeout: float = 30) -> None:
    """Write a `width`x`height` JPEG of the first decodable frame, letterboxed to keep the aspect ratio."""
    fit = (
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuvj420p"
    )
    run_ffmpeg(
        [
            "-y",
            "-i",
            src,
            "-map",
            "0:v:0",
            "-frames:v",
            "1",
            "-vf",
            fit,
            "-c:v",
            "mjpeg",
            "-q:v",
            "4",
            "-f",
            "image2",
            "-update",
            "1",
            dst,
        ],
        timeout,
    )
    if not os.path.exists(dst) or os.path.getsize(dst) == 0:
        raise MediaError("nenhum quadro decodificável para a miniatura")


def sha256_file(path: str) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

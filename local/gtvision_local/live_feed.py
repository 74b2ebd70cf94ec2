"""One live path's media for the built-in MediaMTX stand-in: a single ffmpeg encodes (or copies) the source
once and a tee writes both live outputs — an HLS playlist on disk and MPEG-TS on its stdout.

The MPEG-TS is demuxed here (PyAV, no decoding) into H.264 packets that are handed, as they arrive, to
every subscriber (the WHEP sessions, ``live_servers``), so a viewer costs a copy of packets, never an
encode. The same ffmpeg keeps running while the path is configured; if it dies (a camera drops) it is
started again with a growing delay, and the path is offline meanwhile.

Keyframes every second: HLS segments are one second long and a new WebRTC viewer waits at most a
second for the first picture it can decode.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from gtvision.core.observability import redact
from gtvision.media.ffmpeg import ffmpeg_exe

from .logs import log
from .recorder import input_args

#: A subscriber gets every demuxed packet (an ``av.Packet``), on the feed's reader thread: it must not block.
Subscriber = Callable[[Any], None]

_HLS_OPTIONS = "hls_time=1:hls_list_size=5:hls_flags=delete_segments+independent_segments+temp_file+program_date_time"
_ENCODE = [
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-tune",
    "zerolatency",
    "-profile:v",
    "baseline",
    "-pix_fmt",
    "yuv420p",
    "-bf",
    "0",
    "-force_key_frames",
    "expr:gte(t,n_forced*1)",
]
_MAX_BACKOFF_S = 30.0


def feed_args(source: str, hls_dir: Path) -> list[str]:
    """ffmpeg's arguments (without the binary): `source` once into HLS files in `hls_dir` and MPEG-TS on stdout."""
    inputs, encode = input_args(source)
    codec = _ENCODE if encode else ["-c:v", "copy"]
    tee = f"[f=hls:{_HLS_OPTIONS}]{hls_dir / 'index.m3u8'}|[f=mpegts]pipe:1"
    return ["-nostdin", "-hide_banner", "-loglevel", "error", *inputs, "-map", "0:v:0", *codec, "-f", "tee", tee]


class _CountingReader:
    """The pipe as PyAV reads it: whatever bytes are there now (``read1``), counted."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read1(size if size > 0 else 65536)  # type: ignore[attr-defined]
        self.count += len(data)
        return bytes(data)


class LiveFeed:
    """The live media of one path while it is configured: :meth:`start` once, :meth:`stop` when removed."""

    def __init__(self, name: str, source: str, *, work_dir: Path | None = None) -> None:
        self.name = name
        self.source = source
        self.hls_dir = Path(tempfile.mkdtemp(prefix="gtv-live-", dir=work_dir))
        self.online_since: datetime | None = None
        self.width: int | None = None
        self.height: int | None = None
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: _CountingReader | None = None
        self._bytes_before = 0  # bytes of earlier ffmpeg runs of this path (MediaMTX restarts the count, we don't)
        self._thread = threading.Thread(target=self._run, name=f"live-{name[:8]}", daemon=True)

    # ------------------------------------------------------------ state MediaMTX reports

    @property
    def online(self) -> bool:
        return self.online_since is not None

    @property
    def inbound_bytes(self) -> int:
        reader = self._reader
        return self._bytes_before + (reader.count if reader else 0)

    def hls_file(self, name: str) -> Path | None:
        """A file of the HLS output (`index.m3u8`, `index12.ts`), None when absent or not a plain name."""
        if not name or "/" in name or name.startswith(".") or not name.endswith((".m3u8", ".ts")):
            return None
        path = self.hls_dir / name
        return path if path.is_file() else None

    def wait_playlist(self, timeout_s: float) -> bool:
        """Until the playlist lists a segment (MediaMTX holds the first request until its muxer has one)."""
        deadline = time.monotonic() + timeout_s
        while not self._stop.is_set():
            playlist = self.hls_file("index.m3u8")
            if playlist is not None and ".ts" in playlist.read_text(errors="replace"):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return False

    # ------------------------------------------------------------ subscribers

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Receive every packet from now on; returns the call that ends it."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    # ------------------------------------------------------------ lifecycle

    def start(self) -> LiveFeed:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
        if self._thread.is_alive():
            self._thread.join(timeout)
        shutil.rmtree(self.hls_dir, ignore_errors=True)

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            started = time.monotonic()
            error = self._run_once()
            self.online_since = None
            if self._stop.is_set():
                return
            if time.monotonic() - started > 60:
                backoff = 1.0  # it ran for a while: a fresh drop, not a source that never comes up
            log.warning("live %s: ffmpeg stopped (%s); again in %.0f s", self.name, error or "end of stream", backoff)
            self._stop.wait(backoff)
            backoff = min(_MAX_BACKOFF_S, backoff * 2)

    def _run_once(self) -> str | None:
        """One ffmpeg run, its packets fanned out until it ends; the tail of its errors, if any."""
        import av

        for stale in self.hls_dir.iterdir():  # a restart begins a new playlist
            stale.unlink(missing_ok=True)
        proc = subprocess.Popen(
            [ffmpeg_exe(), *feed_args(self.source, self.hls_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._proc = proc
        assert proc.stdout is not None and proc.stderr is not None
        stderr = proc.stderr
        tail: list[bytes] = []
        threading.Thread(target=lambda: tail.extend(stderr), daemon=True).start()
        if self._reader is not None:
            self._bytes_before += self._reader.count
        self._reader = reader = _CountingReader(proc.stdout)
        try:
            # A small probe: the first packets are handed on at once instead of after seconds of analysis.
            with av.open(
                reader, mode="r", format="mpegts", options={"probesize": "32768", "analyzeduration": "0"}
            ) as container:
                stream = container.streams.video[0]
                for packet in container.demux(stream):
                    if packet.size == 0:
                        continue
                    if self.online_since is None:
                        self.online_since = datetime.now(UTC)
                        self.width = stream.codec_context.width or None
                        self.height = stream.codec_context.height or None
                    with self._lock:
                        subscribers = list(self._subscribers)
                    for deliver in subscribers:
                        deliver(packet)
        except (av.FFmpegError, IndexError, OSError) as exc:
            if not self._stop.is_set():
                tail.append(f"{type(exc).__name__}: {exc}".encode())
        finally:
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return redact(b"".join(tail).decode(errors="replace").strip()[-500:]) or None

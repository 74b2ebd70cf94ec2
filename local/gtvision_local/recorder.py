"""``gtvision local recorder``: record any source ffmpeg reads into contract segments in the recordings bucket.

For machines without MediaMTX. ffmpeg cuts the source into fixed-length MPEG-TS segments without
re-encoding (``-f segment -c copy``; a ``lavfi:`` test pattern is the exception: raw frames must be
encoded). ffmpeg lists a segment in its ``-segment_list`` CSV only once the file is closed, so a
segment is renamed to its contract key and uploaded only after it appears there — a partial file is
never uploaded. Uploads that fail are retried with exponential backoff; on Ctrl-C ffmpeg closes the
current segment, the recorder uploads what is finished and exits.

Segment start times are wall-clock UTC: ffmpeg's progress reports give the offset between the wall
clock and the output timeline (the smallest one seen is the least delayed estimate), and each
segment starts at that offset plus its own start on the output timeline.

MPEG-TS rather than MP4: TS segments are HLS segments as they are (no init section), still readable
when cut short, and ffmpeg and hls.js play them across timestamp resets (docs/adr/0005-segment-index.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from gtvision.core import aws
from gtvision.core.observability import redact
from gtvision.core.settings import get_settings
from gtvision.media.ffmpeg import FILE_PROTOCOLS, LIVE_PROTOCOLS, ffmpeg_exe

from .paths import repo_root, state_dir
from .ports import apply_port_base

DEFAULT_SEGMENT_SECONDS = 60
_IO_TIMEOUT_US = 10_000_000  # a silent source ends ffmpeg after 10 s instead of hanging forever
_MAX_BACKOFF_S = 60.0


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d_%H-%M-%S-%f")


def input_args(source: str, *, listen: bool = False, listen_timeout_s: int = 60) -> tuple[list[str], bool]:
    """(ffmpeg input arguments, whether the video must be encoded) for `source`.

    ``lavfi:<graph>`` is a test pattern (paced in real time, encoded); a local path or file:// URL is
    replayed in real time; rtsp(s) is pulled over TCP, or with `listen` received from an encoder that
    pushes to it (ffmpeg's ``-rtsp_flags listen``); anything else (http, rtmp...) is read as given.
    """
    # Real-time pacing without ffmpeg's initial burst: the output timeline then tracks the wall clock.
    paced = ["-re", "-readrate_initial_burst", "0"]
    if source.startswith("lavfi:"):
        return [*paced, "-f", "lavfi", "-i", source[len("lavfi:") :]], True
    scheme = source.split("://", 1)[0].lower() if "://" in source else "file"
    if scheme == "file":
        return ["-protocol_whitelist", FILE_PROTOCOLS, *paced, "-i", source], False
    args = ["-protocol_whitelist", LIVE_PROTOCOLS]
    if scheme in ("rtsp", "rtsps"):
        if listen:
            args += ["-rtsp_flags", "listen", "-listen_timeout", str(listen_timeout_s)]
        else:
            args += ["-rtsp_transport", "tcp", "-timeout", str(_IO_TIMEOUT_US)]
    else:
        args += ["-rw_timeout", str(_IO_TIMEOUT_US)]
    return [*args, "-i", source], False


def ffmpeg_args(source: str, segment_seconds: float, work_dir: Path, *, listen: bool = False) -> list[str]:
    """The whole ffmpeg command line (without the binary) of a recording into `work_dir`."""
    inputs, encode = input_args(source, listen=listen)
    if encode:
        # Keyframes exactly at segment boundaries so every segment is cut where it should be.
        # A 2 s GOP as IP cameras typically use, so fast clips overshoot by at most ~2 s.
        codec = ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", "50",
                 "-force_key_frames", f"expr:gte(t,n_forced*{segment_seconds:g})"]  # fmt: skip
    else:
        codec = ["-c", "copy"]
    return [
        "-nostdin", "-hide_banner", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
        *inputs,
        "-map", "0:v:0", "-map", "0:a:0?", *codec,
        "-f", "segment", "-segment_time", f"{segment_seconds:g}", "-segment_format", "mpegts",
        "-reset_timestamps", "1",
        "-segment_list", str(work_dir / "segments.csv"), "-segment_list_type", "csv",
        str(work_dir / "part-%06d.ts"),
    ]  # fmt: skip


@dataclass
class _Pending:
    path: Path
    key: str
    attempts: int = 0
    next_try: float = 0.0


@dataclass
class RecorderResult:
    """What a recording run did: keys uploaded, files left unuploaded, ffmpeg's exit code."""

    uploaded: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    returncode: int | None = None
    error: str | None = None


class Recorder:
    """One camera's recording: ffmpeg in the background, uploads in the foreground loop."""

    def __init__(
        self,
        camera_id: str,
        source: str,
        *,
        segment_seconds: float = DEFAULT_SEGMENT_SECONDS,
        bucket: str | None = None,
        s3: Any = None,
        work_dir: str | None = None,
        listen: bool = False,
        out: IO[str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.camera_id = camera_id
        self.source = source
        self.segment_seconds = segment_seconds
        self.bucket = bucket or get_settings().recordings_bucket
        self.s3 = s3 or aws.client("s3")
        self._own_dir = work_dir is None
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="gtv-recorder-"))
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.listen = listen
        self.out = out or sys.stderr
        self.clock = clock
        self.result = RecorderResult()
        self._pending: list[_Pending] = []
        self._listed = 0
        self._zero: datetime | None = None  # wall clock at output time 0: the smallest (least delayed) estimate
        self._progress: dict[str, str] = {}
        self._uploaded_bytes = 0
        self._lock = threading.Lock()
        self._last_status = time.monotonic()  # first status line once there is something to say

    # ------------------------------------------------------------ output

    def _say(self, line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} recorder {redact(line)}", file=self.out, flush=True)

    def _status(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_status < 10:
            return
        self._last_status = now
        with self._lock:
            p = dict(self._progress)
        out_us = p.get("out_time_us", "")
        seconds = int(out_us) // 1_000_000 if out_us.isdigit() else 0
        self._say(
            f"gravando {timedelta(seconds=seconds)} · {p.get('fps', '?')} fps · {p.get('speed', '?').strip()}"
            f" · {len(self.result.uploaded)} enviados · {len(self._pending)} pendentes"
        )

    # ------------------------------------------------------------ ffmpeg

    def _read_progress(self, stream: IO[str]) -> None:
        """ffmpeg's `-progress` blocks (key=value lines ending with `progress=`): remember the latest."""
        block: dict[str, str] = {}
        for line in stream:
            key, _, value = line.strip().partition("=")
            block[key] = value
            if key != "progress":
                continue
            out_us = block.get("out_time_us", "")
            with self._lock:
                if out_us.isdigit() and int(out_us) > 0:
                    zero = self.clock() - timedelta(microseconds=int(out_us))
                    if self._zero is None or zero < self._zero:
                        self._zero = zero
                self._progress = block
            block = {}

    def bytes_written(self) -> int:
        """Bytes recorded so far (uploaded + still on disk): the demo MediaMTX's inbound byte counter.

        ffmpeg's `-progress` says `total_size=N/A` with the segment muxer, so the files are counted."""
        on_disk = 0
        for f in self.work_dir.glob("*.ts"):
            try:
                on_disk += f.stat().st_size
            except OSError:  # uploaded and removed meanwhile (already in _uploaded_bytes)
                pass
        with self._lock:
            return self._uploaded_bytes + on_disk

    def _anchor(self) -> datetime:
        """Wall-clock time of the output timeline's zero (now, if ffmpeg has not reported progress yet)."""
        with self._lock:
            zero = self._zero
        return zero if zero is not None else self.clock()

    def _collect(self) -> None:
        """Turn newly listed (hence closed) segments into pending uploads under their contract key."""
        listing = self.work_dir / "segments.csv"
        if not listing.exists():
            return
        with listing.open(newline="") as fh:
            rows = [r for r in csv.reader(fh) if len(r) >= 3]
        for name, start_s, end_s in (r[:3] for r in rows[self._listed :]):
            self._listed += 1
            part = self.work_dir / name
            if not part.exists() or part.stat().st_size == 0:
                continue
            start = self._anchor() + timedelta(seconds=float(start_s))
            key = f"recordings/{self.camera_id}/{_stamp(start)}.ts"
            ready = self.work_dir / f"{_stamp(start)}.ts"
            os.replace(part, ready)
            self._pending.append(_Pending(ready, key))
            self._say(f"segmento pronto {ready.name} ({float(end_s) - float(start_s):.1f} s)")

    def _upload_due(self, final: bool = False) -> None:
        now = time.monotonic()
        for item in list(self._pending):
            if item.next_try > now and not final:
                continue
            try:
                # One PUT (segments are MBs): no transfer thread pool, so it also works while Python exits.
                with item.path.open("rb") as body:
                    self.s3.put_object(Bucket=self.bucket, Key=item.key, Body=body, ContentType="video/mp2t")
            except Exception as exc:  # noqa: BLE001 - any failure is retried; the file stays on disk
                item.attempts += 1
                delay = min(_MAX_BACKOFF_S, 2.0 ** (item.attempts - 1))
                item.next_try = now + delay
                self._say(f"falha ao enviar {item.key} (tentativa {item.attempts}, nova em {delay:.0f} s): {exc}")
                continue
            self._pending.remove(item)
            with self._lock:  # counted before the file goes, so bytes_written() never goes down
                self._uploaded_bytes += item.path.stat().st_size
            item.path.unlink(missing_ok=True)
            self.result.uploaded.append(item.key)
            self._say(f"enviado s3://{self.bucket}/{item.key}")

    def run(self, stop: threading.Event | None = None, duration_s: float | None = None) -> RecorderResult:
        """Record until the source ends, `duration_s` passes or `stop` is set; returns what was done."""
        stop = stop or threading.Event()
        args = ffmpeg_args(self.source, self.segment_seconds, self.work_dir, listen=self.listen)
        if duration_s:
            args[-1:-1] = ["-t", f"{duration_s:g}"]
        # Own session: a terminal Ctrl-C reaches only us; we hand ffmpeg exactly one SIGINT.
        proc = subprocess.Popen(
            [ffmpeg_exe(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            errors="replace", start_new_session=True,
        )  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        stderr = proc.stderr  # a local keeps the narrowing inside the lambda below
        stderr_tail: list[str] = []
        threads = [
            threading.Thread(target=self._read_progress, args=(proc.stdout,), daemon=True),
            threading.Thread(target=lambda: stderr_tail.extend(stderr), daemon=True),
        ]
        for t in threads:
            t.start()
        self._say(f"gravando câmera {self.camera_id} em segmentos de {self.segment_seconds:g} s (Ctrl-C para parar)")
        interrupted = False
        while proc.poll() is None:
            if stop.wait(0.2) and not interrupted:
                interrupted = True
                self._say("parando: fechando o segmento atual…")
                proc.send_signal(signal.SIGINT)
            self._collect()
            self._upload_due()
            self._status()
            if interrupted and proc.poll() is None and stop.is_set():
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        for t in threads:
            t.join(timeout=5)
        self.result.returncode = proc.returncode
        if proc.returncode not in (0, 255) or (proc.returncode == 255 and not interrupted):
            tail = redact("".join(stderr_tail).strip()[-1000:])
            self.result.error = tail or f"ffmpeg saiu com código {proc.returncode}"
            self._say(f"ffmpeg terminou com erro: {self.result.error}")
        self._collect()
        self._flush()
        self.result.pending = [p.key for p in self._pending]
        self._status(force=True)
        if self._own_dir and not self._pending:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        elif self._pending:
            self._say(f"{len(self._pending)} segmento(s) não enviados ficaram em {self.work_dir}")
        return self.result

    def _flush(self, attempts: int = 4) -> None:
        """Last uploads before exiting: a few tries with backoff, then the files stay on disk."""
        for attempt in range(attempts):
            self._upload_due(final=True)
            if not self._pending:
                return
            time.sleep(min(_MAX_BACKOFF_S, 2.0**attempt))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gtvision local recorder",
        description="Grava uma fonte (RTSP, HTTP, arquivo, lavfi:...) em segmentos no bucket de gravações.",
    )
    parser.add_argument("--camera", required=True, help="id da câmera (UUID)")
    parser.add_argument("--source", required=True, help="URL/arquivo da fonte, ou lavfi:testsrc2=size=640x360:rate=15")
    parser.add_argument("--segment-seconds", type=float, default=DEFAULT_SEGMENT_SECONDS)
    parser.add_argument("--listen", action="store_true", help="RTSP: aguardar um codificador publicar nesta URL")
    parser.add_argument("--duration", type=float, default=None, help="parar após N segundos")
    parser.add_argument("--bucket", default=None, help="bucket (padrão: $RECORDINGS_BUCKET)")
    parser.add_argument("--work-dir", default=None, help="diretório dos segmentos antes do envio")
    return parser


def _point_at_local_stack() -> None:
    """Without AWS_ENDPOINT_URL, use the emulator of a running `gtvision local up` (if any); pointed at the local
    stack's emulator either way (that one, or any on this machine), sign with the stack's credentials unless
    others are exported — an operator's own AWS profile would be refused there."""
    state = state_dir(repo_root()) / "stack.json"
    running = json.loads(state.read_text()).get("endpoint_url") if state.exists() else None
    if not os.environ.get("AWS_ENDPOINT_URL") and running:
        os.environ["AWS_ENDPOINT_URL"] = running
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and (endpoint == running or urlsplit(endpoint).hostname in ("127.0.0.1", "localhost", "::1")):
        if not os.environ.get("AWS_ACCESS_KEY_ID"):
            os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"] = "test", "test"
        os.environ.setdefault("AWS_REGION", "us-east-1")


def main(argv: list[str] | None = None) -> int:
    import uuid

    args = _parser().parse_args(argv)
    try:
        camera_id = str(uuid.UUID(args.camera))
    except ValueError:
        print("--camera deve ser o UUID da câmera", file=sys.stderr)
        return 2
    if args.segment_seconds < 1:
        print("--segment-seconds deve ser pelo menos 1", file=sys.stderr)
        return 2
    apply_port_base()
    _point_at_local_stack()
    recorder = Recorder(
        camera_id, args.source, segment_seconds=args.segment_seconds, bucket=args.bucket,
        work_dir=args.work_dir, listen=args.listen,
    )  # fmt: skip
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    result = recorder.run(stop, duration_s=args.duration)
    if result.pending:
        return 1
    return 0 if result.error is None else 1

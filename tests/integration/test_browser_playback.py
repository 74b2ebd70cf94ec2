"""Clips and HLS playback in a real browser: headless Chromium, its own <video> and the vendored hls.js.

Each page runs in Chromium against a local http.server, measures with `requestVideoFrameCallback`
(mediaTime and presentedFrames of the frames shown) and `getVideoPlaybackQuality`, and POSTs its
findings back as JSON. (`--dump-dom`, even with `--virtual-time-budget`, dumps the page before any
media plays.) Playback runs in real time: about 40 s for the file. Skipped without /usr/bin/chromium.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import queue
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import recording_support as rs

from gtvision.media import ffmpeg
from gtvision.media.clipping import ClipMode, SegmentSource, cut_clip
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import VideoFormat, make_segments

CHROMIUM = "/usr/bin/chromium"
HLS_JS = Path(__file__).resolve().parents[2] / "functions/api/chalicelib/console/hls.min.js"
FPS = 25
FRAME_S = 1 / FPS
SEG_S = 2.0

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} não instalado: testes no navegador pulados"
)

# Shared by both pages: play a <video> muted to its end, noting every presented frame.
_PLAY_JS = """
function once(el, ev) {
  return new Promise((ok, ko) => {
    el.addEventListener(ev, ok, {once: true});
    el.addEventListener('error', () => ko(new Error(`${ev}: media error ${el.error && el.error.code}`)), {once: true});
  });
}
function watchFrames(video) {
  const times = [];
  const onFrame = (now, meta) => {
    times.push([meta.mediaTime, meta.presentedFrames]);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  return times;
}
function ranges(tr) { return Array.from({length: tr.length}, (_, i) => [tr.start(i), tr.end(i)]); }
function summary(video, times) {
  const q = video.getVideoPlaybackQuality();
  return {duration: video.duration, current_time: video.currentTime, buffered: ranges(video.buffered),
          played: ranges(video.played), frames: times, decoded: q.totalVideoFrames, dropped: q.droppedVideoFrames};
}
function report(out) {
  document.getElementById('out').textContent = JSON.stringify(out);
  fetch('/result', {method: 'POST', body: JSON.stringify(out)});
}
"""

_CLIP_PAGE = """<!doctype html><html><body><pre id="out">pending</pre><script>%s
function drawn(video) {  // a hash of the frame on screen, or null when none is ready to draw yet
  const c = document.createElement('canvas');
  c.width = video.videoWidth; c.height = video.videoHeight;
  const g = c.getContext('2d');
  g.drawImage(video, 0, 0);
  const data = g.getImageData(0, 0, c.width, c.height).data;
  if (data[3] === 0) return null;  // a drawn video frame is opaque; a canvas left untouched is transparent
  let h = 0;
  for (const b of data) h = (h * 31 + b) >>> 0;
  return h;
}
async function pixels(video) {
  // On a busy machine Chromium may fire loadeddata/seeked before the frame can be drawn: wait for it (5 s at most)
  for (let i = 0; i < 250; i++) {
    const h = drawn(video);
    if (h !== null) return h;
    await new Promise(ok => setTimeout(ok, 20));
  }
  throw new Error(`no frame to draw at ${video.currentTime} s`);
}
async function load(src) {
  const v = document.createElement('video');
  v.muted = true; v.preload = 'auto';
  document.body.appendChild(v);
  const times = watchFrames(v);
  v.src = src;
  await once(v, 'loadeddata');
  return [v, times];
}
async function clip(src) {
  const [v, times] = await load(src);
  const r = {first_pixels: await pixels(v)};
  await v.play();
  await once(v, 'ended');
  r.last_pixels = await pixels(v);
  return Object.assign(r, summary(v, times));
}
async function still([src, at]) {
  const [v] = await load(src);
  v.currentTime = at;
  await once(v, 'seeked');
  return await pixels(v);
}
const PLAN = %s;  // {"play": [clip, ...], "still": [[clip, seconds], ...]}
Promise.all([Promise.all(PLAN.play.map(clip)), Promise.all(PLAN.still.map(still))])
  .then(([played, stills]) => report({played, stills}), e => report({error: String(e)}));
</script></body></html>"""

_HLS_PAGE = """<!doctype html><html><body><pre id="out">pending</pre><video muted></video>
<script src="hls.min.js"></script><script>%s
const v = document.querySelector('video');
const errors = [];
const hls = new Hls();
hls.on(Hls.Events.ERROR, (_, d) => {
  errors.push({type: d.type, details: d.details, fatal: d.fatal});
  if (d.fatal) report({errors, ...summary(v, times)});
});
const times = watchFrames(v);
hls.loadSource('playback.m3u8');
hls.attachMedia(v);
hls.on(Hls.Events.MANIFEST_PARSED, () => v.play());
once(v, 'ended').then(() => report({errors, ...summary(v, times)}), e => report({errors, error: String(e)}));
setTimeout(() => report({errors, stalled: true, ...summary(v, times)}), %d);  // report why it never ended
</script></body></html>"""


class _Site:
    """A local web server of in-memory files (with single byte ranges) that collects one POSTed result."""

    def __init__(self, files: dict[str, tuple[bytes, str]]) -> None:
        self.results: queue.Queue[dict[str, Any]] = queue.Queue()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, self, files))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> _Site:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    def __init__(self, site: _Site, files: dict[str, tuple[bytes, str]], *args: Any) -> None:
        self.site, self.files = site, files
        super().__init__(*args)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        name = self.path.split("?")[0].lstrip("/")
        if name not in self.files:
            self.send_error(404)
            return
        body, kind = self.files[name]
        first, last, status = 0, len(body) - 1, 200
        wanted = self.headers.get("range", "")
        if wanted.startswith("bytes="):
            lo, _, hi = wanted[6:].partition("-")
            first, last, status = int(lo or 0), min(int(hi or last), last), 206
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("accept-ranges", "bytes")
        self.send_header("content-length", str(last + 1 - first))
        if status == 206:
            self.send_header("content-range", f"bytes {first}-{last}/{len(body)}")
        self.end_headers()
        self.wfile.write(body[first : last + 1])

    def do_POST(self) -> None:  # noqa: N802
        self.site.results.put(json.loads(self.rfile.read(int(self.headers["content-length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        pass


def browse(files: dict[str, tuple[bytes, str]], page: str, timeout: float = 30) -> dict[str, Any]:
    """Open `page` of a site made of `files` in headless Chromium; the JSON the page reports."""
    with _Site(files) as site, tempfile.TemporaryDirectory(prefix="gtv-chromium-") as profile:
        log = Path(profile) / "chromium.log"
        with open(log, "wb") as err:
            proc = subprocess.Popen(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required", f"--user-data-dir={profile}/data",
                 f"{site.url}/{page}"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
            )  # fmt: skip
        try:
            return site.results.get(timeout=timeout)
        except queue.Empty:
            tail = log.read_text(errors="replace")[-2000:]
            raise AssertionError(f"the page reported nothing in {timeout} s; Chromium said:\n{tail}") from None
        finally:
            os.killpg(proc.pid, signal.SIGTERM)  # the browser and its renderer/GPU children, all ours
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def skipped(frames: list[list[float]]) -> list[list[float]]:
    """Where the picture jumped further than the frames presented in between: (mediaTime, mediaTime) pairs.

    `frames` are [mediaTime, presentedFrames] of each frame callback. Callbacks run at the compositor's
    pace and may coalesce frames on a busy machine; `presentedFrames` still counts every one of them.
    """
    return [
        [t0, t1]
        for (t0, n0), (t1, n1) in zip(frames, frames[1:], strict=False)
        if (t1 - t0) * FPS - (n1 - n0) > 0.5 or t1 <= t0
    ]


def played_whole(result: dict[str, Any]) -> bool:
    """No jump in the picture but for frames the compositor dropped (a busy machine), and at most one of those."""
    frames = result["frames"]
    if any(t1 <= t0 for (t0, _), (t1, _) in zip(frames, frames[1:], strict=False)):
        return False
    missing = sum(round((t1 - t0) * FPS) - (n1 - n0) for (t0, n0), (t1, n1) in zip(frames, frames[1:], strict=False))
    return missing <= result["dropped"] <= 1


def first_shown_at(frames: list[list[float]]) -> float:
    """Media time of the first frame shown. The first callback may come after a few frames on a busy machine
    (callbacks coalesce); its `presentedFrames` still counts them, so step back that many frames."""
    t, n = frames[0]
    return t - (n - 1) * FRAME_S


def presented(result: dict[str, Any]) -> int:
    """Frames shown from the first callback to the last, both included."""
    frames = result["frames"]
    return int(frames[-1][1] - frames[0][1] + 1)


# ---------------------------------------------------------------------------- clips in <video>


_CHROMIUM_TRAILING_PACKETS = (
    "with B-frames the clip keeps packets decoded before the end but shown after it (hidden by the edit "
    "list: here source frames 125 and 128); Chromium shows the right frames but stretches `duration` to "
    "the last packet's timestamp (4.60 s for 4.48, 5.12 for 5.0) and holds the last frame until then"
)


@pytest.mark.parametrize(
    "bframes",
    [
        0,
        # Known defect, kept visible: with B-frames Chromium stretches the duration to the last packet kept
        # after the edit list (see _CHROMIUM_TRAILING_PACKETS). Not strict: real-time playback on a loaded
        # 2-core CI machine is timing-sensitive, and a known defect must not turn CI red by flaking.
        pytest.param(2, marks=pytest.mark.xfail(strict=False, reason="B-frame clips in Chromium (ADR 0004)")),
    ],
    ids=["no-bframes", "bframes"],
)
def test_exact_clip_starts_and_ends_on_the_asked_frames_in_chromium(tmp_path: Path, bframes: int) -> None:
    # Given three 2 s segments with a keyframe a second, and clips of [0.52 s, 5.0 s) cut both ways
    segs = make_segments(str(tmp_path / "segs"), 3, SEG_S, fps=FPS, gop=FPS, fmt="fmp4", bframes=bframes)
    start, end = segs[0].start + timedelta(seconds=0.52), segs[0].start + timedelta(seconds=5)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    modes: tuple[ClipMode, ...] = ("exact", "fast")
    for mode in modes:
        cut_clip(segs, start, end, mode, str(tmp_path / f"{mode}.mp4"), str(scratch), 60)
    files = {f"{m}.mp4": ((tmp_path / f"{m}.mp4").read_bytes(), "video/mp4") for m in modes}
    # References: the fast clip holds the recording's frames bit for bit from 0 s (test_clipping proves it);
    # seeking into the middle of a frame shows that frame: 13 (0.52 s) and 124 (4.96 s)
    plan = {"play": ["exact.mp4", "fast.mp4"], "still": [["fast.mp4", 0.52 + FRAME_S / 2], ["fast.mp4", 4.98]]}
    files["clip.html"] = ((_CLIP_PAGE % (_PLAY_JS, json.dumps(plan))).encode(), "text/html")

    # When Chromium plays both to the end
    got = browse(files, "clip.html")

    assert "error" not in got, got
    (exact, fast), (frame_13, frame_124) = got["played"], got["stills"]
    for name, result in (("exact", exact), ("fast", fast)):
        print(name, {k: v for k, v in result.items() if k != "frames"}, "presented", presented(result))
    # Then the exact clip shows frames 13 to 124 of the recording, each once, the first at 0 s
    assert first_shown_at(exact["frames"]) == pytest.approx(0, abs=FRAME_S / 2)
    assert exact["first_pixels"] == frame_13 != fast["first_pixels"]
    assert exact["last_pixels"] == frame_124 == fast["last_pixels"]
    assert exact["decoded"] == round(4.48 * FPS) and played_whole(exact)
    assert exact["frames"][-1][0] == pytest.approx(4.48 - FRAME_S, abs=FRAME_S / 2)
    # And the fast clip starts on the keyframe before (0 s) and ends on the same frame
    assert first_shown_at(fast["frames"]) == pytest.approx(0, abs=FRAME_S / 2)
    assert fast["decoded"] == round(5.0 * FPS) and played_whole(fast)
    if bframes and (exact["duration"], fast["duration"]) == (pytest.approx(4.60), pytest.approx(5.12)):
        pytest.xfail(_CHROMIUM_TRAILING_PACKETS)
    # And the exact clip lasts what was asked, to the frame; the fast one is never shorter
    assert exact["duration"] == pytest.approx(4.48, abs=FRAME_S)
    assert exact["current_time"] == pytest.approx(exact["duration"], abs=FRAME_S)
    assert fast["duration"] >= 4.48 and fast["duration"] == pytest.approx(5.0, abs=FRAME_S)


# ---------------------------------------------------------------------------- HLS playback with hls.js

T0 = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def _recorder_ts(segs: list[SegmentSource]) -> list[SegmentSource]:
    """MPEG-TS as `gtvision local recorder` writes it: every file's timestamps restart (-reset_timestamps 1)."""
    for seg in segs:
        remuxed = seg.url_or_path + ".reset.ts"
        ffmpeg.run_ffmpeg(["-y", "-i", seg.url_or_path, "-map", "0:v:0", "-c", "copy", "-f", "mpegts", remuxed], 60)
        os.replace(remuxed, seg.url_or_path)
    return segs


_HLS_JS_BFRAME_HOLES = (
    "hls.js 1.7.4 places each fMP4 segment after a discontinuity at the previous one's end plus the first "
    "frame's composition offset, so with B-frames the buffer has a hole at every boundary (ADR 0005)"
)


@pytest.fixture(
    params=[
        "recorder-ts",
        "mediamtx-fmp4",
        "nvr-progressive-mp4",  # played through its fragmented rendition (issue 11)
        pytest.param("mediamtx-fmp4-bframes", marks=pytest.mark.xfail(strict=False, reason=_HLS_JS_BFRAME_HOLES)),
    ]
)
def recorded_camera(request: pytest.FixtureRequest, world: Any, tmp_path: Path) -> Iterator[tuple[Any, str, int]]:
    """A camera of city A with contiguous 2 s segments uploaded and registered; yields (world, camera, count)."""
    fmt: VideoFormat = {"recorder-ts": "ts", "nvr-progressive-mp4": "mp4"}.get(request.param, "fmp4")  # type: ignore[assignment]
    bframes = 2 if request.param.endswith("bframes") else 0
    count = 2 if bframes else 3  # one boundary shows the hole
    segs = make_segments(str(tmp_path / "segs"), count, SEG_S, start=T0, fps=FPS, gop=FPS, fmt=fmt, bframes=bframes)
    if fmt == "ts":
        segs = _recorder_ts(segs)
    camera = str(world.camera()["id"])
    ext = "ts" if fmt == "ts" else "mp4"
    keys = {segment_key(camera, s.start, ext) for s in segs}
    for seg in segs:
        rs.upload(segment_key(camera, seg.start, ext), seg.url_or_path)
    assert rs.deliver(keys) == {"batchItemFailures": []}
    yield world, camera, len(segs)


def test_hls_playlist_plays_to_the_end_in_hls_js(
    recorded_camera: tuple[Any, str, int], request: pytest.FixtureRequest
) -> None:
    world, camera, count = recorded_camera
    recorded_s = count * SEG_S
    # Given the playback playlist of the recording, as the console fetches it
    r = world.api.call(
        "GET", f"/v1/cameras/{camera}/playback.m3u8", token=world.viewer_a,
        query={"from": "2026-11-22T14:59:00Z", "to": "2026-11-22T15:01:00Z"},
    )  # fmt: skip
    assert r.status == 200, r.text
    files = {
        "playback.m3u8": (r.text.encode(), "application/vnd.apple.mpegurl"),
        "hls.min.js": (HLS_JS.read_bytes(), "text/javascript"),
        "hls.html": ((_HLS_PAGE % (_PLAY_JS, (recorded_s * 1.5 + 5) * 1000)).encode(), "text/html"),
    }

    # When hls.js plays it muted to the end, segments straight from storage (presigned, CORS)
    got = browse(files, "hls.html")

    frames = got.get("frames") or [[None, 0]]
    print(request.node.callspec.id, {k: v for k, v in got.items() if k != "frames"},
          "frames", frames[0], "to", frames[-1], "skipped", skipped(frames))  # fmt: skip
    # Then nothing failed and every recorded frame was shown once, in order
    assert "error" not in got and "stalled" not in got and not [e for e in got["errors"] if e["fatal"]], got["errors"]
    assert got["duration"] == pytest.approx(recorded_s, abs=FRAME_S)
    assert got["current_time"] == pytest.approx(recorded_s, abs=FRAME_S)
    assert got["buffered"] == [[pytest.approx(0, abs=FRAME_S), pytest.approx(recorded_s, abs=FRAME_S)]]
    assert first_shown_at(frames) == pytest.approx(0, abs=FRAME_S / 2)
    assert got["decoded"] == round(recorded_s * FPS) and played_whole(got)

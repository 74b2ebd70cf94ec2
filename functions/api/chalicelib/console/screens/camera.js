/* GT-Vision console — one camera: the player (live or recorded) with its control bar and keyboard, the day's
 * timeline (zoom, playhead, gaps jumped over, following live recording), the stream and its health, an
 * interval with thumbnails, and clip export (mark-in/mark-out fill the form). */

import { $, api, apiText, el, guarded, latest, me, names, nameOf, showError, showScreen, state, statusBadge, useCityZone } from "../core.js";
import {
  dayRange, fmtPct, fromZoned, inputDateTime, localClock, localDay, pad, parseClock, parseDay, parseLocal, rfc3339,
  showDateTime, showDay, showTime,
} from "../format.js";
import { control, nextSpeed, speedButtons, useKeys } from "../controls.js";
import { whyNotLive } from "../livestatus.js";
import { createPlayer, digitalZoom, snapshot } from "../player.js";
import { MSG } from "../strings.js";
import { createTimeline } from "../timeline.js";
import { checkTyped, dangerButton, toast, toggleHelp } from "../ui.js";
import { clipItem, loadClips } from "./camera-clips.js";
import { loadMetrics } from "./camera-health.js";
import { showMasks } from "./masks.js";

const DAY_MS = 24 * 3600 * 1000;
const FOLLOW_MS = 10000; // the timeline of today follows live recording
const WINDOW_MS = 15 * 60 * 1000; // what one click loads: the playlist runs on into the next window by itself

const video = $("player");
const player = createPlayer(video, $("player-info"));
const zoomer = digitalZoom(video, $("player-caixa"));
const cam = { id: null, name: "", city: null, day: null, range: null, role: null, fps: 25, rate: 1, mode: null,
  streamStatus: null, marks: [null, null], dayThumbs: null };
// What the player was last asked to show (a range, or live): a playlist that arrives after the next ask is
// dropped, so clicking the timeline twice in a row never ends on the first click's recording.
const playerAsk = latest();

const timeline = createTimeline({
  bar: $("timeline"), hours: $("timeline-horas"), preview: $("timeline-previa"), zoomBox: $("timeline-zoom"),
  onPick: (at, inside) => guarded(() => pick(at, inside))(),
});

const speeds = speedButtons(setRate, "ctl-vel");
const playButton = control("ctl-play", "▶", MSG.playPause, () => player.togglePlay());
$("player-controles").replaceChildren(
  playButton,
  control("ctl-voltar", "−10", MSG.back10, () => player.seekBy(-10)),
  control("ctl-quadro-ant", "‹|", MSG.frameBack, () => player.step(-1, cam.fps)),
  control("ctl-quadro-seg", "|›", MSG.frameForward, () => player.step(1, cam.fps)),
  control("ctl-avancar", "+10", MSG.forward10, () => player.seekBy(10)),
  speeds,
  control("ctl-ao-vivo", MSG.liveNow, MSG.watchLive, guarded(() => watchLive())),
  control("ctl-inicio", "[", MSG.markIn, () => mark(0)),
  control("ctl-fim", "]", MSG.markOut, () => mark(1)),
  control("ctl-foto", MSG.photo, MSG.snapshot, guarded(() => takeSnapshot())),
  control("ctl-zoom-menos", "−", MSG.zoomOut, () => zoomer.zoom(-1)),
  control("ctl-zoom-mais", "+", MSG.zoomIn, () => zoomer.zoom(1)),
  control("ctl-zoom-1", "1:1", MSG.zoomReset, () => zoomer.reset()),
  control("ctl-tela-cheia", "⤢", MSG.wallFullscreen, () => fullscreen()),
  control("ctl-ajuda", "?", MSG.help, () => toggleHelp()));

const KEYS = {
  togglePlay: () => player.togglePlay(),
  pause: () => video.pause(),
  faster: () => (video.paused ? player.togglePlay() : setRate(nextSpeed(cam.rate, 1))),
  slower: () => (cam.rate > 0.5 ? setRate(nextSpeed(cam.rate, -1)) : player.seekBy(-10)),
  seekBy: (s) => player.seekBy(s),
  step: (n) => player.step(n, cam.fps),
  fullscreen: () => fullscreen(),
  markIn: () => mark(0),
  markOut: () => mark(1),
  zoom: (dir) => (dir === 0 ? zoomer.reset() : zoomer.zoom(dir)),
};

state.onLeave.add(() => {
  player.stop();
  zoomer.reset();
  useKeys(null);
});

video.addEventListener("play", () => { playButton.textContent = "❚❚"; });
video.addEventListener("pause", () => { playButton.textContent = "▶"; });
video.addEventListener("timeupdate", () => {
  if (cam.mode === "recording") timeline.setPlayhead(player.wallClock());
});
// At the end of what was loaded, go on with the next recording of the day (over any gap).
video.addEventListener("ended", () => {
  if (cam.mode !== "recording" || !cam.range) return;
  const next = timeline.nextRecording(new Date(cam.range[1].getTime()));
  if (next && next < dayRange(cam.day)[1]) guarded(() => playFrom(next))();
});

export async function showCamera(cameraId, params) {
  showScreen("camera");
  useKeys(KEYS);
  // `?em=<RFC 3339>` (a Sentinela result, an alert): open the recording at that instant; `?aovivo=1`: live.
  const at = params && params.get("em") ? new Date(params.get("em")) : null;
  const instant = at && !Number.isNaN(at.getTime()) ? at : null;
  Object.assign(cam, { id: cameraId, day: null, role: (me() || {}).role, range: null, mode: null, rate: 1,
    marks: [null, null], dayThumbs: null, streamStatus: null });
  speeds.set(1);
  $("camera-titulo").textContent = MSG.camera;
  $("camera-resumo").textContent = "";
  $("aovivo").replaceChildren();
  $("timeline").replaceChildren();
  $("timeline-info").textContent = "";
  $("miniaturas").replaceChildren();
  $("miniaturas-mais").hidden = true;
  $("recortes").replaceChildren();
  // Viewers watch; exporting is for operators and up (the API refuses it to viewers anyway).
  $("recorte").hidden = cam.role === "viewer";

  const camera = await api("GET", `/v1/cameras/${encodeURIComponent(cameraId)}`);
  Object.assign(cam, { city: camera.city_id, name: camera.name, streamStatus: camera.stream_status });
  // Days, clocks and forms follow the camera's city's time zone.
  $("zona-nota").textContent = MSG.zoneNote(await useCityZone(camera.city_id));
  cam.day = localDay(instant || new Date());
  $("dia").value = showDay(cam.day);
  names.camera.set(camera.id, Promise.resolve(camera.name));
  $("camera-titulo").textContent = camera.name;
  $("camera-resumo").replaceChildren(
    statusBadge(camera.status, camera.id), MSG.lprState(camera.lpr_enabled),
    camera.location && camera.location.address ? ` · ${camera.location.address}` : "");
  const crumb = $("camera-cidade");
  crumb.href = `#/cidades/${camera.city_id}`;
  crumb.textContent = MSG.city;
  nameOf("city", camera.city_id).then((n) => { crumb.textContent = n; });

  const clips = cam.role === "viewer" ? null : loadClips(cam);
  await Promise.all([loadStream(), metrics(), loadDay(!instant), clips, showMasks(cameraId, video)]);
  if (instant) {
    setRange(new Date(instant.getTime() - 5000), new Date(instant.getTime() + 2 * 60 * 1000), true);
    $("player-caixa").scrollIntoView({ block: "nearest" }); // a link lands on the player, not below the fold
  } else if (params && params.get("aovivo") === "1") {
    await watchLive();
  }
  follow();
}

const metrics = () => loadMetrics(cam);

// ------------------------------------------------------------------ live

async function loadStream() {
  const box = $("aovivo");
  const id = cam.id;
  let stream;
  try {
    stream = await api("GET", `/v1/cameras/${encodeURIComponent(id)}/stream`);
  } catch (err) {
    if (err.status === 401) throw err;
    box.replaceChildren(el("p", { class: "error-text" }, err.message), ...streamButtons(null));
    return;
  }
  cam.streamStatus = stream.status;
  cam.urls = stream.urls;
  const parts = [el("p", {}, MSG.statusLabel, statusBadge(stream.status),
    stream.live ? MSG.signal(stream.live.ready) : "")];
  const reason = await whyNotLive(id, stream);
  if (reason) parts.push(el("p", { class: "error-text", "data-why": "" }, reason));
  if (stream.urls) {
    const u = stream.urls;
    parts.push(el("dl", { class: "urls" },
      u.hls ? [el("dt", {}, "HLS"), el("dd", {}, el("a", { href: u.hls, target: "_blank", rel: "noopener" }, u.hls))] : null,
      u.webrtc ? [el("dt", {}, "WebRTC"), el("dd", {}, el("a", { href: u.webrtc, target: "_blank", rel: "noopener" }, u.webrtc))] : null,
      u.rtsp ? [el("dt", {}, "RTSP"), el("dd", {}, el("code", {}, u.rtsp))] : null));
    if (u.hls || u.webrtc) {
      parts.push(el("button", { type: "button", class: "secondary", onclick: guarded(watchLive) }, MSG.watchLive));
    }
  } else if (!reason) {
    parts.push(el("p", { class: "muted" }, stream.status === "stopped" ? MSG.streamStopped : MSG.noLive));
  }
  parts.push(...streamButtons(stream.status));
  box.replaceChildren(...parts);
}

async function watchLive() {
  if (!cam.urls || !(cam.urls.hls || cam.urls.webrtc)) throw new Error(MSG.noLive);
  playerAsk.drop();
  cam.mode = "live";
  timeline.setPlayhead(null);
  setRate(1);
  await player.live(cam.urls, MSG.live, () => whyNotLive(cam.id));
}

/** Start/stop for managers and admins (viewers and operators only watch); stopping asks to confirm. */
function streamButtons(status) {
  if (!["admin", "manager"].includes(cam.role)) return [];
  const id = encodeURIComponent(cam.id);
  const after = async () => { await Promise.all([loadStream(), metrics()]); };
  const start = guarded(async () => {
    await api("POST", `/v1/cameras/${id}/stream/start`);
    toast(MSG.streamStartedToast);
    await after();
  });
  const stop = async () => {
    await api("POST", `/v1/cameras/${id}/stream/stop`);
    if (cam.mode === "live") player.stop();
    await after();
  };
  return [el("p", { class: "actions" },
    status !== "streaming" ? el("button", { type: "button", onclick: start }, MSG.startStream) : null,
    status === "streaming" ? dangerButton(MSG.stopStream, stop, MSG.streamStoppedToast) : null)];
}

// ------------------------------------------------------------------ the day's timeline

async function loadDay(pickRange) {
  const gen = state.generation;
  const { id, day } = cam;
  const [from, to] = dayRange(day);
  const tl = await api("GET", `/v1/cameras/${encodeURIComponent(id)}/timeline`, {
    query: { from: rfc3339(from), to: rfc3339(to) },
  });
  // Another day (or camera) asked for meanwhile: this late answer must not draw over it.
  if (gen !== state.generation || id !== cam.id || day !== cam.day) return;
  timeline.setDay(from, to);
  drawDay(tl);
  loadBookmarks(from, to);
  if (pickRange) {
    // Ready where something was recorded: the last 10 minutes of the day's last span.
    const last = tl.spans[tl.spans.length - 1];
    const end = last ? new Date(last.end) : new Date(Math.min(Date.now(), to.getTime()));
    const start = new Date(Math.max(end.getTime() - 10 * 60 * 1000, last ? new Date(last.start).getTime() : from.getTime(), from.getTime()));
    setRange(start, end, false);
  }
}

function drawDay(tl) {
  timeline.setSpans(tl.spans);
  const last = tl.spans[tl.spans.length - 1];
  const until = last ? ` · ${MSG.recordedUntil(showTime(new Date(last.end)))}` : "";
  $("timeline").setAttribute("aria-label", MSG.timelineLabel(showDay(cam.day), fmtPct.format(tl.coverage)));
  $("timeline-info").textContent =
    MSG.timelineInfo(fmtPct.format(tl.coverage), tl.segments, tl.spans.length, tl.gaps.length) + until;
}

/** Today's timeline follows what is being recorded: the spans are read again every few seconds. */
function follow() {
  const gen = state.generation;
  const id = cam.id;
  const timer = setInterval(guarded(async () => {
    if (gen !== state.generation || id !== cam.id || cam.day !== localDay(new Date())) return;
    const day = cam.day;
    const [from, to] = dayRange(day);
    const tl = await api("GET", `/v1/cameras/${encodeURIComponent(id)}/timeline`, {
      query: { from: rfc3339(from), to: rfc3339(to) },
    });
    if (gen === state.generation && id === cam.id && day === cam.day) drawDay(tl); // not once another day shows
  }), FOLLOW_MS);
  state.timers.add(timer);
}

/** Bookmarks of the day on the timeline (`GET /v1/cameras/{id}/bookmarks?from&to`: operators and up; viewers
 * see none). A failure draws none rather than failing the day. */
async function loadBookmarks(from, to) {
  if (cam.role === "viewer") {
    timeline.setBookmarks([]);
    return;
  }
  try {
    const page = await api("GET", `/v1/cameras/${encodeURIComponent(cam.id)}/bookmarks`,
      { query: { from: rfc3339(from), to: rfc3339(to) } });
    timeline.setBookmarks((page && page.items) || []);
  } catch (err) {
    if (err.status === 401) throw err;
    timeline.setBookmarks([]);
  }
}

/** The day's thumbnails for the hover preview, read once, the first time the pointer comes over the bar. */
$("timeline").addEventListener("mouseenter", guarded(async () => {
  if (cam.dayThumbs || !cam.day) return;
  const [from, to] = dayRange(cam.day);
  const id = cam.id;
  cam.dayThumbs = [];
  let cursor = null;
  for (let i = 0; i < 6; i += 1) {
    const page = await api("GET", `/v1/cameras/${encodeURIComponent(id)}/thumbnails`,
      { query: { from: rfc3339(from), to: rfc3339(to), limit: 500, cursor } });
    if (id !== cam.id) return;
    cam.dayThumbs.push(...page.items);
    timeline.setThumbs(cam.dayThumbs);
    if (!(cursor = page.next_cursor)) break;
  }
}));

/** A click on the timeline: play from there; in a gap, from the next recording of the day. */
async function pick(at, inside) {
  if (inside) return playFrom(at);
  const next = timeline.nextRecording(at);
  if (!next) {
    $("player-info").textContent = MSG.noMoreRecording;
    return null;
  }
  await playFrom(next);
  $("player-info").textContent = MSG.gapJump(showTime(at), showTime(next));
  return null;
}

function playFrom(at) {
  const dayEnd = dayRange(cam.day)[1];
  return setRange(at, new Date(Math.min(at.getTime() + WINDOW_MS, dayEnd.getTime())), true);
}

$("form-dia").addEventListener("submit", guarded(async (ev) => {
  ev.preventDefault();
  showError(null);
  checkTyped($("form-dia")); // a day that is not dd/mm/aaaa stops here, said in Portuguese
  const [y, m, d] = parseDay($("dia").value);
  cam.day = `${y}-${pad(m)}-${pad(d)}`;
  cam.dayThumbs = null;
  playerAsk.drop(); // a playlist of the day before, still on its way, is not played
  player.stop();
  await loadDay(true);
}));

// ------------------------------------------------------------------ playback of a range

/** The playback window: fills the forms, the thumbnails and (when `autoplay`) plays it. */
function setRange(from, to, autoplay) {
  cam.range = [from, to];
  $("rep-de").value = localClock(from);
  $("rep-ate").value = localClock(to);
  if (!cam.marks[0]) {
    $("rec-inicio").value = inputDateTime(from);
    $("rec-fim").value = inputDateTime(new Date(Math.min(to.getTime(), from.getTime() + 60 * 1000)));
  }
  guarded(loadThumbnails)();
  if (autoplay) return guarded(loadPlayback)();
  return null;
}

function rangeFromForm() {
  const [y, m, d] = cam.day.split("-").map(Number);
  checkTyped($("form-reproducao"));
  const a = parseClock($("rep-de").value) || [0, 0, 0];
  const b = parseClock($("rep-ate").value) || [0, 0, 0];
  const from = fromZoned(y, m, d, ...a);
  let to = fromZoned(y, m, d, ...b);
  if (to <= from) to = new Date(to.getTime() + DAY_MS); // "22:00 → 02:00" crosses midnight
  return [from, to];
}

$("form-reproducao").addEventListener("submit", guarded(async (ev) => {
  ev.preventDefault();
  showError(null);
  const [from, to] = rangeFromForm();
  cam.range = [from, to];
  await Promise.all([loadPlayback(), loadThumbnails()]);
}));

async function loadPlayback() {
  const [from, to] = cam.range;
  const mine = playerAsk.next();
  const playlist = await apiText("GET", `/v1/cameras/${encodeURIComponent(cam.id)}/playback.m3u8`, {
    query: { from: rfc3339(from), to: rfc3339(to) },
  });
  if (!playerAsk.isCurrent(mine)) return;
  cam.mode = "recording";
  player.play({ playlist, startAt: from, autoplay: true, label: MSG.recordingOf(showDateTime(from), showTime(to)) });
  player.setRate(cam.rate);
  timeline.setPlayhead(from);
}

function setRate(rate) {
  cam.rate = cam.mode === "live" ? 1 : rate;
  player.setRate(cam.rate);
  speeds.set(cam.rate);
}

function loadThumbnails() {
  const range = cam.range;
  const [from, to] = range;
  const strip = $("miniaturas");
  const more = $("miniaturas-mais");
  const gen = state.generation;
  let cursor = null;
  strip.replaceChildren();
  const load = guarded(async () => {
    const page = await api("GET", `/v1/cameras/${encodeURIComponent(cam.id)}/thumbnails`, {
      query: { from: rfc3339(from), to: rfc3339(to), limit: 60, cursor },
    });
    if (gen !== state.generation || range !== cam.range) return; // another range's strip is showing
    strip.append(...page.items.map((t) => {
      const at = new Date(t.at);
      return el("button", {
        type: "button", class: "thumb", title: showDateTime(t.at),
        onclick: () => { if (!player.seekTo(at)) playFrom(at); },
      }, el("img", { src: t.url, alt: MSG.thumbOf(showTime(at)), loading: "lazy", width: 160, height: 90 }),
      el("span", {}, showTime(at)));
    }));
    if (!strip.children.length) strip.append(el("p", { class: "muted" }, MSG.noThumbs));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  });
  more.onclick = load;
  return load();
}

// ------------------------------------------------------------------ marks, snapshot, full screen

/** Mark-in (0) or mark-out (1) at the instant on screen: the export form is filled with it. */
function mark(which) {
  const at = cam.mode === "recording" ? player.wallClock() : new Date();
  if (!at) return;
  cam.marks[which] = at;
  $(which === 0 ? "rec-inicio" : "rec-fim").value = inputDateTime(at);
  const [a, b] = cam.marks;
  timeline.setMarks(a, b);
  if (a && b) $("player-info").textContent = MSG.marked(showDateTime(a), showTime(b));
}

async function takeSnapshot() {
  const at = (cam.mode === "recording" && player.wallClock()) || new Date();
  const blob = await snapshot(video, [cam.name, showDateTime(at)]);
  if (!blob) throw new Error(MSG.snapshotFailed);
  const url = URL.createObjectURL(blob);
  const stamp = showDateTime(at).replace(/[/: ]/g, "");
  const link = el("a", { href: url, download: `${cam.name.replace(/[^\w-]+/g, "_")}-${stamp}.png` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function fullscreen() {
  const box = $("player-caixa");
  if (document.fullscreenElement) document.exitFullscreen().catch(() => null);
  else box.requestFullscreen().catch(() => null);
}

// ------------------------------------------------------------------ clips

$("form-recorte").addEventListener("submit", guarded(async (ev) => {
  ev.preventDefault();
  showError(null);
  checkTyped($("form-recorte"));
  const start = parseLocal($("rec-inicio").value);
  const end = parseLocal($("rec-fim").value);
  if (!start || !end || end <= start) throw new Error(MSG.clipEndBeforeStart);
  const mode = $("rec-modo").value;
  const clip = await api("POST", "/v1/clips", {
    body: { camera_id: cam.id, start: rfc3339(start), end: rfc3339(end), mode },
  });
  toast(MSG.clipRequested);
  $("recortes").prepend(clipItem(cam, { ...clip, start: rfc3339(start), end: rfc3339(end), mode }));
}));

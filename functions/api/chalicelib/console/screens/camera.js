/* GT-Vision console — one camera: live stream, stream health, the day's timeline, playback with
 * thumbnails, and clip export. */

import { $, api, apiText, el, guarded, me, names, nameOf, showError, showScreen, state, statusBadge, useCityZone } from "../core.js";
import {
  dayRange, fmtNum, fmtPct, fromZoned, localClock, localDay, localInput, pad, parseLocal, rfc3339,
  showDateTime, showDay, showTime, zoneParts,
} from "../format.js";
import { whyNotLive } from "../livestatus.js";
import { createPlayer } from "../player.js";
import { addToCaseButton } from "./cases.js";
import { showMasks } from "./masks.js";
import { CLIP_STATUS, MSG } from "../strings.js";

const CLIP_POLL_MS = 2000;
const HEALTH_POLL_MS = 30000;
const DAY_MS = 24 * 3600 * 1000;

const player = createPlayer($("player"), $("player-info"));
state.onLeave.add(() => player.stop());

const cam = { id: null, city: null, day: null, range: null, role: null, timeline: null };

export async function showCamera(cameraId, params) {
  showScreen("camera");
  // `?em=<RFC 3339>` (a Sentinela result): open the recording at that instant.
  const at = params && params.get("em") ? new Date(params.get("em")) : null;
  const instant = at && !Number.isNaN(at.getTime()) ? at : null;
  Object.assign(cam, { id: cameraId, day: null, role: (me() || {}).role, timeline: null, range: null });
  $("detalhe").hidden = true;
  $("camera-titulo").textContent = MSG.camera;
  $("camera-resumo").textContent = "";
  $("aovivo").replaceChildren();
  $("timeline").replaceChildren();
  $("timeline-info").textContent = "";
  $("miniaturas").replaceChildren();
  $("miniaturas-mais").hidden = true;
  $("recortes").replaceChildren();

  const camera = await api("GET", `/v1/cameras/${encodeURIComponent(cameraId)}`);
  cam.city = camera.city_id;
  // Days, clocks and forms follow the camera's city's time zone.
  $("zona-nota").textContent = MSG.zoneNote(await useCityZone(camera.city_id));
  cam.day = localDay(instant || new Date());
  $("dia").value = cam.day;
  $("dia").max = localDay(new Date());
  names.camera.set(camera.id, Promise.resolve(camera.name));
  $("camera-titulo").textContent = camera.name;
  $("camera-resumo").replaceChildren(
    statusBadge(camera.status, camera.id), MSG.lprState(camera.lpr_enabled),
    camera.location && camera.location.address ? ` · ${camera.location.address}` : "");
  const crumb = $("camera-cidade");
  crumb.href = `#/cidades/${camera.city_id}`;
  crumb.textContent = MSG.city;
  nameOf("city", camera.city_id).then((n) => { crumb.textContent = n; });

  // The clip list is for managers (GET /v1/clips); viewers watch and export.
  await Promise.all([loadStream(), loadMetrics(), loadTimeline(!instant), cam.role === "viewer" ? null : loadClips(),
    showMasks(cameraId, $("player"))]);
  if (instant) setRange(new Date(instant.getTime() - 5000), new Date(instant.getTime() + 2 * 60 * 1000), true);
}

/** A small line chart (inline SVG) of one series over the last hour; gaps (null) break the line. */
function sparkline(samples, key, from, to) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 300 60");
  svg.setAttribute("preserveAspectRatio", "none");
  const values = samples.map((p) => p[key]).filter((v) => v !== null && v !== undefined);
  const max = Math.max(1, ...values);
  let points = [];
  const flush = () => {
    if (points.length) {
      const line = document.createElementNS(ns, "polyline");
      line.setAttribute("points", points.join(" "));
      svg.appendChild(line);
    }
    points = [];
  };
  for (const p of samples) {
    const v = p[key];
    if (v === null || v === undefined) { flush(); continue; }
    const x = ((new Date(p.at) - from) / (to - from)) * 300;
    points.push(`${x.toFixed(1)},${(58 - (v / max) * 56).toFixed(1)}`);
  }
  flush();
  return svg;
}

async function loadMetrics() {
  const box = $("camera-metricas");
  const id = cam.id;
  const gen = state.generation;
  const to = new Date();
  const from = new Date(to - 3600 * 1000);
  let m;
  try {
    m = await api("GET", `/v1/cameras/${encodeURIComponent(id)}/stream/metrics`,
      { query: { from: rfc3339(from), to: rfc3339(to) } });
  } catch (err) {
    if (err.status === 401) throw err;
    box.replaceChildren(el("p", { class: "error-text" }, err.message));
    return;
  }
  if (gen !== state.generation || id !== cam.id) return;
  const c = m.current;
  const num = (v, digits = 0, unit = "") => (v === null || v === undefined ? "—" : `${v.toFixed(digits)}${unit}`);
  const lastKbps = [...m.samples].reverse().find((s) => s.inbound_kbps !== null);
  box.replaceChildren(
    el("p", {}, statusBadge(m.status, m.camera_id), m.since ? MSG.since(showDateTime(m.since)) : ""),
    el("dl", { class: "urls" },
      el("dt", {}, MSG.metrics.inbound), el("dd", {}, num(c.inbound_kbps, 0, " kbps")),
      el("dt", {}, MSG.metrics.fps), el("dd", {}, num(c.fps, 1)),
      el("dt", {}, MSG.metrics.lag), el("dd", {}, num(c.recording_lag_s, 0, " s")),
      el("dt", {}, MSG.metrics.readers), el("dd", {}, c.readers === null || c.readers === undefined ? "—" : String(c.readers)),
      el("dt", {}, MSG.metrics.video), el("dd", {}, c.codec ? `${c.codec}${c.width ? ` ${c.width}×${c.height}` : ""}` : "—"),
      el("dt", {}, MSG.metrics.framesInError), el("dd", {}, c.frames_in_error === null || c.frames_in_error === undefined ? "—" : String(c.frames_in_error))),
    el("p", { class: "spark-label muted" }, MSG.metrics.kbpsHour(Boolean(lastKbps))),
    sparkline(m.samples, "inbound_kbps", from, to),
    el("p", { class: "spark-label muted" }, MSG.metrics.fpsHour),
    sparkline(m.samples, "fps", from, to));
  setTimeout(() => { if (gen === state.generation && id === cam.id) guarded(loadMetrics)(); }, HEALTH_POLL_MS);
}

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
      parts.push(el("button", {
        type: "button", class: "secondary",
        onclick: () => player.live(u, MSG.live, () => whyNotLive(id)),
      }, MSG.watchLive));
    }
  } else if (!reason) {
    parts.push(el("p", { class: "muted" }, MSG.noLive));
  }
  parts.push(...streamButtons(stream.status));
  box.replaceChildren(...parts);
}

/** Start/stop for managers and admins (viewers only watch): zero or one element. */
function streamButtons(status) {
  if (cam.role === "viewer") return [];
  const id = encodeURIComponent(cam.id);
  const act = (send) => guarded(async () => {
    await send();
    await loadStream();
  });
  const start = act(() => api("POST", `/v1/cameras/${id}/stream/start`));
  const stop = act(() => api("POST", `/v1/cameras/${id}/stream/stop`));
  return [el("p", { class: "actions" },
    status !== "streaming" ? el("button", { type: "button", onclick: start }, MSG.startStream) : null,
    status !== "stopped" ? el("button", { type: "button", class: "secondary", onclick: stop }, MSG.stopStream) : null)];
}

async function loadTimeline(pickRange) {
  const gen = state.generation;
  const [from, to] = dayRange(cam.day);
  const tl = await api("GET", `/v1/cameras/${encodeURIComponent(cam.id)}/timeline`, {
    query: { from: rfc3339(from), to: rfc3339(to) },
  });
  if (gen !== state.generation) return;
  drawTimeline(tl, from, to);
  if (pickRange) {
    // Start where something was recorded: the last 10 minutes of the day's last span.
    const last = tl.spans[tl.spans.length - 1];
    const end = last ? new Date(last.end) : new Date(Math.min(Date.now(), to.getTime()));
    const start = new Date(Math.max(end.getTime() - 10 * 60 * 1000, last ? new Date(last.start).getTime() : from.getTime(), from.getTime()));
    setRange(start, end, false);
  }
}

/** Draw recorded spans (green) over gaps (grey) of [from, to) into a bar, with tick labels. */
function drawBar(bar, ticksBox, spans, from, to, ticks, label) {
  const len = to - from;
  const pos = (t) => Math.min(100, Math.max(0, ((new Date(t) - from) / len) * 100));
  const now = Date.now();
  const nodes = [];
  if (now > from && now < to) {
    const mark = el("span", { class: "now", title: "agora" });
    mark.style.left = `${pos(now)}%`;
    nodes.push(mark);
  }
  for (const s of spans) {
    if (new Date(s.end) <= from || new Date(s.start) >= to) continue;
    const left = pos(s.start);
    const span = el("button", {
      type: "button", class: "span", "data-start": s.start, "data-end": s.end,
      "aria-label": MSG.playFrom(showTime(new Date(s.start)), showTime(new Date(s.end))),
    });
    span.style.left = `${left}%`;
    span.style.width = `${Math.max(pos(s.end) - left, 0)}%`;
    nodes.push(span);
  }
  bar.replaceChildren(...nodes);
  bar.setAttribute("aria-label", label);
  bar.dataset.from = from.toISOString();
  bar.dataset.to = to.toISOString();
  ticksBox.replaceChildren(...ticks.map(([at, text]) => {
    const tick = el("span", {}, text);
    tick.style.left = `${pos(at)}%`;
    return tick;
  }));
}

function drawTimeline(tl, from, to) {
  cam.timeline = tl;
  const ticks = [];
  for (let h = 0; h <= 24; h += 3) ticks.push([from.getTime() + (h / 24) * (to - from), `${pad(h)}h`]);
  const day = showDay(cam.day);
  drawBar($("timeline"), $("timeline-horas"), tl.spans, from, to, ticks,
    MSG.timelineLabel(day, fmtPct.format(tl.coverage)));
  $("timeline-info").textContent =
    MSG.timelineInfo(fmtPct.format(tl.coverage), tl.segments, tl.spans.length, tl.gaps.length);
}

/** The hour around the playback start, minute by minute (short recordings vanish in a whole day). */
function drawDetail(at) {
  const tl = cam.timeline;
  if (!tl) return;
  const p = zoneParts(at);
  const from = fromZoned(p.year, p.month, p.day, p.hour);
  const to = new Date(from.getTime() + 3600 * 1000);
  const ticks = [0, 10, 20, 30, 40, 50, 60].map((m) => {
    const hour = m === 60 ? (p.hour + 1) % 24 : p.hour;
    return [from.getTime() + m * 60000, `${pad(hour)}:${pad(m % 60)}`];
  });
  $("detalhe-titulo").textContent = MSG.detailTitle(pad(p.hour), pad((p.hour + 1) % 24));
  drawBar($("timeline-detalhe"), $("timeline-detalhe-horas"), tl.spans, from, to, ticks,
    MSG.detailLabel(pad(p.hour), pad((p.hour + 1) % 24)));
  $("detalhe").hidden = false;
}

/** A click on a bar plays from that instant; a keyboard press on a span plays from its start. */
function onBarClick(ev) {
  const bar = ev.currentTarget;
  const from = new Date(bar.dataset.from);
  const to = new Date(bar.dataset.to);
  const span = ev.target.dataset && ev.target.dataset.start ? ev.target.dataset : null;
  let at;
  if (span && ev.detail === 0) {
    at = new Date(span.start);
  } else {
    const box = bar.getBoundingClientRect();
    at = new Date(from.getTime() + ((ev.clientX - box.left) / box.width) * (to - from));
    // A short span is drawn wider than it lasts: a click on it stays inside the recording.
    if (span) at = new Date(Math.min(Math.max(at, new Date(span.start)), new Date(span.end) - 1000));
  }
  const dayEnd = dayRange(cam.day)[1];
  setRange(at, new Date(Math.min(at.getTime() + 15 * 60 * 1000, dayEnd.getTime())), true);
}
$("timeline").addEventListener("click", onBarClick);
$("timeline-detalhe").addEventListener("click", onBarClick);

$("form-dia").addEventListener("submit", guarded(async (ev) => {
  ev.preventDefault();
  showError(null);
  cam.day = $("dia").value || localDay(new Date());
  player.stop();
  await loadTimeline(true);
}));

/** The playback window: fills the forms, the thumbnails and (when `autoplay`) the player. */
function setRange(from, to, autoplay) {
  cam.range = [from, to];
  drawDetail(from);
  $("rep-de").value = localClock(from);
  $("rep-ate").value = localClock(to);
  $("rec-inicio").value = localInput(from);
  $("rec-fim").value = localInput(new Date(Math.min(to.getTime(), from.getTime() + 60 * 1000)));
  guarded(loadThumbnails)();
  if (autoplay) guarded(loadPlayback)();
}

function rangeFromForm() {
  const [y, m, d] = cam.day.split("-").map(Number);
  const clock = (v) => (v || "00:00:00").split(":").map(Number);
  const [h1, m1, s1 = 0] = clock($("rep-de").value);
  const [h2, m2, s2 = 0] = clock($("rep-ate").value);
  const from = fromZoned(y, m, d, h1, m1, s1);
  let to = fromZoned(y, m, d, h2, m2, s2);
  if (to <= from) to = new Date(to.getTime() + DAY_MS); // "22:00 → 02:00" crosses midnight
  return [from, to];
}

$("form-reproducao").addEventListener("submit", guarded(async (ev) => {
  ev.preventDefault();
  showError(null);
  const [from, to] = rangeFromForm();
  cam.range = [from, to];
  drawDetail(from);
  await Promise.all([loadPlayback(), loadThumbnails()]);
}));

async function loadPlayback() {
  const [from, to] = cam.range;
  const gen = state.generation;
  const playlist = await apiText("GET", `/v1/cameras/${encodeURIComponent(cam.id)}/playback.m3u8`, {
    query: { from: rfc3339(from), to: rfc3339(to) },
  });
  if (gen !== state.generation) return;
  player.play({ playlist, startAt: from, label: MSG.recordingOf(showDateTime(from), showTime(to)) });
}

function loadThumbnails() {
  const [from, to] = cam.range;
  const strip = $("miniaturas");
  const more = $("miniaturas-mais");
  const gen = state.generation;
  let cursor = null;
  strip.replaceChildren();
  const load = guarded(async () => {
    const page = await api("GET", `/v1/cameras/${encodeURIComponent(cam.id)}/thumbnails`, {
      query: { from: rfc3339(from), to: rfc3339(to), limit: 60, cursor },
    });
    if (gen !== state.generation) return;
    strip.append(...page.items.map((t) => {
      const at = new Date(t.at);
      return el("button", {
        type: "button", class: "thumb", title: showDateTime(t.at),
        onclick: () => {
          if (!player.seekTo(at)) setRange(at, new Date(at.getTime() + 15 * 60 * 1000), true);
        },
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

// ------------------------------------------------------------------ clips

function clipItem(clip) {
  const li = el("li", { class: "clip" });
  const render = (c) => {
    const status = el("span", { class: `badge clip-${c.status}` }, CLIP_STATUS[c.status] || c.status);
    const range = `${showDateTime(c.start)} → ${showTime(new Date(c.end))} (${c.mode === "exact" ? MSG.exact : MSG.fast})`;
    const extra = [];
    if (c.status === "ready" && c.download_url) {
      const mb = c.size_bytes ? ` · ${fmtNum.format(c.size_bytes / 1e6)} MB` : "";
      const dur = c.duration_s ? ` · ${fmtNum.format(c.duration_s)} s` : "";
      extra.push(" ", el("a", { href: c.download_url, download: "recorte.mp4", rel: "noopener" }, MSG.download), `${dur}${mb}`);
    }
    if (c.status === "ready" && c.manifest_url) {
      extra.push(" · ", el("a", { href: c.manifest_url, download: "recorte.manifest.json", rel: "noopener" }, MSG.manifest),
        el("details", {}, el("summary", {}, MSG.howToVerify), el("p", { class: "small" }, MSG.manifestHelp),
          c.sha256 ? el("p", { class: "small" }, "SHA-256: ", el("code", {}, c.sha256)) : null));
    }
    if (c.status === "failed" && c.error) extra.push(el("span", { class: "error-text" }, ` ${c.error}`));
    if (c.held) extra.push(" ", el("span", { class: "badge" }, MSG.onHold), c.hold_reason ? ` (${c.hold_reason})` : "");
    if (cam.role !== "viewer") {
      const id = encodeURIComponent(c.id);
      const toggle = guarded(async () => {
        if (c.held) await api("DELETE", `/v1/clips/${id}/hold`);
        else await api("POST", `/v1/clips/${id}/hold`, { body: { reason: MSG.holdReason } });
        render(await api("GET", `/v1/clips/${id}`));
      });
      extra.push(" ", el("button", { type: "button", class: "secondary", onclick: toggle }, c.held ? MSG.unhold : MSG.hold));
      extra.push(" ", addToCaseButton("clip", c.id));
    }
    li.replaceChildren(status, " ", range, ...extra);
  };
  render(clip);
  if (clip.status === "queued" || clip.status === "processing") {
    const gen = state.generation;
    const timer = setInterval(async () => {
      try {
        const c = await api("GET", `/v1/clips/${encodeURIComponent(clip.id)}`);
        if (gen !== state.generation) return;
        render(c);
        if (c.status === "ready" || c.status === "failed") {
          clearInterval(timer);
          state.timers.delete(timer);
        }
      } catch (err) {
        clearInterval(timer);
        state.timers.delete(timer);
        if (gen === state.generation) li.append(el("span", { class: "error-text" }, ` ${err.message}`));
      }
    }, CLIP_POLL_MS);
    state.timers.add(timer);
  }
  return li;
}

async function loadClips() {
  const gen = state.generation;
  const page = await api("GET", "/v1/clips", { query: { camera_id: cam.id, limit: 10 } });
  if (gen !== state.generation) return;
  $("recortes").replaceChildren(...page.items.map(clipItem));
}

$("form-recorte").addEventListener("submit", guarded(async (ev) => {
  ev.preventDefault();
  showError(null);
  const start = parseLocal($("rec-inicio").value);
  const end = parseLocal($("rec-fim").value);
  if (!start || !end || end <= start) throw new Error(MSG.clipEndBeforeStart);
  const clip = await api("POST", "/v1/clips", {
    body: { camera_id: cam.id, start: rfc3339(start), end: rfc3339(end), mode: $("rec-modo").value },
  });
  $("recortes").prepend(clipItem({ ...clip, start: rfc3339(start), end: rfc3339(end), mode: $("rec-modo").value }));
}));


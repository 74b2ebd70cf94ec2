/* GT-Vision console — a camera's stream health on its screen: status, inbound kbps, fps, recording lag,
 * readers and the last hour's sparklines. A camera a manager stopped says so, without the last figures it had
 * while streaming (they are not its state any more). */

import { $, api, el, guarded, state, statusBadge } from "../core.js";
import { rfc3339, showDateTime } from "../format.js";
import { MSG } from "../strings.js";

const HEALTH_POLL_MS = 30000;

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

/** Draw the camera's health (`cam`: the screen's state, with `streamStatus`) and poll it every 30 s. */
export async function loadMetrics(cam) {
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
  const stopped = cam.streamStatus === "stopped";
  const c = stopped ? {} : m.current;
  const num = (v, digits = 0, unit = "") => (v === null || v === undefined ? "—" : `${v.toFixed(digits)}${unit}`);
  const lastKbps = [...m.samples].reverse().find((s) => s.inbound_kbps !== null);
  box.replaceChildren(
    el("p", {}, stopped
      ? [statusBadge("stopped", m.camera_id), " ", MSG.streamStopped]
      : [statusBadge(m.status, m.camera_id), m.since ? MSG.since(showDateTime(m.since)) : ""]),
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
  if (m.current && m.current.fps) cam.fps = m.current.fps;
  setTimeout(() => { if (gen === state.generation && id === cam.id) guarded(() => loadMetrics(cam))(); }, HEALTH_POLL_MS);
}

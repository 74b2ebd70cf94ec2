/* GT-Vision console — live events (the WebSocket API, issue 14): alerts, camera status and clips pushed by
 * the server become a toast, a new row on the alerts list and updated status badges, without a reload.
 * Reconnects with growing, jittered delays and says when it is offline. */

import { $, el, hasToken, state, statusBadge, token } from "./core.js";
import { alertRow } from "./screens/alerts.js";
import { ALERT_KIND, MSG } from "./strings.js";

const url = (document.querySelector('meta[name="gtv-ws-url"]') || {}).content || "";
let socket = null;
let wanted = false;
let attempt = 0;
let timer = null;

const offline = (off) => { $("tempo-real-off").hidden = !off; };

function toast(text, href, kind) {
  const box = el("div", { class: `toast ${kind || ""}`, role: "alert" }, href ? el("a", { href }, text) : text);
  $("avisos").prepend(box);
  setTimeout(() => box.remove(), 15000);
}

function onEvent(msg) {
  const d = msg.data || {};
  if (msg.type === "alert") {
    const what = d.kind === "ops" ? `${ALERT_KIND.ops} · ${MSG.opsAlert(d.detail)}` : ALERT_KIND[d.kind] || d.kind;
    toast(MSG.liveAlert(d.plate, what), "#/alertas");
    const list = $("alertas-lista");
    if (!$("tela-alertas").hidden && ![...list.children].some((tr) => tr.dataset.alert === String(d.id))) {
      list.prepend(alertRow(d));
      $("alertas-vazio").hidden = true;
    }
  } else if (msg.type === "stream.status") {
    for (const badge of document.querySelectorAll(".badge[data-camera]")) {
      if (badge.dataset.camera === d.camera_id) badge.replaceWith(statusBadge(d.status, d.camera_id));
    }
  } else if (msg.type === "export.status") {
    document.dispatchEvent(new CustomEvent("gtv:export", { detail: d })); // screens/cases.js redraws it
  } else if (msg.type === "clip.status" && (d.status === "ready" || d.status === "failed")) {
    toast(d.status === "ready" ? MSG.clipReady : MSG.clipFailed, `#/cameras/${d.camera_id}`, "info");
  }
}

function open() {
  if (!wanted || !hasToken() || !url) return offline(wanted && Boolean(url));
  const ws = new WebSocket(`${url}?token=${encodeURIComponent(token())}`);
  socket = ws;
  ws.onopen = () => ws.send(JSON.stringify({ action: "subscribe", topics: ["alerts", "streams", "clips"] }));
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (msg.type === "subscribed") { attempt = 0; offline(false); } else onEvent(msg);
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    offline(wanted);
    if (!wanted) return;
    const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt += 1;
    timer = setTimeout(open, delay);
  };
  return undefined;
}

export function startLive() {
  if (wanted) return;
  wanted = true;
  open();
}

export function stopLive() {
  wanted = false;
  clearTimeout(timer);
  const ws = socket;
  socket = null;
  if (ws) ws.close();
  offline(false);
}

state.onEnd.add(stopLive);

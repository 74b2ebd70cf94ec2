/* GT-Vision console — the alarm panel, beside every screen while signed in: the alerts still to handle
 * (GET /v1/alerts?open=true, or the filters chosen), newest first, kept current by live events (`alert`,
 * `alert.updated`). A counter shows how many are not acknowledged yet; a new high-priority alert beeps (Web
 * Audio, no file) unless muted. Operators acknowledge, close with a note (PATCH /v1/alerts/{id}) and open the
 * camera at the alert's instant. Every console of the city sees each change at once. */

import { $, api, camerasOfCity, canManage, el, me, nameOf, state } from "./core.js";
import { showDateTime } from "./format.js";
import { ALARM, ALERT_KIND, MSG } from "./strings.js";

const MUTE_KEY = "gtv.alarms.muted";
const MAX_ITEMS = 100;

const view = { filters: { open: "true" }, items: new Map(), wired: false, started: false, audio: null, ui: {} };

const canHandle = () => ["admin", "manager", "operator"].includes((me() || {}).role);
const muted = () => localStorage.getItem(MUTE_KEY) === "1";

/** One short two-tone beep; the panel's `data-sound` counts the beeps played (what tests read). */
function beep() {
  const panel = $("alarmes");
  panel.dataset.sound = String(Number(panel.dataset.sound || 0) + 1);
  try {
    view.audio = view.audio || new AudioContext();
    const ctx = view.audio;
    if (ctx.state === "suspended") ctx.resume().catch(() => null);
    for (const [i, freq] of [880, 660].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(ctx.destination);
      const at = ctx.currentTime + i * 0.18;
      osc.start(at);
      osc.stop(at + 0.15);
    }
  } catch {
    /* no audio device: the counter and the highlight still show the alarm */
  }
}

/** Whether an alert belongs in the list under the current filters. */
function matches(a) {
  const f = view.filters;
  if (f.open === "true" && (a.resolved_at || a.status === "closed")) return false;
  if (f.status && a.status !== f.status) return false;
  if (f.priority && a.priority !== f.priority) return false;
  if (f.kind && a.kind !== f.kind) return false;
  if (f.camera_id && a.camera_id !== f.camera_id) return false;
  return true;
}

function renderCounter() {
  const unread = [...view.items.values()].filter((a) => a.status === "open" && !a.resolved_at).length;
  const { counter } = view.ui;
  counter.textContent = String(unread);
  counter.classList.toggle("zero", unread === 0);
  $("alarmes").dataset.unread = String(unread);
}

async function handle(alert, status, note) {
  const body = note ? { status, note } : { status };
  const updated = await api("PATCH", `/v1/alerts/${encodeURIComponent(alert.id)}`, { body });
  upsert(updated, false);
}

function closeForm(alert, item) {
  const note = el("textarea", { rows: "2", maxlength: "2000", "aria-label": ALARM.notePrompt,
    placeholder: ALARM.notePrompt, class: "alarm-note-input" });
  const error = el("p", { class: "error-text small", role: "alert" });
  const form = el("form", { class: "alarm-close" }, note,
    el("div", { class: "actions" },
      el("button", { type: "submit", class: "danger" }, ALARM.confirmClose),
      el("button", { type: "button", class: "secondary", onclick: () => form.remove() }, ALARM.cancel)),
    error);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!note.value.trim()) { error.textContent = ALARM.noteRequired; return; }
    try {
      await handle(alert, "closed", note.value.trim());
    } catch (err) {
      error.textContent = err.message;
    }
  });
  item.append(form);
  note.focus();
}

function itemOf(a) {
  const camera = el("span", { class: "alarm-camera" }, a.camera_id ? a.camera_id.slice(0, 8) : "");
  if (a.camera_id) nameOf("camera", a.camera_id).then((n) => { camera.textContent = n; });
  const at = a.captured_at || a.created_at;
  const who = a.status === "acknowledged" ? ALARM.acknowledgedBy(a.acknowledged_by_name || "—")
    : a.status === "closed" ? ALARM.closedBy(a.closed_by_name || "—") : ALARM.status[a.status];
  const actions = el("div", { class: "actions" });
  const item = el("li", {
    class: `alarm alarm-${a.priority} alarm-status-${a.status}${a.resolved_at ? " alarm-resolved" : ""}`,
    "data-alert": a.id, "data-status": a.status, "data-priority": a.priority,
  },
  el("div", { class: "alarm-head" },
    el("span", { class: `badge alert-${a.kind}` }, ALERT_KIND[a.kind] || a.kind),
    a.priority === "high" ? el("span", { class: "badge priority-high" }, ALARM.high) : null,
    a.plate ? el("a", { class: "plate", href: `#/placas?placa=${encodeURIComponent(a.plate)}` }, a.plate) : null,
    a.kind === "ops" ? el("span", { class: "ops", title: a.detail.description || "" }, MSG.opsAlert(a.detail)) : null),
  el("div", { class: "small" }, camera, " · ", showDateTime(at)),
  el("div", { class: "small muted alarm-who" }, who, a.resolved_at ? ALARM.resolvedAt(showDateTime(a.resolved_at)) : ""),
  a.note ? el("p", { class: "small alarm-note" }, ALARM.note(a.note)) : null,
  actions);
  if (a.camera_id) {
    actions.append(el("a", { class: "button-link", href: `#/cameras/${a.camera_id}?em=${encodeURIComponent(at)}` },
      ALARM.openCamera));
  }
  if (canHandle()) {
    if (a.status === "open") {
      actions.append(el("button", { type: "button", class: "ack", onclick: () => handle(a, "acknowledged")
        .catch((err) => { item.querySelector(".alarm-who").textContent = err.message; }) }, ALARM.acknowledge));
    }
    if (a.status !== "closed") {
      actions.append(el("button", { type: "button", class: "secondary close",
        onclick: () => { if (!item.querySelector("form")) closeForm(a, item); } }, ALARM.close));
    }
  }
  return item;
}

/** Put an alert in the list (or take it out when it no longer matches the filters); `fresh`: a new one. */
function upsert(a, fresh) {
  const { list } = view.ui;
  const old = list.querySelector(`[data-alert="${CSS.escape(a.id)}"]`);
  if (!matches(a)) {
    view.items.delete(a.id);
    if (old) old.remove();
  } else {
    view.items.set(a.id, a);
    const item = itemOf(a);
    if (old) old.replaceWith(item);
    else list.prepend(item);
    if (fresh) item.classList.add("alarm-new");
    while (list.children.length > MAX_ITEMS) {
      view.items.delete(list.lastElementChild.dataset.alert);
      list.lastElementChild.remove();
    }
  }
  view.ui.empty.hidden = list.children.length > 0;
  renderCounter();
}

async function reload() {
  const query = { limit: 50, ...view.filters };
  const page = await api("GET", "/v1/alerts", { query });
  view.items.clear();
  view.ui.list.replaceChildren();
  for (const a of [...page.items].reverse()) upsert(a, false);
  view.ui.empty.hidden = page.items.length > 0;
  renderCounter();
}

function onLive(ev) {
  const msg = ev.detail || {};
  if (msg.type === "subscribed") { reload().catch(() => null); return; }
  if (msg.type !== "alert" && msg.type !== "alert.updated") return;
  const a = msg.data || {};
  upsert(a, msg.type === "alert");
  if (msg.type === "alert" && a.priority === "high" && !muted() && matches(a)) beep();
}

/** A labelled filter; its <select> is kept in view.ui[key]. */
function select(key, id, label, options) {
  view.ui[key] = el("select", { id }, ...options.map(([value, text]) => el("option", { value }, text)));
  return el("label", { class: "field small", for: id }, label, view.ui[key]);
}

/** The panel's header, filters and list, built once. */
function build() {
  const panel = $("alarmes");
  const soundBtn = el("button", { type: "button", id: "alarmes-som", class: "secondary small",
    "aria-pressed": String(!muted()) }, muted() ? ALARM.soundOff : ALARM.soundOn);
  soundBtn.addEventListener("click", () => {
    localStorage.setItem(MUTE_KEY, muted() ? "0" : "1");
    soundBtn.textContent = muted() ? ALARM.soundOff : ALARM.soundOn;
    soundBtn.setAttribute("aria-pressed", String(!muted()));
    panel.dataset.muted = String(muted());
  });
  const toggle = el("button", { type: "button", id: "alarmes-recolher", class: "secondary small",
    "aria-expanded": "true", "aria-controls": "alarmes-corpo" }, ALARM.collapse);
  toggle.addEventListener("click", () => foldAlarms(!view.ui.body.hidden));
  const kinds = Object.entries(ALERT_KIND);
  const filters = el("form", { id: "alarmes-filtros", class: "alarm-filters" },
    select("status", "alarmes-f-status", ALARM.filterStatus, [["", ALARM.stillOpen], ["open", ALARM.status.open],
      ["acknowledged", ALARM.status.acknowledged], ["closed", ALARM.status.closed], ["all", ALARM.all]]),
    select("priority", "alarmes-f-prioridade", ALARM.filterPriority, [["", ALARM.all], ["high", ALARM.high],
      ["normal", ALARM.normal]]),
    select("kind", "alarmes-f-tipo", ALARM.filterKind, [["", ALARM.all], ...kinds]),
    select("camera", "alarmes-f-camera", ALARM.filterCamera, [["", ALARM.all]]));
  filters.addEventListener("change", () => {
    const { status, priority, kind, camera } = view.ui;
    view.filters = {
      ...(status.value === "" ? { open: "true" } : status.value === "all" ? {} : { status: status.value }),
      ...(priority.value ? { priority: priority.value } : {}),
      ...(kind.value ? { kind: kind.value } : {}),
      ...(camera.value ? { camera_id: camera.value } : {}),
    };
    reload().catch(() => null);
  });
  view.ui.counter = el("span", { id: "alarmes-nao-lidos", class: "count zero", title: ALARM.unreadHelp }, "0");
  view.ui.empty = el("p", { id: "alarmes-vazio", class: "muted small" }, ALARM.empty);
  view.ui.list = el("ul", { id: "alarmes-lista", class: "alarm-list", "aria-live": "polite" });
  view.ui.body = el("div", { id: "alarmes-corpo" }, filters, view.ui.empty, view.ui.list);
  panel.replaceChildren(
    el("div", { class: "alarm-top" },
      el("h2", { id: "alarmes-titulo" }, ALARM.title, " ", view.ui.counter,
        el("span", { class: "sr-only" }, ALARM.unreadHelp)),
      soundBtn, toggle),
    view.ui.body);
  panel.dataset.muted = String(muted());
  panel.dataset.sound = "0";
}

async function loadCameras() {
  const user = me() || {};
  if (!user.city_id) return;
  const cams = await camerasOfCity(user.city_id);
  view.ui.camera.append(...cams.map((c) => el("option", { value: c.id }, c.name)));
}

/** Show the panel for the signed-in user (live events keep it current). */
export function startAlarms() {
  if (view.started) return;
  view.started = true;
  if (!view.wired) {
    window.addEventListener("gtv:live", onLive);
    view.wired = true;
  }
  build();
  $("alarmes").hidden = false;
  document.body.classList.add("with-alarms");
  placeAlarms();
  $("alarmes").dataset.canHandle = String(canHandle() || canManage());
  reload().catch(() => null);
  loadCameras().catch(() => null);
}

/** Fold the panel to its header (its counter stays in sight) or open it again; returns whether it was folded.
 * The video wall folds it, so the wall takes the window's width. */
export function foldAlarms(folded) {
  const { body } = view.ui;
  const toggle = document.getElementById("alarmes-recolher");
  if (!body || !toggle) return true;
  const was = body.hidden;
  body.hidden = folded;
  toggle.setAttribute("aria-expanded", String(!folded));
  toggle.textContent = folded ? ALARM.expand : ALARM.collapse;
  document.body.classList.toggle("alarms-collapsed", folded);
  placeAlarms();
  return was;
}

/** The panel starts below the top bar, however many lines the menu takes. */
export function placeAlarms() {
  const bar = document.querySelector(".topbar");
  if (bar && window.innerWidth > 900) $("alarmes").style.top = `${Math.ceil(bar.getBoundingClientRect().bottom)}px`;
  else $("alarmes").style.top = "";
}
window.addEventListener("resize", placeAlarms);

export function stopAlarms() {
  view.started = false;
  view.items.clear();
  view.filters = { open: "true" };
  $("alarmes").hidden = true;
  $("alarmes").replaceChildren();
  document.body.classList.remove("with-alarms", "alarms-collapsed");
}

state.onEnd.add(stopAlarms);

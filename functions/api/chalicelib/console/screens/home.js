/* GT-Vision console — home dashboard: per city, cameras online/offline/stalled (GET /v1/cities/{id}/health),
 * open alerts, the last LPR reads and, for managers, the clips being exported. It is redrawn when a live event
 * says something it shows changed (an alert raised or handled, a camera's status, a clip), not on a timer. */

import { $, api, canManage, el, me, nameCell, showScreen, state, useHomeZone, PAGE } from "../core.js";
import { showDateTime } from "../format.js";
import { ALERT_KIND, CLIP_STATUS, MSG } from "../strings.js";

// Live events that change what the dashboard shows; a burst of them is one redraw.
const REDRAW_ON = new Set(["alert", "alert.updated", "stream.status", "clip.status"]);
const SETTLE_MS = 400;

const count = (n, label, cls) => el("div", { class: `stat ${cls || ""}` }, el("strong", {}, String(n)), el("span", {}, label));

async function cityCard(city) {
  const id = encodeURIComponent(city.id);
  const [h, reads] = await Promise.all([
    api("GET", `/v1/cities/${id}/health`),
    api("GET", "/v1/lpr/events", { query: { city_id: city.id, limit: 5 } }).catch((err) => {
      if (err.status === 401) throw err;
      return { items: [] };
    }),
  ]);
  return el("section", { class: "card home-city", "data-city": city.id },
    el("h2", {}, el("a", { href: `#/cidades/${city.id}` }, city.name)),
    el("div", { class: "stats" },
      count(h.online, MSG.health.online, "ok"), count(h.offline, MSG.health.offline, "bad"),
      count(h.recording_stalled.length, MSG.health.stalled, "warn"), count(h.unknown, MSG.health.unknown),
      count(h.open_alerts, MSG.health.openAlerts, h.open_alerts ? "bad" : "")),
    el("h3", {}, MSG.lastReads),
    reads.items.length
      ? el("ul", { class: "reads" }, ...reads.items.map((r) => el("li", {},
        el("a", { class: "plate", href: `#/placas?placa=${encodeURIComponent(r.plate)}` }, r.plate), " · ",
        showDateTime(r.captured_at))))
      : el("p", { class: "muted" }, MSG.noReadsYet));
}

async function alertsCard() {
  const page = await api("GET", "/v1/alerts", { query: { open: "true", limit: 5 } });
  return el("section", { class: "card" },
    el("h2", {}, el("a", { href: "#/alertas?abertos=1" }, MSG.openAlerts)),
    page.items.length
      ? el("table", { class: "list" }, el("tbody", {}, ...page.items.map((a) => el("tr", {},
        el("td", {}, ALERT_KIND[a.kind] || a.kind), el("td", {}, a.plate || MSG.none),
        nameCell("camera", a.camera_id, a.camera_id ? `#/cameras/${a.camera_id}` : null),
        el("td", {}, showDateTime(a.created_at))))))
      : el("p", { class: "muted" }, MSG.noOpenAlerts));
}

async function clipsCard() {
  const pages = await Promise.all(["queued", "processing"].map((status) =>
    api("GET", "/v1/clips", { query: { status, limit: 10 } })));
  const clips = pages.flatMap((p) => p.items);
  return el("section", { class: "card" },
    el("h2", {}, MSG.clipsInProgress),
    clips.length
      ? el("ul", {}, ...clips.map((c) => el("li", {},
        el("span", { class: `badge clip-${c.status}` }, CLIP_STATUS[c.status] || c.status), " ",
        el("a", { href: `#/cameras/${c.camera_id}` }, showDateTime(c.start)))))
      : el("p", { class: "muted" }, MSG.noClipsInProgress));
}

export async function showHome() {
  showScreen("inicio");
  await useHomeZone();
  const gen = state.generation;
  const box = $("inicio-conteudo");
  const refresh = async () => {
    const user = me() || {};
    const cities = user.city_id
      ? [await api("GET", `/v1/cities/${encodeURIComponent(user.city_id)}`)]
      : (await api("GET", "/v1/cities", { query: { limit: PAGE } })).items.slice(0, 12);
    const cards = await Promise.all([
      ...cities.map(cityCard), alertsCard(), canManage() ? clipsCard() : null,
    ]);
    if (gen !== state.generation) return;
    box.replaceChildren(...cards.filter(Boolean));
  };
  await refresh();
  let pending = null;
  const onLive = (ev) => {
    if (gen !== state.generation || !REDRAW_ON.has((ev.detail || {}).type) || pending) return;
    pending = setTimeout(() => {
      pending = null;
      refresh().then(() => { box.dataset.redrawn = String(Number(box.dataset.redrawn || 0) + 1); }, () => null);
    }, SETTLE_MS);
  };
  const stop = () => {
    window.removeEventListener("gtv:live", onLive);
    clearTimeout(pending);
    state.onLeave.delete(stop);
  };
  window.addEventListener("gtv:live", onLive);
  state.onLeave.add(stop);
}

/* GT-Vision console — the cities list and a city's page (its health and cameras). */

import { $, api, el, guarded, names, nameOf, pagedList, showScreen, state, statusBadge, useCityZone, PAGE } from "../core.js";
import { showDateTime } from "../format.js";
import { MSG } from "../strings.js";

const HEALTH_POLL_MS = 30000;

export function showCities() {
  showScreen("cidades");
  return pagedList({
    body: $("cidades-lista"),
    more: $("cidades-mais"),
    fetchPage: (cursor) => api("GET", "/v1/cities", { query: { limit: PAGE, cursor } }),
    renderRow: (c) => {
      names.city.set(c.id, Promise.resolve(c.name));
      return el("tr", {},
        el("td", {}, el("a", { href: `#/cidades/${c.id}` }, c.name)),
        el("td", {}, c.state || "—"),
        el("td", {}, c.retention_days ? MSG.days(c.retention_days) : "—"));
    },
  });
}

async function loadCityHealth(cityId) {
  const box = $("cidade-saude");
  const h = await api("GET", `/v1/cities/${encodeURIComponent(cityId)}/health`);
  const count = (n, label) => el("span", {}, el("strong", {}, String(n)), label);
  box.replaceChildren(
    el("div", { class: "health-counts" },
      count(h.cameras, "câmeras"), count(h.online, "online"), count(h.offline, "offline"),
      count(h.unknown, "desconhecidas"), count(h.recording_stalled.length, "com gravação parada"),
      count(h.open_alerts, "alertas abertos"), count(h.lpr_reads_last_hour, "leituras LPR na última hora")),
    h.troubled.length
      ? el("ul", {}, ...h.troubled.map((t) => el("li", {},
        el("a", { href: `#/cameras/${t.camera_id}` }, t.name), " ", statusBadge(t.status),
        h.recording_stalled.includes(t.camera_id) ? [" ", el("span", { class: "badge alert-recording_stalled" }, "gravação parada")] : null,
        t.since ? ` desde ${showDateTime(t.since)}` : "")))
      : el("p", { class: "muted" }, "Nenhuma câmera com problema."),
    el("p", {}, el("a", { href: "#/alertas?abertos=1" }, "Ver alertas abertos")));
}

export async function showCity(cityId) {
  showScreen("cidade");
  $("cidade-titulo").textContent = "Câmeras";
  $("cidade-saude").replaceChildren();
  nameOf("city", cityId).then((n) => { $("cidade-titulo").textContent = `Câmeras · ${n}`; });
  const gen = state.generation;
  const refresh = guarded(async () => {
    if (gen !== state.generation) return;
    await loadCityHealth(cityId);
    setTimeout(refresh, HEALTH_POLL_MS);
  });
  refresh();
  await useCityZone(cityId);
  await pagedList({
    body: $("cameras-lista"),
    more: $("cameras-mais"),
    empty: $("cameras-vazio"),
    fetchPage: (cursor) => api("GET", `/v1/cities/${encodeURIComponent(cityId)}/cameras`, { query: { limit: PAGE, cursor } }),
    renderRow: (cam) => {
      names.camera.set(cam.id, Promise.resolve(cam.name));
      return el("tr", {},
        el("td", {}, el("a", { href: `#/cameras/${cam.id}` }, cam.name)),
        el("td", {}, statusBadge(cam.status)),
        el("td", {}, cam.lpr_enabled ? "sim" : "não"));
    },
  });
}


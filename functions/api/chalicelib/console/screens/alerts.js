/* GT-Vision console — alerts (watchlist hits, clone suspects, camera health, platform faults), newest first. */

import { $, api, el, nameCell, pagedList, showScreen, PAGE } from "../core.js";
import { showDateTime } from "../format.js";
import { ALERT_KIND, MSG } from "../strings.js";

const HEALTH_KINDS = { camera_offline: true, recording_stalled: true, ops: true };

export function showAlerts(params) {
  const onlyOpen = params && params.get("abertos") === "1";
  showScreen("alertas");
  $("alertas-titulo").textContent = onlyOpen ? MSG.openAlerts : MSG.alerts;
  return pagedList({
    body: $("alertas-lista"),
    more: $("alertas-mais"),
    empty: $("alertas-vazio"),
    fetchPage: (cursor) => api("GET", "/v1/alerts",
      { query: { limit: PAGE, cursor, ...(onlyOpen ? { open: "true" } : {}) } }),
    renderRow: alertRow,
  });
}


/** One alert as a row (also what a live event prepends, live.js). */
export const alertRow = (a) => el("tr", { "data-alert": a.id },
  el("td", {}, el("span", { class: `badge alert-${a.kind}` }, ALERT_KIND[a.kind] || a.kind)),
  el("td", {}, a.kind === "ops" ? el("span", { class: "ops", title: a.detail.description || "" }, MSG.opsAlert(a.detail))
    : a.plate ? el("a", { class: "plate", href: `#/placas?placa=${encodeURIComponent(a.plate)}` }, a.plate) : "—"),
  nameCell("camera", a.camera_id, a.camera_id ? `#/cameras/${a.camera_id}` : null),
  el("td", {}, showDateTime(a.captured_at)),
  el("td", {}, showDateTime(a.created_at)),
  el("td", {}, a.resolved_at ? showDateTime(a.resolved_at) : (a.kind in HEALTH_KINDS ? MSG.stillOpen : MSG.none)));

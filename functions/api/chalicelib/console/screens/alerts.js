/* GT-Vision console — alerts (watchlist hits, clone suspects, camera health, recording changes, platform faults),
 * newest first, with their handling state; rows follow live events (a new alert on top, a handled one updated
 * in place). */

import { $, api, el, nameCell, pagedList, showScreen, state, PAGE } from "../core.js";
import { showDateTime } from "../format.js";
import { ALARM, ALERT_KIND, ALERT_STATUS, MSG } from "../strings.js";

const HEALTH_KINDS = { camera_offline: true, recording_stalled: true, camera_tampered: true, ops: true };

export function showAlerts(params) {
  const onlyOpen = params && params.get("abertos") === "1";
  showScreen("alertas");
  $("alertas-titulo").textContent = onlyOpen ? MSG.openAlerts : MSG.alerts;
  const follow = (ev) => {
    const msg = ev.detail || {};
    if (msg.type !== "alert.updated" || $("tela-alertas").hidden) return;
    const row = $("alertas-lista").querySelector(`[data-alert="${CSS.escape(String(msg.data.id))}"]`);
    if (!row) return;
    const gone = onlyOpen && (msg.data.status === "closed" || msg.data.resolved_at);
    if (gone) row.remove(); else row.replaceWith(alertRow(msg.data));
  };
  const stop = () => { window.removeEventListener("gtv:live", follow); state.onLeave.delete(stop); };
  window.addEventListener("gtv:live", follow);
  state.onLeave.add(stop);
  return pagedList({
    body: $("alertas-lista"),
    more: $("alertas-mais"),
    empty: $("alertas-vazio"),
    fetchPage: (cursor) => api("GET", "/v1/alerts",
      { query: { limit: PAGE, cursor, ...(onlyOpen ? { open: "true" } : {}) } }),
    renderRow: alertRow,
  });
}

/** When the alert ended: a health incident when it resolved itself, any alert when someone closed it. */
function ended(a) {
  if (a.resolved_at) return showDateTime(a.resolved_at);
  if (a.closed_at) return showDateTime(a.closed_at);
  return a.kind in HEALTH_KINDS || a.status !== "closed" ? MSG.stillOpen : MSG.none;
}

/** One alert as a row (also what a live event prepends, live.js). */
export const alertRow = (a) => el("tr", { "data-alert": a.id, "data-status": a.status },
  el("td", {}, el("span", { class: `badge alert-${a.kind}` }, ALERT_KIND[a.kind] || a.kind),
    a.priority === "high" ? el("span", { class: "badge priority-high" }, ALARM.high) : null),
  el("td", { title: a.note || "" }, ALERT_STATUS[a.status] || a.status || MSG.none),
  el("td", {}, a.kind === "ops" ? el("span", { class: "ops", title: a.detail.description || "" }, MSG.opsAlert(a.detail))
    : a.plate ? el("a", { class: "plate", href: `#/placas?placa=${encodeURIComponent(a.plate)}` }, a.plate) : "—"),
  nameCell("camera", a.camera_id, a.camera_id
    ? `#/cameras/${a.camera_id}?em=${encodeURIComponent(a.captured_at || a.created_at)}` : null),
  el("td", {}, showDateTime(a.captured_at)),
  el("td", {}, showDateTime(a.created_at)),
  el("td", {}, ended(a)));

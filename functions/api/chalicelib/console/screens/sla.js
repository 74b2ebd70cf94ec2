/* GT-Vision console — availability (SLA) report: a month's recorded vs expected time per camera, as a table
 * with a bar each, and the CSV a rental contract is checked against. */

import { $, allCities, api, apiText, el, guarded, latest, me, showScreen } from "../core.js";
import { MSG } from "../strings.js";

const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(2).replace(".", ",")}%`);
const hours = (s) => (s / 3600).toFixed(1).replace(".", ",");
const minutes = (s) => (s / 60).toFixed(1).replace(".", ",");

/** "11/2026" or "2026-11" → "2026-11" (null when it is neither). */
export function parseMonth(text) {
  const t = (text || "").trim();
  let m = /^(\d{1,2})\/(\d{4})$/.exec(t);
  if (m) return `${m[2]}-${m[1].padStart(2, "0")}`;
  m = /^(\d{4})-(\d{2})$/.exec(t);
  return m ? t : null;
}

function download(text, filename) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function row(c) {
  const bar = el("span", { class: "sla-bar-fill" });
  bar.style.width = `${Math.round((c.availability || 0) * 1000) / 10}%`; // CSSOM: the CSP has no inline styles
  if ((c.availability ?? 1) < 0.95) bar.classList.add("low");
  return el("tr", { "data-camera": c.camera_id },
    el("th", { scope: "row" }, el("a", { href: `#/cameras/${c.camera_id}` }, c.name)),
    el("td", { class: "num" }, hours(c.expected_s)),
    el("td", { class: "num" }, hours(c.recorded_s)),
    el("td", { class: "num sla-pct" }, pct(c.availability)),
    el("td", {}, el("span", { class: "sla-bar", role: "img", "aria-label": MSG.sla.bar(pct(c.availability)) }, bar)),
    el("td", { class: "num" }, String(c.incidents)),
    el("td", { class: "num" }, minutes(c.longest_gap_s)));
}

export async function showSla(params) {
  showScreen("disponibilidade");
  const select = $("sla-cidade");
  const cities = await allCities();
  select.replaceChildren(...cities.map((c) => el("option", { value: c.id }, `${c.name}/${c.state}`)));
  select.value = params.get("cidade") || (me() || {}).city_id || (cities[0] || {}).id || "";
  const monthField = $("sla-mes");
  if (params.get("mes")) monthField.value = params.get("mes");
  const query = () => {
    const month = parseMonth(monthField.value);
    if (monthField.value.trim() && !month) throw new Error(MSG.sla.badMonth);
    return month ? { month } : {};
  };
  const ask = latest(); // an older answer arriving late (the month first shown) is dropped
  const load = guarded(async () => {
    if (!select.value) return;
    const mine = ask.next();
    const out = await api("GET", `/v1/cities/${encodeURIComponent(select.value)}/sla`, { query: query() });
    if (!ask.isCurrent(mine)) return;
    const [y, m] = out.month.split("-");
    if (!monthField.value.trim()) monthField.value = `${m}/${y}`;
    $("sla-total").textContent = MSG.sla.total(`${m}/${y}`, pct(out.availability));
    $("sla-lista").replaceChildren(...out.cameras.map(row));
    $("sla-vazio").hidden = out.cameras.length > 0;
  });
  $("form-sla").onsubmit = (e) => { e.preventDefault(); load(); };
  $("sla-csv").onclick = guarded(async () => {
    const text = await apiText("GET", `/v1/cities/${encodeURIComponent(select.value)}/sla`,
      { query: { ...query(), format: "csv" } });
    download(text, `disponibilidade-${query().month || MSG.sla.currentMonth}.csv`);
  });
  await load();
}

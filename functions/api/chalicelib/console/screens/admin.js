/* GT-Vision console — management screens by role: users (manager: own city's viewers and managers; admin:
 * all), the watchlist, the audit log (filters, CSV export) and "Meus dados" (LGPD: view, export, delete). */

import {
  $, allCities, api, apiText, el, endSession, guarded, isAdmin, me, nameCell, pagedList, showScreen, PAGE,
} from "../core.js";
import { parseLocal, rfc3339, showDateTime } from "../format.js";
import { MSG, ROLE } from "../strings.js";
import { dangerButton, field, formCard, values } from "../ui.js";

const table = (headers, body) => el("table", { class: "list" },
  el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))), body);

function listScaffold(name, title, headers) {
  showScreen("gestao");
  $("gestao-titulo").textContent = title;
  const body = el("tbody", { id: `${name}-lista` });
  const more = el("button", { type: "button", class: "secondary", hidden: true }, MSG.loadMore);
  const empty = el("p", { class: "muted", hidden: true }, MSG.none);
  const top = el("div");
  $("gestao-conteudo").replaceChildren(top, table(headers, body), empty, more);
  return { body, more, empty, top };
}

/** Downloads a text the API returned (the bearer token cannot ride on a plain link). */
function download(text, filename, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ------------------------------------------------------------------ users

export async function showUsers() {
  const { body, more, empty, top } = listScaffold("usuarios", MSG.users, [MSG.username, MSG.role, MSG.city, ""]);
  const roles = isAdmin() ? ["viewer", "manager", "admin"] : ["viewer", "manager"];
  const fields = [
    { name: "username", label: MSG.username, required: true },
    { name: "password", label: MSG.password, type: "password", required: true, autocomplete: "new-password" },
    { name: "role", label: MSG.role, options: roles.map((r) => [r, ROLE[r]]) },
  ];
  if (isAdmin()) {
    const cities = await allCities();
    fields.push({ name: "city_id", label: MSG.city, options: [["", MSG.none], ...cities.map((c) => [c.id, c.name])] });
  }
  top.replaceChildren(formCard({
    title: MSG.newUser, id: "form-usuario", submit: MSG.create, fields,
    onSubmit: async (v) => {
      await api("POST", "/v1/users", { body: { ...v, city_id: isAdmin() ? v.city_id : (me() || {}).city_id } });
      await showUsers();
    },
  }));
  return pagedList({
    body, more, empty,
    fetchPage: (cursor) => api("GET", "/v1/users", { query: { limit: PAGE, cursor } }),
    renderRow: (u) => el("tr", {},
      el("td", {}, u.username),
      el("td", {}, ROLE[u.role] || u.role),
      u.city_id ? nameCell("city", u.city_id, null) : el("td", {}, MSG.none),
      el("td", { class: "actions" }, u.id === (me() || {}).id ? "" : dangerButton(MSG.remove, async () => {
        await api("DELETE", `/v1/users/${encodeURIComponent(u.id)}`);
        await showUsers();
      }))),
  });
}

// ------------------------------------------------------------------ watchlist

export function showWatchlist() {
  const { body, more, empty, top } = listScaffold("observacao", MSG.watchlist, [MSG.plate, MSG.reason, MSG.when, ""]);
  top.replaceChildren(formCard({
    title: MSG.newWatch, id: "form-observacao", submit: MSG.create,
    fields: [
      { name: "plate", label: MSG.plate, required: true, placeholder: "ABC1D23" },
      { name: "reason", label: MSG.reason, required: true },
    ],
    onSubmit: async (v) => {
      await api("POST", "/v1/watchlist", { body: { plate: (v.plate || "").trim().toUpperCase(), reason: v.reason } });
      await showWatchlist();
    },
  }));
  return pagedList({
    body, more, empty,
    fetchPage: (cursor) => api("GET", "/v1/watchlist", { query: { limit: PAGE, cursor } }),
    renderRow: (w) => el("tr", {},
      el("td", {}, el("strong", { class: "plate" }, w.plate)),
      el("td", {}, w.reason || MSG.none),
      el("td", {}, showDateTime(w.created_at)),
      el("td", { class: "actions" }, dangerButton(MSG.remove, async () => {
        await api("DELETE", `/v1/watchlist/${encodeURIComponent(w.id)}`);
        await showWatchlist();
      }))),
  });
}

// ------------------------------------------------------------------ audit

export function showAudit(params) {
  const { body, more, empty, top } = listScaffold("auditoria", MSG.audit, [MSG.when, MSG.user, MSG.action, MSG.resource, "IP"]);
  const form = el("form", { class: "inline card", id: "form-auditoria" },
    field({ name: "from", label: MSG.from, type: "datetime-local", step: 1, value: params.get("from") }),
    field({ name: "to", label: MSG.to, type: "datetime-local", step: 1, value: params.get("to") }),
    field({ name: "action", label: MSG.action, value: params.get("action"), placeholder: "clip.create" }),
    field({ name: "user_id", label: MSG.user + " (id)", value: params.get("user_id") }),
    el("button", { type: "submit" }, MSG.filter),
    el("button", { type: "button", class: "secondary", id: "auditoria-csv" }, MSG.exportCsv));
  top.replaceChildren(form);
  const filters = () => {
    const v = values(form);
    const from = parseLocal(v.from);
    const to = parseLocal(v.to);
    return { from: from ? rfc3339(from) : undefined, to: to ? rfc3339(to) : undefined, action: v.action, user_id: v.user_id };
  };
  const load = () => pagedList({
    body, more, empty,
    fetchPage: (cursor) => api("GET", "/v1/audit", { query: { ...filters(), limit: PAGE, cursor } }),
    renderRow: (a) => el("tr", {},
      el("td", {}, showDateTime(a.at || a.created_at)),
      el("td", {}, a.actor || a.username || (a.user_id || "").slice(0, 8) || MSG.none),
      el("td", {}, a.action),
      el("td", {}, a.resource || MSG.none),
      el("td", {}, a.source_ip || MSG.none)),
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  form.querySelector("#auditoria-csv").addEventListener("click", guarded(async () => {
    const csv = await apiText("GET", "/v1/audit/export.csv", { query: filters() });
    download(csv, "gtvision-auditoria.csv", "text/csv");
  }));
  return load();
}

// ------------------------------------------------------------------ my data (LGPD)

export async function showMyData() {
  showScreen("gestao");
  $("gestao-titulo").textContent = MSG.myData;
  const profile = await api("GET", "/v1/me");
  const dl = el("dl", { class: "urls" });
  for (const [k, v] of Object.entries(profile)) dl.append(el("dt", {}, k), el("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v)));
  $("gestao-conteudo").replaceChildren(
    el("section", { class: "card" }, dl),
    el("p", { class: "actions" },
      el("button", {
        type: "button", id: "meus-dados-exportar",
        onclick: guarded(async () => download(await apiText("GET", "/v1/me/export"), "meus-dados-gtvision.json", "application/json")),
      }, MSG.exportMine), " ",
      dangerButton(MSG.deleteMine, async () => {
        await api("DELETE", "/v1/me");
        endSession(MSG.deleted);
      })));
}

/* GT-Vision console — management screens by role: users (manager: own city's; admin: all) with their status,
 * 2FA, role and camera restriction, the watchlist and the audit log (filters, CSV export). */

import {
  $, allCities, api, apiText, el, guarded, isAdmin, me, nameCell, pagedList, showScreen, PAGE,
} from "../core.js";
import { parseLocal, rfc3339, showDateTime } from "../format.js";
import { MSG, ROLE, USER_STATUS } from "../strings.js";
import { dangerButton, field, formCard, values } from "../ui.js";
import { groupsOfCity } from "./groups.js";
import { download } from "./me.js";

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

// ------------------------------------------------------------------ users

const GRANTABLE = { admin: ["viewer", "operator", "manager", "admin"], manager: ["viewer", "operator", "manager"] };

/** Camera-group choices of a city for a user form: a "no restriction" box and a multiple select. */
async function restrictionFields(cityId, user) {
  const groups = cityId ? await groupsOfCity(cityId) : [];
  const current = user ? user.camera_group_ids : null;
  return [
    { name: "unrestricted", label: MSG.noRestriction, type: "checkbox", value: current === null || current === undefined },
    { name: "camera_group_ids", label: MSG.restrictTo, multiple: true, size: Math.min(6, Math.max(2, groups.length)),
      options: groups.map((g) => [g.id, g.name]), value: current || [] },
  ];
}

const restriction = (v) => (v.unrestricted ? null : v.camera_group_ids || []);

/** A manager edits a user: role and camera groups (PATCH /v1/users/{id}). */
async function userForm(user, done) {
  const roles = GRANTABLE[(me() || {}).role] || [];
  return formCard({
    title: MSG.editUser(user.username), id: "form-usuario-editar", submit: MSG.save, cancel: done,
    fields: [
      { name: "role", label: MSG.role, options: roles.filter((r) => r !== "admin").map((r) => [r, ROLE[r]]), value: user.role },
      ...(await restrictionFields(user.city_id, user)),
    ],
    onSubmit: async (v) => {
      const body = { camera_group_ids: restriction(v) };
      if (v.role !== user.role) body.role = v.role;
      await api("PATCH", `/v1/users/${encodeURIComponent(user.id)}`, { body });
      done();
    },
  });
}

function userActions(u, top) {
  if (u.id === (me() || {}).id) return "";
  const key = encodeURIComponent(u.id);
  const patch = async (body) => { await api("PATCH", `/v1/users/${key}`, { body }); await showUsers(); };
  const button = (text, onclick) => el("button", { type: "button", class: "secondary", onclick: guarded(onclick) }, text);
  return [
    u.active ? dangerButton(MSG.deactivate, () => patch({ active: false })) : button(MSG.reactivate, () => patch({ active: true })),
    " ",
    u.totp_enabled ? [dangerButton(MSG.reset2fa, async () => { await api("DELETE", `/v1/users/${key}/2fa`); await showUsers(); }), " "] : "",
    u.role === "admin" ? "" : [button(MSG.edit, async () => top.replaceChildren(await userForm(u, showUsers))), " "],
    dangerButton(MSG.remove, async () => { await api("DELETE", `/v1/users/${key}`); await showUsers(); }),
  ].flat();
}

export async function showUsers() {
  const { body, more, empty, top } = listScaffold("usuarios", MSG.users,
    [MSG.username, MSG.role, MSG.city, MSG.status, MSG.twoFactor, MSG.restriction, ""]);
  const roles = GRANTABLE[(me() || {}).role] || [];
  const fields = [
    { name: "username", label: MSG.username, required: true },
    { name: "password", label: MSG.password, type: "password", required: true, autocomplete: "new-password" },
    { name: "role", label: MSG.role, options: roles.map((r) => [r, ROLE[r]]) },
  ];
  if (isAdmin()) {
    const cities = await allCities();
    fields.push({ name: "city_id", label: MSG.city, options: [["", MSG.none], ...cities.map((c) => [c.id, c.name])] });
  } else {
    fields.push(...(await restrictionFields((me() || {}).city_id, null)));
  }
  top.replaceChildren(formCard({
    title: MSG.newUser, id: "form-usuario", submit: MSG.create, fields,
    onSubmit: async (v) => {
      const user = { username: v.username, password: v.password, role: v.role, city_id: isAdmin() ? v.city_id : (me() || {}).city_id };
      if (!isAdmin()) user.camera_group_ids = restriction(v);
      await api("POST", "/v1/users", { body: user });
      await showUsers();
    },
  }));
  return pagedList({
    body, more, empty,
    fetchPage: (cursor) => api("GET", "/v1/users", { query: { limit: PAGE, cursor } }),
    renderRow: (u) => el("tr", { "data-user": u.username },
      el("td", {}, u.username),
      el("td", {}, ROLE[u.role] || u.role),
      u.city_id ? nameCell("city", u.city_id, null) : el("td", {}, MSG.none),
      el("td", {}, el("span", { class: `badge user-${u.status}` }, USER_STATUS[u.status] || u.status)),
      el("td", {}, u.totp_enabled ? MSG.yes : MSG.no),
      el("td", {}, u.camera_group_ids ? MSG.groupsOf(u.camera_group_ids.length) : MSG.allCameras),
      el("td", { class: "actions" }, userActions(u, top))),
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

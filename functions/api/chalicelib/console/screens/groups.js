/* GT-Vision console — camera groups ("Escola Municipal X", "Centro"): named sets of a city's cameras that
 * users can be restricted to (Usuários → Editar). Managers see their city's; admins pick the city. */

import {
  $, allCities, api, camerasOfCity, el, guarded, isAdmin, me, nameCell, pagedList, showScreen, PAGE,
} from "../core.js";
import { MSG } from "../strings.js";
import { dangerButton, field, formCard } from "../ui.js";

/** Every camera group of a city (for pick lists). */
export async function groupsOfCity(cityId) {
  const out = [];
  let cursor;
  do {
    const page = await api("GET", `/v1/cities/${encodeURIComponent(cityId)}/camera-groups`, { query: { limit: 500, cursor } });
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && out.length < 5000);
  return out;
}

async function groupForm(cityId, group, done) {
  const cameras = await camerasOfCity(cityId);
  const g = group || {};
  return formCard({
    title: group ? MSG.editGroup(g.name) : MSG.newGroup,
    id: group ? "form-grupo-editar" : "form-grupo-novo",
    submit: group ? MSG.save : MSG.create,
    cancel: group ? done : null,
    fields: [
      { name: "name", label: MSG.groupName, required: true, value: g.name },
      { name: "camera_ids", label: MSG.groupCameras, multiple: true, size: Math.min(8, Math.max(3, cameras.length)),
        options: cameras.map((c) => [c.id, c.name]), value: g.camera_ids || [] },
    ],
    onSubmit: async (v) => {
      const body = { name: v.name, camera_ids: v.camera_ids || [] };
      if (group) await api("PATCH", `/v1/camera-groups/${encodeURIComponent(g.id)}`, { body });
      else await api("POST", `/v1/cities/${encodeURIComponent(cityId)}/camera-groups`, { body });
      done();
    },
  });
}

export async function showGroups(params) {
  showScreen("gestao");
  $("gestao-titulo").textContent = MSG.cameraGroups;
  let cityId = (me() || {}).city_id;
  const top = el("div");
  const picker = el("div");
  if (isAdmin()) {
    const cities = await allCities();
    cityId = params.get("cidade") || (cities[0] || {}).id;
    const choose = field({ name: "cidade", label: MSG.groupCity, options: cities.map((c) => [c.id, c.name]), value: cityId });
    choose.querySelector("select").addEventListener("change", (ev) => {
      location.hash = `#/grupos?cidade=${encodeURIComponent(ev.target.value)}`;
    });
    picker.append(choose);
  }
  const body = el("tbody", { id: "grupos-lista" });
  const more = el("button", { type: "button", class: "secondary", hidden: true }, MSG.loadMore);
  const empty = el("p", { class: "muted", hidden: true }, MSG.none);
  const table = el("table", { class: "list" },
    el("thead", {}, el("tr", {}, ...[MSG.groupName, MSG.groupCameras, ""].map((h) => el("th", { scope: "col" }, h)))), body);
  $("gestao-conteudo").replaceChildren(picker, top, table, empty, more);
  if (!cityId) return null;
  const reload = () => showGroups(params);
  top.replaceChildren(await groupForm(cityId, null, reload));
  return pagedList({
    body, more, empty,
    fetchPage: (cursor) => api("GET", `/v1/cities/${encodeURIComponent(cityId)}/camera-groups`, { query: { limit: PAGE, cursor } }),
    renderRow: (g) => el("tr", { "data-group": g.name },
      el("td", {}, g.name),
      el("td", {}, el("ul", { class: "plain" }, ...g.camera_ids.map((id) => el("li", {}, nameCell("camera", id, `#/cameras/${id}`).firstChild)))),
      el("td", { class: "actions" },
        el("button", {
          type: "button", class: "secondary",
          onclick: guarded(async () => top.replaceChildren(await groupForm(cityId, g, reload))),
        }, MSG.edit), " ",
        dangerButton(MSG.remove, async () => {
          await api("DELETE", `/v1/camera-groups/${encodeURIComponent(g.id)}`);
          await reload();
        }))),
  });
}

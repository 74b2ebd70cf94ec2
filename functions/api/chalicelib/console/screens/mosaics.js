/* GT-Vision console — mosaics: the list (managers create, edit and delete) and the form of a mosaic: its name,
 * its layout and its cameras, checked in a filterable list of the city's cameras (the order is the tiles'
 * order; no more than the layout has cells). The wall itself is screens/wall.js. */

import {
  $, allCities, api, camerasOfCity, canManage, el, guarded, me, pagedList, showScreen, state, PAGE,
} from "../core.js";
import { showDateTime } from "../format.js";
import { CELLS, LAYOUTS, MSG } from "../strings.js";
import { statusDot } from "../tree.js";
import { dangerButton, formCard } from "../ui.js";

export { showMosaic } from "./wall.js";

const fold = (text) => String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

/** Admins: the city whose cameras the form offers; changing it redraws the form with that city's cameras. */
function cityChooser(cities, selected, onChange) {
  const select = el("select", { id: "mosaico-cidade", name: "city_id" },
    ...cities.map((c) => el("option", { value: c.id }, c.name)));
  select.value = selected || "";
  select.addEventListener("change", guarded(() => onChange(select.value)));
  return el("section", { class: "card" }, el("label", { for: "mosaico-cidade" }, MSG.mosaicCity), " ", select);
}

let formSeq = 0;

/** The management area: the form of a new mosaic (or of `mosaic`) with the cameras of its city. The last call
 * wins: a form still loading when the operator clicks "Editar" (or leaves) is never drawn over the newer one. */
async function showForm(top, mosaic, cityId) {
  const mine = ++formSeq;
  const gen = state.generation;
  const choose = !(me() || {}).city_id && !mosaic; // admins pick the city of a new mosaic only
  const cities = choose ? await allCities() : [];
  const city = (mosaic && mosaic.city_id) || cityId || (me() || {}).city_id || (cities[0] || {}).id || null;
  const cameras = city ? await camerasOfCity(city) : [];
  if (mine !== formSeq || gen !== state.generation) return;
  const parts = [];
  if (choose && cities.length) parts.push(cityChooser(cities, city, (id) => showForm(top, null, id)));
  parts.push(mosaicForm(cameras, mosaic));
  top.replaceChildren(...parts);
}

/** The cameras of the city as checkboxes, with a filter; checked ones come out in the order they were checked. */
function cameraChecklist(cameras, chosen, layoutOf) {
  const picked = (chosen || []).filter((id) => cameras.some((c) => c.id === id));
  const count = el("span", { class: "muted small", "aria-live": "polite" });
  const filter = el("input", { type: "search", class: "checklist-filter", placeholder: MSG.camerasFilter,
    "aria-label": MSG.camerasFilter, autocomplete: "off" });
  const items = cameras.map((c) => {
    const box = el("input", { type: "checkbox", value: c.id, "data-pick": "" });
    box.checked = picked.includes(c.id);
    box.addEventListener("change", () => {
      const at = picked.indexOf(c.id);
      if (box.checked && at < 0) picked.push(c.id);
      if (!box.checked && at >= 0) picked.splice(at, 1);
      update();
    });
    return el("label", { class: "check-item", "data-name": fold(c.name) }, box, statusDot(c.status), " ", c.name);
  });
  const update = () => {
    const cells = CELLS[layoutOf()] || 16;
    count.textContent = MSG.cellsLeft(picked.length, cells);
    for (const item of items) {
      const box = item.querySelector("input");
      box.disabled = !box.checked && picked.length >= cells; // never more than the layout has cells
    }
  };
  filter.addEventListener("input", () => {
    const q = fold(filter.value);
    for (const item of items) item.hidden = Boolean(q) && !item.dataset.name.includes(q);
  });
  const box = el("fieldset", { class: "field checklist" }, el("legend", {}, MSG.mosaicCamerasPick), filter,
    el("div", { class: "checklist-items" }, ...items), count);
  box.picked = () => picked.slice();
  box.update = update;
  return box;
}

/** Managers: a new mosaic, or an existing one edited in place (PATCH keeps its id). */
function mosaicForm(cameras, mosaic) {
  const m = mosaic || {};
  let checklist = null;
  const card = formCard({
    title: mosaic ? MSG.editMosaic(m.name) : MSG.newMosaic,
    id: mosaic ? "form-mosaico-editar" : "form-mosaico",
    submit: mosaic ? MSG.save : MSG.create,
    cancel: mosaic ? () => showMosaics() : null,
    done: mosaic ? MSG.saved : MSG.created,
    fields: [
      { name: "name", label: MSG.mosaicName, required: true, value: m.name },
      { name: "layout", label: MSG.layout, options: LAYOUTS, value: m.layout || "2x2" },
    ],
    onSubmit: async (v) => {
      const body = { name: v.name, layout: v.layout };
      // Cameras sent only when changed: a user restricted to camera groups reads a wall without the cameras
      // outside them, and sending that list back would replace the wall's (the API refuses it: 403).
      const picked = checklist.picked();
      const before = m.camera_ids || [];
      if (!mosaic || picked.length !== before.length || picked.some((id, i) => id !== before[i])) {
        body.camera_ids = picked;
      }
      const saved = mosaic
        ? await api("PATCH", `/v1/mosaics/${encodeURIComponent(m.id)}`, { body })
        : await api("POST", "/v1/mosaics", { body });
      location.hash = `#/mosaicos/${saved.id}`;
    },
  });
  const form = card.querySelector("form");
  const layout = form.querySelector("[name=layout]");
  checklist = cameraChecklist(cameras, m.camera_ids, () => layout.value);
  layout.addEventListener("change", () => checklist.update());
  form.insertBefore(checklist, form.querySelector("button[type=submit]"));
  checklist.update();
  return card;
}

export async function showMosaics() {
  showScreen("mosaicos");
  const top = $("mosaicos-gestao");
  top.replaceChildren();
  if (canManage()) guarded(() => showForm(top, null, null))(); // alongside the list: its rows come at once
  return pagedList({
    body: $("mosaicos-lista"),
    more: $("mosaicos-mais"),
    empty: $("mosaicos-vazio"),
    fetchPage: (cursor) => api("GET", "/v1/mosaics", { query: { limit: PAGE, cursor } }),
    renderRow: (m) => el("tr", {},
      el("td", {}, el("a", { href: `#/mosaicos/${m.id}` }, m.name)),
      el("td", {}, (LAYOUTS.find(([v]) => v === m.layout) || [m.layout, m.layout])[1]),
      el("td", {}, String(m.camera_ids.length)),
      el("td", {}, showDateTime(m.created_at)),
      el("td", { class: "actions" }, canManage() ? [
        el("button", {
          type: "button", class: "secondary",
          // the cameras offered are those of the mosaic's own city (an admin's mosaics span cities)
          onclick: guarded(async () => {
            await showForm(top, m, m.city_id);
            top.scrollIntoView({ block: "nearest" });
          }),
        }, MSG.edit), " ",
        dangerButton(MSG.remove, async () => {
          await api("DELETE", `/v1/mosaics/${encodeURIComponent(m.id)}`);
          await showMosaics();
        })] : "")),
  });
}

/* GT-Vision console — the camera tree: city → group → camera, with a search box and a status dot per camera.
 * Groups are the city's camera groups for those who may read them (managers); otherwise every camera sits under
 * one group. A camera can be clicked (`onPick`) and dragged (its id travels as `text/x-gtv-camera`, e.g. onto a
 * wall tile).
 * Cities load their cameras when opened; a search opens every city it finds cameras in. */

import { allCities, api, camerasOfCity, canManage, el, guarded, names } from "./core.js";
import { CAMERA_STATUS, MSG } from "./strings.js";

export const DRAG_TYPE = "text/x-gtv-camera";

/** Fold case and accents, so "Praca" finds "Praça". */
const fold = (text) => String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

/** The city's camera groups, [{name, camera_ids}] (GET /v1/cities/{id}/camera-groups: managers and admins), or
 * [] for anyone else. */
async function groupsOf(cityId) {
  if (!canManage()) return [];
  try {
    const page = await api("GET", `/v1/cities/${encodeURIComponent(cityId)}/camera-groups`, { query: { limit: 500 } });
    return (page && page.items) || [];
  } catch (err) {
    if (err.status === 401) throw err;
    return [];
  }
}

/** Cameras under their groups (a camera in no group goes under "Outras câmeras"; no groups: one group). */
export function grouped(cameras, groups) {
  if (!groups.length) return [{ name: MSG.allCameras, cameras }];
  const byId = new Map(cameras.map((c) => [c.id, c]));
  const seen = new Set();
  const out = groups.map((g) => ({
    name: g.name,
    cameras: (g.camera_ids || []).map((id) => byId.get(id)).filter(Boolean).map((c) => { seen.add(c.id); return c; }),
  }));
  const rest = cameras.filter((c) => !seen.has(c.id));
  if (rest.length) out.push({ name: MSG.otherCameras, cameras: rest });
  return out.filter((g) => g.cameras.length);
}

/** A status dot (online green, offline red, unknown grey) that says the status to screen readers. */
export const statusDot = (status) =>
  el("span", { class: `dot status-${status}`, role: "img", "aria-label": CAMERA_STATUS[status] || status });

/** The tree in `box`. `onPick(camera)` on click; `draggable` lets cameras be dragged; `onCity(cityId, cameras)`
 * when a city's cameras are loaded (the map follows). Returns {reload, cameras: Map id → camera}. */
export function cameraTree(box, { onPick, draggable = false, onCity = null } = {}) {
  const cameras = new Map();
  const cities = new Map(); // id → {city, loaded: Promise<[groups]>, node}
  const search = el("input", { type: "search", id: `${box.id}-busca`, placeholder: MSG.treeSearch,
    "aria-label": MSG.treeSearch, autocomplete: "off" });
  const list = el("ul", { class: "tree", role: "tree", "aria-label": MSG.tree });
  const empty = el("p", { class: "muted small", hidden: true }, MSG.treeEmpty);
  box.replaceChildren(el("div", { class: "tree-search" }, search), list, empty);

  function cameraItem(cam) {
    const item = el("li", { role: "treeitem", class: "tree-camera", "data-camera": cam.id, "data-name": fold(cam.name) },
      el("button", {
        type: "button", class: "tree-pick", draggable: draggable ? "true" : null, title: cam.name,
        onclick: () => onPick && onPick(cam),
      }, statusDot(cam.status), el("span", {}, cam.name)));
    if (draggable) {
      item.firstChild.addEventListener("dragstart", (ev) => {
        ev.dataTransfer.setData(DRAG_TYPE, cam.id);
        ev.dataTransfer.setData("text/plain", cam.name);
        ev.dataTransfer.effectAllowed = "copy";
      });
    }
    return item;
  }

  async function opened(entry) {
    entry.toggle.setAttribute("aria-expanded", "true");
    entry.body.hidden = false;
    const cams = await load(entry);
    if (onCity) onCity(entry.city, cams);
    return cams;
  }

  async function load(entry) {
    if (!entry.loaded) {
      entry.loaded = Promise.all([camerasOfCity(entry.city.id), groupsOf(entry.city.id)]).then(([cams, groups]) => {
        for (const c of cams) {
          cameras.set(c.id, c);
          names.camera.set(c.id, Promise.resolve(c.name));
        }
        const branches = grouped(cams, groups).map((g) => el("li", { role: "treeitem", class: "tree-group", "aria-expanded": "true" },
          el("span", { class: "tree-label" }, g.name), el("ul", { role: "group" }, ...g.cameras.map(cameraItem))));
        entry.body.replaceChildren(...branches);
        return cams;
      });
    }
    return entry.loaded;
  }

  function cityItem(city) {
    const body = el("ul", { role: "group" });
    const toggle = el("button", { type: "button", class: "tree-label tree-city", "aria-expanded": "false" }, city.name);
    const node = el("li", { role: "treeitem", class: "tree-node" }, toggle, body);
    const entry = { city, loaded: null, node, body, toggle };
    body.hidden = true;
    toggle.addEventListener("click", guarded(async () => {
      if (toggle.getAttribute("aria-expanded") === "true") {
        toggle.setAttribute("aria-expanded", "false");
        body.hidden = true;
      } else {
        await opened(entry);
      }
    }));
    cities.set(city.id, entry);
    return node;
  }

  function filter() {
    const q = fold(search.value.trim());
    let shown = 0;
    for (const entry of cities.values()) {
      let any = false;
      for (const item of entry.body.querySelectorAll(".tree-camera")) {
        const hit = !q || item.dataset.name.includes(q);
        item.hidden = !hit;
        any = any || hit;
        shown += hit ? 1 : 0;
      }
      for (const group of entry.body.querySelectorAll(".tree-group")) {
        group.hidden = ![...group.querySelectorAll(".tree-camera")].some((i) => !i.hidden);
      }
      const cityHit = q && fold(entry.city.name).includes(q);
      entry.node.hidden = Boolean(q) && !any && !cityHit;
      if (q && (any || cityHit)) {
        entry.toggle.setAttribute("aria-expanded", "true");
        entry.body.hidden = false;
      }
    }
    empty.hidden = shown > 0 || !q;
  }

  search.addEventListener("input", guarded(async () => {
    // A search looks through every city (their cameras load once), then filters.
    if (search.value.trim()) await Promise.all([...cities.values()].map(load));
    filter();
  }));

  async function reload() {
    const all = await allCities();
    list.replaceChildren(...all.map(cityItem));
    // One city (a city's own users): open it at once.
    if (all.length === 1) await opened(cities.get(all[0].id));
  }

  /** Open a city's branch (e.g. the wall's own city). */
  const open = async (cityId) => (cities.has(cityId) ? opened(cities.get(cityId)) : []);

  return { reload, cameras, open };
}

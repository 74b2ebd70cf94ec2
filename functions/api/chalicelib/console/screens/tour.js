/* GT-Vision console — a wall's tour, for managers: pages of cameras shown in turn, each for the same number of
 * seconds (10–300). A page is what the wall shows now ("add the current cameras as a page"). */

import { api, el, guarded } from "../core.js";
import { MSG } from "../strings.js";
import { checkTyped, field, toast, values } from "../ui.js";

/** The editor in `box` for `wall` (its mosaic, cameras and current order); `onSaved(mosaic)` after a save. */
export function tourEditor(box, wall, onSaved) {
  const pages = ((wall.tour && wall.tour.pages) || []).map((p) => p.slice());
  const list = el("ol", { class: "tour-pages" });
  const nameOf = (id) => (wall.cameras.get(id) || { name: id.slice(0, 8) }).name;
  const draw = () => {
    list.replaceChildren(...pages.map((page, i) => el("li", {},
      page.map(nameOf).join(", "), " ",
      el("button", { type: "button", class: "secondary", "aria-label": MSG.tourRemovePage(i + 1),
        onclick: () => { pages.splice(i, 1); draw(); } }, MSG.removeMark))));
    if (!pages.length) list.append(el("li", { class: "muted" }, MSG.tourNone));
  };
  const form = el("form", { class: "inline", id: "form-ronda", novalidate: true },
    field({ name: "dwell_s", label: MSG.tourDwell, type: "number", min: 10, max: 300, required: true,
      value: (wall.tour && wall.tour.dwell_s) || 30 }),
    el("button", { type: "button", class: "secondary", id: "ronda-adicionar", onclick: () => {
      const page = wall.order.filter(Boolean);
      if (page.length) { pages.push(page); draw(); }
    } }, MSG.tourAddPage),
    el("button", { type: "submit" }, MSG.tourSave));
  form.addEventListener("submit", guarded(async (ev) => {
    ev.preventDefault();
    checkTyped(form);
    const tour = pages.length ? { dwell_s: Number(values(form).dwell_s), pages } : null;
    const saved = await api("PATCH", `/v1/mosaics/${encodeURIComponent(wall.mosaic.id)}`, { body: { tour } });
    toast(MSG.saved);
    onSaved(saved);
  }));
  draw();
  box.replaceChildren(list, form);
}

/* GT-Vision console — plate (LPR) search and a plate's trajectory. */

import { $, api, el, guarded, nameCell, pagedList, showError, showScreen, PAGE } from "../core.js";
import { fmtNum, fmtPct, parseLocal, rfc3339, showDateTime } from "../format.js";
import { drawTrajectory } from "../map.js";
import { MSG, SHARING } from "../strings.js";
import { addToCaseButton } from "./cases.js";

const MATCH = ["exact", "prefix", "fuzzy"];

function plateQuery() {
  const from = parseLocal($("placa-de").value);
  const to = parseLocal($("placa-ate").value);
  return { from: from ? rfc3339(from) : undefined, to: to ? rfc3339(to) : undefined };
}

async function searchPlates() {
  const plate = $("placa").value.trim().toUpperCase();
  const match = $("placa-tipo").value;
  const range = plateQuery();
  $("trajeto").hidden = true;
  await pagedList({
    body: $("placas-lista"),
    more: $("placas-mais"),
    empty: $("placas-vazio"),
    fetchPage: (cursor) => api("GET", "/v1/lpr/events", { query: { plate, match, ...range, limit: PAGE, cursor } }),
    renderRow: (r) => el("tr", {},
      el("td", {}, el("strong", { class: "plate" }, r.plate)),
      nameCell("camera", r.camera_id, `#/cameras/${r.camera_id}`),
      el("td", {}, showDateTime(r.captured_at)),
      el("td", {}, r.confidence === null || r.confidence === undefined ? "—" : fmtPct.format(r.confidence)),
      el("td", {}, r.image_url
        ? el("a", { href: r.image_url, target: "_blank", rel: "noopener" },
          el("img", { src: r.image_url, alt: MSG.readImage(r.plate), class: "plate-img", loading: "lazy" }))
        : "—"),
      el("td", {}, el("button", { type: "button", class: "secondary", onclick: guarded(() => showTrajectory(r.plate)) }, MSG.trajectory),
        " ", addToCaseButton("lpr_read", r.id))),
  });
}

async function showTrajectory(plate) {
  const t = await api("GET", "/v1/lpr/trajectory", { query: { plate, ...plateQuery() } });
  $("trajeto-titulo").textContent = MSG.trajectoryOf(t.plate);
  const speed = t.max_speed_kmh === null || t.max_speed_kmh === undefined ? "" : MSG.maxSpeed(fmtNum.format(t.max_speed_kmh));
  $("trajeto-resumo").textContent =
    MSG.trajectorySummary(t.points.length, t.cameras_visited.length, showDateTime(t.from), showDateTime(t.to)) + speed +
    (t.truncated ? MSG.truncated : "");
  $("trajeto-lista").replaceChildren(...t.points.map((p) => {
    const kmh = p.speed_kmh_from_previous;
    const km = p.distance_km_from_previous;
    return el("li", {},
      el("time", { datetime: p.captured_at }, showDateTime(p.captured_at)), " · ",
      el("a", { href: `#/cameras/${p.camera_id}` }, p.camera_name || p.camera_id.slice(0, 8)), " · ",
      kmh === null || kmh === undefined ? MSG.speedUnknown : `${fmtNum.format(kmh)} km/h`,
      km === null || km === undefined ? "" : MSG.kmSincePrevious(fmtNum.format(km)),
      p.other_city ? el("span", { class: "other-city" }, SHARING.otherCityPoint) : "");
  }));
  if (!t.points.length) $("trajeto-lista").append(el("li", { class: "muted" }, MSG.noReads));
  $("trajeto").hidden = false;
  drawTrajectory($("trajeto-mapa"), t.points);
  $("trajeto").scrollIntoView({ block: "nearest" });
}

$("form-placas").addEventListener("submit", guarded(async (ev) => {
  ev.preventDefault();
  showError(null);
  await searchPlates();
}));

export function showPlates(params) {
  showScreen("placas");
  const plate = params.get("placa");
  if (plate) {
    $("placa").value = plate;
    if (MATCH.includes(params.get("tipo"))) $("placa-tipo").value = params.get("tipo");
    return searchPlates();
  }
  return null;
}


/* GT-Vision console — a plate's trajectory on a map (Leaflet, vendored in leaflet.min.js). The tile URL
 * comes from the page (`<meta name="gtv-map-tiles">`, env GTV_MAP_TILE_URL); without tiles the points and
 * the path still draw on a blank map. Clicking a point opens that camera's recording at that instant.
 * Tooltips get DOM nodes (never HTML strings): camera names are typed by users. */

import { el } from "./core.js";
import { showDateTime } from "./format.js";
import { SHARING } from "./strings.js";

let map = null;

const tileUrl = () => (document.querySelector('meta[name="gtv-map-tiles"]') || {}).content || "";

/** Draw `points` ({camera_id, camera_name, lat, lon, captured_at}) into `box`; returns how many were placed. */
export function drawTrajectory(box, points) {
  if (map) {
    map.remove();
    map = null;
  }
  const placed = points.filter((p) => typeof p.lat === "number" && typeof p.lon === "number");
  box.hidden = !placed.length || !window.L;
  if (box.hidden) return 0;
  const L = window.L;
  map = L.map(box, { attributionControl: true, zoomSnap: 0.25 });
  const tiles = tileUrl();
  if (tiles) L.tileLayer(tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  const path = placed.map((p) => [p.lat, p.lon]);
  // The view first: layers added to a map without one are only drawn later.
  map.fitBounds(L.latLngBounds(path).pad(0.2), { maxZoom: 16 });
  L.polyline(path, { className: "trajectory-path", weight: 3 }).addTo(map);
  placed.forEach((p, i) => {
    // Another city's read (seen through an inter-city grant) is marked as such.
    const marker = L.circleMarker([p.lat, p.lon], {
      radius: 8, weight: 2,
      className: `trajectory-point${i === placed.length - 1 ? " last" : ""}${p.other_city ? " other-city" : ""}`,
    }).addTo(map);
    marker.bindTooltip(el("span", {}, `${i + 1}. ${p.camera_name || p.camera_id.slice(0, 8)} · ${showDateTime(p.captured_at)}`
      + (p.other_city ? SHARING.otherCityPoint : "")));
    const dot = marker.getElement();
    if (dot) {
      dot.setAttribute("data-camera", p.camera_id);
      dot.setAttribute("data-at", p.captured_at);
    }
    marker.on("click", () => {
      location.hash = `#/cameras/${p.camera_id}?em=${encodeURIComponent(p.captured_at)}`;
    });
  });
  return placed.length;
}

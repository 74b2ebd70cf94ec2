/* GT-Vision console — maps (Leaflet, vendored in leaflet.min.js): a plate's trajectory, and a city's cameras
 * coloured by status. The tile URL comes from the page (`<meta name="gtv-map-tiles">`, env GTV_MAP_TILE_URL);
 * without tiles the points still draw on a blank map. Clicking a trajectory point opens that camera's
 * recording at that instant; clicking a camera opens it live. Tooltips get DOM nodes (never HTML strings):
 * camera names are typed by users. */

import { el } from "./core.js";
import { showDateTime } from "./format.js";
import { CAMERA_STATUS, MSG, SHARING } from "./strings.js";

let map = null;
let camerasMap = null;

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

/** Draw a city's `cameras` (those with a location) into `box`, coloured by status; a click opens the camera
 * live. Returns how many were placed (the rest have no location). */
export function drawCameras(box, cameras) {
  if (camerasMap) {
    camerasMap.remove();
    camerasMap = null;
  }
  const placed = cameras.filter((c) => c.location && typeof c.location.lat === "number" && typeof c.location.lon === "number");
  box.hidden = !placed.length || !window.L;
  if (box.hidden) return 0;
  const L = window.L;
  camerasMap = L.map(box, { attributionControl: true, zoomSnap: 0.25 });
  const tiles = tileUrl();
  if (tiles) L.tileLayer(tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(camerasMap);
  camerasMap.fitBounds(L.latLngBounds(placed.map((c) => [c.location.lat, c.location.lon])).pad(0.2), { maxZoom: 16 });
  for (const c of placed) {
    const marker = L.circleMarker([c.location.lat, c.location.lon], {
      radius: 9, weight: 2, className: `camera-point status-${c.status}`,
    }).addTo(camerasMap);
    marker.bindTooltip(el("span", {}, `${c.name} · ${CAMERA_STATUS[c.status] || c.status}`));
    const dot = marker.getElement();
    if (dot) {
      dot.setAttribute("data-camera", c.id);
      dot.setAttribute("data-status", c.status);
      dot.setAttribute("aria-label", MSG.openLive(c.name));
    }
    marker.on("click", () => { location.hash = `#/cameras/${c.id}?aovivo=1`; });
  }
  return placed.length;
}

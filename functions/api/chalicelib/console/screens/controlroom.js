/* GT-Vision console — "Câmeras": the camera tree (city → group → camera, search, status dots) beside a map of
 * the chosen city's cameras coloured by status. A camera in the tree opens its page; on the map, it opens
 * live. */

import { $, guarded, showScreen, state } from "../core.js";
import { drawCameras } from "../map.js";
import { MSG } from "../strings.js";
import { cameraTree } from "../tree.js";

export async function showCameraMap() {
  showScreen("cameras");
  const gen = state.generation;
  const note = $("cameras-mapa-nota");
  note.textContent = "";
  const tree = cameraTree($("cameras-arvore"), {
    onPick: (cam) => { location.hash = `#/cameras/${cam.id}`; },
    onCity: (city, cameras) => {
      if (gen !== state.generation) return;
      $("cameras-mapa-titulo").textContent = `${MSG.camerasMap} · ${city.name}`;
      const placed = drawCameras($("cameras-mapa"), cameras);
      note.textContent = cameras.length > placed ? MSG.noLocation(cameras.length - placed) : "";
    },
  });
  await guarded(tree.reload)();
}

/* GT-Vision console — mosaics: the list (managers create and delete), a 2×2 grid of live HLS tiles (name,
 * status, click for full screen), and the synchronised playback mode: one shared timeline drives all four
 * tiles to the same instant of their recordings (each tile seeks by its playlist's program date-time). */

import {
  $, allCities, api, apiText, camerasOfCity, canManage, el, guarded, me, pagedList, showScreen, state, statusBadge,
  useCityZone, PAGE,
} from "../core.js";
import { localInput, parseLocal, rfc3339, showDateTime } from "../format.js";
import { whyNotLive } from "../livestatus.js";
import { createPlayer } from "../player.js";
import { MSG } from "../strings.js";
import { dangerButton, formCard } from "../ui.js";

const tiles = [];
state.onLeave.add(() => {
  for (const t of tiles.splice(0)) t.player.stop();
});

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

/** Managers: a new mosaic, or an existing one edited in place (PATCH keeps its id). */
function mosaicForm(cameras, mosaic) {
  const m = mosaic || {};
  return formCard({
    title: mosaic ? MSG.editMosaic(m.name) : MSG.newMosaic,
    id: mosaic ? "form-mosaico-editar" : "form-mosaico",
    submit: mosaic ? MSG.save : MSG.create,
    cancel: mosaic ? () => showMosaics() : null,
    fields: [
      { name: "name", label: MSG.mosaicName, required: true, value: m.name },
      { name: "camera_ids", label: MSG.mosaicCameras, multiple: true, size: 6, required: true,
        options: cameras.map((c) => [c.id, c.name]), value: m.camera_ids },
    ],
    onSubmit: async (v) => {
      const body = { name: v.name, camera_ids: v.camera_ids, layout: "2x2" };
      const saved = mosaic
        ? await api("PATCH", `/v1/mosaics/${encodeURIComponent(m.id)}`, { body })
        : await api("POST", "/v1/mosaics", { body });
      location.hash = `#/mosaicos/${saved.id}`;
    },
  });
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

function tile(cam) {
  const video = el("video", { muted: true, playsinline: true, autoplay: true, "aria-label": cam.name });
  video.muted = true;
  const info = el("span", { class: "muted small" });
  const box = el("figure", { class: "tile", "data-tile": cam.camera_id, title: MSG.fullscreen },
    video, el("figcaption", {}, el("strong", {}, cam.name), " ", statusBadge(cam.status, cam.camera_id), " ", info));
  box.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else box.requestFullscreen().catch(() => null);
  });
  return { cam, video, info, box, player: createPlayer(video, info) };
}

export async function showMosaic(mosaicId) {
  showScreen("mosaico");
  const grid = $("mosaico-grade");
  grid.replaceChildren();
  for (const t of tiles.splice(0)) t.player.stop();
  const m = await api("GET", `/v1/mosaics/${encodeURIComponent(mosaicId)}`);
  await useCityZone(m.city_id);
  $("mosaico-titulo").textContent = m.name;
  for (const cam of m.cameras) tiles.push(tile(cam));
  grid.replaceChildren(...tiles.map((t) => t.box));
  live();

  // The playback window: the last ten minutes by default.
  const now = new Date();
  $("mosaico-de").value = localInput(new Date(now - 10 * 60 * 1000));
  $("mosaico-ate").value = localInput(now);
  $("mosaico-linha").hidden = true;
}

function live() {
  $("mosaico-modo").textContent = MSG.liveMode;
  for (const t of tiles) {
    const urls = t.cam.urls;
    const explain = () => whyNotLive(t.cam.camera_id);
    if (!urls || !(urls.webrtc || urls.hls)) {
      t.info.textContent = MSG.noStream;
      explain().then((reason) => { if (reason) t.info.textContent = reason; });
      continue;
    }
    // WebRTC first (under a second behind the camera), HLS when WebRTC cannot start; why, when neither plays
    t.player.live(urls, undefined, explain).then((how) => { if (how) t.info.textContent = MSG.transport[how]; });
  }
}

/** Playback of [from, to) on every tile; then the shared timeline seeks all of them at once. */
async function playback(from, to) {
  $("mosaico-modo").textContent = MSG.playbackMode;
  const query = { from: rfc3339(from), to: rfc3339(to) };
  await Promise.all(tiles.map(async (t) => {
    let playlist;
    try {
      playlist = await apiText("GET", `/v1/cameras/${encodeURIComponent(t.cam.camera_id)}/playback.m3u8`, { query });
    } catch (err) {
      if (err.status === 401) throw err;
      t.player.stop();
      t.info.textContent = MSG.noRecording;
      return;
    }
    t.player.play({ playlist, startAt: from });
  }));
  const slider = $("mosaico-instante");
  slider.min = "0";
  slider.max = String(Math.round((to - from) / 1000));
  slider.step = "any";
  slider.value = "0";
  slider.dataset.from = from.toISOString();
  $("mosaico-linha").hidden = false;
  $("mosaico-instante-texto").textContent = showDateTime(from);
}

/** Every tile to the same wall-clock instant (the tiles without a recording there pause). */
export function seekAll(at) {
  $("mosaico-instante-texto").textContent = showDateTime(at);
  for (const t of tiles) {
    t.video.pause();
    if (!t.player.seekTo(at)) t.info.textContent = MSG.noRecording;
  }
}

$("form-mosaico-reproducao").addEventListener("submit", guarded(async (ev) => {
  ev.preventDefault();
  const from = parseLocal($("mosaico-de").value);
  const to = parseLocal($("mosaico-ate").value);
  if (!from || !to || to <= from) throw new Error(MSG.rangeOrder);
  await playback(from, to);
}));

$("mosaico-instante").addEventListener("input", (ev) => {
  const from = new Date(ev.target.dataset.from);
  seekAll(new Date(from.getTime() + Number(ev.target.value) * 1000));
});

$("mosaico-ao-vivo").addEventListener("click", () => {
  $("mosaico-linha").hidden = true;
  live();
});

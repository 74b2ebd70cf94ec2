/* GT-Vision console — the video wall: a mosaic's cameras in its layout (1x1, 2x2, 3x3, 4x4, 1+5), sized to the
 * window so the whole wall is seen without scrolling, live (each tile on the camera's sub-stream when it has
 * one) or in synchronized playback; the camera tree beside it (drag a camera onto a tile), full screen for a
 * tile or the wall, tours (pages of cameras in turn), and the keyboard (1–9 picks a tile, F full screen). */

import { foldAlarms, placeAlarms } from "../alarms.js";
import { $, api, apiText, canManage, el, guarded, latest, showError, showScreen, state, statusBadge, useCityZone } from "../core.js";
import { nextSpeed, useKeys } from "../controls.js";
import { inputDateTime, parseLocal, rfc3339, showDateTime } from "../format.js";
import { whyNotLive } from "../livestatus.js";
import { createPlayer } from "../player.js";
import { CELLS, LAYOUTS, MSG, SPEEDS } from "../strings.js";
import { createSync } from "../sync.js";
import { cameraTree, DRAG_TYPE } from "../tree.js";
import { checkTyped, toast } from "../ui.js";
import { tourEditor } from "./tour.js";

const wall = {
  mosaic: null, layout: "2x2", cameras: new Map(), order: [], tiles: [], mode: "live", selected: -1,
  sync: null, synced: [], range: null, dragging: false, tour: null, tourTimer: null, tourPage: -1, tree: null,
  alarmsFolded: null, // whether the alarm panel was folded before the wall folded it (restored on leaving)
};
// What the tiles were last asked to show (a range, or live): a late playlist of an older ask is dropped.
const tilesAsk = latest();

function stopTiles() {
  tilesAsk.drop();
  if (wall.sync) wall.sync.stop();
  wall.sync = null;
  for (const t of wall.tiles.splice(0)) if (t.player) t.player.stop();
}

state.onLeave.add(() => {
  stopTiles();
  stopTour();
  useKeys(null);
  if (document.body.classList.contains("wall-mode")) {
    document.body.classList.remove("wall-mode");
    if (wall.alarmsFolded === false) foldAlarms(false);
    wall.alarmsFolded = null;
    placeAlarms();
  }
});

// ------------------------------------------------------------------ layout and size

/** The wall fills the window below its bars: rows and columns of 16:9 tiles that never need scrolling. */
function fit() {
  const grid = $("mosaico-grade");
  if ($("tela-mosaico").hidden) return;
  const top = grid.getBoundingClientRect().top;
  const full = document.fullscreenElement && document.fullscreenElement.contains(grid);
  const height = Math.max(120, (full ? window.innerHeight : window.innerHeight - top) - 8);
  const [cols, rows] = gridOf(wall.layout);
  const width = grid.parentElement.clientWidth - (($("mosaico-cameras").hidden ? 0 : $("mosaico-cameras").offsetWidth + 8));
  const tileW = Math.min(width / cols, ((height / rows) * 16) / 9);
  grid.style.width = `${Math.floor(tileW * cols)}px`;
  grid.style.height = `${Math.floor(((tileW * 9) / 16) * rows)}px`;
  // The tree beside it scrolls within the same height, whatever the top bar above takes.
  $("mosaico-cameras").style.maxHeight = `${Math.floor(height)}px`;
}
window.addEventListener("resize", fit);
document.addEventListener("fullscreenchange", () => setTimeout(fit, 50));

const gridOf = (layout) => ({ "1x1": [1, 1], "1x2": [2, 1], "2x2": [2, 2], "3x3": [3, 3], "4x4": [4, 4], "1+5": [3, 3] }[layout]);

// ------------------------------------------------------------------ tiles

function tile(index, cam) {
  const box = el("figure", { class: "tile", "data-index": index, "data-tile": cam ? cam.camera_id : "",
    tabindex: "0", "aria-label": cam ? cam.name : MSG.dropHere });
  box.classList.toggle("empty", !cam);
  let player = null;
  let video = null;
  const info = el("span", { class: "muted small tile-info" });
  if (cam) {
    video = el("video", { muted: true, playsinline: true, autoplay: true, "aria-label": cam.name });
    video.muted = true;
    player = createPlayer(video, info);
    box.append(video, el("figcaption", {},
      el("strong", {}, cam.name), " ", statusBadge(cam.status, cam.camera_id), " ", info,
      el("button", { type: "button", class: "tile-full", "aria-label": MSG.tileFullscreen(cam.name),
        title: MSG.tileFullscreen(cam.name), onclick: (ev) => { ev.stopPropagation(); fullscreen(box); } }, "⤢")));
  } else {
    box.append(el("span", { class: "drop-hint" }, MSG.dropHere));
  }
  box.addEventListener("click", () => select(index));
  box.addEventListener("dblclick", () => fullscreen(box));
  box.addEventListener("dragover", (ev) => {
    if ([...ev.dataTransfer.types].includes(DRAG_TYPE)) { ev.preventDefault(); box.classList.add("drop"); }
  });
  box.addEventListener("dragleave", () => box.classList.remove("drop"));
  box.addEventListener("drop", guarded(async (ev) => {
    ev.preventDefault();
    box.classList.remove("drop");
    const id = ev.dataTransfer.getData(DRAG_TYPE);
    if (id) await place(index, id);
  }));
  return { index, cam, box, video, info, player };
}

function render() {
  stopTiles();
  const cells = CELLS[wall.layout];
  const order = wall.order.slice(0, cells);
  while (order.length < cells) order.push(null);
  wall.order = order;
  wall.tiles = order.map((id, i) => tile(i, id ? wall.cameras.get(id) : null));
  const grid = $("mosaico-grade");
  grid.className = `mosaic layout-${wall.layout.replace("+", "p")}`;
  grid.replaceChildren(...wall.tiles.map((t) => t.box));
  wall.selected = -1;
  fit();
  if (wall.mode === "live") live();
}

/** Put camera `id` on tile `index` (dropped from the tree): known cameras keep their URLs, others are read. */
async function place(index, id) {
  if (!wall.cameras.has(id)) {
    const [camera, stream] = await Promise.all([
      api("GET", `/v1/cameras/${encodeURIComponent(id)}`),
      api("GET", `/v1/cameras/${encodeURIComponent(id)}/stream`).catch(() => ({ urls: null })),
    ]);
    wall.cameras.set(id, { camera_id: id, name: camera.name, status: camera.status, urls: stream.urls });
  }
  const order = wall.order.map((c) => (c === id ? null : c)); // a camera shows once
  order[index] = id;
  wall.order = order;
  $("mosaico-salvar").hidden = !canManage();
  render();
  if (wall.mode === "playback" && wall.range) await playback(...wall.range);
}

function select(index) {
  if (index >= wall.tiles.length) return;
  wall.selected = index;
  wall.tiles.forEach((t, i) => t.box.classList.toggle("selected", i === index));
  wall.tiles[index].box.focus({ preventScroll: true });
}

function fullscreen(box) {
  if (document.fullscreenElement) document.exitFullscreen().catch(() => null);
  else box.requestFullscreen().catch(() => null);
}

// ------------------------------------------------------------------ live

function live() {
  tilesAsk.drop();
  wall.mode = "live";
  $("mosaico-modo").textContent = MSG.liveMode;
  $("mosaico-linha").hidden = true;
  const many = CELLS[wall.layout] > 1;
  for (const t of wall.tiles) {
    if (!t.player) continue;
    const urls = t.cam.urls;
    // Tiles of a wall take the sub-stream when the camera has one (a fraction of the bandwidth and decoding).
    const source = many && urls && urls.sub ? urls.sub : urls;
    const explain = () => whyNotLive(t.cam.camera_id);
    if (!source || !(source.webrtc || source.hls)) {
      t.info.textContent = MSG.noStream;
      explain().then((reason) => { if (reason) t.info.textContent = reason; });
      continue;
    }
    // WebRTC first (under a second behind the camera), HLS when WebRTC cannot start; why, when neither plays
    t.player.live(source, undefined, explain).then((how) => {
      if (how) t.info.textContent = MSG.transport[how] + (source === urls ? "" : ` · ${MSG.substream}`);
    });
  }
  fit();
}

// ------------------------------------------------------------------ synchronized playback

async function playback(from, to) {
  const mine = tilesAsk.next();
  if (wall.sync) wall.sync.stop(); // the previous range's clock stops before its tiles get the new playlists
  wall.sync = null;
  wall.mode = "playback";
  wall.range = [from, to];
  stopTour();
  $("mosaico-modo").textContent = MSG.playbackMode;
  const query = { from: rfc3339(from), to: rfc3339(to) };
  const playing = [];
  await Promise.all(wall.tiles.map(async (t) => {
    if (!t.cam) return;
    let playlist;
    try {
      playlist = await apiText("GET", `/v1/cameras/${encodeURIComponent(t.cam.camera_id)}/playback.m3u8`, { query });
    } catch (err) {
      if (err.status === 401) throw err;
      if (!tilesAsk.isCurrent(mine)) return;
      t.player.stop();
      t.info.textContent = MSG.noRecording;
      return;
    }
    if (!tilesAsk.isCurrent(mine)) return; // the operator asked for another range, or live, meanwhile
    t.player.play({ playlist, startAt: from });
    playing.push(t);
  }));
  if (!tilesAsk.isCurrent(mine)) return;
  const slider = $("mosaico-instante");
  slider.min = "0";
  slider.max = String(Math.round((to - from) / 1000));
  slider.step = "any";
  slider.value = "0";
  slider.dataset.from = from.toISOString();
  $("mosaico-linha").hidden = false;
  $("mosaico-instante-texto").textContent = showDateTime(from);
  wall.synced = playing;
  wall.sync = createSync(playing, { onTick: showInstant, onState: syncState });
  wall.sync.setRate(Number($("mosaico-velocidade").value) || 1);
  fit();
  await wall.sync.play();
}

/** The shared slider follows playback (unless the operator is dragging it). */
function showInstant(at) {
  if (!wall.range || wall.dragging) return;
  $("mosaico-instante-texto").textContent = showDateTime(at);
  $("mosaico-instante").value = String((at - wall.range[0]) / 1000);
}

function syncState(s) {
  $("mosaico-play").textContent = s.playing ? "❚❚" : "▶";
  $("mosaico-play").setAttribute("aria-label", s.playing ? MSG.pause : MSG.play);
  $("mosaico-velocidade").value = String(s.rate);
}

/** Every tile to the same wall-clock instant, still playing if it was (tiles without a recording there say so). */
export async function seekAll(at) {
  if (!wall.sync) return;
  $("mosaico-instante-texto").textContent = showDateTime(at);
  const tiles = wall.synced;
  const found = await wall.sync.seek(at);
  found.forEach((ok, i) => { if (!ok) tiles[i].info.textContent = MSG.noRecording; });
}

const sliderAt = () => new Date(new Date($("mosaico-instante").dataset.from).getTime() + Number($("mosaico-instante").value) * 1000);
let lastSeek = 0;
$("mosaico-instante").addEventListener("input", () => {
  wall.dragging = true;
  $("mosaico-instante-texto").textContent = showDateTime(sliderAt());
  if (Date.now() - lastSeek > 150) { lastSeek = Date.now(); guarded(() => seekAll(sliderAt()))(); }
});
$("mosaico-instante").addEventListener("change", guarded(async () => {
  wall.dragging = false;
  lastSeek = Date.now();
  await seekAll(sliderAt());
}));
$("mosaico-play").addEventListener("click", () => wall.sync && wall.sync.toggle());
$("mosaico-velocidade").replaceChildren(...SPEEDS.map((r) => el("option", { value: String(r) }, `${String(r).replace(".", ",")}×`)));
$("mosaico-velocidade").value = "1";
$("mosaico-velocidade").addEventListener("change", () => wall.sync && wall.sync.setRate(Number($("mosaico-velocidade").value)));

$("form-mosaico-reproducao").addEventListener("submit", guarded(async (ev) => {
  ev.preventDefault();
  showError(null);
  checkTyped($("form-mosaico-reproducao"));
  const from = parseLocal($("mosaico-de").value);
  const to = parseLocal($("mosaico-ate").value);
  if (!from || !to || to <= from) throw new Error(MSG.rangeOrder);
  await playback(from, to);
}));

$("mosaico-ao-vivo").addEventListener("click", () => {
  if (wall.sync) wall.sync.stop();
  wall.sync = null;
  render();
  live();
});

// ------------------------------------------------------------------ tours

function stopTour() {
  clearInterval(wall.tourTimer);
  wall.tourTimer = null;
  wall.tourPage = -1;
  $("mosaico-ronda").textContent = MSG.tourStart;
  $("mosaico-ronda-pagina").textContent = "";
}

function showPage(i) {
  const pages = wall.tour.pages;
  wall.tourPage = i % pages.length;
  wall.order = [...pages[wall.tourPage]];
  render();
  $("mosaico-ronda-pagina").textContent = MSG.tourPage(wall.tourPage + 1, pages.length);
}

$("mosaico-ronda").addEventListener("click", () => {
  if (wall.tourTimer) {
    stopTour();
    wall.order = wall.mosaic.camera_ids.slice();
    render();
    return;
  }
  if (!wall.tour || !wall.tour.pages.length) return;
  wall.mode = "live";
  showPage(0);
  $("mosaico-ronda").textContent = MSG.tourStop;
  wall.tourTimer = setInterval(() => showPage(wall.tourPage + 1), wall.tour.dwell_s * 1000);
});

// ------------------------------------------------------------------ the screen

$("mosaico-layout").replaceChildren(...LAYOUTS.map(([v, label]) => el("option", { value: v }, label)));
$("mosaico-layout").addEventListener("change", () => {
  wall.layout = $("mosaico-layout").value;
  $("mosaico-salvar").hidden = !canManage();
  render();
});
$("mosaico-ronda-editar").addEventListener("click", () => { $("mosaico-ronda-editor").hidden = false; });
$("mosaico-ronda-fechar").addEventListener("click", () => { $("mosaico-ronda-editor").hidden = true; });
$("mosaico-arvore").addEventListener("click", () => {
  const aside = $("mosaico-cameras");
  aside.hidden = !aside.hidden;
  $("mosaico-arvore").setAttribute("aria-pressed", String(!aside.hidden));
  fit();
});
$("mosaico-tela-cheia").addEventListener("click", () => fullscreen($("mosaico-grade").parentElement));
$("mosaico-salvar").addEventListener("click", guarded(async () => {
  const body = { layout: wall.layout, camera_ids: wall.order.filter(Boolean) };
  const saved = await api("PATCH", `/v1/mosaics/${encodeURIComponent(wall.mosaic.id)}`, { body });
  wall.mosaic = saved;
  $("mosaico-salvar").hidden = true;
  toast(MSG.wallSaved);
}));

const KEYS = {
  togglePlay: () => wall.sync && wall.sync.toggle(),
  pause: () => wall.sync && wall.sync.pause(),
  faster: () => wall.sync && wall.sync.setRate(nextSpeed(wall.sync.state.rate, 1)),
  slower: () => wall.sync && wall.sync.setRate(nextSpeed(wall.sync.state.rate, -1)),
  seekBy: (s) => {
    const at = wall.sync && wall.sync.now();
    if (at) guarded(() => seekAll(new Date(at.getTime() + s * 1000)))();
  },
  step: (n) => wall.sync && wall.sync.step(n),
  selectTile: (i) => select(i),
  fullscreen: () => fullscreen(wall.selected >= 0 ? wall.tiles[wall.selected].box : $("mosaico-grade").parentElement),
};

export async function showMosaic(mosaicId) {
  showScreen("mosaico");
  if (!document.body.classList.contains("wall-mode")) {
    document.body.classList.add("wall-mode");
    wall.alarmsFolded = foldAlarms(true); // the wall takes the window's width; the alarm counter stays in sight
  }
  useKeys(KEYS);
  stopTiles();
  stopTour();
  $("mosaico-grade").replaceChildren();
  $("mosaico-salvar").hidden = true;
  const m = await api("GET", `/v1/mosaics/${encodeURIComponent(mosaicId)}`);
  await useCityZone(m.city_id);
  Object.assign(wall, { mosaic: m, layout: m.layout, order: m.camera_ids.slice(), mode: "live", range: null,
    tour: m.tour, cameras: new Map(m.cameras.map((c) => [c.camera_id, c])) });
  $("mosaico-titulo").textContent = m.name;
  $("mosaico-layout").value = m.layout;
  $("mosaico-layout").disabled = false;
  $("mosaico-ronda").hidden = !(m.tour && m.tour.pages.length);
  $("mosaico-ronda-editor").hidden = true;
  $("mosaico-ronda-editar").hidden = !canManage();
  if (canManage()) tourEditor($("mosaico-ronda-paginas"), wall, (saved) => {
    wall.mosaic = saved;
    wall.tour = saved.tour;
    $("mosaico-ronda").hidden = !(saved.tour && saved.tour.pages.length);
  });
  // The playback window: the last ten minutes by default.
  const now = new Date();
  $("mosaico-de").value = inputDateTime(new Date(now - 10 * 60 * 1000));
  $("mosaico-ate").value = inputDateTime(now);
  $("mosaico-linha").hidden = true;
  render();
  wall.tree = cameraTree($("mosaico-cameras"), { draggable: true, onPick: (cam) => {
    const free = wall.order.indexOf(null);
    guarded(() => place(wall.selected >= 0 ? wall.selected : (free >= 0 ? free : 0), cam.id))();
  } });
  await wall.tree.reload();
  await wall.tree.open(m.city_id);
  fit();
}

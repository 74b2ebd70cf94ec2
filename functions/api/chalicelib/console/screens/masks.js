/* GT-Vision console — privacy masks: drawn over the camera's video (live and playback) as the API stores them
 * (polygons in 0–1 frame coordinates), and the managers' editor, which draws them over the same picture.
 * The camera page calls `showMasks(cameraId, video)` once the camera is known. */

import { api, canManage, el, guarded, showError } from "../core.js";
import { CASES as T } from "../strings.js";

const NS = "http://www.w3.org/2000/svg";
const mask = { cameraId: null, video: null, layer: null, polygons: [], draft: null, editor: null };

function svg(tag, attrs = {}) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** The frame's size in pixels (the video's own once known; 16:9 before), so the layer fits the picture as
 * `object-fit: contain` places it. */
function frameSize(video) {
  return video.videoWidth && video.videoHeight ? [video.videoWidth, video.videoHeight] : [1600, 900];
}

function layerOver(video) {
  let wrap = video.parentElement;
  if (!wrap || !wrap.classList.contains("mask-wrap")) {
    wrap = el("div", { class: "mask-wrap" });
    video.replaceWith(wrap);
    wrap.append(video);
  }
  let layer = wrap.querySelector("svg.mask-layer");
  if (!layer) {
    layer = svg("svg", { class: "mask-layer", preserveAspectRatio: "xMidYMid meet", "aria-hidden": "true" });
    wrap.append(layer);
    video.addEventListener("loadedmetadata", () => draw());
  }
  return layer;
}

function draw() {
  const { layer, video } = mask;
  if (!layer || !video) return;
  const [w, h] = frameSize(video);
  layer.setAttribute("viewBox", `0 0 ${w} ${h}`);
  const shape = (points, cls) => svg("polygon", {
    class: cls, points: points.map(([x, y]) => `${(x * w).toFixed(1)},${(y * h).toFixed(1)}`).join(" "),
  });
  layer.replaceChildren(...mask.polygons.map((p) => shape(p, "mask")));
  if (mask.draft) {
    layer.append(svg("polyline", {
      class: "mask-draft", points: mask.draft.map(([x, y]) => `${x * w},${y * h}`).join(" "),
    }));
    for (const [x, y] of mask.draft) layer.append(svg("circle", { class: "mask-point", cx: x * w, cy: y * h, r: w / 150 }));
  }
}

/** Draw the camera's masks over `video` (and, for managers, offer the editor next to it). */
export async function showMasks(cameraId, video) {
  Object.assign(mask, { cameraId, video, draft: null });
  mask.layer = layerOver(video);
  mask.layer.classList.remove("editing");
  const got = await api("GET", `/v1/cameras/${encodeURIComponent(cameraId)}/privacy-masks`);
  if (mask.cameraId !== cameraId) return;
  mask.polygons = got.masks.map((m) => m.points);
  draw();
  const wrap = mask.layer.parentElement;
  const old = wrap.parentElement.querySelector(".mask-tools");
  if (old) old.remove();
  if (canManage()) {
    const tools = el("div", { class: "mask-tools" },
      el("button", { type: "button", class: "secondary", id: "mascaras-editar", onclick: () => openEditor() }, T.editMasks));
    wrap.after(tools);
  }
}

function toFrame(ev) {
  const point = mask.layer.createSVGPoint();
  point.x = ev.clientX;
  point.y = ev.clientY;
  const at = point.matrixTransform(mask.layer.getScreenCTM().inverse());
  const [w, h] = frameSize(mask.video);
  return [Math.min(1, Math.max(0, at.x / w)), Math.min(1, Math.max(0, at.y / h))].map((v) => Math.round(v * 1e4) / 1e4);
}

function onLayerClick(ev) {
  if (!mask.draft) mask.draft = [];
  mask.draft.push(toFrame(ev));
  draw();
}

function openEditor() {
  const layer = mask.layer;
  layer.classList.add("editing");
  layer.addEventListener("click", onLayerClick);
  mask.draft = [];
  const list = el("ul", { class: "mask-list" });
  const status = el("p", { class: "muted small", role: "status" });
  const refresh = () => {
    list.replaceChildren(...mask.polygons.map((_, i) => el("li", {},
      el("button", { type: "button", class: "secondary", onclick: () => { mask.polygons.splice(i, 1); refresh(); draw(); } },
        T.removeMask(i + 1)))));
  };
  const close = () => {
    layer.classList.remove("editing");
    layer.removeEventListener("click", onLayerClick);
    mask.draft = null;
    editor.remove();
    draw();
  };
  const editor = el("div", { class: "card mask-editor", id: "mascaras-editor" },
    el("h3", {}, T.masks), el("p", { class: "muted small" }, T.maskHelp), list,
    el("p", { class: "actions" },
      el("button", {
        type: "button", id: "mascara-fechar",
        onclick: () => {
          if (!mask.draft || mask.draft.length < 3) { status.textContent = T.needThree; return; }
          mask.polygons.push(mask.draft);
          mask.draft = [];
          refresh();
          draw();
        },
      }, T.closePolygon), " ",
      el("button", { type: "button", class: "secondary", onclick: () => { if (mask.draft) mask.draft.pop(); draw(); } },
        T.undoPoint), " ",
      el("button", {
        type: "button", id: "mascaras-salvar",
        onclick: guarded(async () => {
          showError(null);
          const saved = await api("PUT", `/v1/cameras/${encodeURIComponent(mask.cameraId)}/privacy-masks`,
            { body: { masks: mask.polygons.map((points) => ({ points })) } });
          mask.polygons = saved.masks.map((m) => m.points);
          close();
          const tools = document.querySelector(".mask-tools");
          if (tools) tools.append(el("span", { class: "muted small", role: "status" }, ` ${T.masksSaved(mask.polygons.length)}`));
        }),
      }, T.save), " ",
      el("button", {
        type: "button", class: "secondary",
        onclick: guarded(async () => { close(); await showMasks(mask.cameraId, mask.video); }),
      }, T.cancel)),
    status);
  const old = document.getElementById("mascaras-editor");
  if (old) old.remove();
  layer.parentElement.after(editor);
  mask.editor = editor;
  refresh();
  draw();
}

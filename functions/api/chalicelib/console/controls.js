/* GT-Vision console — the player's control bar and the keyboard. One keydown listener for the whole console
 * hands each shortcut to the screen that owns the keys now (`useKeys`): the camera screen's player or the
 * video wall. Buttons are large enough for a thumb on a phone. */

import { el } from "./core.js";
import { MSG, SPEEDS } from "./strings.js";
import { typing } from "./ui.js";

let target = null;

/** The screen's key handlers (togglePlay, seekBy, step, slower, faster, pause, fullscreen, selectTile, markIn,
 * markOut, zoom); `null` to stop. A screen sets them on show and clears them on leave. */
export function useKeys(handlers) {
  target = handlers;
}

const KEYS = {
  " ": (h) => h.togglePlay && h.togglePlay(),
  k: (h) => h.pause && h.pause(),
  l: (h) => h.faster && h.faster(),
  j: (h) => h.slower && h.slower(),
  ArrowLeft: (h, ev) => h.seekBy && h.seekBy(ev.shiftKey ? -30 : -5),
  ArrowRight: (h, ev) => h.seekBy && h.seekBy(ev.shiftKey ? 30 : 5),
  ",": (h) => h.step && h.step(-1),
  ".": (h) => h.step && h.step(1),
  f: (h) => h.fullscreen && h.fullscreen(),
  i: (h) => h.markIn && h.markIn(),
  o: (h) => h.markOut && h.markOut(),
  "+": (h) => h.zoom && h.zoom(1),
  "=": (h) => h.zoom && h.zoom(1),
  "-": (h) => h.zoom && h.zoom(-1),
  0: (h) => h.zoom && h.zoom(0),
};

document.addEventListener("keydown", (ev) => {
  if (!target || typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
  if (/^[1-9]$/.test(key) && target.selectTile) {
    ev.preventDefault();
    target.selectTile(Number(key) - 1);
    return;
  }
  const action = KEYS[key];
  if (!action) return;
  if (ev.target && ev.target.tagName === "BUTTON" && key === " ") return; // a focused button takes Space itself
  ev.preventDefault();
  action(target, ev);
});

/** The next speed up or down the ladder (0.5× … 8×). */
export function nextSpeed(rate, dir) {
  const i = SPEEDS.indexOf(rate);
  const at = i < 0 ? SPEEDS.indexOf(1) : i;
  return SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, at + dir))];
}

/** A group of speed buttons; `onRate(rate)` when one is pressed; `.set(rate)` marks the current one. */
export function speedButtons(onRate, prefix) {
  const buttons = SPEEDS.map((rate) => el("button", {
    type: "button", class: "secondary speed", "data-rate": rate, id: prefix ? `${prefix}-${String(rate).replace(".", "_")}` : null,
    "aria-pressed": String(rate === 1), onclick: () => onRate(rate),
  }, `${String(rate).replace(".", ",")}×`));
  const box = el("div", { class: "segmented", role: "group", "aria-label": MSG.speed }, ...buttons);
  box.set = (rate) => { for (const b of buttons) b.setAttribute("aria-pressed", String(Number(b.dataset.rate) === rate)); };
  return box;
}

/** A control bar button: `label` is spoken, `glyph` shown. */
export const control = (id, glyph, label, onclick) =>
  el("button", { type: "button", class: "secondary ctl", id, "aria-label": label, title: label, onclick }, glyph);

/* GT-Vision console — the camera screen's timeline: recorded spans over gaps in a window of the day that zooms
 * from the whole day to an hour to a few minutes (buttons or the wheel), the playhead following playback,
 * the export range (mark-in/mark-out), bookmarks, and a preview of the thumbnail under the pointer. A click
 * picks an instant (`onPick(at, inRecording)`); the screen decides what to play. */

import { el } from "./core.js";
import { pad, showTime, zoneParts } from "./format.js";
import { MSG } from "./strings.js";

const MIN = 60 * 1000;
const HOUR = 60 * MIN;
export const ZOOMS = {
  day: { span: 24 * HOUR, tick: 3 * HOUR, label: MSG.zoomDay },
  hour: { span: HOUR, tick: 10 * MIN, label: MSG.zoomHour },
  minute: { span: 5 * MIN, tick: MIN, label: MSG.zoomMinute },
};
const ORDER = ["day", "hour", "minute"];

export function createTimeline({ bar, hours, preview, zoomBox, onPick }) {
  const t = {
    day: null, // [from, to) of the day
    window: null, // [from, to) shown
    level: "day",
    spans: [],
    bookmarks: [],
    thumbs: [], // [{at: ms, url}] sorted
    playhead: null,
    marks: [null, null],
  };

  const buttons = ORDER.map((level) => el("button", {
    type: "button", class: "secondary", "data-zoom": level, "aria-pressed": String(level === "day"),
    onclick: () => zoom(level, t.playhead || center()),
  }, ZOOMS[level].label));
  if (zoomBox) zoomBox.replaceChildren(...buttons);

  const center = () => (t.window ? new Date((t.window[0].getTime() + t.window[1].getTime()) / 2) : new Date());
  const len = () => t.window[1] - t.window[0];
  const pos = (at) => Math.min(100, Math.max(0, ((new Date(at) - t.window[0]) / len()) * 100));
  const instantAt = (clientX) => {
    const box = bar.getBoundingClientRect();
    return new Date(t.window[0].getTime() + ((clientX - box.left) / box.width) * len());
  };

  function placed(cls, at, attrs = {}, end = null) {
    const node = el("span", { class: cls, ...attrs });
    node.style.left = `${pos(at)}%`;
    if (end) node.style.width = `${Math.max(pos(end) - pos(at), 0.2)}%`;
    return node;
  }

  function draw() {
    if (!t.window) return;
    const [from, to] = t.window;
    const nodes = [];
    const now = Date.now();
    if (now > from && now < to) nodes.push(placed("now", now, { title: MSG.now }));
    for (const s of t.spans) {
      if (new Date(s.end) <= from || new Date(s.start) >= to) continue;
      const span = el("button", {
        type: "button", class: "span", "data-start": s.start, "data-end": s.end,
        "aria-label": MSG.playFrom(showTime(new Date(s.start)), showTime(new Date(s.end))),
      });
      span.style.left = `${pos(s.start)}%`;
      span.style.width = `${Math.max(pos(s.end) - pos(s.start), 0)}%`;
      nodes.push(span);
    }
    const [markIn, markOut] = t.marks;
    if (markIn && markOut && markOut > markIn) nodes.push(placed("markrange", markIn, {}, markOut));
    for (const b of t.bookmarks) {
      if (new Date(b.at) < from || new Date(b.at) >= to) continue;
      nodes.push(placed("bookmark", b.at, { title: MSG.bookmark(b.label || ""), "data-at": b.at,
        "aria-label": MSG.bookmark(b.label || "") }));
    }
    if (t.playhead && t.playhead >= from && t.playhead < to) nodes.push(placed("playhead", t.playhead));
    bar.replaceChildren(...nodes);
    bar.dataset.from = from.toISOString();
    bar.dataset.to = to.toISOString();
    bar.dataset.zoom = t.level;
    const tick = ZOOMS[t.level].tick;
    const ticks = [];
    for (let at = Math.ceil(from.getTime() / tick) * tick; at <= to.getTime(); at += tick) {
      const p = zoneParts(new Date(at));
      const text = t.level === "day" ? `${pad(p.hour)}h` : `${pad(p.hour)}:${pad(p.minute)}`;
      const node = el("span", {}, text);
      node.style.left = `${pos(at)}%`;
      ticks.push(node);
    }
    hours.replaceChildren(...ticks);
  }

  /** Show `level` around `at` (kept inside the day). */
  function zoom(level, at) {
    if (!t.day) return;
    t.level = level;
    const span = Math.min(ZOOMS[level].span, t.day[1] - t.day[0]);
    let start = new Date(at).getTime() - span / 2;
    start = Math.max(t.day[0].getTime(), Math.min(start, t.day[1].getTime() - span));
    t.window = [new Date(start), new Date(start + span)];
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.zoom === level));
    draw();
  }

  bar.addEventListener("click", (ev) => {
    if (!t.window) return;
    const target = ev.target.dataset && ev.target.dataset.start ? ev.target.dataset : null;
    let at;
    if (target && ev.detail === 0) {
      at = new Date(target.start); // keyboard: a span plays from its start
    } else {
      at = instantAt(ev.clientX);
      // A short span is drawn wider than it lasts: a click on it stays inside the recording.
      if (target) at = new Date(Math.min(Math.max(at, new Date(target.start)), new Date(target.end) - 1000));
    }
    const inside = t.spans.some((s) => at >= new Date(s.start) && at < new Date(s.end));
    onPick(at, inside);
  });

  bar.addEventListener("wheel", (ev) => {
    if (!t.window) return;
    ev.preventDefault();
    const i = ORDER.indexOf(t.level) + (ev.deltaY < 0 ? 1 : -1);
    if (i >= 0 && i < ORDER.length) zoom(ORDER[i], instantAt(ev.clientX));
  }, { passive: false });

  let pointer = null; // the last clientX over the bar (the preview is redrawn when thumbnails arrive)
  function showPreview(clientX) {
    if (!t.window || !preview) return;
    const at = instantAt(clientX);
    const thumb = nearestThumb(at);
    const box = bar.getBoundingClientRect();
    preview.replaceChildren(
      thumb ? el("img", { src: thumb.url, alt: "", width: 160, height: 90 }) : null,
      el("span", {}, showTime(at)));
    preview.style.left = `${Math.min(Math.max(clientX - box.left - 84, 0), box.width - 168)}px`;
    preview.hidden = false;
  }
  bar.addEventListener("mousemove", (ev) => {
    pointer = ev.clientX;
    showPreview(ev.clientX);
  });
  bar.addEventListener("mouseleave", () => {
    pointer = null;
    if (preview) preview.hidden = true;
  });

  /** The thumbnail of the segment that holds `at` (the last one starting at or before it, not older than 5 min). */
  function nearestThumb(at) {
    const ms = at.getTime();
    let best = null;
    for (const th of t.thumbs) {
      if (th.at > ms) break;
      best = th;
    }
    return best && ms - best.at < 5 * MIN ? best : null;
  }

  return {
    state: t,
    setDay(from, to) {
      t.day = [from, to];
      zoom(t.level, t.playhead && t.playhead >= from && t.playhead < to ? t.playhead : new Date(Math.min(Date.now(), to - 1)));
    },
    setSpans(spans) { t.spans = spans; draw(); },
    setBookmarks(list) { t.bookmarks = list; draw(); },
    setThumbs(list) {
      t.thumbs = list.map((x) => ({ at: new Date(x.at).getTime(), url: x.url })).sort((a, b) => a.at - b.at);
      if (pointer !== null) showPreview(pointer);
    },
    setPlayhead(at) {
      t.playhead = at;
      // The window follows the playhead when it leaves (zoomed in)
      if (at && t.window && t.level !== "day" && (at < t.window[0] || at >= t.window[1])) zoom(t.level, at);
      else draw();
    },
    setMarks(markIn, markOut) { t.marks = [markIn, markOut]; draw(); },
    zoom,
    redraw: draw,
    /** The first recorded instant at or after `at` in the day (a gap's next recording), or null. */
    nextRecording(at) {
      const next = t.spans.find((s) => new Date(s.end) > at);
      if (!next) return null;
      return new Date(Math.max(new Date(next.start).getTime(), at.getTime()));
    },
  };
}

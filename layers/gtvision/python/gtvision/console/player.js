/* GT-Vision console — an HLS player (hls.js, vendored, on a Blob URL for the API's VOD playlists) bound to
 * one <video>: the camera screen's player and each mosaic tile use it. */

import { MSG } from "./strings.js";
import { showDateTime } from "./format.js";

/** A player on `video`, writing its state into `info` (a text element, optional). */
export function createPlayer(video, info = null) {
  const say = (text) => { if (info) info.textContent = text; };
  let hls = null;
  let blobUrl = null;
  let pendingStart = null; // the instant asked for: the playlist starts at the segment holding it

  function stop() {
    if (hls) hls.destroy();
    hls = null;
    if (blobUrl) URL.revokeObjectURL(blobUrl);
    blobUrl = null;
    pendingStart = null;
    video.removeAttribute("src");
    video.load();
    say("");
  }

  function fragments() {
    const level = hls && hls.levels && hls.levels[Math.max(hls.currentLevel, 0)];
    return (level && level.details && level.details.fragments) || [];
  }

  /** Attach an HLS source: a playlist text (kept in a Blob) or a URL (live). */
  function play({ playlist, url, label, startAt, autoplay }) {
    stop();
    if (autoplay) video.addEventListener("canplay", () => video.play().catch(() => null), { once: true });
    pendingStart = startAt || null;
    const src = playlist ? (blobUrl = URL.createObjectURL(new Blob([playlist], { type: "application/vnd.apple.mpegurl" }))) : url;
    say(label || "");
    if (window.Hls && window.Hls.isSupported()) {
      hls = new window.Hls({ enableWorker: true });
      hls.on(window.Hls.Events.ERROR, (_ev, data) => {
        if (data.fatal) {
          say(MSG.playbackFailed(data.details));
          if (info) info.classList.add("error-text");
          video.dataset.failed = data.details;
        }
      });
      hls.loadSource(src);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src; // Safari plays HLS natively
    } else {
      say(MSG.noHls);
      return;
    }
    if (info) info.classList.remove("error-text");
  }

  /** The wall-clock instant on screen, from the playlist's EXT-X-PROGRAM-DATE-TIME. */
  function wallClock() {
    const t = video.currentTime;
    const frag = fragments().find((f) => f.programDateTime && t >= f.start && t < f.start + f.duration);
    return frag ? new Date(frag.programDateTime + (t - frag.start) * 1000) : null;
  }

  /** Seek to a wall-clock instant; false when the loaded playlist does not hold it. */
  function seekTo(date) {
    const ms = date.getTime();
    const frag = fragments().find((f) => f.programDateTime && ms >= f.programDateTime && ms < f.programDateTime + f.duration * 1000);
    if (!frag) return false;
    video.currentTime = frag.start + (ms - frag.programDateTime) / 1000;
    return true;
  }

  video.addEventListener("loadedmetadata", () => {
    if (pendingStart) seekTo(pendingStart);
    pendingStart = null;
  });

  video.addEventListener("timeupdate", () => {
    const at = wallClock();
    if (at) say(MSG.showing(showDateTime(at)));
  });

  return { play, stop, seekTo, wallClock, video };
}


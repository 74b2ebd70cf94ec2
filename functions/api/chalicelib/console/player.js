/* GT-Vision console — a player bound to one <video>: the camera screen's player and each mosaic tile use it.
 * Live: WebRTC through MediaMTX's WHEP endpoint (under a second behind the camera), falling back to HLS when
 * WebRTC cannot start; recordings: HLS (hls.js, vendored, on a Blob URL for the API's VOD playlists). */

import { MSG } from "./strings.js";
import { showDateTime } from "./format.js";

/** A player on `video`, writing its state into `info` (a text element, optional). */
export function createPlayer(video, info = null) {
  const say = (text) => { if (info) info.textContent = text; };
  let hls = null;
  let blobUrl = null;
  let pendingStart = null; // the instant asked for: the playlist starts at the segment holding it
  let peer = null; // the WebRTC session: { pc, resource } (resource: the WHEP session URL to DELETE)
  let generation = 0; // every play/stop starts a new one: a late WebRTC answer of an older one is dropped

  function stopPeer() {
    if (!peer) return;
    const { pc, resource } = peer;
    peer = null;
    pc.close();
    endSession(resource);
    video.srcObject = null;
  }

  function stop() {
    generation += 1;
    stopPeer();
    delete video.dataset.transport;
    delete video.dataset.failed;
    if (info) info.classList.remove("error-text");
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

  /** Say a playback failure: `reason` (why the camera is not live, in words) or the player's error code. */
  function failed(details, reason) {
    say(reason || MSG.playbackFailed(details));
    if (info) info.classList.add("error-text");
    video.dataset.failed = details;
  }

  /** Attach an HLS source: a playlist text (kept in a Blob) or a URL (live). `onFatal(details)` replaces the
   * plain failure message (live: the reason the camera is not live). */
  function play({ playlist, url, label, startAt, autoplay, onFatal }) {
    stop();
    video.dataset.transport = "hls";
    if (autoplay) video.addEventListener("canplay", () => video.play().catch(() => null), { once: true });
    pendingStart = startAt || null;
    const src = playlist ? (blobUrl = URL.createObjectURL(new Blob([playlist], { type: "application/vnd.apple.mpegurl" }))) : url;
    say(label || "");
    if (window.Hls && window.Hls.isSupported()) {
      hls = new window.Hls({ enableWorker: true });
      hls.on(window.Hls.Events.ERROR, (_ev, data) => {
        if (!data.fatal) return;
        if (onFatal) onFatal(data.details);
        else failed(data.details);
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

  /** WebRTC from `<webrtcUrl>/whep` (WHEP: the SDP offer in a POST, the answer in its 201). Resolves "playing"
   * once frames arrive; "failed" when WebRTC cannot start here (no answer, path not ready, no frames in time);
   * "superseded" when another play/stop came meanwhile. */
  async function playWebRTC(webrtcUrl, label, onLost) {
    stop();
    const mine = generation;
    if (!window.RTCPeerConnection) return "failed";
    const pc = new RTCPeerConnection();
    peer = { pc, resource: null };
    say(label || "");
    try {
      pc.addTransceiver("video", { direction: "recvonly" });
      pc.addTransceiver("audio", { direction: "recvonly" });
      const stream = new MediaStream();
      pc.addEventListener("track", (ev) => {
        stream.addTrack(ev.track);
        if (video.srcObject !== stream) {
          video.srcObject = stream;
          video.play().catch(() => null);
        }
      });
      await pc.setLocalDescription(await pc.createOffer());
      await iceGathered(pc, 2000); // one offer with every candidate: no trickle PATCHes needed
      const endpoint = `${webrtcUrl.replace(/\/+$/, "")}/whep`;
      const res = await fetch(endpoint, {
        method: "POST", headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp,
        signal: AbortSignal.timeout(5000),
      });
      const where = res.status === 201 && res.headers.get("Location");
      const resource = where ? new URL(where, endpoint).href : null;
      if (mine !== generation) { // stopped while the server was answering: end the session it just made
        endSession(resource);
        return "superseded";
      }
      if (res.status !== 201) throw new Error(`WHEP ${res.status}`);
      peer.resource = resource;
      await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
      await firstFrame(video, 6000);
      if (mine !== generation) return "superseded";
      video.dataset.transport = "webrtc";
      // The server ending the session (the stream was stopped) or the network failing: say why, once.
      pc.addEventListener("connectionstatechange", () => {
        if (mine === generation && ["failed", "closed"].includes(pc.connectionState)) onLost("webrtc_lost");
      });
      return "playing";
    } catch {
      if (mine !== generation) return "superseded";
      stopPeer();
      return "failed";
    }
  }

  /** A camera's live stream (its `urls` from the API): WebRTC when it starts, HLS otherwise. When neither
   * plays, `explain()` (livestatus.js) says why the camera is not live instead of the player's error code. */
  async function live(urls, label, explain = null) {
    let mine = -1; // the generation of what is playing: a reason for an older one is dropped
    const why = async (details) => {
      const reason = explain ? await explain().catch(() => null) : null;
      if (mine === generation) failed(details, reason);
    };
    if (urls && urls.webrtc) {
      const outcome = await playWebRTC(urls.webrtc, label, why);
      if (outcome === "superseded") return null; // another play/stop came meanwhile
      if (outcome === "playing") {
        mine = generation;
        return "webrtc";
      }
    }
    if (urls && urls.hls) {
      play({ url: urls.hls, label, autoplay: true, onFatal: why });
      mine = generation;
      return "hls";
    }
    stop();
    mine = generation;
    await why("unavailable");
    return null;
  }

  return { play, live, stop, seekTo, wallClock, video };
}

/** DELETE a WHEP session: MediaMTX frees it at once instead of when its ICE times out (best effort). */
function endSession(resource) {
  if (resource) fetch(resource, { method: "DELETE" }).catch(() => null);
}

function iceGathered(pc, ms) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, ms);
  });
}

function firstFrame(video, ms) {
  return new Promise((resolve, reject) => {
    const until = Date.now() + ms;
    const check = () => {
      if (video.videoWidth > 0) resolve();
      else if (Date.now() > until) reject(new Error("no frames"));
      else setTimeout(check, 50);
    };
    check();
  });
}


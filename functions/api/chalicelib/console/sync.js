/* GT-Vision console — synchronized playback of several recordings (the video wall's tiles): one play/pause for
 * all, one speed (0.5×–8×), one shared instant. Every tile seeks by the wall clock of its own playlist
 * (EXT-X-PROGRAM-DATE-TIME), so cameras whose recordings started at different times show the same instant.
 * After a seek all tiles start together once each has its frame; while playing, a tile that drifts from the
 * first one by more than a frame is nudged (its rate, for one check: enough to close the gap by the next check)
 * or, far off, seeked back into step. A busy machine can start one tile a few frames early or stall another
 * just after the start: the nudge brings them back within a frame in a few hundred milliseconds. */

const DRIFT_CHECK_MS = 200;
const FAR_MS = 400; // beyond this a tile is seeked, not nudged
const MAX_NUDGE = 0.25; // a nudged tile plays at most 25 % faster or slower than the others

/** `tiles`: [{player, video}] with a recording loaded. `onTick(at)` reports the shared instant while playing. */
export function createSync(tiles, { fps = 25, onTick = null, onState = null } = {}) {
  const s = { rate: 1, playing: false, generation: 0, timer: null };
  const frameMs = 1000 / fps;
  const loaded = () => tiles.filter((t) => t.player.wallClock() !== null || t.video.readyState >= 1);

  /** The shared instant: the first tile that shows a recorded frame. */
  function now() {
    for (const t of tiles) {
      const at = t.player.wallClock();
      if (at && !t.video.ended) return at;
    }
    return null;
  }

  const ready = (video) => new Promise((resolve) => {
    if (!video.seeking && video.readyState >= 3) return resolve();
    const done = () => { video.removeEventListener("canplay", done); video.removeEventListener("seeked", check); resolve(); };
    const check = () => { if (video.readyState >= 3) done(); };
    video.addEventListener("canplay", done);
    video.addEventListener("seeked", check);
    setTimeout(done, 5000); // a tile that cannot get ready does not hold the others
  });

  async function play() {
    const mine = ++s.generation;
    await Promise.all(loaded().map((t) => ready(t.video)));
    if (mine !== s.generation) return;
    for (const t of tiles) {
      t.player.setRate(s.rate);
      if (t.player.wallClock() !== null) t.video.play().catch(() => null);
    }
    s.playing = true;
    watch();
    if (onState) onState(s);
  }

  function pause() {
    s.generation += 1;
    s.playing = false;
    for (const t of tiles) t.video.pause();
    clearInterval(s.timer);
    if (onState) onState(s);
  }

  /** Every tile to `at` (each on its own recording); playing goes on if it was. Tiles without a recording at
   * that instant pause and say so (`false` in the result). */
  async function seek(at) {
    const wasPlaying = s.playing;
    s.generation += 1;
    for (const t of tiles) t.video.pause();
    const found = tiles.map((t) => t.player.seekTo(at));
    await Promise.all(tiles.filter((_, i) => found[i]).map((t) => ready(t.video)));
    if (onTick) onTick(at);
    if (wasPlaying) await play();
    return found;
  }

  function setRate(rate) {
    s.rate = rate;
    for (const t of tiles) t.player.setRate(rate);
    if (onState) onState(s);
  }

  /** One frame forward (or back) on every tile, paused. */
  function step(frames) {
    pause();
    for (const t of tiles) t.player.step(frames, fps);
  }

  function watch() {
    clearInterval(s.timer);
    s.timer = setInterval(() => {
      if (!s.playing) return;
      const master = now();
      if (master && onTick) onTick(master);
      if (!master) return;
      for (const t of tiles) {
        const at = t.player.wallClock();
        if (!at || t.video.paused || t.video.ended) continue;
        const drift = at - master;
        if (Math.abs(drift) > FAR_MS) t.player.seekTo(master);
        else if (Math.abs(drift) > frameMs) {
          // Close the gap over the next check: `drift` ms ahead means playing that much less in DRIFT_CHECK_MS
          // of wall time at s.rate (drift is in recording time, so it is divided by the rate).
          const k = Math.max(-MAX_NUDGE, Math.min(MAX_NUDGE, drift / (DRIFT_CHECK_MS * s.rate)));
          t.video.playbackRate = s.rate * (1 - k);
        }
        else if (t.video.playbackRate !== s.rate) t.video.playbackRate = s.rate;
      }
    }, DRIFT_CHECK_MS);
  }

  function stop() {
    pause();
  }

  return { play, pause, seek, setRate, step, stop, now, toggle: () => (s.playing ? pause() : play()), state: s };
}

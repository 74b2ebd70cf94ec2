/* GT-Vision console: vanilla JS, no build step. Talks only to its own origin (/v1/…) with the
 * operator's bearer token (sessionStorage); media comes from the presigned URLs the API returns.
 * Times are shown in America/Sao_Paulo and sent as UTC RFC 3339. */
"use strict";

(() => {
  // The page lives at <base>/console and this file at <base>/console/app.js, so the API is at <base>/v1/…
  // (a stage prefix such as /Prod behind API Gateway included).
  const BASE = new URL("../", document.currentScript.src);
  const TZ = "America/Sao_Paulo";
  const TOKEN_KEY = "gtv.token";
  const ME_KEY = "gtv.me";
  const PAGE = 50;
  const CLIP_POLL_MS = 2000;
  const DAY_MS = 24 * 3600 * 1000;

  const ROLE = { admin: "administrador", manager: "gestor", viewer: "visualizador" };
  // `status` of a camera is what was observed (online/offline/unknown); `stream_status` what a manager asked.
  const CAMERA_STATUS = {
    online: "online", offline: "offline", unknown: "desconhecido",
    registered: "cadastrada", streaming: "transmitindo", stopped: "parada",
  };
  const CLIP_STATUS = { queued: "na fila", processing: "processando", ready: "pronto", failed: "falhou" };
  const ALERT_KIND = {
    watchlist: "lista de observação", clone_suspect: "suspeita de placa clonada",
    camera_offline: "câmera offline", recording_stalled: "gravação parada", recording_changed: "gravação alterada",
  };
  const HEALTH_POLL_MS = 30000;
  const MATCH = ["exact", "prefix", "fuzzy"];

  const $ = (id) => document.getElementById(id);

  /** Create an element; strings become text nodes (never HTML). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  // ------------------------------------------------------------------ API

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function call(method, path, { body, query, raw } = {}) {
    const url = new URL(path.replace(/^\//, ""), BASE);
    for (const [k, v] of Object.entries(query || {})) {
      if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
    }
    const headers = { Accept: raw ? "*/*" : "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, "network", "Sem conexão com a API. Verifique a rede e tente de novo.");
    }
    const text = await res.text();
    if (!res.ok) {
      let code = "http_" + res.status;
      let message = `A API respondeu ${res.status}.`;
      try {
        const err = JSON.parse(text).error;
        if (err && err.message) ({ code, message } = err);
      } catch {
        /* not JSON: keep the generic message */
      }
      const error = new ApiError(res.status, code, message);
      if (res.status === 401 && token) {
        error.sessionEnded = true; // shown once, on the login screen
        endSession(message);
      }
      throw error;
    }
    if (raw) return text;
    return text ? JSON.parse(text) : null;
  }
  const api = (method, path, opts) => call(method, path, opts);
  const apiText = (method, path, opts) => call(method, path, { ...opts, raw: true });

  // ------------------------------------------------------------------ time (America/Sao_Paulo)

  const fmtDateTime = new Intl.DateTimeFormat("pt-BR", { timeZone: TZ, dateStyle: "short", timeStyle: "medium" });
  const fmtTime = new Intl.DateTimeFormat("pt-BR", {
    timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  const fmtParts = new Intl.DateTimeFormat("en-US", {
    timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  const fmtPct = new Intl.NumberFormat("pt-BR", { style: "percent", maximumFractionDigits: 1 });
  const fmtNum = new Intl.NumberFormat("pt-BR", { maximumFractionDigits: 1 });

  const showDateTime = (iso) => (iso ? fmtDateTime.format(new Date(iso)) : "—");
  const showTime = (date) => fmtTime.format(date);
  const rfc3339 = (date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

  function zoneParts(date) {
    const p = {};
    for (const { type, value } of fmtParts.formatToParts(date)) p[type] = Number(value);
    return p;
  }

  /** Milliseconds São Paulo is ahead of UTC at `date` (negative: −3 h). */
  function zoneOffset(date) {
    const p = zoneParts(date);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(date.getTime() / 1000) * 1000;
  }

  /** The instant a São Paulo wall clock shows y-mo-d h:mi:s (Date.UTC normalises overflowing fields). */
  function fromZoned(y, mo, d, h = 0, mi = 0, s = 0) {
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    let t = wall - zoneOffset(new Date(wall));
    const again = wall - zoneOffset(new Date(t));
    if (again !== t) t = again;
    return new Date(t);
  }

  /** "YYYY-MM-DDTHH:MM[:SS]" (a datetime-local value, São Paulo time) → Date, or null. */
  function parseLocal(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value || "");
    return m ? fromZoned(+m[1], +m[2], +m[3], +m[4], +m[5], +(m[6] || 0)) : null;
  }

  const pad = (n) => String(n).padStart(2, "0");
  function localDay(date) {
    const p = zoneParts(date);
    return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  }
  function localClock(date) {
    const p = zoneParts(date);
    return `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
  }
  const localInput = (date) => `${localDay(date)}T${localClock(date)}`;

  function dayRange(day) {
    const [y, m, d] = day.split("-").map(Number);
    return [fromZoned(y, m, d), fromZoned(y, m, d + 1)];
  }

  // ------------------------------------------------------------------ session and screens

  let generation = 0; // bumped on every navigation: late replies of a left screen are dropped
  const timers = new Set();

  /** The error banner (sticky, so it is seen wherever the form was): the API's error.message. */
  function showError(err) {
    $("erro").hidden = !err;
    $("erro-texto").textContent = err ? err.message || String(err) : "";
  }
  $("erro-fechar").addEventListener("click", () => showError(null));

  /** Run an async action of the current screen; its errors show the API's message. */
  function guarded(fn) {
    return async (...args) => {
      const gen = generation;
      try {
        await fn(...args);
      } catch (err) {
        if (gen === generation && !err.sessionEnded) showError(err);
      }
    };
  }

  function me() {
    try {
      return JSON.parse(sessionStorage.getItem(ME_KEY) || "null");
    } catch {
      return null;
    }
  }

  function showScreen(name) {
    for (const s of document.querySelectorAll(".screen")) s.hidden = s.id !== `tela-${name}`;
    const section = { cidade: "cidades", camera: "cidades" }[name] || name;
    for (const a of document.querySelectorAll("#menu a")) {
      if (a.dataset.section === section) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    const logged = name !== "login";
    $("menu").hidden = !logged;
    $("sessao").hidden = !logged;
  }

  function leaveScreen() {
    generation += 1;
    for (const t of timers) clearInterval(t);
    timers.clear();
    player.stop();
    showError(null);
  }

  function endSession(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ME_KEY);
    live.stop();
    names.city.clear(); // nothing of one session is shown to the next
    names.camera.clear();
    leaveScreen();
    showScreen("login");
    if (message) showError({ message });
    $("login-usuario").focus();
  }

  function renderSession() {
    const user = me();
    $("sessao-usuario").textContent = user ? user.username : "";
    $("sessao-papel").textContent = user ? ROLE[user.role] || user.role : "";
  }

  $("form-login").addEventListener("submit", guarded(async (ev) => {
    ev.preventDefault();
    showError(null);
    const username = $("login-usuario").value.trim();
    const password = $("login-senha").value;
    const auth = await api("POST", "/v1/auth/login", { body: { username, password } });
    sessionStorage.setItem(TOKEN_KEY, auth.access_token);
    const profile = await api("GET", "/v1/me");
    sessionStorage.setItem(ME_KEY, JSON.stringify(profile));
    $("login-senha").value = "";
    renderSession();
    live.start();
    if (!location.hash || location.hash === "#/") location.hash = "#/cidades";
    else route();
  }));

  $("sair").addEventListener("click", () => {
    endSession(null);
    history.replaceState(null, "", "#/");
  });

  // ------------------------------------------------------------------ lists with "Carregar mais"

  /** A paginated table: fetchPage(cursor) → {items, next_cursor}; renderRow(item) → <tr>. */
  function pagedList({ body, more, empty, fetchPage, renderRow }) {
    const gen = generation;
    let cursor = null;
    body.replaceChildren();
    more.hidden = true;
    if (empty) empty.hidden = true;
    const load = guarded(async () => {
      more.disabled = true;
      try {
        const page = await fetchPage(cursor);
        if (gen !== generation) return;
        body.append(...page.items.map(renderRow));
        cursor = page.next_cursor;
        more.hidden = !cursor;
        if (empty) empty.hidden = body.children.length > 0;
      } finally {
        more.disabled = false;
      }
    });
    more.onclick = load;
    return load();
  }

  const names = { city: new Map(), camera: new Map() };

  /** The name of a city or camera by id, fetched once; a short id when it cannot be read. */
  function nameOf(kind, id) {
    const cache = names[kind];
    if (!cache.has(id)) {
      const key = encodeURIComponent(id);
      const req = kind === "city" ? api("GET", `/v1/cities/${key}`) : api("GET", `/v1/cameras/${key}`);
      cache.set(id, req.then((x) => x.name, () => id.slice(0, 8)));
    }
    return cache.get(id);
  }

  function nameCell(kind, id, href) {
    const text = el("span", {}, id ? id.slice(0, 8) : "—");
    if (id) nameOf(kind, id).then((n) => { text.textContent = n; });
    return el("td", {}, href ? el("a", { href }, text) : text);
  }

  // ------------------------------------------------------------------ cities and cameras

  function showCities() {
    showScreen("cidades");
    return pagedList({
      body: $("cidades-lista"),
      more: $("cidades-mais"),
      fetchPage: (cursor) => api("GET", "/v1/cities", { query: { limit: PAGE, cursor } }),
      renderRow: (c) => {
        names.city.set(c.id, Promise.resolve(c.name));
        return el("tr", {},
          el("td", {}, el("a", { href: `#/cidades/${c.id}` }, c.name)),
          el("td", {}, c.state || "—"),
          el("td", {}, c.retention_days ? `${c.retention_days} dias` : "—"));
      },
    });
  }

  async function loadCityHealth(cityId) {
    const box = $("cidade-saude");
    const h = await api("GET", `/v1/cities/${encodeURIComponent(cityId)}/health`);
    const count = (n, label) => el("span", {}, el("strong", {}, String(n)), label);
    box.replaceChildren(
      el("div", { class: "health-counts" },
        count(h.cameras, "câmeras"), count(h.online, "online"), count(h.offline, "offline"),
        count(h.unknown, "desconhecidas"), count(h.recording_stalled.length, "com gravação parada"),
        count(h.open_alerts, "alertas abertos"), count(h.lpr_reads_last_hour, "leituras LPR na última hora")),
      h.troubled.length
        ? el("ul", {}, ...h.troubled.map((t) => el("li", {},
          el("a", { href: `#/cameras/${t.camera_id}` }, t.name), " ", statusBadge(t.status, t.camera_id),
          h.recording_stalled.includes(t.camera_id) ? [" ", el("span", { class: "badge alert-recording_stalled" }, "gravação parada")] : null,
          t.since ? ` desde ${showDateTime(t.since)}` : "")))
        : el("p", { class: "muted" }, "Nenhuma câmera com problema."),
      el("p", {}, el("a", { href: "#/alertas?abertos=1" }, "Ver alertas abertos")));
  }

  async function showCity(cityId) {
    showScreen("cidade");
    $("cidade-titulo").textContent = "Câmeras";
    $("cidade-saude").replaceChildren();
    nameOf("city", cityId).then((n) => { $("cidade-titulo").textContent = `Câmeras · ${n}`; });
    const gen = generation;
    const refresh = guarded(async () => {
      if (gen !== generation) return;
      await loadCityHealth(cityId);
      setTimeout(refresh, HEALTH_POLL_MS);
    });
    refresh();
    await pagedList({
      body: $("cameras-lista"),
      more: $("cameras-mais"),
      empty: $("cameras-vazio"),
      fetchPage: (cursor) => api("GET", `/v1/cities/${encodeURIComponent(cityId)}/cameras`, { query: { limit: PAGE, cursor } }),
      renderRow: (cam) => {
        names.camera.set(cam.id, Promise.resolve(cam.name));
        return el("tr", {},
          el("td", {}, el("a", { href: `#/cameras/${cam.id}` }, cam.name)),
          el("td", {}, statusBadge(cam.status, cam.id)),
          el("td", {}, cam.lpr_enabled ? "sim" : "não"));
      },
    });
  }

  const statusBadge = (status, cameraId) =>
    el("span", { class: `badge status-${status}`, "data-camera": cameraId }, CAMERA_STATUS[status] || status);

  // ------------------------------------------------------------------ player (hls.js on a Blob URL)

  const player = (() => {
    const video = $("player");
    const info = $("player-info");
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
      info.textContent = "";
    }

    function fragments() {
      const level = hls && hls.levels && hls.levels[Math.max(hls.currentLevel, 0)];
      return (level && level.details && level.details.fragments) || [];
    }

    /** Attach an HLS source: a playlist text (kept in a Blob) or a URL (live). */
    function play({ playlist, url, label, startAt }) {
      stop();
      pendingStart = startAt || null;
      const src = playlist ? (blobUrl = URL.createObjectURL(new Blob([playlist], { type: "application/vnd.apple.mpegurl" }))) : url;
      info.textContent = label || "";
      if (window.Hls && window.Hls.isSupported()) {
        hls = new window.Hls({ enableWorker: true });
        hls.on(window.Hls.Events.ERROR, (_ev, data) => {
          if (data.fatal) {
            info.textContent = `Falha na reprodução (${data.details}).`;
            info.classList.add("error-text");
          }
        });
        hls.loadSource(src);
        hls.attachMedia(video);
      } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = src; // Safari plays HLS natively
      } else {
        info.textContent = "Este navegador não reproduz HLS.";
        return;
      }
      info.classList.remove("error-text");
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
      if (at) info.textContent = `Exibindo ${showDateTime(at.toISOString())}`;
    });

    return { play, stop, seekTo };
  })();

  // ------------------------------------------------------------------ camera screen

  const cam = { id: null, city: null, day: null, range: null, role: null, timeline: null };

  async function showCamera(cameraId, params) {
    showScreen("camera");
    // `?em=<RFC 3339>` (a Sentinela result): open the recording at that instant.
    const at = params && params.get("em") ? new Date(params.get("em")) : null;
    const instant = at && !Number.isNaN(at.getTime()) ? at : null;
    Object.assign(cam, { id: cameraId, day: localDay(instant || new Date()), role: (me() || {}).role, timeline: null, range: null });
    $("detalhe").hidden = true;
    $("camera-titulo").textContent = "Câmera";
    $("camera-resumo").textContent = "";
    $("aovivo").replaceChildren();
    $("timeline").replaceChildren();
    $("timeline-info").textContent = "";
    $("miniaturas").replaceChildren();
    $("miniaturas-mais").hidden = true;
    $("recortes").replaceChildren();
    $("dia").value = cam.day;
    $("dia").max = localDay(new Date());

    const camera = await api("GET", `/v1/cameras/${encodeURIComponent(cameraId)}`);
    cam.city = camera.city_id;
    names.camera.set(camera.id, Promise.resolve(camera.name));
    $("camera-titulo").textContent = camera.name;
    $("camera-resumo").replaceChildren(
      statusBadge(camera.status, camera.id), ` · LPR ${camera.lpr_enabled ? "ativo" : "inativo"}`,
      camera.location && camera.location.address ? ` · ${camera.location.address}` : "");
    const crumb = $("camera-cidade");
    crumb.href = `#/cidades/${camera.city_id}`;
    crumb.textContent = "Cidade";
    nameOf("city", camera.city_id).then((n) => { crumb.textContent = n; });

    await Promise.all([loadStream(), loadMetrics(), loadTimeline(!instant), loadClips()]);
    if (instant) setRange(new Date(instant.getTime() - 5000), new Date(instant.getTime() + 2 * 60 * 1000), true);
  }

  /** A small line chart (inline SVG) of one series over the last hour; gaps (null) break the line. */
  function sparkline(samples, key, from, to) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", "0 0 300 60");
    svg.setAttribute("preserveAspectRatio", "none");
    const values = samples.map((p) => p[key]).filter((v) => v !== null && v !== undefined);
    const max = Math.max(1, ...values);
    let points = [];
    const flush = () => {
      if (points.length) {
        const line = document.createElementNS(ns, "polyline");
        line.setAttribute("points", points.join(" "));
        svg.appendChild(line);
      }
      points = [];
    };
    for (const p of samples) {
      const v = p[key];
      if (v === null || v === undefined) { flush(); continue; }
      const x = ((new Date(p.at) - from) / (to - from)) * 300;
      points.push(`${x.toFixed(1)},${(58 - (v / max) * 56).toFixed(1)}`);
    }
    flush();
    return svg;
  }

  async function loadMetrics() {
    const box = $("camera-metricas");
    const id = cam.id;
    const gen = generation;
    const to = new Date();
    const from = new Date(to - 3600 * 1000);
    let m;
    try {
      m = await api("GET", `/v1/cameras/${encodeURIComponent(id)}/stream/metrics`,
        { query: { from: rfc3339(from), to: rfc3339(to) } });
    } catch (err) {
      if (err.status === 401) throw err;
      box.replaceChildren(el("p", { class: "error-text" }, err.message));
      return;
    }
    if (gen !== generation || id !== cam.id) return;
    const c = m.current;
    const num = (v, digits = 0, unit = "") => (v === null || v === undefined ? "—" : `${v.toFixed(digits)}${unit}`);
    const lastKbps = [...m.samples].reverse().find((s) => s.inbound_kbps !== null);
    box.replaceChildren(
      el("p", {}, statusBadge(m.status, m.camera_id), m.since ? ` desde ${showDateTime(m.since)}` : ""),
      el("dl", { class: "urls" },
        el("dt", {}, "Entrada"), el("dd", {}, num(c.inbound_kbps, 0, " kbps")),
        el("dt", {}, "Quadros/s"), el("dd", {}, num(c.fps, 1)),
        el("dt", {}, "Atraso da gravação"), el("dd", {}, num(c.recording_lag_s, 0, " s")),
        el("dt", {}, "Espectadores"), el("dd", {}, c.readers === null || c.readers === undefined ? "—" : String(c.readers)),
        el("dt", {}, "Vídeo"), el("dd", {}, c.codec ? `${c.codec}${c.width ? ` ${c.width}×${c.height}` : ""}` : "—"),
        el("dt", {}, "Quadros com erro"), el("dd", {}, c.frames_in_error === null || c.frames_in_error === undefined ? "—" : String(c.frames_in_error))),
      el("p", { class: "spark-label muted" }, `kbps na última hora${lastKbps ? "" : " (sem amostras)"}`),
      sparkline(m.samples, "inbound_kbps", from, to),
      el("p", { class: "spark-label muted" }, "quadros/s na última hora"),
      sparkline(m.samples, "fps", from, to));
    setTimeout(() => { if (gen === generation && id === cam.id) guarded(loadMetrics)(); }, HEALTH_POLL_MS);
  }

  async function loadStream() {
    const box = $("aovivo");
    const id = cam.id;
    let stream;
    try {
      stream = await api("GET", `/v1/cameras/${encodeURIComponent(id)}/stream`);
    } catch (err) {
      if (err.status === 401) throw err;
      box.replaceChildren(el("p", { class: "error-text" }, err.message), ...streamButtons(null));
      return;
    }
    const parts = [el("p", {}, "Status: ", statusBadge(stream.status),
      stream.live ? ` · ${stream.live.ready ? "sinal recebido" : "aguardando sinal"}` : "")];
    if (stream.urls) {
      const u = stream.urls;
      parts.push(el("dl", { class: "urls" },
        u.hls ? [el("dt", {}, "HLS"), el("dd", {}, el("a", { href: u.hls, target: "_blank", rel: "noopener" }, u.hls))] : null,
        u.webrtc ? [el("dt", {}, "WebRTC"), el("dd", {}, el("a", { href: u.webrtc, target: "_blank", rel: "noopener" }, u.webrtc))] : null,
        u.rtsp ? [el("dt", {}, "RTSP"), el("dd", {}, el("code", {}, u.rtsp))] : null));
      if (u.hls) {
        parts.push(el("button", {
          type: "button", class: "secondary",
          onclick: () => player.play({ url: u.hls, label: "Ao vivo" }),
        }, "Assistir ao vivo no player"));
      }
    } else {
      parts.push(el("p", { class: "muted" }, "Sem transmissão ao vivo no momento."));
    }
    parts.push(...streamButtons(stream.status));
    box.replaceChildren(...parts);
  }

  /** Start/stop for managers and admins (viewers only watch): zero or one element. */
  function streamButtons(status) {
    if (cam.role === "viewer") return [];
    const id = encodeURIComponent(cam.id);
    const act = (send) => guarded(async () => {
      await send();
      await loadStream();
    });
    const start = act(() => api("POST", `/v1/cameras/${id}/stream/start`));
    const stop = act(() => api("POST", `/v1/cameras/${id}/stream/stop`));
    return [el("p", { class: "actions" },
      status !== "streaming" ? el("button", { type: "button", onclick: start }, "Iniciar transmissão") : null,
      status !== "stopped" ? el("button", { type: "button", class: "secondary", onclick: stop }, "Parar transmissão") : null)];
  }

  async function loadTimeline(pickRange) {
    const gen = generation;
    const [from, to] = dayRange(cam.day);
    const tl = await api("GET", `/v1/cameras/${encodeURIComponent(cam.id)}/timeline`, {
      query: { from: rfc3339(from), to: rfc3339(to) },
    });
    if (gen !== generation) return;
    drawTimeline(tl, from, to);
    if (pickRange) {
      // Start where something was recorded: the last 10 minutes of the day's last span.
      const last = tl.spans[tl.spans.length - 1];
      const end = last ? new Date(last.end) : new Date(Math.min(Date.now(), to.getTime()));
      const start = new Date(Math.max(end.getTime() - 10 * 60 * 1000, last ? new Date(last.start).getTime() : from.getTime(), from.getTime()));
      setRange(start, end, false);
    }
  }

  /** Draw recorded spans (green) over gaps (grey) of [from, to) into a bar, with tick labels. */
  function drawBar(bar, ticksBox, spans, from, to, ticks, label) {
    const len = to - from;
    const pos = (t) => Math.min(100, Math.max(0, ((new Date(t) - from) / len) * 100));
    const now = Date.now();
    const nodes = [];
    if (now > from && now < to) {
      const mark = el("span", { class: "now", title: "agora" });
      mark.style.left = `${pos(now)}%`;
      nodes.push(mark);
    }
    for (const s of spans) {
      if (new Date(s.end) <= from || new Date(s.start) >= to) continue;
      const left = pos(s.start);
      const span = el("button", {
        type: "button", class: "span", "data-start": s.start, "data-end": s.end,
        "aria-label": `Reproduzir a partir de ${showTime(new Date(s.start))} (gravado até ${showTime(new Date(s.end))})`,
      });
      span.style.left = `${left}%`;
      span.style.width = `${Math.max(pos(s.end) - left, 0)}%`;
      nodes.push(span);
    }
    bar.replaceChildren(...nodes);
    bar.setAttribute("aria-label", label);
    bar.dataset.from = from.toISOString();
    bar.dataset.to = to.toISOString();
    ticksBox.replaceChildren(...ticks.map(([at, text]) => {
      const tick = el("span", {}, text);
      tick.style.left = `${pos(at)}%`;
      return tick;
    }));
  }

  function drawTimeline(tl, from, to) {
    cam.timeline = tl;
    const ticks = [];
    for (let h = 0; h <= 24; h += 3) ticks.push([from.getTime() + (h / 24) * (to - from), `${pad(h)}h`]);
    const day = cam.day.split("-").reverse().join("/");
    drawBar($("timeline"), $("timeline-horas"), tl.spans, from, to, ticks,
      `Linha do tempo de ${day}: ${fmtPct.format(tl.coverage)} gravado; clique para reproduzir`);
    $("timeline-info").textContent =
      `Cobertura ${fmtPct.format(tl.coverage)} · ${tl.segments} segmentos · ${tl.spans.length} trechos gravados · ${tl.gaps.length} lacunas`;
  }

  /** The hour around the playback start, minute by minute (short recordings vanish in a whole day). */
  function drawDetail(at) {
    const tl = cam.timeline;
    if (!tl) return;
    const p = zoneParts(at);
    const from = fromZoned(p.year, p.month, p.day, p.hour);
    const to = new Date(from.getTime() + 3600 * 1000);
    const ticks = [0, 10, 20, 30, 40, 50, 60].map((m) => {
      const hour = m === 60 ? (p.hour + 1) % 24 : p.hour;
      return [from.getTime() + m * 60000, `${pad(hour)}:${pad(m % 60)}`];
    });
    $("detalhe-titulo").textContent = `Detalhe: ${pad(p.hour)}h às ${pad((p.hour + 1) % 24)}h`;
    drawBar($("timeline-detalhe"), $("timeline-detalhe-horas"), tl.spans, from, to, ticks,
      `Detalhe de ${pad(p.hour)}h às ${pad((p.hour + 1) % 24)}h; clique para reproduzir`);
    $("detalhe").hidden = false;
  }

  /** A click on a bar plays from that instant; a keyboard press on a span plays from its start. */
  function onBarClick(ev) {
    const bar = ev.currentTarget;
    const from = new Date(bar.dataset.from);
    const to = new Date(bar.dataset.to);
    const span = ev.target.dataset && ev.target.dataset.start ? ev.target.dataset : null;
    let at;
    if (span && ev.detail === 0) {
      at = new Date(span.start);
    } else {
      const box = bar.getBoundingClientRect();
      at = new Date(from.getTime() + ((ev.clientX - box.left) / box.width) * (to - from));
      // A short span is drawn wider than it lasts: a click on it stays inside the recording.
      if (span) at = new Date(Math.min(Math.max(at, new Date(span.start)), new Date(span.end) - 1000));
    }
    const dayEnd = dayRange(cam.day)[1];
    setRange(at, new Date(Math.min(at.getTime() + 15 * 60 * 1000, dayEnd.getTime())), true);
  }
  $("timeline").addEventListener("click", onBarClick);
  $("timeline-detalhe").addEventListener("click", onBarClick);

  $("form-dia").addEventListener("submit", guarded(async (ev) => {
    ev.preventDefault();
    showError(null);
    cam.day = $("dia").value || localDay(new Date());
    player.stop();
    await loadTimeline(true);
  }));

  /** The playback window: fills the forms, the thumbnails and (when `autoplay`) the player. */
  function setRange(from, to, autoplay) {
    cam.range = [from, to];
    drawDetail(from);
    $("rep-de").value = localClock(from);
    $("rep-ate").value = localClock(to);
    $("rec-inicio").value = localInput(from);
    $("rec-fim").value = localInput(new Date(Math.min(to.getTime(), from.getTime() + 60 * 1000)));
    guarded(loadThumbnails)();
    if (autoplay) guarded(loadPlayback)();
  }

  function rangeFromForm() {
    const [y, m, d] = cam.day.split("-").map(Number);
    const clock = (v) => (v || "00:00:00").split(":").map(Number);
    const [h1, m1, s1 = 0] = clock($("rep-de").value);
    const [h2, m2, s2 = 0] = clock($("rep-ate").value);
    const from = fromZoned(y, m, d, h1, m1, s1);
    let to = fromZoned(y, m, d, h2, m2, s2);
    if (to <= from) to = new Date(to.getTime() + DAY_MS); // "22:00 → 02:00" crosses midnight
    return [from, to];
  }

  $("form-reproducao").addEventListener("submit", guarded(async (ev) => {
    ev.preventDefault();
    showError(null);
    const [from, to] = rangeFromForm();
    cam.range = [from, to];
    drawDetail(from);
    await Promise.all([loadPlayback(), loadThumbnails()]);
  }));

  async function loadPlayback() {
    const [from, to] = cam.range;
    const gen = generation;
    const playlist = await apiText("GET", `/v1/cameras/${encodeURIComponent(cam.id)}/playback.m3u8`, {
      query: { from: rfc3339(from), to: rfc3339(to) },
    });
    if (gen !== generation) return;
    player.play({ playlist, startAt: from, label: `Gravação de ${showDateTime(from.toISOString())} a ${showTime(to)}` });
  }

  function loadThumbnails() {
    const [from, to] = cam.range;
    const strip = $("miniaturas");
    const more = $("miniaturas-mais");
    const gen = generation;
    let cursor = null;
    strip.replaceChildren();
    const load = guarded(async () => {
      const page = await api("GET", `/v1/cameras/${encodeURIComponent(cam.id)}/thumbnails`, {
        query: { from: rfc3339(from), to: rfc3339(to), limit: 60, cursor },
      });
      if (gen !== generation) return;
      strip.append(...page.items.map((t) => {
        const at = new Date(t.at);
        return el("button", {
          type: "button", class: "thumb", title: showDateTime(t.at),
          onclick: () => {
            if (!player.seekTo(at)) setRange(at, new Date(at.getTime() + 15 * 60 * 1000), true);
          },
        }, el("img", { src: t.url, alt: `Miniatura de ${showTime(at)}`, loading: "lazy", width: 160, height: 90 }),
        el("span", {}, showTime(at)));
      }));
      if (!strip.children.length) strip.append(el("p", { class: "muted" }, "Sem miniaturas neste intervalo."));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    });
    more.onclick = load;
    return load();
  }

  // ------------------------------------------------------------------ clips

  function clipItem(clip) {
    const li = el("li", { class: "clip" });
    const render = (c) => {
      const status = el("span", { class: `badge clip-${c.status}` }, CLIP_STATUS[c.status] || c.status);
      const range = `${showDateTime(c.start)} → ${showTime(new Date(c.end))} (${c.mode === "exact" ? "exato" : "rápido"})`;
      const extra = [];
      if (c.status === "ready" && c.download_url) {
        const mb = c.size_bytes ? ` · ${fmtNum.format(c.size_bytes / 1e6)} MB` : "";
        const dur = c.duration_s ? ` · ${fmtNum.format(c.duration_s)} s` : "";
        extra.push(" ", el("a", { href: c.download_url, download: `recorte-${c.id}.mp4`, rel: "noopener" }, "Baixar"), `${dur}${mb}`);
      }
      if (c.status === "failed" && c.error) extra.push(el("span", { class: "error-text" }, ` ${c.error}`));
      li.replaceChildren(status, " ", range, ...extra);
    };
    render(clip);
    if (clip.status === "queued" || clip.status === "processing") {
      const gen = generation;
      const timer = setInterval(async () => {
        try {
          const c = await api("GET", `/v1/clips/${encodeURIComponent(clip.id)}`);
          if (gen !== generation) return;
          render(c);
          if (c.status === "ready" || c.status === "failed") {
            clearInterval(timer);
            timers.delete(timer);
          }
        } catch (err) {
          clearInterval(timer);
          timers.delete(timer);
          if (gen === generation) li.append(el("span", { class: "error-text" }, ` ${err.message}`));
        }
      }, CLIP_POLL_MS);
      timers.add(timer);
    }
    return li;
  }

  async function loadClips() {
    const gen = generation;
    const page = await api("GET", "/v1/clips", { query: { camera_id: cam.id, limit: 10 } });
    if (gen !== generation) return;
    $("recortes").replaceChildren(...page.items.map(clipItem));
  }

  $("form-recorte").addEventListener("submit", guarded(async (ev) => {
    ev.preventDefault();
    showError(null);
    const start = parseLocal($("rec-inicio").value);
    const end = parseLocal($("rec-fim").value);
    if (!start || !end || end <= start) throw new Error("O fim do recorte deve ser depois do início.");
    const clip = await api("POST", "/v1/clips", {
      body: { camera_id: cam.id, start: rfc3339(start), end: rfc3339(end), mode: $("rec-modo").value },
    });
    $("recortes").prepend(clipItem({ ...clip, start: rfc3339(start), end: rfc3339(end), mode: $("rec-modo").value }));
  }));

  // ------------------------------------------------------------------ plates (LPR)

  function plateQuery() {
    const from = parseLocal($("placa-de").value);
    const to = parseLocal($("placa-ate").value);
    return { from: from ? rfc3339(from) : undefined, to: to ? rfc3339(to) : undefined };
  }

  async function searchPlates() {
    const plate = $("placa").value.trim().toUpperCase();
    const match = $("placa-tipo").value;
    const range = plateQuery();
    $("trajeto").hidden = true;
    await pagedList({
      body: $("placas-lista"),
      more: $("placas-mais"),
      empty: $("placas-vazio"),
      fetchPage: (cursor) => api("GET", "/v1/lpr/events", { query: { plate, match, ...range, limit: PAGE, cursor } }),
      renderRow: (r) => el("tr", {},
        el("td", {}, el("strong", { class: "plate" }, r.plate)),
        nameCell("camera", r.camera_id, `#/cameras/${r.camera_id}`),
        el("td", {}, showDateTime(r.captured_at)),
        el("td", {}, r.confidence === null || r.confidence === undefined ? "—" : fmtPct.format(r.confidence)),
        el("td", {}, r.image_url
          ? el("a", { href: r.image_url, target: "_blank", rel: "noopener" },
            el("img", { src: r.image_url, alt: `Imagem da leitura ${r.plate}`, class: "plate-img", loading: "lazy" }))
          : "—"),
        el("td", {}, el("button", { type: "button", class: "secondary", onclick: guarded(() => showTrajectory(r.plate)) }, "Trajeto"))),
    });
  }

  async function showTrajectory(plate) {
    const t = await api("GET", "/v1/lpr/trajectory", { query: { plate, ...plateQuery() } });
    $("trajeto-titulo").textContent = `Trajeto de ${t.plate}`;
    const speed = t.max_speed_kmh === null || t.max_speed_kmh === undefined ? "" : ` · velocidade máxima ${fmtNum.format(t.max_speed_kmh)} km/h`;
    $("trajeto-resumo").textContent =
      `${t.points.length} leituras em ${t.cameras_visited.length} câmeras, de ${showDateTime(t.from)} a ${showDateTime(t.to)}${speed}` +
      (t.truncated ? " · lista truncada: reduza o período" : "");
    $("trajeto-lista").replaceChildren(...t.points.map((p) => {
      const kmh = p.speed_kmh_from_previous;
      const km = p.distance_km_from_previous;
      return el("li", {},
        el("time", { datetime: p.captured_at }, showDateTime(p.captured_at)), " · ",
        el("a", { href: `#/cameras/${p.camera_id}` }, p.camera_name || p.camera_id.slice(0, 8)), " · ",
        kmh === null || kmh === undefined ? "velocidade —" : `${fmtNum.format(kmh)} km/h`,
        km === null || km === undefined ? "" : ` (${fmtNum.format(km)} km desde a leitura anterior)`);
    }));
    if (!t.points.length) $("trajeto-lista").append(el("li", { class: "muted" }, "Nenhuma leitura no período."));
    $("trajeto").hidden = false;
    $("trajeto").scrollIntoView({ block: "nearest" });
  }

  $("form-placas").addEventListener("submit", guarded(async (ev) => {
    ev.preventDefault();
    showError(null);
    await searchPlates();
  }));

  function showPlates(params) {
    showScreen("placas");
    const plate = params.get("placa");
    if (plate) {
      $("placa").value = plate;
      if (MATCH.includes(params.get("tipo"))) $("placa-tipo").value = params.get("tipo");
      return searchPlates();
    }
    return null;
  }

  // ------------------------------------------------------------------ alerts

  const HEALTH_KINDS = { camera_offline: true, recording_stalled: true };

  function showAlerts(params) {
    const onlyOpen = params && params.get("abertos") === "1";
    showScreen("alertas");
    $("alertas-titulo").textContent = onlyOpen ? "Alertas abertos" : "Alertas";
    return pagedList({
      body: $("alertas-lista"),
      more: $("alertas-mais"),
      empty: $("alertas-vazio"),
      fetchPage: (cursor) => api("GET", "/v1/alerts",
        { query: { limit: PAGE, cursor, ...(onlyOpen ? { open: "true" } : {}) } }),
      renderRow: alertRow,
    });
  }

  const alertRow = (a) => el("tr", { "data-alert": a.id },
    el("td", {}, el("span", { class: `badge alert-${a.kind}` }, ALERT_KIND[a.kind] || a.kind)),
    el("td", {}, a.plate
      ? el("a", { class: "plate", href: `#/placas?placa=${encodeURIComponent(a.plate)}` }, a.plate) : "—"),
    nameCell("camera", a.camera_id, a.camera_id ? `#/cameras/${a.camera_id}` : null),
    el("td", {}, showDateTime(a.captured_at)),
    el("td", {}, showDateTime(a.created_at)),
    el("td", {}, a.resolved_at ? showDateTime(a.resolved_at) : (a.kind in HEALTH_KINDS ? "em aberto" : "—")));

  // ------------------------------------------------------------------ live events (WebSocket API)

  /** Alerts, camera status and clips pushed by the server: a toast, the alerts list and the badges
   * change without a reload. Reconnects with growing, jittered delays; says when it is offline. */
  const live = (() => {
    const url = (document.querySelector('meta[name="gtv-ws-url"]') || {}).content || "";
    let socket = null;
    let wanted = false;
    let attempt = 0;
    let timer = null;

    const offline = (off) => { $("tempo-real-off").hidden = !off; };

    function toast(text, href, kind) {
      const box = el("div", { class: `toast ${kind || ""}`, role: "alert" },
        href ? el("a", { href }, text) : text);
      $("avisos").prepend(box);
      setTimeout(() => box.remove(), 15000);
    }

    function onEvent(msg) {
      const d = msg.data || {};
      if (msg.type === "alert") {
        const what = ALERT_KIND[d.kind] || d.kind;
        toast(`Alerta: ${d.plate ? `placa ${d.plate} · ` : ""}${what}`, "#/alertas");
        const list = $("alertas-lista");
        if (!$("tela-alertas").hidden && !list.querySelector(`[data-alert="${d.id}"]`)) {
          list.prepend(alertRow(d));
          $("alertas-vazio").hidden = true;
        }
      } else if (msg.type === "stream.status") {
        for (const badge of document.querySelectorAll(`[data-camera="${d.camera_id}"]`)) {
          badge.replaceWith(statusBadge(d.status, d.camera_id));
        }
      } else if (msg.type === "clip.status" && (d.status === "ready" || d.status === "failed")) {
        toast(d.status === "ready" ? "Recorte pronto" : "Recorte falhou", `#/cameras/${d.camera_id}`, "info");
      }
    }

    function open() {
      const token = sessionStorage.getItem(TOKEN_KEY);
      if (!wanted || !token || !url) return offline(wanted);
      const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`);
      socket = ws;
      ws.onopen = () => ws.send(JSON.stringify({ action: "subscribe", topics: ["alerts", "streams", "clips"] }));
      ws.onmessage = (ev) => {
        let msg;
        try { msg = JSON.parse(ev.data); } catch { return; }
        if (msg.type === "subscribed") { attempt = 0; offline(false); } else onEvent(msg);
      };
      ws.onclose = () => {
        if (socket !== ws) return;
        socket = null;
        offline(wanted);
        if (!wanted) return;
        const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
        attempt += 1;
        timer = setTimeout(open, delay);
      };
    }

    return {
      start() {
        if (wanted) return;
        wanted = true;
        open();
      },
      stop() {
        wanted = false;
        clearTimeout(timer);
        const ws = socket;
        socket = null;
        if (ws) ws.close();
        offline(false);
      },
    };
  })();

  // ------------------------------------------------------------------ screens in their own files

  /** Screens other files register (sentinela.js), called with the helpers they share with this file. */
  const screens = window.GTV_SCREENS || {};
  const helpers = {
    $, api, el, guarded, pagedList, showScreen, showError, showDateTime, rfc3339, parseLocal, localInput,
    every: (fn, ms) => timers.add(setInterval(fn, ms)),
    stopTimers: () => { for (const t of timers) clearInterval(t); timers.clear(); },
  };

  // ------------------------------------------------------------------ router

  const render = guarded(async () => {
    if (!sessionStorage.getItem(TOKEN_KEY)) {
      showScreen("login");
      $("login-usuario").focus();
      return;
    }
    renderSession();
    live.start();
    const [path, qs] = location.hash.replace(/^#/, "").split("?");
    const parts = path.split("/").filter(Boolean);
    const params = new URLSearchParams(qs || "");
    if (parts[0] === "cidades" && parts[1]) await showCity(parts[1]);
    else if (parts[0] === "cameras" && parts[1]) await showCamera(parts[1], params);
    else if (parts[0] === "placas") await showPlates(params);
    else if (parts[0] === "alertas") await showAlerts(params);
    else if (screens[parts[0]]) await screens[parts[0]](helpers, params);
    else await showCities();
  });

  function route() {
    leaveScreen(); // before render: its replies belong to the new generation
    $("conteudo").focus({ preventScroll: true });
    return render();
  }

  window.addEventListener("hashchange", route);
  route();
})();

/* GT-Vision console — what every screen shares: the API client (bearer and refresh tokens in sessionStorage;
 * an expired access token is refreshed once and the request repeated; dropped on logout and when the session
 * cannot be refreshed), element building (strings always become text nodes, never HTML), the error
 * banner, screen switching and the "Carregar mais" lists. No build step: an ES module. */

import { ROLE, CAMERA_STATUS, MSG } from "./strings.js";
import { explain } from "./errors.js";
import { setZone, DEFAULT_ZONE } from "./format.js";

// The page lives at <base>/console and this file at <base>/console/core.js, so the API is at <base>/v1/…
// (a stage prefix such as /Prod behind API Gateway included).
const BASE = new URL("../", import.meta.url);
const TOKEN_KEY = "gtv.token";
const REFRESH_KEY = "gtv.refresh";
const ME_KEY = "gtv.me";
const LIMITED_KEY = "gtv.limited";
export const PAGE = 50;

/** Shared mutable state: `generation` is bumped on every navigation (late replies of a left screen are
 * dropped); `timers` are the current screen's intervals; `onLeave` hooks stop players etc. */
export const state = { generation: 0, timers: new Set(), onLeave: new Set(), onEnd: new Set() };

export const $ = (id) => document.getElementById(id);

/** Create an element; strings become text nodes (never HTML). */
export function el(tag, attrs = {}, ...children) {
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

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Keep the access and refresh tokens of a login or refresh reply. */
function keepTokens(auth) {
  sessionStorage.setItem(TOKEN_KEY, auth.access_token);
  if (auth.refresh_token) sessionStorage.setItem(REFRESH_KEY, auth.refresh_token);
}

let refreshing = null;

/** Trade the refresh token for new tokens, once for all the requests that met the expired access token at
 * the same time: a refresh token is single use, and presenting a used one ends the whole session. */
function refreshTokens(expired) {
  if (sessionStorage.getItem(TOKEN_KEY) !== expired) return Promise.resolve(true); // another request did it
  if (!refreshing) {
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    refreshing = (async () => {
      if (!refreshToken) return false;
      try {
        const res = await fetch(new URL("v1/auth/refresh", BASE), {
          method: "POST",
          headers: { Accept: "application/json", "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: refreshToken }),
        });
        if (!res.ok) return false;
        keepTokens(await res.json());
        return true;
      } catch {
        return false;
      }
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

async function call(method, path, opts = {}, retried = false) {
  const { body, query, raw } = opts;
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
    throw new ApiError(0, "network", MSG.network);
  }
  const text = await res.text();
  if (!res.ok) {
    let code = "http_" + res.status;
    let message = MSG.httpStatus(res.status);
    try {
      const err = JSON.parse(text).error;
      if (err && err.message) ({ code, message } = err);
    } catch {
      /* not JSON: keep the generic message */
    }
    // An expired (or revoked) access token: refresh the session once and repeat the request.
    if (res.status === 401 && token && !retried && (await refreshTokens(token))) {
      return call(method, path, opts, true);
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
export const api = (method, path, opts) => call(method, path, opts);
export const apiText = (method, path, opts) => call(method, path, { ...opts, raw: true });
// ------------------------------------------------------------------ session and screens


/** The error banner (sticky, so it is seen wherever the form was): the error in Portuguese (errors.js). */
export function showError(err) {
  $("erro").hidden = !err;
  $("erro-texto").textContent = err ? explain(err) : "";
}
$("erro-fechar").addEventListener("click", () => showError(null));

/** Run an async action of the current screen; its errors show the API's message. */
export function guarded(fn) {
  return async (...args) => {
    const gen = state.generation;
    try {
      await fn(...args);
    } catch (err) {
      if (gen === state.generation && !err.sessionEnded) showError(err);
    }
  };
}

export function me() {
  try {
    return JSON.parse(sessionStorage.getItem(ME_KEY) || "null");
  } catch {
    return null;
  }
}

export function showScreen(name) {
  for (const s of document.querySelectorAll(".screen")) s.hidden = s.id !== `tela-${name}`;
  const section = { cidade: "cidades", camera: "cidades", mosaico: "mosaicos", caso: "casos" }[name]
    || (name === "gestao" ? location.hash.replace(/^#\/?/, "").split(/[/?]/)[0] : name);
  for (const a of document.querySelectorAll("#menu a")) {
    if (a.dataset.section === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const logged = name !== "login";
  $("menu").hidden = !logged;
  $("sessao").hidden = !logged;
}

export function leaveScreen() {
  state.generation += 1;
  for (const t of state.timers) clearInterval(t);
  state.timers.clear();
  for (const hook of state.onLeave) hook();
  showError(null);
}

export const hasToken = () => Boolean(sessionStorage.getItem(TOKEN_KEY));

/** The city requires 2FA of this user's role and it is not on yet: only "Meus dados" works. */
export const limited = () => sessionStorage.getItem(LIMITED_KEY) === "1";
export const setLimited = (on) => (on ? sessionStorage.setItem(LIMITED_KEY, "1") : sessionStorage.removeItem(LIMITED_KEY));
export const token = () => sessionStorage.getItem(TOKEN_KEY);

export function endSession(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(REFRESH_KEY);
  sessionStorage.removeItem(ME_KEY);
  sessionStorage.removeItem(LIMITED_KEY);
  for (const hook of state.onEnd) hook(); // live events stop with the session
  names.city.clear(); // nothing of one session is shown to the next
  names.camera.clear();
  cities.clear();
  setZone(DEFAULT_ZONE);
  leaveScreen();
  showScreen("login");
  if (message) showError({ message });
  $("login-usuario").focus();
}

export function renderSession() {
  const user = me();
  $("sessao-usuario").textContent = user ? user.username : "";
  $("sessao-papel").textContent = user ? ROLE[user.role] || user.role : "";
  // Viewers are offered no management at all (and the API refuses it anyway).
  const manager = Boolean(user) && ["admin", "manager"].includes(user.role);
  for (const a of document.querySelectorAll("#menu [data-manage]")) a.hidden = !manager;
}

/** The login form and the "Sair" button; `route` re-renders after a login. */
export function wireSession(route) {
  $("form-login").addEventListener("submit", guarded(async (ev) => {
    ev.preventDefault();
    showError(null);
    const username = $("login-usuario").value.trim();
    const password = $("login-senha").value;
    const otp = $("login-otp").value.trim();
    let auth;
    try {
      auth = await api("POST", "/v1/auth/login", { body: { username, password, otp: otp || undefined } });
    } catch (err) {
      if (err.code === "otp_required") { // the password was right: ask for the second factor
        $("login-otp-campo").hidden = false;
        $("login-otp").focus();
        throw new ApiError(401, err.code, MSG.otpAsked);
      }
      throw err;
    }
    keepTokens(auth);
    setLimited(Boolean(auth.two_factor_required));
    const profile = await api("GET", "/v1/me");
    sessionStorage.setItem(ME_KEY, JSON.stringify(profile));
    $("login-senha").value = "";
    $("login-otp").value = "";
    $("login-otp-campo").hidden = true;
    await useHomeZone();
    renderSession();
    // A city that requires 2FA of this role: only "Meus dados" (enrolment) is open until it is on.
    if (limited()) location.hash = "#/meus-dados";
    else if (!location.hash || location.hash === "#/") location.hash = "#/inicio";
    else route();
  }));

  $("sair").addEventListener("click", async () => {
    // The server forgets the session too (best effort: the token is dropped here whatever it answers).
    if (hasToken()) await api("POST", "/v1/auth/logout").catch(() => null);
    endSession(null);
    history.replaceState(null, "", "#/");
  });
}

/** Role checks for what the page offers (the API refuses the rest anyway). */
export const canManage = () => ["admin", "manager"].includes((me() || {}).role);
export const isAdmin = () => (me() || {}).role === "admin";

const cities = new Map();

/** A city (cached per session), or null when it cannot be read. */
export function cityOf(id) {
  if (!cities.has(id)) cities.set(id, api("GET", `/v1/cities/${encodeURIComponent(id)}`).catch(() => null));
  return cities.get(id);
}

/** Every item of a paginated list (fetchPage(cursor) → {items, next_cursor}), pages followed: pick-lists must
 * not stop at the first page (a state's admin sees hundreds of cities, a city may have 1,000 cameras).
 * Bounded at 5,000. */
async function allItems(fetchPage) {
  const out = [];
  let cursor;
  do {
    const page = await fetchPage(cursor);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && out.length < 5000);
  return out;
}

/** Every city the user can see. */
export const allCities = () => allItems((cursor) => api("GET", "/v1/cities", { query: { limit: 500, cursor } }));

/** Every camera of a city. */
export const camerasOfCity = (cityId) => allItems((cursor) =>
  api("GET", `/v1/cities/${encodeURIComponent(cityId)}/cameras`, { query: { limit: 500, cursor } }));

/** Show dates in a city's time zone (its `timezone`, default America/Sao_Paulo). */
export async function useCityZone(cityId) {
  const city = cityId ? await cityOf(cityId) : null;
  return setZone(city && city.timezone);
}

/** The user's own city's zone (admins: the default). */
export const useHomeZone = () => useCityZone((me() || {}).city_id);

// ------------------------------------------------------------------ lists with "Carregar mais"

/** Only the newest ask counts: `const ask = latest()`; `const mine = ask.next()` before awaiting an answer and
 * `ask.isCurrent(mine)` after it — false once a newer ask (or `ask.drop()`: live, another day) was made, or the
 * screen was left. A late answer to an older ask is then dropped instead of drawn over the newer one. */
export function latest() {
  let n = 0;
  return {
    next: () => ({ n: ++n, gen: state.generation }),
    drop: () => { n += 1; },
    isCurrent: (ask) => ask.n === n && ask.gen === state.generation,
  };
}

const listings = new WeakMap();

/** A paginated table: fetchPage(cursor) → {items, next_cursor}; renderRow(item) → <tr>. */
export function pagedList({ body, more, empty, fetchPage, renderRow }) {
  const gen = state.generation;
  // A new listing on the same table (a filter submitted while the first page is still loading)
  // supersedes the old one: a late page of the old listing must not land in the new one.
  const mine = {};
  listings.set(body, mine);
  let cursor = null;
  body.replaceChildren();
  more.hidden = true;
  if (empty) empty.hidden = true;
  const load = guarded(async () => {
    more.disabled = true;
    try {
      const page = await fetchPage(cursor);
      if (gen !== state.generation || listings.get(body) !== mine) return;
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

export const names = { city: new Map(), camera: new Map() };

/** The name of a city or camera by id, fetched once; a short id when it cannot be read. */
export function nameOf(kind, id) {
  const cache = names[kind];
  if (!cache.has(id)) {
    const key = encodeURIComponent(id);
    const req = kind === "city" ? cityOf(id) : api("GET", `/v1/cameras/${key}`);
    cache.set(id, req.then((x) => (x ? x.name : id.slice(0, 8)), () => id.slice(0, 8)));
  }
  return cache.get(id);
}

export function nameCell(kind, id, href) {
  const text = el("span", {}, id ? id.slice(0, 8) : "—");
  if (id) nameOf(kind, id).then((n) => { text.textContent = n; });
  return el("td", {}, href ? el("a", { href }, text) : text);
}

/** A camera's status; with `cameraId`, live events (live.js) keep it current. */
export const statusBadge = (status, cameraId) =>
  el("span", { class: `badge status-${status}`, "data-camera": cameraId }, CAMERA_STATUS[status] || status);

/** Copy a text to the clipboard; true when it worked. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/* GT-Vision console — the cities list and a city's page (its health and cameras). */

import {
  $, api, canManage, el, guarded, isAdmin, names, nameOf, pagedList, showScreen, state, statusBadge, useCityZone, PAGE,
} from "../core.js";
import { DEFAULT_ZONE, showDateTime } from "../format.js";
import { MSG, PLAN, ROLE } from "../strings.js";
import { dangerButton, formCard, oneTimeSecret } from "../ui.js";

const PLANS = Object.entries(PLAN);
const num = (v) => (v === undefined ? undefined : Number(v));

const HEALTH_POLL_MS = 30000;

/** Admins: a city's plan, camera limit, time zone and the roles that must use 2FA (create and edit). */
function cityForm(city, done) {
  const c = city || {};
  return formCard({
    title: city ? MSG.editCity(c.name) : MSG.newCity,
    id: city ? "form-cidade-editar" : "form-cidade-nova",
    submit: city ? MSG.save : MSG.create,
    cancel: city ? done : null,
    fields: [
      { name: "name", label: MSG.cityName, required: true, value: c.name },
      { name: "state", label: MSG.state, required: true, value: c.state || "SP" },
      { name: "retention_days", label: MSG.plan, options: PLANS, value: c.retention_days || 7 },
      { name: "camera_limit", label: MSG.cameraLimit, type: "number", min: 1, value: c.camera_limit || 1000 },
      { name: "timezone", label: MSG.timezone, required: true, value: c.timezone || DEFAULT_ZONE },
      { name: "require_2fa_roles", label: MSG.require2fa, multiple: true, size: 4,
        options: Object.entries(ROLE), value: c.require_2fa_roles || [] },
    ],
    onSubmit: async (v) => {
      const body = {
        ...v, retention_days: num(v.retention_days), camera_limit: num(v.camera_limit),
        require_2fa_roles: v.require_2fa_roles || [],
      };
      if (city) await api("PATCH", `/v1/cities/${encodeURIComponent(c.id)}`, { body });
      else await api("POST", "/v1/cities", { body });
      done();
    },
  });
}

export function showCities() {
  showScreen("cidades");
  const box = $("cidades-gestao");
  const reload = () => showCities();
  box.replaceChildren(isAdmin() ? cityForm(null, reload) : "");
  return pagedList({
    body: $("cidades-lista"),
    more: $("cidades-mais"),
    fetchPage: (cursor) => api("GET", "/v1/cities", { query: { limit: PAGE, cursor } }),
    renderRow: (c) => {
      names.city.set(c.id, Promise.resolve(c.name));
      return el("tr", {},
        el("td", {}, el("a", { href: `#/cidades/${c.id}` }, c.name)),
        el("td", {}, c.state || "—"),
        el("td", {}, c.retention_days ? MSG.days(c.retention_days) : "—"),
        el("td", {}, c.timezone || DEFAULT_ZONE),
        el("td", { class: "actions" }, isAdmin()
          ? [el("button", { type: "button", class: "secondary", onclick: () => box.replaceChildren(cityForm(c, reload)) }, MSG.edit),
            " ", dangerButton(MSG.remove, async () => {
              await api("DELETE", `/v1/cities/${encodeURIComponent(c.id)}`);
              reload();
            })]
          : ""));
    },
  });
}

async function loadCityHealth(cityId) {
  const box = $("cidade-saude");
  const h = await api("GET", `/v1/cities/${encodeURIComponent(cityId)}/health`);
  const count = (n, label) => el("span", {}, el("strong", {}, String(n)), label);
  box.replaceChildren(
    el("div", { class: "health-counts" },
      count(h.cameras, MSG.health.cameras), count(h.online, MSG.health.online), count(h.offline, MSG.health.offline),
      count(h.unknown, MSG.health.unknown), count(h.recording_stalled.length, MSG.health.stalled),
      count(h.open_alerts, MSG.health.openAlerts), count(h.lpr_reads_last_hour, MSG.health.lpr)),
    h.troubled.length
      ? el("ul", {}, ...h.troubled.map((t) => el("li", {},
        el("a", { href: `#/cameras/${t.camera_id}` }, t.name), " ", statusBadge(t.status, t.camera_id),
        h.recording_stalled.includes(t.camera_id) ? [" ", el("span", { class: "badge alert-recording_stalled" }, MSG.recordingStalled)] : null,
        t.since ? MSG.since(showDateTime(t.since)) : "")))
      : el("p", { class: "muted" }, MSG.noTrouble),
    el("p", {}, el("a", { href: "#/alertas?abertos=1" }, MSG.seeOpenAlerts)));
}

export async function showCity(cityId) {
  showScreen("cidade");
  $("cidade-titulo").textContent = MSG.cameras;
  $("cidade-saude").replaceChildren();
  nameOf("city", cityId).then((n) => { $("cidade-titulo").textContent = MSG.camerasOf(n); });
  const gen = state.generation;
  const refresh = guarded(async () => {
    if (gen !== state.generation) return;
    await loadCityHealth(cityId);
    setTimeout(refresh, HEALTH_POLL_MS);
  });
  refresh();
  await useCityZone(cityId);
  $("cidade-gestao").replaceChildren(canManage() ? cameraForm(null, cityId) : "");
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
        el("td", {}, cam.lpr_enabled ? MSG.yes : MSG.no),
        el("td", { class: "actions" }, canManage()
          ? [el("button", { type: "button", class: "secondary", onclick: guarded(() => editCamera(cam.id, cityId)) }, MSG.edit),
            " ", dangerButton(MSG.remove, async () => {
              await api("DELETE", `/v1/cameras/${encodeURIComponent(cam.id)}`);
              showCity(cityId);
            })]
          : ""));
    },
  });
}


function cameraFields(cam) {
  const c = cam || {};
  const loc = c.location || {};
  return [
    { name: "name", label: MSG.cameraName, required: true, value: c.name },
    { name: "source_url", label: MSG.sourceUrl, required: !cam, value: c.source_url, placeholder: "rtsp://10.0.0.10:554/stream" },
    // Credentials are write-only: never filled back in; blank keeps the stored ones.
    { name: "username", label: MSG.cameraUser, hint: cam ? MSG.keepBlank : null },
    { name: "password", label: MSG.cameraPassword, type: "password", autocomplete: "new-password", hint: cam ? MSG.keepBlank : null },
    { name: "lat", label: MSG.lat, type: "number", step: "any", value: loc.lat },
    { name: "lon", label: MSG.lon, type: "number", step: "any", value: loc.lon },
    { name: "address", label: MSG.address, value: loc.address },
    { name: "lpr_enabled", label: MSG.lprEnabled, type: "checkbox", value: c.lpr_enabled },
  ];
}

function cameraBody(v) {
  const body = { name: v.name, source_url: v.source_url, username: v.username, password: v.password, lpr_enabled: v.lpr_enabled };
  if (v.lat !== undefined && v.lon !== undefined) body.location = { lat: Number(v.lat), lon: Number(v.lon), address: v.address };
  return body;
}

/** Managers: a new camera; the LPR webhook secret is shown once, with a copy button. */
function cameraForm(cam, cityId) {
  const box = $("cidade-gestao");
  return formCard({
    title: cam ? MSG.editCamera(cam.name) : MSG.newCamera,
    id: cam ? "form-camera-editar" : "form-camera-nova",
    submit: cam ? MSG.save : MSG.create,
    cancel: cam ? () => showCity(cityId) : null,
    fields: cameraFields(cam),
    onSubmit: async (v) => {
      const body = cameraBody(v);
      let saved;
      if (cam) {
        for (const k of ["username", "password", "source_url"]) if (body[k] === undefined) delete body[k];
        saved = await api("PATCH", `/v1/cameras/${encodeURIComponent(cam.id)}`, { body });
      } else {
        saved = await api("POST", `/v1/cities/${encodeURIComponent(cityId)}/cameras`, { body });
      }
      await showCity(cityId);
      if (saved && saved.webhook_secret) box.append(oneTimeSecret(MSG.webhookSecret, saved.webhook_secret));
    },
  });
}

async function editCamera(cameraId, cityId) {
  const cam = await api("GET", `/v1/cameras/${encodeURIComponent(cameraId)}`);
  const box = $("cidade-gestao");
  box.replaceChildren(cameraForm(cam, cityId));
  if (cam.lpr_enabled) {
    box.append(el("p", {}, el("button", {
      type: "button", class: "secondary",
      onclick: guarded(async () => {
        const r = await api("PATCH", `/v1/cameras/${encodeURIComponent(cameraId)}`, { body: { rotate_webhook_secret: true } });
        if (r.webhook_secret) box.append(oneTimeSecret(MSG.webhookSecret, r.webhook_secret));
      }),
    }, MSG.rotateSecret)));
  }
  box.scrollIntoView({ block: "nearest" });
}

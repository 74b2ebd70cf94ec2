/* GT-Vision console — entry point (an ES module, no build step): the router from `#/…` to a screen.
 * Each screen lives in screens/*.js; shared code in core.js, dates in format.js, all text in strings.js. */

import {
  $, allCities, api, camerasOfCity, el, guarded, hasToken, leaveScreen, limited, pagedList, renderSession, showError,
  showScreen, state, useHomeZone, wireSession,
} from "./core.js";
import { localInput, parseLocal, rfc3339, showDateTime } from "./format.js";
import { startLive } from "./live.js";
import { showAudit, showUsers, showWatchlist } from "./screens/admin.js";
import { showAgreement, showAgreements, showGrants } from "./screens/agreements.js";
import { showAlerts } from "./screens/alerts.js";
import { showCamera } from "./screens/camera.js";
import { showCase, showCases } from "./screens/cases.js";
import { showCities, showCity } from "./screens/cities.js";
import { showGroups } from "./screens/groups.js";
import { showHome } from "./screens/home.js";
import { showMyData } from "./screens/me.js";
import { showMosaic, showMosaics } from "./screens/mosaics.js";
import { showPlates } from "./screens/plates.js";
import { screen as showSentinela } from "./screens/sentinela.js";
import { showSla } from "./screens/sla.js";

/** What the screens written against a helpers object (sentinela.js) get. */
const helpers = {
  $, allCities, api, camerasOfCity, el, guarded, pagedList, showScreen, showError, showDateTime, rfc3339, parseLocal,
  localInput,
  every: (fn, ms) => state.timers.add(setInterval(fn, ms)),
  stopTimers: () => { for (const t of state.timers) clearInterval(t); state.timers.clear(); },
};

/** `#/<name>/<id>?<params>` → the screen. */
const SCREENS = {
  inicio: () => showHome(),
  cidades: (id) => (id ? showCity(id) : showCities()),
  cameras: (id, params) => (id ? showCamera(id, params) : showCities()),
  placas: (_id, params) => showPlates(params),
  alertas: (_id, params) => showAlerts(params),
  sentinela: (_id, params) => showSentinela(helpers, params),
  casos: (id, params) => (id ? showCase(id) : showCases(params)),
  mosaicos: (id) => (id ? showMosaic(id) : showMosaics()),
  disponibilidade: (_id, params) => showSla(params),
  usuarios: () => showUsers(),
  grupos: (_id, params) => showGroups(params),
  observacao: () => showWatchlist(),
  auditoria: (_id, params) => showAudit(params),
  "meus-dados": () => showMyData(),
  convenios: (id) => (id ? showAgreement(id) : showAgreements()),
  concessoes: (_id, params) => showGrants(params),
};

const render = guarded(async () => {
  if (!hasToken()) {
    showScreen("login");
    $("login-usuario").focus();
    return;
  }
  renderSession();
  startLive();
  await useHomeZone();
  const [path, qs] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  const params = new URLSearchParams(qs || "");
  // Until a required second factor is on, the API opens only the caller's own data.
  const show = limited() ? SCREENS["meus-dados"] : SCREENS[parts[0]] || SCREENS.inicio;
  await show(parts[1], params);
});

function route() {
  leaveScreen(); // before render: its replies belong to the new generation
  $("conteudo").focus({ preventScroll: true });
  return render();
}

wireSession(route);
window.addEventListener("hashchange", route);
route();

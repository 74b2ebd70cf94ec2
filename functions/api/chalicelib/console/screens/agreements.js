/* GT-Vision console — sharing with public-security programs: agreements (create with the secrets shown once,
 * status, suspend/resume, rotate, delivery-health sparkline), the partner's hotlist upload (preview with the
 * rows in error before sending), the monthly report, and the managers' inbox of inter-city grants. */

import { $, allCities, api, el, guarded, isAdmin, me, nameCell, pagedList, showScreen, token, PAGE } from "../core.js";
import { showDateTime } from "../format.js";
import { GRANT_STATUS, MSG, PARTNER_KIND, SHARING as S } from "../strings.js";
import { dangerButton, formCard, oneTimeSecret } from "../ui.js";

const API = (path) => new URL(`../../${path.replace(/^\//, "")}`, import.meta.url);
const table = (headers, body) => el("table", { class: "list" },
  el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))), body);
const day = (iso) => (iso ? new Date(iso).toLocaleDateString("pt-BR") : "—");
const dayStart = (value) => (value ? new Date(`${value}T00:00:00`).toISOString() : undefined);

/** An SVG polyline of `values` (oldest first): the agreement's deliveries per hour. */
function sparkline(values) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 100 30");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${S.sparkTitle}: ${values.join(", ")}`);
  svg.dataset.values = values.join(",");
  const max = Math.max(1, ...values);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", values.map((v, i) => `${(i * 100) / Math.max(1, values.length - 1)},${28 - (v / max) * 26}`).join(" "));
  svg.append(line);
  return svg;
}

function secrets(out) {
  return el("section", { class: "card", id: "convenio-segredos" },
    out.feed_secret ? oneTimeSecret(S.feedSecret, out.feed_secret) : null,
    out.hotlist_key ? oneTimeSecret(S.hotlistKey, out.hotlist_key) : null);
}

async function setStatus(agreement, status, after) {
  await api("PATCH", `/v1/agreements/${encodeURIComponent(agreement.id)}`, { body: { status } });
  await after();
}

// ------------------------------------------------------------------ list and create

export async function showAgreements() {
  showScreen("gestao");
  $("gestao-titulo").textContent = S.agreements;
  const top = el("div");
  const shown = el("div", { "aria-live": "polite" });
  const body = el("tbody", { id: "convenios-lista" });
  const more = el("button", { type: "button", class: "secondary", hidden: true }, MSG.loadMore);
  const empty = el("p", { class: "muted", hidden: true }, MSG.none);
  $("gestao-conteudo").replaceChildren(top, shown,
    table([S.partner, S.partnerKind, S.validity, S.status, S.deliveries, ""], body), empty, more);
  const fields = [
    { name: "partner_name", label: S.partner, required: true },
    { name: "partner_kind", label: S.partnerKind, options: Object.entries(PARTNER_KIND) },
    { name: "purpose", label: S.purpose, required: true },
    { name: "legal_basis", label: S.legalBasis, required: true },
    { name: "valid_from", label: S.validFrom, type: "date", required: true },
    { name: "valid_until", label: S.validUntil, type: "date", required: true },
    { name: "lpr_reads", label: S.shareReads, type: "checkbox", value: true },
    { name: "alerts", label: S.shareAlerts, type: "checkbox", value: true },
    { name: "feed_url", label: S.feedUrl, type: "url", placeholder: "https://" },
  ];
  if (isAdmin()) {
    const cities = await allCities();
    fields.unshift({ name: "city_id", label: MSG.city, options: cities.map((c) => [c.id, c.name]) });
  }
  top.replaceChildren(formCard({
    title: S.newAgreement, id: "form-convenio", submit: S.create, fields,
    onSubmit: async (v) => {
      const out = await api("POST", "/v1/agreements", { body: {
        city_id: v.city_id, partner_name: v.partner_name, partner_kind: v.partner_kind, purpose: v.purpose,
        legal_basis: v.legal_basis, valid_from: dayStart(v.valid_from), valid_until: dayStart(v.valid_until),
        scope: { lpr_reads: v.lpr_reads, alerts: v.alerts }, feed_url: v.feed_url,
      } });
      shown.replaceChildren(secrets(out));
      await list();
    },
  }));
  const list = () => pagedList({
    body, more, empty,
    fetchPage: (cursor) => api("GET", "/v1/agreements", { query: { limit: PAGE, cursor } }),
    renderRow: (a) => {
      const spark = el("td", { class: "spark-cell" });
      api("GET", `/v1/agreements/${encodeURIComponent(a.id)}/deliveries`)
        .then((d) => spark.replaceChildren(sparkline(d.hourly)), () => null);
      return el("tr", { "data-agreement": a.id },
        el("td", {}, el("a", { href: `#/convenios/${a.id}` }, a.partner_name)),
        el("td", {}, PARTNER_KIND[a.partner_kind] || a.partner_kind),
        el("td", {}, `${day(a.valid_from)} – ${day(a.valid_until)}`),
        el("td", {}, el("span", { class: `badge agreement-${a.flowing ? "on" : "off"}` }, S.statusOf(a))),
        spark,
        el("td", { class: "actions" },
          el("button", { type: "button", class: "secondary",
            onclick: guarded(() => setStatus(a, a.status === "active" && !a.feed_stopped_at ? "suspended" : "active", list)),
          }, a.status === "active" && !a.feed_stopped_at ? S.suspend : S.resume)));
    },
  });
  return list();
}

// ------------------------------------------------------------------ one agreement

export async function showAgreement(id) {
  showScreen("gestao");
  const key = encodeURIComponent(id);
  const [a, d] = await Promise.all([api("GET", `/v1/agreements/${key}`), api("GET", `/v1/agreements/${key}/deliveries`)]);
  $("gestao-titulo").textContent = `${S.agreements} · ${a.partner_name}`;
  const shown = el("div", { "aria-live": "polite" });
  const health = el("section", { class: "card", id: "convenio-saude" },
    el("h2", {}, S.status, ": ", S.statusOf(a)),
    a.feed_stopped_reason ? el("p", { class: "error-text" }, S.stopped(a.feed_stopped_reason)) : null,
    el("p", {}, `${PARTNER_KIND[a.partner_kind]} · ${S.validity} ${day(a.valid_from)} – ${day(a.valid_until)}`),
    el("p", { class: "muted" }, `${S.purpose}: ${a.purpose} · ${S.legalBasis}: ${a.legal_basis}`),
    el("p", { class: "spark-label muted" }, S.sparkTitle),
    sparkline(d.hourly),
    el("p", { id: "convenio-entregas" }, S.stats(d)),
    d.last_error ? el("p", { class: "muted small" }, S.lastError(d.last_error)) : null,
    el("p", { class: "actions" },
      el("button", { type: "button", class: "secondary",
        onclick: guarded(() => setStatus(a, a.status === "active" && !a.feed_stopped_at ? "suspended" : "active",
          () => showAgreement(id))) }, a.status === "active" && !a.feed_stopped_at ? S.suspend : S.resume),
      " ",
      dangerButton(S.rotate, async () => {
        const out = await api("PATCH", `/v1/agreements/${key}`, { body: { rotate: ["feed_secret", "hotlist_key"] } });
        shown.replaceChildren(secrets(out));
      }),
      " ",
      dangerButton(S.remove, async () => {
        await api("DELETE", `/v1/agreements/${key}`);
        location.hash = "#/convenios";
      })));
  $("gestao-conteudo").replaceChildren(el("p", { class: "crumbs" }, el("a", { href: "#/convenios" }, S.agreements)),
    shown, health, hotlistCard(a), reportCard(a));
}

/** POST the CSV as text/csv (the JSON client of core.js sends JSON only). */
async function postCsv(agreement, text, query) {
  const url = API(`v1/agreements/${encodeURIComponent(agreement.id)}/hotlist`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const res = await fetch(url, { method: "POST", body: text,
    headers: { "Content-Type": "text/csv", Accept: "application/json", Authorization: `Bearer ${token()}` } });
  const out = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((out.error && out.error.message) || MSG.httpStatus(res.status));
  return out;
}

function hotlistCard(a) {
  const file = el("input", { type: "file", id: "lista-arquivo", accept: ".csv,text/csv" });
  const text = el("textarea", { id: "lista-texto", rows: 5, placeholder: "ABC1D23;roubo;BO 123/2026;31/12/2026" });
  const mode = el("select", { id: "lista-modo" }, ...S.modes.map(([v, t]) => el("option", { value: v }, t)));
  const summary = el("p", { id: "lista-resumo", role: "status" });
  const previewBody = el("tbody", { id: "lista-previa" });
  const errorsBody = el("tbody", { id: "lista-erros" });
  const send = el("button", { type: "button", id: "lista-enviar", disabled: true }, S.send);
  const content = async () => (file.files.length ? file.files[0].text() : text.value);
  const render = (r) => {
    summary.textContent = S.previewSummary(r);
    previewBody.replaceChildren(...r.preview.map((e) => el("tr", {}, el("td", {}, el("strong", { class: "plate" }, e.plate)),
      el("td", {}, e.reason), el("td", {}, e.source_ref || "—"), el("td", {}, e.expires_at ? showDateTime(e.expires_at) : "—"))));
    errorsBody.replaceChildren(...r.errors.map((e) => el("tr", { class: "row-error" },
      el("td", {}, String(e.line)), el("td", {}, e.error))));
  };
  const preview = el("button", { type: "button", id: "lista-previsualizar", class: "secondary",
    onclick: guarded(async () => {
      const r = await postCsv(a, await content(), { dry_run: "true", mode: mode.value });
      render(r);
      send.disabled = !r.accepted || (mode.value === "replace" && r.rejected > 0);
    }) }, S.preview);
  send.addEventListener("click", guarded(async () => {
    const r = await postCsv(a, await content(), { mode: mode.value });
    render(r);
    summary.textContent = S.sent(r);
    send.disabled = true;
  }));
  for (const input of [file, text, mode]) input.addEventListener("input", () => { send.disabled = true; });
  return el("section", { class: "card", "aria-labelledby": "lista-titulo" },
    el("h2", { id: "lista-titulo" }, S.hotlist), el("p", { class: "muted small" }, S.hotlistHelp),
    el("div", { class: "field" }, el("label", { for: "lista-arquivo" }, S.hotlistFile), file),
    el("div", { class: "field" }, el("label", { for: "lista-texto" }, S.hotlistText), text),
    el("div", { class: "field" }, el("label", { for: "lista-modo" }, S.mode), mode),
    el("p", {}, preview, " ", send), summary,
    table([S.plate, S.reason, S.ref, S.expires], previewBody),
    table([S.line, S.error], errorsBody));
}

/** Download an answer of the API as a file (the token cannot ride on a plain link). */
async function download(path, query, filename, accept) {
  const url = API(path);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const res = await fetch(url, { headers: { Accept: accept, Authorization: `Bearer ${token()}` } });
  if (!res.ok) throw new Error(MSG.httpStatus(res.status));
  const href = URL.createObjectURL(await res.blob());
  const link = el("a", { href, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 1000);
}

function reportCard(a) {
  const now = new Date();
  const month = el("input", { type: "month", id: "relatorio-mes", required: true,
    value: `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}` });
  const out = el("tbody", { id: "relatorio-linhas" });
  const key = encodeURIComponent(a.id);
  const file = `v1/agreements/${key}/report`; // downloads go through fetch (a binary PDF), relative to the API
  const name = (ext) => `convenio-${a.id.slice(0, 8)}-${month.value}.${ext}`;
  return el("section", { class: "card", "aria-labelledby": "relatorio-titulo" },
    el("h2", { id: "relatorio-titulo" }, S.report),
    el("div", { class: "field" }, el("label", { for: "relatorio-mes" }, S.month), month),
    el("p", {},
      el("button", { type: "button", id: "relatorio-ver", onclick: guarded(async () => {
        const r = await api("GET", `/v1/agreements/${key}/report`, { query: { month: month.value } });
        out.replaceChildren(...S.reportRows(r).map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), el("td", {}, String(v)))));
      }) }, S.show), " ",
      el("button", { type: "button", class: "secondary", onclick: guarded(() => download(file, { month: month.value, format: "csv" }, name("csv"), "text/csv")) }, S.csv), " ",
      el("button", { type: "button", class: "secondary", onclick: guarded(() => download(file, { month: month.value, format: "pdf" }, name("pdf"), "application/pdf")) }, S.pdf)),
    el("table", { class: "list" }, out));
}

// ------------------------------------------------------------------ grants inbox

/** The caller's own city by name; another city (not readable by this user) by its id. */
const cityCell = (id, mine) => (id === mine || isAdmin()
  ? nameCell("city", id, null) : el("td", { title: id }, S.otherCity(id)));

export async function showGrants(params) {
  showScreen("gestao");
  $("gestao-titulo").textContent = S.grants;
  const status = (params && params.get("situacao")) || "pending";
  const filter = el("select", { id: "concessoes-filtro" },
    ...[["pending", GRANT_STATUS.pending], ["approved", GRANT_STATUS.approved], ["denied", GRANT_STATUS.denied],
      ["revoked", GRANT_STATUS.revoked], ["", S.all]].map(([v, t]) => el("option", { value: v, selected: v === status }, t)));
  filter.addEventListener("change", () => { location.hash = `#/concessoes?situacao=${filter.value}`; });
  const body = el("tbody", { id: "concessoes-lista" });
  const more = el("button", { type: "button", class: "secondary", hidden: true }, MSG.loadMore);
  const empty = el("p", { class: "muted", hidden: true }, MSG.none);
  const mine = (me() || {}).city_id;
  const form = formCard({
    title: S.newGrant, id: "form-concessao", submit: S.ask,
    fields: [
      { name: "holding_city_id", label: S.holdingCity, required: true },
      { name: "case_id", label: S.caseId, required: true },
      { name: "plates", label: S.plates, required: true, placeholder: "ABC1D23, XYZ9A88" },
      { name: "from", label: S.from, type: "datetime-local", required: true },
      { name: "to", label: S.to, type: "datetime-local", required: true },
      { name: "justification", label: S.justification, required: true },
    ],
    onSubmit: async (v) => {
      await api("POST", "/v1/grants", { body: {
        requesting_city_id: mine, holding_city_id: v.holding_city_id, case_id: v.case_id,
        plates: v.plates.split(",").map((p) => p.trim()).filter(Boolean),
        from: new Date(v.from).toISOString(), to: new Date(v.to).toISOString(), justification: v.justification,
      } });
      location.hash = "#/concessoes?situacao=pending";
    },
  });
  $("gestao-conteudo").replaceChildren(isAdmin() ? el("div") : form,
    el("div", { class: "field" }, el("label", { for: "concessoes-filtro" }, S.filter), filter),
    table([S.plates, S.requesting, S.holding, S.window, S.status, S.justification, ""], body), empty, more);
  const act = (g, next) => guarded(async () => {
    await api("PATCH", `/v1/grants/${encodeURIComponent(g.id)}`, { body: { status: next } });
    await showGrants(new URLSearchParams(`situacao=${status}`));
  });
  return pagedList({
    body, more, empty,
    fetchPage: (cursor) => api("GET", "/v1/grants", { query: { limit: PAGE, cursor, status: status || undefined } }),
    renderRow: (g) => {
      const holds = isAdmin() || g.holding_city_id === mine;
      return el("tr", { "data-grant": g.id },
        el("td", {}, g.plates.join(", ")),
        cityCell(g.requesting_city_id, mine),
        cityCell(g.holding_city_id, mine),
        el("td", {}, `${showDateTime(g.from)} – ${showDateTime(g.to)}`),
        el("td", {}, el("span", { class: `badge grant-${g.status}` }, GRANT_STATUS[g.status] + S.inForce(g))),
        el("td", {}, g.justification),
        el("td", { class: "actions" },
          g.status === "pending" && holds ? el("button", { type: "button", onclick: act(g, "approved") }, S.approve) : null,
          g.status === "pending" && holds ? el("button", { type: "button", class: "secondary", onclick: act(g, "denied") }, S.deny) : null,
          g.status === "approved" ? el("button", { type: "button", class: "secondary", onclick: act(g, "revoked") }, S.revoke) : null));
    },
  });
}

/* GT-Vision console — cases: the list (search, status), a case's page (items, the multi-camera export form with
 * a camera picker and mark-in/mark-out, package progress, share links with copy and revoke, the custody
 * timeline) and the "Adicionar ao caso" action other screens put next to clips, plates and sightings. */

import {
  $, api, camerasOfCity, canManage, el, guarded, nameCell, pagedList, showError, showScreen, state, PAGE,
} from "../core.js";
import { localInput, parseLocal, rfc3339, showDateTime } from "../format.js";
import {
  CASE_STATUS, CASES as T, CATEGORY, CUSTODY, EXPORT_STATUS, ITEM_KIND, SHARE_STATUS,
} from "../strings.js";
import { dangerButton, formCard, oneTimeSecret } from "../ui.js";

const POLL_MS = 3000;
const MAX_CAMERAS = 16;
const options = (table) => Object.entries(table);
const page = { caseId: null, refreshExports: null };
/** The case page's elements (built by its cards; looked up here, not by id). */
const ui = {};
const keep = (name, node) => { ui[name] = node; return node; };

// ------------------------------------------------------------------ list

export function showCases(params) {
  showScreen("casos");
  const box = $("casos-conteudo");
  const body = el("tbody", { id: "casos-lista" });
  const more = el("button", { type: "button", class: "secondary", hidden: true }, T.more);
  const empty = el("p", { class: "muted", hidden: true }, T.noCases);
  const list = (query) => pagedList({
    body, more, empty,
    fetchPage: (cursor) => api("GET", "/v1/cases", { query: { ...query, limit: PAGE, cursor } }),
    renderRow: (c) => el("tr", { "data-case": c.id },
      el("td", {}, el("a", { href: `#/casos/${c.id}` }, c.title)),
      el("td", {}, c.reference || "—"),
      el("td", {}, CATEGORY[c.category] || c.category),
      el("td", {}, el("span", { class: `badge case-${c.status}` }, CASE_STATUS[c.status])),
      el("td", {}, showDateTime(c.created_at)),
      el("td", {}, c.created_by_name || "—")),
  });
  const filter = formCard({
    id: "form-casos-busca",
    fields: [
      { name: "q", label: T.search, placeholder: T.searchHint, value: params && params.get("q") },
      { name: "status", label: T.status, options: [["", T.any], ...options(CASE_STATUS)] },
    ],
    submit: T.search,
    onSubmit: (v) => list({ q: v.q, status: v.status }),
  });
  const create = formCard({
    id: "form-caso-novo",
    title: T.newCase,
    fields: [
      { name: "title", label: T.title, required: true },
      { name: "reference", label: T.reference },
      { name: "category", label: T.category, options: options(CATEGORY) },
    ],
    submit: T.open,
    onSubmit: async (v) => {
      const made = await api("POST", "/v1/cases", { body: { title: v.title, reference: v.reference, category: v.category } });
      location.hash = `#/casos/${made.id}`;
    },
  });
  box.replaceChildren(filter, el("table", { class: "list" },
    el("caption", { class: "sr-only" }, T.cases),
    el("thead", {}, el("tr", {}, ...[T.title, T.reference, T.category, T.status, T.openedAt, T.openedBy]
      .map((h) => el("th", { scope: "col" }, h)))), body), empty, more, create);
  return list({ q: params && params.get("q") });
}

// ------------------------------------------------------------------ one case

export async function showCase(id) {
  showScreen("caso");
  page.caseId = id;
  const kase = await api("GET", `/v1/cases/${encodeURIComponent(id)}`);
  $("caso-titulo").textContent = kase.title;
  $("caso-conteudo").replaceChildren(
    header(kase), itemsCard(kase), exportCard(kase), sharesCard(kase), custodyCard(kase));
  await Promise.all([loadItems(kase), loadExports(kase), loadShares(kase), loadCustody(kase)]);
}

function header(kase) {
  const next = kase.status === "open" ? "closed" : "open";
  const toggle = el("button", {
    type: "button", class: "secondary", id: "caso-situacao",
    onclick: guarded(async () => {
      await api("PATCH", `/v1/cases/${kase.id}`, { body: { status: next } });
      await showCase(kase.id);
    }),
  }, kase.status === "open" ? T.close : T.reopen);
  return el("section", { class: "card case-head" },
    el("p", {},
      el("span", { class: `badge case-${kase.status}` }, CASE_STATUS[kase.status]), " ",
      el("span", { class: "badge" }, CATEGORY[kase.category] || kase.category), " ",
      kase.reference ? el("strong", {}, kase.reference) : null),
    el("p", { class: "muted" }, `${T.openedBy}: ${kase.created_by_name || "—"} · ${showDateTime(kase.created_at)}`,
      kase.keep_until ? ` · ${T.keptUntil(showDateTime(kase.keep_until))}` : ""),
    toggle);
}

// ------------------------------------------------------------------ items

function itemsCard(kase) {
  const note = formCard({
    id: "form-caso-nota",
    fields: [{ name: "text", label: T.note, required: true }],
    submit: T.addNote,
    onSubmit: async (v, form) => {
      await api("POST", `/v1/cases/${kase.id}/items`, { body: { kind: "note", text: v.text } });
      form.reset();
      await Promise.all([loadItems(kase), loadCustody(kase)]);
    },
  });
  const byId = formCard({
    id: "form-caso-item",
    title: T.byId,
    fields: [
      { name: "kind", label: T.kind, options: options(ITEM_KIND).filter(([k]) => k !== "note") },
      { name: "ref_id", label: T.refId, required: true },
    ],
    submit: T.add,
    onSubmit: async (v, form) => {
      await api("POST", `/v1/cases/${kase.id}/items`, { body: { kind: v.kind, ref_id: v.ref_id.trim() } });
      form.reset();
      await Promise.all([loadItems(kase), loadCustody(kase)]);
    },
  });
  return el("section", { class: "card", "aria-labelledby": "caso-itens-titulo" },
    el("h2", { id: "caso-itens-titulo" }, T.items),
    el("table", { class: "list" }, el("thead", {}, el("tr", {},
      ...[T.kind, T.description, T.camera, T.period, T.who].map((h) => el("th", { scope: "col" }, h)))),
    keep("items", el("tbody", { id: "caso-itens" }))),
    keep("itemsEmpty", el("p", { id: "caso-itens-vazio", class: "muted", hidden: true }, T.noItems)),
    keep("itemsMore", el("button", { type: "button", id: "caso-itens-mais", class: "secondary", hidden: true }, T.more)),
    kase.status === "open" ? [note, byId] : null);
}

function loadItems(kase) {
  return pagedList({
    body: ui.items, more: ui.itemsMore, empty: ui.itemsEmpty,
    fetchPage: (cursor) => api("GET", `/v1/cases/${kase.id}/items`, { query: { limit: PAGE, cursor } }),
    renderRow: (i) => el("tr", { "data-item": i.id },
      el("td", {}, ITEM_KIND[i.kind] || i.kind),
      el("td", {}, i.text || i.label || "—"),
      i.camera_id ? nameCell("camera", i.camera_id, `#/cameras/${i.camera_id}?em=${i.start}`) : el("td", {}, "—"),
      el("td", {}, i.start ? `${showDateTime(i.start)} – ${showDateTime(i.end)}` : "—"),
      el("td", {}, `${i.added_by_name || "—"} · ${showDateTime(i.created_at)}`)),
  });
}

// ------------------------------------------------------------------ exports

function exportCard(kase) {
  const card = el("section", { class: "card", "aria-labelledby": "caso-export-titulo" },
    el("h2", { id: "caso-export-titulo" }, T.exportTitle));
  if (kase.status === "open") card.append(exportForm(kase));
  card.append(el("h3", {}, T.exports), keep("exports", el("ul", { id: "caso-pacotes", class: "clips", "aria-live": "polite" })),
    keep("exportsEmpty", el("p", { id: "caso-pacotes-vazio", class: "muted", hidden: true }, T.noExports)));
  return card;
}

function exportForm(kase) {
  const picker = el("select", { id: "exp-cameras", name: "camera_ids", multiple: true, size: 8, required: true });
  const count = el("span", { class: "muted small", id: "exp-contagem", "aria-live": "polite" }, T.picked(0));
  picker.addEventListener("change", () => { count.textContent = T.picked(picker.selectedOptions.length); });
  camerasOfCity(kase.city_id).then((cams) => {
    picker.replaceChildren(...cams.map((c) => el("option", { value: c.id }, c.name)));
  }).catch(showError);
  const now = new Date();
  const input = (id, label, value) => el("input", { id, type: "datetime-local", step: "1", required: true,
    value: localInput(value), "aria-label": label });
  const check = (id) => el("input", { id, type: "checkbox" });
  const f = {
    start: input("exp-entrada", T.markIn, new Date(now - 10 * 60 * 1000)),
    end: input("exp-saida", T.markOut, new Date(now - 5 * 60 * 1000)),
    mode: el("select", { id: "exp-modo" }, el("option", { value: "exact" }, T.exact), el("option", { value: "fast" }, T.fast)),
    faces: check("exp-rostos"), plates: check("exp-placas"), overlay: check("exp-legenda"),
    lift: canManage() ? el("input", { id: "exp-mascaras", autocomplete: "off" }) : null,
  };
  const labelled = (label, control) => el("div", { class: "field" }, el("label", { for: control.id }, label), control);
  const checked = (label, control) => el("div", { class: "field check" }, control, " ", el("label", { for: control.id }, label));
  const form = el("form", { id: "form-exportar", class: "inline" },
    el("div", { class: "field" }, el("label", { for: "exp-cameras" }, T.pickCameras), picker, count),
    labelled(T.markIn, f.start), labelled(T.markOut, f.end), labelled(T.mode, f.mode),
    checked(T.faces, f.faces), checked(T.plates, f.plates), checked(T.overlay, f.overlay),
    f.lift ? labelled(T.liftMasks, f.lift) : null,
    el("button", { type: "submit" }, T.exportNow));
  form.addEventListener("submit", guarded(async (ev) => {
    ev.preventDefault();
    showError(null);
    const cameraIds = [...picker.selectedOptions].map((o) => o.value);
    if (cameraIds.length < 1 || cameraIds.length > MAX_CAMERAS) throw new Error(T.tooManyCameras);
    const start = parseLocal(f.start.value);
    const end = parseLocal(f.end.value);
    if (!start || !end || end <= start) throw new Error(T.outBeforeIn);
    const lift = f.lift ? f.lift.value.trim() : "";
    await api("POST", `/v1/cases/${kase.id}/exports`, {
      body: {
        camera_ids: cameraIds, start: rfc3339(start), end: rfc3339(end), mode: f.mode.value,
        redact: { faces: f.faces.checked, plates: f.plates.checked },
        timestamp_overlay: f.overlay.checked, ...(lift ? { lift_masks: { reason: lift } } : {}),
      },
    });
    await Promise.all([loadExports(kase), loadCustody(kase)]);
  }));
  return form;
}

function exportItem(kase, x) {
  const done = x.status === "ready" || x.status === "failed";
  const download = el("button", {
    type: "button", class: "secondary",
    onclick: guarded(async () => {
      const fresh = await api("GET", `/v1/cases/${kase.id}/exports/${x.id}`);
      if (fresh.package_url) location.assign(fresh.package_url);
      await loadCustody(kase);
    }),
  }, T.download);
  return el("li", { "data-export": x.id, "data-status": x.status },
    el("span", { class: `badge export-${x.status}` }, EXPORT_STATUS[x.status] || x.status), " ",
    `${showDateTime(x.start)} – ${showDateTime(x.end)} · ${T.files(x.files.length)}`,
    done ? null : el("progress", { max: "1", value: String(x.progress) }),
    x.status === "ready" ? [" ", download, el("code", { class: "small sha" }, x.package_sha256 || "")] : null,
    x.error ? el("p", { class: "error-text" }, x.error) : null);
}

async function loadExports(kase) {
  const gen = state.generation;
  const got = await api("GET", `/v1/cases/${kase.id}/exports`, { query: { limit: PAGE } });
  if (gen !== state.generation || page.caseId !== kase.id) return;
  ui.exports.replaceChildren(...got.items.map((x) => exportItem(kase, x)));
  ui.exportsEmpty.hidden = got.items.length > 0;
  const pending = got.items.some((x) => !["ready", "failed"].includes(x.status));
  if (pending && !page.refreshExports) {
    page.refreshExports = setInterval(guarded(async () => {
      if (page.caseId !== kase.id) return;
      await loadExports(kase);
    }), POLL_MS);
    state.timers.add(page.refreshExports);
  } else if (!pending && page.refreshExports) {
    clearInterval(page.refreshExports);
    state.timers.delete(page.refreshExports);
    page.refreshExports = null;
    await loadCustody(kase);
  }
}

// A live `export.status` event (live.js) redraws that export at once.
document.addEventListener("gtv:export", (ev) => {
  const x = ev.detail || {};
  const row = document.querySelector(`#caso-pacotes [data-export="${x.id}"]`);
  if (row && page.caseId === x.case_id) row.replaceWith(exportItem({ id: x.case_id }, x));
});
state.onLeave.add(() => { page.caseId = null; page.refreshExports = null; });

// ------------------------------------------------------------------ shares

function sharesCard(kase) {
  const in7 = new Date(Date.now() + 7 * 24 * 3600 * 1000);
  const secret = el("div", { id: "caso-link" });
  const form = formCard({
    id: "form-compartilhar",
    fields: [
      { name: "recipient_name", label: T.recipient, required: true },
      { name: "organisation", label: T.organisation, required: true },
      { name: "legal_basis", label: T.legalBasis, required: true },
      { name: "expires_at", label: T.expires, type: "datetime-local", step: 1, required: true, value: localInput(in7) },
      { name: "max_downloads", label: T.maxDownloads, type: "number", min: 1, max: 10000 },
    ],
    submit: T.createShare,
    onSubmit: async (v, f) => {
      const made = await api("POST", `/v1/cases/${kase.id}/shares`, {
        body: {
          recipient_name: v.recipient_name, organisation: v.organisation, legal_basis: v.legal_basis,
          expires_at: rfc3339(parseLocal(v.expires_at)),
          ...(v.max_downloads ? { max_downloads: Number(v.max_downloads) } : {}),
        },
      });
      secret.replaceChildren(oneTimeSecret(T.linkOnce, made.url));
      f.reset();
      await Promise.all([loadShares(kase), loadCustody(kase)]);
    },
  });
  return el("section", { class: "card", "aria-labelledby": "caso-links-titulo" },
    el("h2", { id: "caso-links-titulo" }, T.shares), secret,
    keep("links", el("ul", { id: "caso-links", class: "clips" })), keep("linksEmpty", el("p", { id: "caso-links-vazio", class: "muted", hidden: true }, T.noShares)),
    form);
}

async function loadShares(kase) {
  const got = await api("GET", `/v1/cases/${kase.id}/shares`);
  ui.links.replaceChildren(...got.items.map((s) => el("li", { "data-share": s.id, "data-status": s.status },
    el("span", { class: `badge share-${s.status}` }, SHARE_STATUS[s.status]), " ",
    el("strong", {}, s.recipient_name), ` (${s.organisation}) · ${T.expires} ${showDateTime(s.expires_at)} · `,
    T.views(s.views, s.downloads, s.max_downloads), " ",
    s.status === "active" ? dangerButton(T.revoke, async () => {
      await api("DELETE", `/v1/cases/${kase.id}/shares/${s.id}`);
      await Promise.all([loadShares(kase), loadCustody(kase)]);
    }) : null)));
  ui.linksEmpty.hidden = got.items.length > 0;
}

// ------------------------------------------------------------------ custody

function custodyCard() {
  return el("section", { class: "card", "aria-labelledby": "caso-custodia-titulo" },
    el("h2", { id: "caso-custodia-titulo" }, T.custody),
    keep("custody", el("ol", { id: "caso-custodia", class: "custody" })),
    keep("custodyMore", el("button", { type: "button", id: "caso-custodia-mais", class: "secondary", hidden: true }, T.more)),
    keep("custodyEmpty", el("p", { id: "caso-custodia-vazio", class: "muted", hidden: true }, T.noEvents)));
}

function summary(e) {
  const d = e.detail || {};
  return [d.title, d.label, d.recipient_name && `${d.recipient_name} (${d.organisation})`, d.file, d.reason,
    d.segments && `${d.segments} segmento(s)`, d.error].filter(Boolean).join(" · ");
}

function loadCustody(kase) {
  return pagedList({
    body: ui.custody, more: ui.custodyMore, empty: ui.custodyEmpty,
    fetchPage: (cursor) => api("GET", `/v1/cases/${kase.id}/custody`, { query: { limit: 200, cursor } }),
    renderRow: (e) => el("li", { "data-kind": e.kind },
      el("time", { datetime: e.at }, showDateTime(e.at)), " ",
      el("strong", {}, CUSTODY[e.kind] || e.kind), ` — ${e.actor}`,
      e.source_ip ? el("span", { class: "muted" }, ` · ${e.source_ip}`) : null,
      summary(e) ? el("span", { class: "muted" }, ` · ${summary(e)}`) : null),
  });
}

// ------------------------------------------------------------------ "Adicionar ao caso" for other screens

/** A button that adds (kind, refId) to one of the caller's open cases, picked in place. */
export function addToCaseButton(kind, refId) {
  const box = el("span", { class: "add-to-case" });
  const button = el("button", { type: "button", class: "secondary" }, T.addToCase);
  button.addEventListener("click", guarded(async () => {
    const open = await api("GET", "/v1/cases", { query: { status: "open", limit: 100 } });
    if (!open.items.length) {
      box.replaceChildren(el("span", { class: "muted small" }, T.noOpenCases));
      return;
    }
    const select = el("select", { "aria-label": T.chooseCase },
      ...open.items.map((c) => el("option", { value: c.id }, c.reference ? `${c.title} (${c.reference})` : c.title)));
    const status = el("span", { class: "muted small", role: "status" });
    const confirm = el("button", {
      type: "button",
      onclick: guarded(async () => {
        await api("POST", `/v1/cases/${select.value}/items`, { body: { kind, ref_id: refId } });
        status.textContent = T.added;
      }),
    }, T.add);
    box.replaceChildren(select, " ", confirm, " ", status);
  }));
  box.append(button);
  return box;
}

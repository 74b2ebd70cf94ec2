/* GT-Vision console — Sentinela screen: search a vehicle by plate, colour and type (LPR reads and,
 * optionally, the recordings), follow the job's progress, see the results as a timeline and a list,
 * and open the recording at each result's instant. main.js calls it with the helpers it shares. */

import { MSG } from "../strings.js";
import { addToCaseButton } from "./cases.js";

const { colors: COLORS, types: TYPES, status: STATUS } = MSG.sentinela;
const POLL_MS = 2000;

let wired = false;

export function screen(h, params) {
  const { $, allCities, api, camerasOfCity, el, guarded, pagedList, showScreen, showError } = h;
  const { showDateTime, rfc3339, parseLocal, localInput } = h;
  showScreen("sentinela");

  function options(select, values, labels) {
    select.replaceChildren(el("option", { value: "" }, MSG.sentinela.any),
      ...values.map((v) => el("option", { value: v }, labels ? labels[v] : v)));
  }

  async function loadCameras() {
    const box = $("sent-cameras");
    box.replaceChildren();
    for (const city of await allCities()) {
      const cams = await camerasOfCity(city.id);
      if (!cams.length) continue;
      box.append(el("optgroup", { label: city.name },
        ...cams.map((c) => el("option", { value: c.id }, c.name))));
    }
  }

  /** The results as markers on a bar from the search's start to its end (LPR above, video below). */
  function drawTimeline(search, items) {
    const bar = $("sent-timeline");
    const from = new Date(search.criteria.from).getTime();
    const to = new Date(search.criteria.to).getTime();
    bar.replaceChildren(...items.map((r) => {
      const left = Math.min(100, Math.max(0, ((new Date(r.captured_at).getTime() - from) / (to - from)) * 100));
      const mark = el("a", {
        class: `mark ${r.source}`, href: `#/cameras/${r.camera_id}?em=${r.captured_at}`,
        title: `${showDateTime(r.captured_at)} · ${r.camera_name || ""} · ${r.color || ""} ${r.type || ""}`,
      });
      mark.style.left = `${left}%`; // CSSOM, not a style attribute: the page's CSP has no 'unsafe-inline'
      return mark;
    }));
    $("sent-timeline-de").textContent = showDateTime(search.criteria.from);
    $("sent-timeline-ate").textContent = showDateTime(search.criteria.to);
  }

  function resultRow(r) {
    return el("tr", {},
      el("td", {}, showDateTime(r.captured_at)),
      el("td", {}, r.camera_name || r.camera_id.slice(0, 8)),
      el("td", {}, el("span", { class: `badge source-${r.source}` }, MSG.sentinela.source[r.source] || r.source)),
      el("td", {}, r.plate ? el("strong", { class: "plate" }, r.plate) : "—"),
      el("td", {}, [r.color, r.type ? TYPES[r.type] || r.type : null].filter(Boolean).join(" · ") || "—"),
      el("td", {}, r.confidence === null || r.confidence === undefined ? "—" : `${Math.round(r.confidence * 100)}%`),
      el("td", {}, r.image_url
        ? el("a", { href: r.image_url, target: "_blank", rel: "noopener" },
          el("img", { src: r.image_url, alt: MSG.sentinela.imageOf(showDateTime(r.captured_at)), class: "plate-img",
            loading: "lazy" }))
        : "—"),
      el("td", {}, el("a", { href: `#/cameras/${r.camera_id}?em=${r.captured_at}` }, MSG.sentinela.seeRecording),
        " ", addToCaseButton("sighting", r.id)));
  }

  async function showResults(search) {
    const all = [];
    await pagedList({
      body: $("sent-lista"),
      more: $("sent-mais"),
      empty: $("sent-vazio"),
      fetchPage: async (cursor) => {
        const page = await api("GET", `/v1/sentinela/searches/${encodeURIComponent(search.id)}/results`,
          { query: { limit: 200, cursor } });
        all.push(...page.items);
        drawTimeline(search, all);
        return page;
      },
      renderRow: resultRow,
    });
  }

  function showJob(search) {
    $("sent-job").hidden = false;
    $("sent-status").textContent = STATUS[search.status] || search.status;
    $("sent-progresso").value = search.progress;
    $("sent-progresso-texto").textContent = search.segments_total
      ? MSG.sentinela.progress(search.segments_done, search.segments_total)
      : MSG.sentinela.lprOnly;
    $("sent-erro").textContent = search.error || "";
    $("sent-cancelar").hidden = !["pending", "processing"].includes(search.status);
  }

  /** Follow a job until it ends, refreshing the results as sightings arrive. */
  async function follow(id) {
    let search = await api("GET", `/v1/sentinela/searches/${encodeURIComponent(id)}`);
    showJob(search);
    await showResults(search);
    if (["pending", "processing"].includes(search.status)) {
      let seen = search.segments_done;
      h.every(guarded(async () => {
        search = await api("GET", `/v1/sentinela/searches/${encodeURIComponent(id)}`);
        showJob(search);
        if (search.segments_done !== seen || !["pending", "processing"].includes(search.status)) {
          seen = search.segments_done;
          await showResults(search);
        }
        if (!["pending", "processing"].includes(search.status)) h.stopTimers();
      }), POLL_MS);
    }
    $("sent-cancelar").onclick = guarded(async () => {
      showJob(await api("DELETE", `/v1/sentinela/searches/${encodeURIComponent(id)}`));
    });
  }

  function listPast() {
    return pagedList({
      body: $("sent-anteriores"),
      more: $("sent-anteriores-mais"),
      fetchPage: (cursor) => api("GET", "/v1/sentinela/searches", { query: { limit: 20, cursor } }),
      renderRow: (s) => {
        const c = s.criteria;
        const what = [c.plate, c.color, c.type ? TYPES[c.type] : null].filter(Boolean).join(" · ");
        return el("li", {}, el("a", { href: `#/sentinela?busca=${s.id}` }, what || s.id.slice(0, 8)),
          MSG.sentinela.pastItem(showDateTime(c.from), showDateTime(c.to), STATUS[s.status] || s.status));
      },
    });
  }

  if (!wired) {
    wired = true;
    options($("sent-cor"), COLORS);
    options($("sent-tipo"), Object.keys(TYPES), TYPES);
    $("form-sentinela").addEventListener("submit", guarded(async (ev) => {
      ev.preventDefault();
      showError(null);
      const from = parseLocal($("sent-de").value);
      const to = parseLocal($("sent-ate").value);
      if (!from || !to || to <= from) throw new Error(MSG.rangeOrder);
      const cameras = [...$("sent-cameras").selectedOptions].map((o) => o.value);
      const body = {
        plate: $("sent-placa").value.trim() || undefined,
        color: $("sent-cor").value || undefined,
        type: $("sent-tipo").value || undefined,
        from: rfc3339(from),
        to: rfc3339(to),
        camera_ids: cameras.length ? cameras : undefined,
        analyse_video: $("sent-video").checked,
      };
      const search = await api("POST", "/v1/sentinela/searches", { body });
      location.hash = `#/sentinela?busca=${search.id}`;
    }));
  }
  if (!$("sent-de").value) $("sent-de").value = localInput(new Date(Date.now() - 2 * 3600 * 1000));
  if (!$("sent-ate").value) $("sent-ate").value = localInput(new Date());
  $("sent-job").hidden = true;
  $("sent-timeline").replaceChildren();
  $("sent-lista").replaceChildren();
  const id = params.get("busca");
  return Promise.all([loadCameras(), listPast(), id ? follow(id) : null]);
}

/* GT-Vision console — a camera's clips on its screen (operators and up): each request's status until it is
 * ready or failed, download and manifest, and the legal hold (managers; lifting it asks to confirm). */

import { $, api, el, guarded, state } from "../core.js";
import { fmtNum, showDateTime, showTime } from "../format.js";
import { CLIP_STATUS, MSG } from "../strings.js";
import { dangerButton, toast } from "../ui.js";
import { addToCaseButton } from "./cases.js";

const CLIP_POLL_MS = 2000;
const holds = (role) => ["admin", "manager"].includes(role);

/** One clip as a list item, polled while queued or processing. */
export function clipItem(cam, clip) {
  const li = el("li", { class: "clip" });
  const render = (c) => {
    const status = el("span", { class: `badge clip-${c.status}` }, CLIP_STATUS[c.status] || c.status);
    const range = `${showDateTime(c.start)} → ${showTime(new Date(c.end))} (${c.mode === "exact" ? MSG.exact : MSG.fast})`;
    const extra = [];
    if (c.status === "ready" && c.download_url) {
      const mb = c.size_bytes ? ` · ${fmtNum.format(c.size_bytes / 1e6)} MB` : "";
      const dur = c.duration_s ? ` · ${fmtNum.format(c.duration_s)} s` : "";
      extra.push(" ", el("a", { href: c.download_url, download: "recorte.mp4", rel: "noopener" }, MSG.download), `${dur}${mb}`);
    }
    if (c.status === "ready" && c.manifest_url) {
      extra.push(" · ", el("a", { href: c.manifest_url, download: "recorte.manifest.json", rel: "noopener" }, MSG.manifest),
        el("details", {}, el("summary", {}, MSG.howToVerify), el("p", { class: "small" }, MSG.manifestHelp),
          c.sha256 ? el("p", { class: "small" }, "SHA-256: ", el("code", {}, c.sha256)) : null));
    }
    if (c.status === "failed" && c.error) extra.push(el("span", { class: "error-text" }, ` ${c.error}`));
    if (c.held) extra.push(" ", el("span", { class: "badge" }, MSG.onHold), c.hold_reason ? ` (${c.hold_reason})` : "");
    if (holds(cam.role)) {
      const id = encodeURIComponent(c.id);
      const reload = async () => render(await api("GET", `/v1/clips/${id}`));
      extra.push(" ", c.held
        ? dangerButton(MSG.unhold, async () => { await api("DELETE", `/v1/clips/${id}/hold`); await reload(); }, MSG.holdLifted)
        : el("button", {
          type: "button", class: "secondary",
          onclick: guarded(async () => {
            await api("POST", `/v1/clips/${id}/hold`, { body: { reason: MSG.holdReason } });
            toast(MSG.holdPlaced);
            await reload();
          }),
        }, MSG.hold));
    }
    if (cam.role !== "viewer") extra.push(" ", addToCaseButton("clip", c.id)); // operators and up keep cases
    li.replaceChildren(status, " ", range, ...extra);
  };
  render(clip);
  if (clip.status === "queued" || clip.status === "processing") {
    const gen = state.generation;
    const timer = setInterval(async () => {
      try {
        const c = await api("GET", `/v1/clips/${encodeURIComponent(clip.id)}`);
        if (gen !== state.generation) return;
        render(c);
        if (c.status === "ready" || c.status === "failed") {
          clearInterval(timer);
          state.timers.delete(timer);
        }
      } catch (err) {
        clearInterval(timer);
        state.timers.delete(timer);
        if (gen === state.generation) li.append(el("span", { class: "error-text" }, ` ${err.message}`));
      }
    }, CLIP_POLL_MS);
    state.timers.add(timer);
  }
  return li;
}

/** The camera's last clips. */
export async function loadClips(cam) {
  const gen = state.generation;
  const page = await api("GET", "/v1/clips", { query: { camera_id: cam.id, limit: 10 } });
  if (gen !== state.generation) return;
  $("recortes").replaceChildren(...page.items.map((c) => clipItem(cam, c)));
}

/* GT-Vision console — every API error in Portuguese: the API's own messages are pt-BR, but a 422
 * `validation_error` lists fields by their JSON path with the validator's English reason. Every form shows
 * errors through `explain` (the error banner) and marks the fields `fieldErrors` names. */

import { ENGLISH, FIELD, MSG } from "./strings.js";

/** One English validation reason (pydantic's) in Portuguese; pt-BR text passes unchanged. */
export function reasonPt(text) {
  const t = String(text || "").trim();
  for (const [re, say] of ENGLISH) {
    const m = re.exec(t);
    if (m) return say(m);
  }
  return t;
}

/** The form label of an API field path ("location.lat" → "Latitude", "camera_ids.3" → "Câmeras"). */
export function fieldLabel(path) {
  const parts = String(path).split(".").filter((p) => !/^\d+$/.test(p));
  const last = parts[parts.length - 1] || "";
  return FIELD[last] || FIELD[parts.join(".")] || last;
}

/** The fields an API error names: [{path, label, reason}] (a 422 `validation_error` or `invalid_<field>`). */
export function fieldErrors(err) {
  const message = String((err && err.message) || "");
  if (err && err.code === "validation_error") {
    const list = message.split(" — ").slice(1).join(" — ");
    return list.split("; ").map((item) => {
      const cut = item.indexOf(": ");
      const path = cut < 0 ? "" : item.slice(0, cut);
      return { path, label: fieldLabel(path), reason: reasonPt(cut < 0 ? item : item.slice(cut + 2)) };
    }).filter((f) => f.path);
  }
  const param = /^invalid_(\w+)$/.exec((err && err.code) || "");
  const detail = /^parâmetro '([^']+)' inválido: (.+)$/.exec(message);
  if (detail) return [{ path: detail[1], label: fieldLabel(detail[1]), reason: reasonPt(detail[2]) }];
  if (param && FIELD[param[1]]) return [{ path: param[1], label: FIELD[param[1]], reason: message }];
  return [];
}

/** An API (or form) error as the console says it: always Portuguese, naming the fields by their labels. */
export function explain(err) {
  if (!err) return "";
  const fields = fieldErrors(err);
  if (fields.length) return `${MSG.invalidFields} ${fields.map((f) => `${f.label}: ${f.reason}`).join("; ")}.`;
  if (err.code === "network") return MSG.network;
  return reasonPt(err.message || String(err));
}


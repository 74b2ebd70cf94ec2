/* GT-Vision console — small building blocks for the management screens: labelled form fields, a form
 * that posts through the API, confirmation, and a one-time secret with a copy button. All text goes in
 * as text nodes (el()). */

import { copyText, el, guarded, showError } from "./core.js";
import { MSG } from "./strings.js";

let seq = 0;

/** A labelled control. `spec`: {name, label, type?, required?, value?, options?: [[value, label]],
 * multiple?, placeholder?, min?, max?, step?, autocomplete?, hint?}. */
export function field(spec) {
  const id = `f-${spec.name}-${(seq += 1)}`;
  let control;
  if (spec.options) {
    control = el("select", { id, name: spec.name, required: spec.required, multiple: spec.multiple, size: spec.size },
      ...spec.options.map(([v, text]) => el("option", { value: v }, text)));
    if (spec.value !== undefined && spec.value !== null) {
      for (const o of control.options) o.selected = [].concat(spec.value).map(String).includes(o.value);
    }
  } else if (spec.type === "checkbox") {
    control = el("input", { id, name: spec.name, type: "checkbox" });
    control.checked = Boolean(spec.value);
    return el("div", { class: "field check" }, control, " ", el("label", { for: id }, spec.label));
  } else {
    control = el("input", {
      id, name: spec.name, type: spec.type || "text", required: spec.required, placeholder: spec.placeholder,
      min: spec.min, max: spec.max, step: spec.step, autocomplete: spec.autocomplete || "off",
    });
    if (spec.value !== undefined && spec.value !== null) control.value = String(spec.value);
  }
  return el("div", { class: "field" }, el("label", { for: id }, spec.label), control,
    spec.hint ? el("span", { class: "muted small" }, spec.hint) : null);
}

/** The values of a form's named controls (checkbox → bool, multiple select → array, "" → undefined). */
export function values(form) {
  const out = {};
  for (const c of form.querySelectorAll("[name]")) {
    if (c.type === "checkbox") out[c.name] = c.checked;
    else if (c.multiple) out[c.name] = [...c.selectedOptions].map((o) => o.value);
    else out[c.name] = c.value === "" ? undefined : c.value;
  }
  return out;
}

/** A card with a form: `onSubmit(values, form)` runs guarded (the API's message shows on failure). */
export function formCard({ title, fields, submit, onSubmit, id, cancel }) {
  const form = el("form", { class: "inline", id }, ...fields.map(field),
    el("button", { type: "submit" }, submit),
    cancel ? el("button", { type: "button", class: "secondary", onclick: cancel }, MSG.cancel) : null);
  form.addEventListener("submit", guarded(async (ev) => {
    ev.preventDefault();
    showError(null);
    await onSubmit(values(form), form);
  }));
  return el("section", { class: "card" }, title ? el("h2", {}, title) : null, form);
}

/** A secret shown this once (the API never returns it again), with a copy button. */
export function oneTimeSecret(label, secret) {
  const status = el("span", { class: "muted small", role: "status" });
  return el("div", { class: "secret card", "data-secret": "" },
    el("p", {}, el("strong", {}, label)),
    el("p", {}, el("code", { class: "secret-value" }, secret), " ",
      el("button", {
        type: "button", class: "secondary",
        onclick: async () => { status.textContent = (await copyText(secret)) ? MSG.copied : MSG.copyFailed; },
      }, MSG.copy), " ", status),
    el("p", { class: "muted small" }, MSG.secretOnce));
}

/** A button for something destructive: the first click arms it ("Confirmar …"), the second acts. */
export function dangerButton(text, action) {
  const button = el("button", { type: "button", class: "secondary danger" }, text);
  let armed = false;
  button.addEventListener("click", guarded(async () => {
    if (!armed) {
      armed = true;
      button.textContent = MSG.confirm(text);
      setTimeout(() => { armed = false; button.textContent = text; }, 5000);
      return;
    }
    button.disabled = true;
    try {
      await action();
    } finally {
      button.disabled = false;
    }
  }));
  return button;
}

/* GT-Vision console — small building blocks for forms and feedback: labelled form fields (dates, times and
 * decimals are typed as text the Brazilian way and read by format.js — the browser's locale never draws them),
 * a form that posts through the API and confirms with a toast, confirmation for destructive actions, a
 * one-time secret with a copy button, a pt-BR day picker, the keyboard help overlay and the phone menu. All
 * text goes in as text nodes (el()). */

import { $, copyText, el, guarded, showError } from "./core.js";
import { fieldErrors } from "./errors.js";
import { inputDay, parseClock, parseDay, parseDecimal, parseLocal, pad } from "./format.js";
import { MSG, SHORTCUTS } from "./strings.js";

let seq = 0;

/** How typed kinds look and are checked: a text field, a placeholder, a parser, the message when it fails. */
const KINDS = {
  date: { hint: MSG.dayHint, mode: "numeric", ok: (v) => Boolean(parseDay(v)), say: MSG.invalidDay },
  time: { hint: MSG.clockHint, mode: "numeric", ok: (v) => Boolean(parseClock(v)), say: MSG.invalidClock },
  "datetime-local": { hint: MSG.dateTimeHint, mode: "text", ok: (v) => Boolean(parseLocal(v)), say: MSG.invalidDateTime },
  decimal: { hint: "-22,9056", mode: "decimal", ok: (v) => !Number.isNaN(parseDecimal(v)), say: MSG.invalidNumber },
};

/** A typed text input for `kind` (date | time | datetime-local | decimal): same look everywhere. */
export function typedInput(kind, attrs = {}) {
  const k = KINDS[kind];
  const input = el("input", {
    type: "text", inputmode: k.mode, placeholder: attrs.placeholder || k.hint, autocomplete: "off",
    spellcheck: "false", "data-kind": kind, ...attrs,
  });
  if (kind === "date") return el("span", { class: "with-picker" }, input, dayPickerButton(input));
  return input;
}

/** A labelled control. `spec`: {name, label, type?, required?, value?, options?: [[value, label]],
 * multiple?, placeholder?, min?, max?, step?, autocomplete?, hint?}. `type` date, time and datetime-local
 * become text fields typed dd/mm/aaaa, HH:MM:SS; a number with `step: "any"` (coordinates) takes a comma. */
export function field(spec) {
  const id = `f-${spec.name}-${(seq += 1)}`;
  let control;
  const kind = spec.type === "number" && spec.step === "any" ? "decimal" : (spec.type in KINDS ? spec.type : null);
  if (spec.options) {
    // A stored value the list does not offer (an older city's time zone) stays selectable, never silently lost.
    const given = [].concat(spec.value ?? []).map(String).filter((v) => !spec.options.some(([o]) => String(o) === v));
    const options = [...spec.options, ...given.map((v) => [v, v])];
    control = el("select", { id, name: spec.name, required: spec.required, multiple: spec.multiple, size: spec.size },
      ...options.map(([v, text]) => el("option", { value: v }, text)));
    if (spec.value !== undefined && spec.value !== null) {
      for (const o of control.options) o.selected = [].concat(spec.value).map(String).includes(o.value);
    }
  } else if (spec.type === "checkbox") {
    control = el("input", { id, name: spec.name, type: "checkbox" });
    control.checked = Boolean(spec.value);
    return el("div", { class: "field check" }, control, " ", el("label", { for: id }, spec.label));
  } else if (kind) {
    control = typedInput(kind, { id, name: spec.name, required: spec.required, placeholder: spec.placeholder });
    const input = control.tagName === "INPUT" ? control : control.querySelector("input");
    input.dataset.label = spec.label;
    if (spec.value !== undefined && spec.value !== null) {
      input.value = kind === "decimal" ? String(spec.value).replace(".", ",") : String(spec.value);
    }
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

/** Check `form` before it goes to the API: required fields filled, typed fields (dates, times, decimals)
 * readable. The first bad one is marked and focused and its message thrown in Portuguese — never the
 * browser's own bubble, which speaks the browser's language. */
export function checkTyped(form) {
  for (const control of form.querySelectorAll("[required]")) {
    if (control.type !== "checkbox" && !String(control.value || "").trim()) {
      const label = control.dataset.label || labelOf(control);
      markInvalid(control, MSG.required(label));
      control.focus();
      throw new Error(MSG.required(label));
    }
  }
  for (const input of form.querySelectorAll("input[data-kind]")) {
    const value = input.value.trim();
    if (!value) continue;
    const k = KINDS[input.dataset.kind];
    if (!k.ok(value)) {
      markInvalid(input, k.say(input.dataset.label || labelOf(input)));
      input.focus();
      throw new Error(k.say(input.dataset.label || labelOf(input)));
    }
  }
}

const labelOf = (input) => ((input.id && document.querySelector(`label[for="${input.id}"]`)) || {}).textContent || "";

/** The values of a form's named controls (checkbox → bool, multiple select → array, "" → undefined; a decimal
 * typed with a comma → "-22.9056", what Number() reads). */
export function values(form) {
  const out = {};
  for (const c of form.querySelectorAll("[name]")) {
    if (c.type === "checkbox") out[c.name] = c.checked;
    else if (c.multiple) out[c.name] = [...c.selectedOptions].map((o) => o.value);
    else if (c.dataset.kind === "decimal" && c.value.trim() !== "") {
      const n = parseDecimal(c.value);
      out[c.name] = Number.isNaN(n) ? c.value : String(n);
    } else out[c.name] = c.value === "" ? undefined : c.value;
  }
  return out;
}

function markInvalid(control, message) {
  control.setAttribute("aria-invalid", "true");
  const box = control.closest(".field");
  if (box && !box.querySelector(".field-error")) box.append(el("span", { class: "field-error", role: "alert" }, message));
}

function clearInvalid(form) {
  for (const c of form.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
  for (const m of form.querySelectorAll(".field-error")) m.remove();
}

/** Mark the controls of `form` that an API error names (by field name, last part of the path). */
export function showFieldErrors(form, err) {
  for (const f of fieldErrors(err)) {
    const name = f.path.split(".").filter((p) => !/^\d+$/.test(p));
    const control = form.querySelector(`[name="${name[name.length - 1]}"]`) || form.querySelector(`[name="${name[0]}"]`);
    if (control) markInvalid(control, `${f.label}: ${f.reason}`);
  }
}

/** A card with a form: `onSubmit(values, form)` runs guarded (the error shows in Portuguese, the fields it
 * names are marked); a success is confirmed with a toast (`done`, default "Salvo."). */
export function formCard({ title, fields, submit, onSubmit, id, cancel, done }) {
  const form = el("form", { class: "inline", id, novalidate: true }, ...fields.map(field),
    el("button", { type: "submit" }, submit),
    cancel ? el("button", { type: "button", class: "secondary", onclick: cancel }, MSG.cancel) : null);
  form.addEventListener("submit", guarded(async (ev) => {
    ev.preventDefault();
    showError(null);
    clearInvalid(form);
    checkTyped(form);
    try {
      await onSubmit(values(form), form);
    } catch (err) {
      showFieldErrors(form, err);
      throw err;
    }
    toast(done || MSG.saved);
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

/** A button for something destructive or hard to undo: the first click arms it ("Confirmar …"), the second
 * acts, and a toast says it was done (`done`, default "Excluído."). */
export function dangerButton(text, action, done = MSG.removed) {
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
    if (done) toast(done);
  }));
  return button;
}

/** A short confirmation at the corner (polite, gone after a few seconds). */
export function toast(text, kind = "ok") {
  const box = el("div", { class: `toast ${kind}`, role: "status" }, text);
  $("avisos").prepend(box);
  setTimeout(() => box.remove(), 4000);
  return box;
}

// ------------------------------------------------------------------ a pt-BR day picker

/** A calendar button for a dd/mm/aaaa field: a month grid (Sunday first), keyboard-usable buttons. */
function dayPickerButton(input) {
  const button = el("button", { type: "button", class: "secondary picker-open", "aria-label": MSG.pickDay,
    title: MSG.pickDay }, "▦");
  button.addEventListener("click", () => {
    const open = input.parentElement.querySelector(".picker");
    if (open) { open.remove(); return; }
    const start = parseDay(input.value) || parseDay(inputDay(new Date()));
    input.parentElement.append(month(input, start[0], start[1]));
  });
  return button;
}

function month(input, year, mon) {
  const box = el("div", { class: "picker", role: "dialog", "aria-label": MSG.pickDay });
  const first = new Date(Date.UTC(year, mon - 1, 1)).getUTCDay();
  const days = new Date(Date.UTC(year, mon, 0)).getUTCDate();
  const go = (y, m) => box.replaceWith(month(input, y, m));
  const chosen = parseDay(input.value);
  const cells = [];
  for (let i = 0; i < first; i += 1) cells.push(el("span"));
  for (let d = 1; d <= days; d += 1) {
    const on = chosen && chosen[0] === year && chosen[1] === mon && chosen[2] === d;
    const day = el("button", {
      type: "button", class: "day", "data-day": d,
      onclick: () => {
        input.value = `${pad(d)}/${pad(mon)}/${year}`;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        box.remove();
        input.focus();
      },
    }, String(d));
    day.classList.toggle("chosen", Boolean(on));
    cells.push(day);
  }
  box.append(
    el("div", { class: "picker-head" },
      el("button", { type: "button", class: "secondary", "aria-label": MSG.prevMonth,
        onclick: () => go(mon === 1 ? year - 1 : year, mon === 1 ? 12 : mon - 1) }, "‹"),
      el("strong", {}, `${MSG.months[mon - 1]} ${year}`),
      el("button", { type: "button", class: "secondary", "aria-label": MSG.nextMonth,
        onclick: () => go(mon === 12 ? year + 1 : year, mon === 12 ? 1 : mon + 1) }, "›")),
    el("div", { class: "picker-grid" }, ...MSG.weekdays.map((w) => el("span", { class: "muted small" }, w)), ...cells));
  return box;
}

/** Make the fixed fields of the page (index.html's `input[data-kind]`) typed: placeholders and day pickers. */
export function typePageFields() {
  for (const input of document.querySelectorAll("input[data-kind]")) {
    const k = KINDS[input.dataset.kind];
    if (!input.placeholder) input.placeholder = k.hint;
    input.setAttribute("inputmode", k.mode);
    input.autocomplete = "off";
    if (input.dataset.kind === "date" && !input.parentElement.classList.contains("with-picker")) {
      const wrap = el("span", { class: "with-picker" });
      input.replaceWith(wrap);
      wrap.append(input, dayPickerButton(input));
    }
  }
}

// ------------------------------------------------------------------ help overlay and phone menu

let help = null;

/** Show (or hide) the keyboard shortcuts. */
export function toggleHelp(force) {
  if (!help) {
    help = el("div", { id: "ajuda-atalhos", class: "overlay", role: "dialog", "aria-modal": "true",
      "aria-labelledby": "ajuda-titulo", hidden: true },
    el("div", { class: "card" },
      el("h2", { id: "ajuda-titulo" }, MSG.helpTitle),
      el("dl", { class: "shortcuts" }, ...SHORTCUTS.flatMap(([k, what]) => [el("dt", {}, el("kbd", {}, k)), el("dd", {}, what)])),
      el("button", { type: "button", onclick: () => toggleHelp(false) }, MSG.close)));
    document.body.append(help);
  }
  help.hidden = force === undefined ? !help.hidden : !force;
  if (!help.hidden) help.querySelector("button").focus();
}

const CLOSES = { Escape: true };

/** Whether a key event belongs to a text control (shortcuts never steal typing). */
export const typing = (ev) => {
  const t = ev.target;
  return Boolean(t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName)));
};

document.addEventListener("keydown", (ev) => {
  if (typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.key === "?") { ev.preventDefault(); toggleHelp(); }
  if (CLOSES[ev.key] && help && !help.hidden) toggleHelp(false);
});

const menuToggle = $("menu-toggle");
if (menuToggle) {
  menuToggle.addEventListener("click", () => {
    const open = menuToggle.getAttribute("aria-expanded") !== "true";
    menuToggle.setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("menu-open", open);
  });
  window.addEventListener("hashchange", () => {
    menuToggle.setAttribute("aria-expanded", "false");
    document.body.classList.remove("menu-open");
  });
}
typePageFields();

/* GT-Vision console — "Meus dados": the caller's account (LGPD: view, export, delete), their second factor
 * (enrolment with a QR code drawn by the API, confirmation, turning it off) and their password. */

import { $, api, apiText, el, endSession, guarded, limited, setLimited, showScreen } from "../core.js";
import { showDateTime } from "../format.js";
import { MSG, ROLE } from "../strings.js";
import { dangerButton, formCard } from "../ui.js";

/** Downloads a text the API returned (the bearer token cannot ride on a plain link). */
export function download(text, filename, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const PROFILE_LABELS = {
  username: MSG.username, role: MSG.role, city_id: MSG.city, created_at: MSG.when, totp_enabled: MSG.twoFactor,
};

function profileCard(profile) {
  const dl = el("dl", { class: "urls" });
  for (const [k, v] of Object.entries(profile)) {
    let text = typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
    if (k === "role") text = ROLE[v] || v;
    if (k === "created_at") text = showDateTime(v);
    if (k === "totp_enabled") text = v ? MSG.yes : MSG.no;
    dl.append(el("dt", {}, PROFILE_LABELS[k] || k), el("dd", {}, text));
  }
  return el("section", { class: "card" }, dl);
}

/** The enrolment: QR code, key and recovery codes, and the form that confirms with the first code. */
function enrolmentCard(enrolment, done) {
  return el("section", { class: "card", id: "dois-fatores-cadastro" },
    el("p", {}, MSG.scanQr),
    el("img", { src: enrolment.qr_svg, alt: MSG.qrAlt, class: "qr", id: "dois-fatores-qr" }),
    el("p", {}, MSG.secretKey, ": ", el("code", { id: "dois-fatores-chave" }, enrolment.secret)),
    el("p", {}, el("strong", {}, MSG.recoveryCodes)),
    el("ul", { id: "dois-fatores-recuperacao", class: "codes" }, ...enrolment.recovery_codes.map((c) => el("li", {}, el("code", {}, c)))),
    formCard({
      id: "form-2fa-confirmar", submit: MSG.confirm2fa,
      fields: [{ name: "code", label: MSG.confirmCode, required: true, autocomplete: "one-time-code" }],
      onSubmit: async (v) => {
        await api("POST", "/v1/me/2fa/confirm", { body: { code: v.code } });
        setLimited(false);
        await done(MSG.enabled2fa);
      },
    }));
}

async function twoFactorCard(refresh) {
  const status = await api("GET", "/v1/me/2fa");
  const box = el("section", { class: "card", id: "dois-fatores" }, el("h2", {}, MSG.twoFactorTitle),
    el("p", { id: "dois-fatores-situacao", role: "status" },
      status.totp_enabled ? MSG.twoFactorOn(status.recovery_codes_left) : MSG.twoFactorOff));
  if (status.totp_enabled) {
    box.append(formCard({
      id: "form-2fa-desativar", submit: MSG.disable2fa,
      fields: [{ name: "code", label: MSG.otp, required: true, autocomplete: "one-time-code" }],
      onSubmit: async (v) => {
        await api("DELETE", "/v1/me/2fa", { body: { code: v.code } });
        await refresh();
      },
    }));
  } else {
    box.append(el("button", {
      type: "button", id: "dois-fatores-ativar",
      onclick: guarded(async () => {
        const enrolment = await api("POST", "/v1/me/2fa");
        box.append(enrolmentCard(enrolment, refresh));
      }),
    }, MSG.enable2fa));
  }
  return box;
}

function passwordCard() {
  const done = el("p", { class: "muted", role: "status" });
  const card = formCard({
    title: MSG.changePassword, id: "form-senha", submit: MSG.save,
    fields: [
      { name: "current_password", label: MSG.currentPassword, type: "password", required: true, autocomplete: "current-password" },
      { name: "new_password", label: MSG.newPassword, type: "password", required: true, autocomplete: "new-password" },
    ],
    onSubmit: async (v, form) => {
      await api("POST", "/v1/me/password", { body: v });
      form.reset();
      done.textContent = MSG.passwordChanged;
    },
  });
  card.append(done);
  return card;
}

export async function showMyData(notice) {
  showScreen("gestao");
  $("gestao-titulo").textContent = MSG.myData;
  const profile = await api("GET", "/v1/me");
  const refresh = (message) => showMyData(message);
  const parts = [];
  const message = notice || (limited() ? MSG.twoFactorRequired : null);
  if (message) parts.push(el("p", { class: "notice", role: "status", id: "meus-dados-aviso" }, message));
  parts.push(profileCard(profile), await twoFactorCard(refresh), passwordCard(),
    el("p", { class: "actions" },
      el("button", {
        type: "button", id: "meus-dados-exportar",
        onclick: guarded(async () => download(await apiText("GET", "/v1/me/export"), "meus-dados-gtvision.json", "application/json")),
      }, MSG.exportMine), " ",
      dangerButton(MSG.deleteMine, async () => {
        await api("DELETE", "/v1/me");
        endSession(MSG.deleted);
      })));
  $("gestao-conteudo").replaceChildren(...parts);
}

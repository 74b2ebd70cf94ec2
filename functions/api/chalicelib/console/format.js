/* GT-Vision console — dates and numbers. Dates and times are ALWAYS `dd/mm/aaaa HH:MM:SS` in the city's
 * time zone (IANA, `cities.timezone`), built from Intl.DateTimeFormat parts: the browser's locale never
 * decides the order or the clock — shown or typed (forms use text fields read by parseDay/parseClock/
 * parseLocal, never <input type=date|time>). The API is spoken to in UTC RFC 3339. */

export const DEFAULT_ZONE = "America/Sao_Paulo";

let zone = DEFAULT_ZONE;
const formatters = new Map();

function partsFormatter(tz) {
  if (!formatters.has(tz)) {
    formatters.set(tz, new Intl.DateTimeFormat("en-US", {
      timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    }));
  }
  return formatters.get(tz);
}

/** The zone every date is shown in from now on; an unknown name keeps the default. */
export function setZone(tz) {
  try {
    partsFormatter(tz || DEFAULT_ZONE).format(0);
    zone = tz || DEFAULT_ZONE;
  } catch {
    zone = DEFAULT_ZONE;
  }
  return zone;
}
export const currentZone = () => zone;

export const pad = (n) => String(n).padStart(2, "0");

/** {year, month, day, hour, minute, second} of `date` on the wall clock of the current zone. */
export function zoneParts(date) {
  const p = {};
  for (const { type, value } of partsFormatter(zone).formatToParts(date)) {
    if (type !== "literal") p[type] = Number(value);
  }
  if (p.hour === 24) p.hour = 0;
  return p;
}

/** "dd/mm/aaaa HH:MM:SS" (or "—" without a value). */
export function showDateTime(value) {
  if (!value) return "—";
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return "—";
  const p = zoneParts(d);
  return `${pad(p.day)}/${pad(p.month)}/${p.year} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

/** "HH:MM:SS". */
export function showTime(date) {
  const p = zoneParts(date instanceof Date ? date : new Date(date));
  return `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

/** "dd/mm/aaaa" of a "YYYY-MM-DD" day. */
export const showDay = (day) => day.split("-").reverse().join("/");

export const rfc3339 = (date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Milliseconds the zone is ahead of UTC at `date` (negative: −3 h in São Paulo). */
function zoneOffset(date) {
  const p = zoneParts(date);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(date.getTime() / 1000) * 1000;
}

/** The instant the zone's wall clock shows y-mo-d h:mi:s (Date.UTC normalises overflowing fields). */
export function fromZoned(y, mo, d, h = 0, mi = 0, s = 0) {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  let t = wall - zoneOffset(new Date(wall));
  const again = wall - zoneOffset(new Date(t));
  if (again !== t) t = again;
  return new Date(t);
}

// ------------------------------------------------------------------ typed dates (ADR 0019: never the browser's)
// Forms take text in the city's wall clock: "dd/mm/aaaa", "HH:MM[:SS]", "dd/mm/aaaa HH:MM[:SS]". One parser
// for all of them; each returns null for anything that is not a real date or time (31/02, 24:00, letters).

const DAY_RE = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/;
const CLOCK_RE = /^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$/;
const ISO_RE = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?\s*$/;

function realDay(y, m, d) {
  const probe = new Date(Date.UTC(y, m - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d && y >= 1970;
}

/** "dd/mm/aaaa" (or "YYYY-MM-DD") → [year, month, day], or null. */
export function parseDay(value) {
  const text = String(value || "");
  let m = DAY_RE.exec(text);
  let parts = m ? [+m[3], +m[2], +m[1]] : null;
  if (!parts && (m = ISO_RE.exec(text)) && m[4] === undefined) parts = [+m[1], +m[2], +m[3]];
  return parts && realDay(...parts) ? parts : null;
}

/** "HH:MM" or "HH:MM:SS" → [hour, minute, second], or null. */
export function parseClock(value) {
  const m = CLOCK_RE.exec(String(value || ""));
  if (!m) return null;
  const parts = [+m[1], +m[2], +(m[3] || 0)];
  return parts[0] < 24 && parts[1] < 60 && parts[2] < 60 ? parts : null;
}

/** "dd/mm/aaaa HH:MM[:SS]" (also "YYYY-MM-DDTHH:MM[:SS]", what older links carry) in the zone → Date, or null. */
export function parseLocal(value) {
  const text = String(value || "").trim();
  const iso = ISO_RE.exec(text);
  if (iso) {
    if (iso[4] === undefined || !realDay(+iso[1], +iso[2], +iso[3])) return null;
    const clock = parseClock(`${iso[4]}:${iso[5]}:${iso[6] || "00"}`);
    return clock ? fromZoned(+iso[1], +iso[2], +iso[3], ...clock) : null;
  }
  const cut = text.search(/\s/);
  if (cut < 0) return null;
  const day = parseDay(text.slice(0, cut));
  const clock = parseClock(text.slice(cut + 1));
  return day && clock ? fromZoned(...day, ...clock) : null;
}

/** A decimal number typed the Brazilian way or the other ("-22,9056", "-22.9056") → Number, or NaN. Thousands
 * separators are refused rather than guessed ("1.234,5" is NaN). */
export function parseDecimal(value) {
  const text = String(value ?? "").trim().replace(/\s/g, "").replace("−", "-");
  if (!/^[-+]?(\d+([.,]\d*)?|[.,]\d+)$/.test(text)) return Number.NaN;
  return Number(text.replace(",", "."));
}

export function localDay(date) {
  const p = zoneParts(date);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}
export function localClock(date) {
  const p = zoneParts(date);
  return `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}
export const localInput = (date) => `${localDay(date)}T${localClock(date)}`;
/** "dd/mm/aaaa" of an instant, in the zone (what a day field shows). */
export const inputDay = (date) => showDay(localDay(date));
/** "dd/mm/aaaa HH:MM:SS" of an instant, in the zone (what a date-and-time field shows). */
export const inputDateTime = (date) => `${inputDay(date)} ${localClock(date)}`;

/** [start, end) of a day ("YYYY-MM-DD" or "dd/mm/aaaa") in the zone. */
export function dayRange(day) {
  const [y, m, d] = parseDay(day) || day.split("-").map(Number);
  return [fromZoned(y, m, d), fromZoned(y, m, d + 1)];
}

export const fmtPct = new Intl.NumberFormat("pt-BR", { style: "percent", maximumFractionDigits: 1 });
export const fmtNum = new Intl.NumberFormat("pt-BR", { maximumFractionDigits: 1 });

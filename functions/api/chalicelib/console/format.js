/* GT-Vision console — dates and numbers. Dates and times are ALWAYS `dd/mm/aaaa HH:MM:SS` in the city's
 * time zone (IANA, `cities.timezone`), built from Intl.DateTimeFormat parts: the browser's locale never
 * decides the order or the clock. The API is spoken to in UTC RFC 3339. */

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

/** "YYYY-MM-DDTHH:MM[:SS]" (a datetime-local value, in the zone) → Date, or null. */
export function parseLocal(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value || "");
  return m ? fromZoned(+m[1], +m[2], +m[3], +m[4], +m[5], +(m[6] || 0)) : null;
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

export function dayRange(day) {
  const [y, m, d] = day.split("-").map(Number);
  return [fromZoned(y, m, d), fromZoned(y, m, d + 1)];
}

export const fmtPct = new Intl.NumberFormat("pt-BR", { style: "percent", maximumFractionDigits: 1 });
export const fmtNum = new Intl.NumberFormat("pt-BR", { maximumFractionDigits: 1 });

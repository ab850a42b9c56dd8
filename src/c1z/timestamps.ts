/**
 * Timestamps in c1z v1 columns (discovered_at, started_at, ended_at) are text in Go's layout
 * "2006-01-02 15:04:05.999999999": the writer's local time, no zone, trailing fractional zeros
 * trimmed (and the dot too when the fraction is zero). Baton compares them as strings.
 */
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

export function formatC1zTime(date: Date): string {
  const base =
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const fraction = pad(date.getMilliseconds(), 3).replace(/0+$/, "");
  return fraction === "" ? base : `${base}.${fraction}`;
}

const LAYOUT = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?/;

/** Parses the Go layout (also accepting RFC 3339-ish text other writers produced); undefined if unparsable. */
export function parseC1zTime(text: string | null | undefined): Date | undefined {
  if (!text) return undefined;
  const m = LAYOUT.exec(text);
  if (!m) {
    const fallback = new Date(text);
    return Number.isNaN(fallback.getTime()) ? undefined : fallback;
  }
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac ? Number(frac.padEnd(3, "0").slice(0, 3)) : 0;
  const rest = text.slice(m[0].length).trim();
  if (rest === "Z" || /^[+-]\d{2}:?\d{2}$/.test(rest) || rest.startsWith("+0000")) {
    const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${pad(ms, 3)}${rest.startsWith("+0000") ? "Z" : rest}`;
    const zoned = new Date(iso);
    if (!Number.isNaN(zoned.getTime())) return zoned;
  }
  return new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
}

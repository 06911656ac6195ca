/** Number and time formatting for the desk: fixed decimals per instrument, right-aligned in tables. */

/** Decimal places implied by a tick or step such as "0.01" → 2, "1" → 0, "0.00001" → 5. */
export function decimalsOf(step: string | number | null | undefined, fallback = 2): number {
  if (step === null || step === undefined) return fallback;
  const s = typeof step === "number" ? String(step) : step;
  if (/e-/i.test(s)) return Number(s.split(/e-/i)[1]) || fallback;
  const dot = s.indexOf(".");
  if (dot < 0) return 0;
  const frac = s.slice(dot + 1).replace(/0+$/, "");
  return frac.length;
}

/** A decimal string or number with exactly `dp` decimals and thousands separators; "—" for null. */
export function fmtNum(value: string | number | null | undefined, dp = 2): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return "—";
  return n.toLocaleString("en-US", { minimumFractionDigits: dp, maximumFractionDigits: dp });
}

export function fmtSigned(value: string | number | null | undefined, dp = 2): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return "—";
  const text = fmtNum(Math.abs(n), dp);
  return n > 0 ? `+${text}` : n < 0 ? `−${text}` : text;
}

export function fmtPct(value: number | string | null | undefined, dp = 2, signed = false): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return "—";
  return `${signed ? fmtSigned(n, dp) : fmtNum(n, dp)}%`;
}

/** UTC time, as traders read logs: 2024-01-02 12:34:56. */
export function fmtTime(ms: number | null | undefined, withSeconds = true): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, withSeconds ? 19 : 16)}`;
}

/** A duration such as 3d 4h, 2h 05m, 4m 10s, 12s. */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "—";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, "0")}s`;
  return `${sec}s`;
}

export function signOf(value: string | number | null | undefined): -1 | 0 | 1 {
  const n = typeof value === "number" ? value : Number(value ?? 0);
  return !Number.isFinite(n) || n === 0 ? 0 : n > 0 ? 1 : -1;
}

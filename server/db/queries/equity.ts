/** The read side of the equity snapshots (append-only): curves, drawdown and daily closes for the charts and the risk page. */
import { db } from "../client";
import { Prisma } from "../generated/client";

/** Every snapshot from `sinceMs` on, oldest first: time, the display number and the exact value. */
export function equitySince(sinceMs: number) {
  return db().equitySnapshot.findMany({ where: { ts: { gte: sinceMs } }, orderBy: { ts: "asc" }, select: { ts: true, equityNum: true, equity: true } });
}

/** Every snapshot in [from, to), oldest first, as display numbers. */
export function equityNumsBetween(from: number, to: number) {
  return db().equitySnapshot.findMany({ where: { ts: { gte: from, lt: to } }, orderBy: [{ ts: "asc" }, { id: "asc" }], select: { ts: true, equityNum: true } });
}

/**
 * Drawdown from the running peak since `sinceMs`, one row per `bucket` ms keeping each bucket's deepest point (so no
 * trough is lost to downsampling). A window function in SQLite: exact over every snapshot without loading them all.
 * The peak before the window seeds the running peak.
 */
export async function drawdownBuckets(sinceMs: number, bucket: number): Promise<{ ts: number; equity: number; peak: number; ddPct: number }[]> {
  const rows = await db().$queryRaw<{ ts: number; e: number; peak: number; dd: number }[]>(Prisma.sql`
    WITH seed AS (SELECT MAX(equityNum) AS p FROM equity_snapshots WHERE ts < ${sinceMs}),
    s AS (
      SELECT ts, equityNum AS e, MAX(equityNum) OVER (ORDER BY ts, id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run
      FROM equity_snapshots WHERE ts >= ${sinceMs}
    ),
    d AS (
      SELECT ts, e, MAX(run, COALESCE((SELECT p FROM seed), run)) AS peak, CAST((ts - ${sinceMs}) / ${bucket} AS INTEGER) AS b FROM s
    )
    SELECT ts, e, peak, MAX(CASE WHEN peak > 0 THEN (peak - e) * 100.0 / peak ELSE 0 END) AS dd FROM d GROUP BY b ORDER BY b`);
  return rows.map((r) => ({ ts: Number(r.ts), equity: Number(r.e), peak: Number(r.peak), ddPct: Math.max(0, Number(r.dd)) }));
}

/** The time of the first snapshot, or null when there is none. */
export async function firstEquityTs(): Promise<number | null> {
  const first = await db().equitySnapshot.findFirst({ orderBy: { ts: "asc" }, select: { ts: true } });
  return first?.ts ?? null;
}

/** Each day's last exact equity in [firstDay, lastDay] (days of `dayMs`), one index seek per day; days without a snapshot are left out. */
export async function dailyLastEquity(firstDay: number, lastDay: number, dayMs: number): Promise<{ ts: number; equity: string }[]> {
  const rows = await db().$queryRaw<{ d: number; equity: string | null }[]>(Prisma.sql`
    WITH RECURSIVE days(d) AS (SELECT ${firstDay} UNION ALL SELECT d + ${dayMs} FROM days WHERE d < ${lastDay})
    SELECT d, (SELECT equity FROM equity_snapshots WHERE ts >= d AND ts < d + ${dayMs} ORDER BY ts DESC LIMIT 1) AS equity FROM days`);
  return rows.filter((r) => r.equity !== null).map((r) => ({ ts: Number(r.d), equity: r.equity! }));
}

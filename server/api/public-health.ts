/** The health report as anyone may read it: what is down, in our words; never an error's own text. */
import type { HealthReport } from "../health/health";
import { healthCategory } from "./venue-errors";

export const DB_DOWN_TEXT = "The database cannot be read; the server log has the error.";
export const ENGINE_DOWN_TEXT = "The engine is not running; the server log has the reason.";

let lastLogged = "";

/** The parts that are down, by name: "database", "engine", "venue", "market data". */
export function downParts(report: HealthReport): string[] {
  const down: string[] = [];
  if (report.db !== "ok") down.push("database");
  if ((!report.engine.running || report.engine.degraded || report.engine.stopped !== null) && report.mode !== "backtest") down.push("engine");
  if ((report.venue && !report.venue.connected) || report.venues.some((v) => !v.connected)) down.push("venue");
  if (report.feed && !report.feed.connected) down.push("market data");
  return down;
}

export function publicHealth(report: HealthReport): HealthReport & { down: string[] } {
  const logged: string[] = [];
  if (report.dbError) logged.push(`database: ${report.dbError}`);
  if (report.engine.error) logged.push(`engine: ${report.engine.error}`);
  if (report.venue?.lastError) logged.push(`venue: ${report.venue.lastError}`);
  for (const v of report.venues) if (v.lastError && v.id !== report.venue?.id) logged.push(`venue ${v.id}: ${v.lastError}`);
  // The raw texts stay on the server: logged when they change, not at every poll of a monitor.
  const line = logged.join(" | ");
  if (line !== "" && line !== lastLogged) console.warn(`health: ${line}`);
  lastLogged = line;
  return {
    ...report,
    down: downParts(report),
    ...(report.dbError !== undefined ? { dbError: DB_DOWN_TEXT } : {}),
    engine: { ...report.engine, error: report.engine.error === null ? null : ENGINE_DOWN_TEXT },
    venue: report.venue ? { ...report.venue, lastError: healthCategory(report.venue.lastError) } : null,
    venues: report.venues.map((v) => ({ ...v, lastError: healthCategory(v.lastError) })),
    feed: report.feed ? { ...report.feed, message: report.feed.connected ? "Market data is flowing." : "Market data is not arriving." } : null,
  };
}

import { publicHealth } from "@/server/api/public-health";
import { healthReport } from "@/server/health/health";

export const dynamic = "force-dynamic";

/**
 * 200 with { status, mode, tradingState, db, … } (DESIGN.md); `status` says "degraded" when a part is down. 503 only
 * without a database. Anyone may ask, so it says what is down (`down`: database, engine, venue, market data) in
 * our words; the raw errors go to the server log.
 */
export async function GET(): Promise<Response> {
  const report = publicHealth(await healthReport());
  return Response.json(report, { status: report.db === "ok" ? 200 : 503, headers: { "cache-control": "no-store" } });
}

/** GET /api/health: a contract outside tools rely on (DESIGN.md): { status, mode, tradingState, db }. */
import { appConfig } from "../config";
import { db } from "../db/client";
import { readTradingState, type TradingStateValue } from "../db/system-state";

export interface HealthReport {
  status: "ok" | "degraded";
  mode: string;
  tradingState: TradingStateValue | "UNKNOWN";
  db: "ok" | "error";
  dbError?: string;
  time: string;
}

export async function healthReport(): Promise<HealthReport> {
  const { mode } = appConfig();
  const time = new Date().toISOString();
  try {
    await db().$queryRawUnsafe("SELECT 1");
    const tradingState = await readTradingState();
    return { status: "ok", mode, tradingState, db: "ok", time };
  } catch (e) {
    const message = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return { status: "degraded", mode, tradingState: "UNKNOWN", db: "error", dbError: message, time };
  }
}

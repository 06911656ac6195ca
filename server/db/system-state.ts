import { db } from "./client";

export const TRADING_STATES = ["ACTIVE", "REDUCING", "HALTED"] as const;
export type TradingStateValue = (typeof TRADING_STATES)[number];

/** The persisted, latched TradingState; ACTIVE when never set. */
export async function readTradingState(): Promise<TradingStateValue> {
  const row = await db().systemState.findUnique({ where: { key: "tradingState" } });
  if (!row) return "ACTIVE";
  const value = JSON.parse(row.value) as unknown;
  return TRADING_STATES.find((s) => s === value) ?? "HALTED"; // an unreadable state fails safe
}

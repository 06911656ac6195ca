/**
 * A desk for the risk and settings tests: the router tests' desk with a breaker, portfolio limits and 5 % sizing.
 */
import type { Actor } from "../server/engine/types";
import { BTC, ETH, T0, openTestDesk, type TestDesk } from "./desk-support";

export { BTC, ETH, T0 };

export const ADA: Actor = { username: "ada", role: "admin" };

export interface RiskDesk extends Omit<TestDesk, "signal"> {
  /** Risk tests look at refusals: the outcome, refused or not. */
  signal: TestDesk["trySignal"];
}

export async function openRiskDesk(): Promise<RiskDesk> {
  const desk = await openTestDesk({
    capital: "10000",
    ethPrice: 1000,
    engine: {
      breaker: {
        maxDailyLossPct: 5,
        maxDailyLossAbs: 400,
        maxDrawdownPct: 10,
        maxConsecutiveLosses: 3,
        maxOrdersPerMinute: 20,
        maxOrdersPerHour: 200,
        maxConsecutiveErrors: 4,
      },
      riskLimits: { maxOpenPositions: 3, maxPortfolioExposurePct: 100, maxSymbolExposurePct: 50, maxOrdersPerMinute: 60, minNotional: "10" },
      defaultSymbolSettings: {
        minConfidence: 0.5,
        sizing: { method: "fixed_fraction", fraction: 0.05 },
        stopLossPct: null,
        takeProfitLevels: [],
        trailing: null,
        maxAgeMinutes: null,
      },
    },
  });
  return { ...desk, signal: desk.trySignal };
}

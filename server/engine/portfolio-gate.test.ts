/**
 * The portfolio gate (correlated exposure, VaR) on the recorded ten-symbol portfolio: a real engine on a migrated
 * SQLite file, Bittrex altcoins against BTC as instruments, and a MarketHistory fed with their recorded candles the
 * way the replay feeds it. At threshold 0.5 on 1h bars, ADA, POWR and XLM form one cluster (ρ ADA–XLM 0.65,
 * POWR–XLM 0.53); ETH correlates below 0.4 with every symbol.
 */
import { afterEach, describe, expect, it } from "vitest";
import { callerFor } from "../../test/desk-support";
import { openSqlitePortfolioDesk, PORTFOLIO_SETS, type SqlitePortfolioDesk } from "../../test/portfolio-desk";
import { MINUTE_MS } from "../core/clock";
import { type RiskLimitsSettings } from "./settings";
import type { CommandResult } from "./types";

const TRADED = ["ADA/BTC", "POWR/BTC", "XLM/BTC", "ETH/BTC"];
const ADMIN = { username: "ada", role: "admin" as const };

/** Correlation over 30 days of 1h bars (the recording has 20: more than the half needed), clusters at 0.5. */
const CORRELATION: RiskLimitsSettings = { correlationThreshold: 0.5, correlationBarMinutes: 60, correlationWindowBars: 720 };

type Desk = SqlitePortfolioDesk;

let desk: Desk | null = null;
afterEach(async () => {
  if (!desk) return;
  await desk.close();
  desk = null;
});

/** The desk with the history holding the first `rows` recorded 5-minute rows of every symbol (default: all). */
async function openDesk(limits: RiskLimitsSettings, options: { rows?: number; history?: boolean } = {}): Promise<Desk> {
  desk = await openSqlitePortfolioDesk({
    traded: TRADED,
    riskLimits: limits,
    ...(options.rows !== undefined && { historyRows: options.rows }),
    ...(options.history !== undefined && { history: options.history }),
  });
  return desk;
}

async function accepted(d: Desk, symbol: string, action: "BUY" | "CLOSE" = "BUY"): Promise<void> {
  const result = await d.send(symbol, action);
  expect(result.ok, result.ok ? "" : `${result.error.code} ${result.error.message}`).toBe(true);
}

async function refused(d: Desk, symbol: string): Promise<Extract<CommandResult, { ok: false }>> {
  const result = await d.send(symbol);
  if (result.ok) throw new Error(`${symbol} entry was accepted: ${result.message}`);
  return result;
}

describe("correlated exposure (maxCorrelatedExposurePct)", () => {
  it("denies the entry that takes the ADA/POWR/XLM cluster over its cap, and lets an uncorrelated symbol and exits through", async () => {
    // 25 % of 1 BTC; each entry is 10 % of equity.
    const d = await openDesk({ ...CORRELATION, maxCorrelatedExposurePct: 25 });
    await accepted(d, "ADA/BTC");
    await accepted(d, "XLM/BTC");
    const denial = await refused(d, "POWR/BTC");
    expect(denial.error.code).toBe("CORRELATED_EXPOSURE");
    expect(denial.error.message).toContain("correlated cluster ADA/BTC, POWR/BTC, XLM/BTC (correlation above 0.5)");
    expect(denial.error.message).toContain("above the maximum of 25% of equity");
    expect(denial.data?.cluster).toEqual(["ADA/BTC", "POWR/BTC", "XLM/BTC"]);
    // ETH is in no cluster: only the symbol and portfolio limits apply.
    await accepted(d, "ETH/BTC");
    // Exits are never refused; after one, the cluster has room again.
    await accepted(d, "ADA/BTC", "CLOSE");
    await accepted(d, "POWR/BTC");
  });

  it("lets the same entries through when the limit is off", async () => {
    const d = await openDesk({ ...CORRELATION });
    for (const symbol of ["ADA/BTC", "XLM/BTC", "POWR/BTC"]) await accepted(d, symbol);
  });

  it("passes while the history is too short to trust, and applies once enough bars have closed", async () => {
    // 1000 five-minute rows ≈ 83 hourly returns, fewer than the 360 a 720-bar window needs.
    const d = await openDesk({ ...CORRELATION, maxCorrelatedExposurePct: 15 }, { rows: 1000 });
    await accepted(d, "ADA/BTC");
    await accepted(d, "XLM/BTC");
    // The rest of the recording arrives (bars close): the estimate is made again and trusted.
    for (const set of PORTFOLIO_SETS) for (const c of set.candles.slice(1000)) d.history.addCandle(set.symbol, c, 5 * MINUTE_MS);
    expect((await refused(d, "POWR/BTC")).error.code).toBe("CORRELATED_EXPOSURE");
  });

  it("an admin lowers the cap through the settings router, audited, and the next entry is refused", async () => {
    const d = await openDesk({ ...CORRELATION });
    await accepted(d, "ADA/BTC");
    await accepted(d, "XLM/BTC");
    const limits = d.engine.riskSettings().limits;
    await callerFor("admin").settings.setRiskLimits({ ...limits, maxCorrelatedExposurePct: 25 });
    expect(d.engine.riskSettings().limits.maxCorrelatedExposurePct).toBe(25);
    expect(d.store.listAudit().some((a) => a.action === "set_risk_limits" && a.actor === "ada")).toBe(true);
    expect((await refused(d, "POWR/BTC")).error.code).toBe("CORRELATED_EXPOSURE");
    // And off again (null): the entry passes.
    await callerFor("admin").settings.setRiskLimits({ ...limits, maxCorrelatedExposurePct: null });
    await accepted(d, "POWR/BTC");
  });

  it("refuses an out-of-range threshold or a window longer than the history keeps", async () => {
    const d = await openDesk({});
    const bad = (limits: RiskLimitsSettings) => d.engine.execute({ kind: "setRiskLimits", limits, actor: ADMIN });
    const low = await bad({ correlationThreshold: 0.05 });
    expect(low.ok ? "" : low.error.message).toContain("correlationThreshold must be from 0.1 to 0.99");
    const long = await bad({ correlationWindowBars: 5000, correlationBarMinutes: 60 });
    expect(long.ok ? "" : long.error.message).toContain("at most 34 days");
  });
});

describe("VaR limit (maxVarPct)", () => {
  it("denies an entry that raises the 99 % 1-day VaR above the limit, and never an exit", async () => {
    const d = await openDesk({ ...CORRELATION, maxVarPct: 50 });
    await accepted(d, "ADA/BTC");
    const result = await d.engine.execute({ kind: "setRiskLimits", limits: { ...d.engine.riskSettings().limits, maxVarPct: 0.5 }, actor: ADMIN });
    expect(result.ok).toBe(true);
    const denial = await refused(d, "XLM/BTC");
    expect(denial.error.code).toBe("VAR_LIMIT");
    expect(denial.error.message).toMatch(
      /would raise the portfolio's 1-day 99% VaR from [\d.]+ to [\d.]+ \([\d.]+% of equity\), above the maximum of 0\.5% of equity/,
    );
    expect(Number(denial.data?.varAfter)).toBeGreaterThan(Number(denial.data?.varBefore));
    await accepted(d, "ADA/BTC", "CLOSE");
  });

  it("without market history, refuses an entry whose VaR cannot be measured (the core's unmeasured: deny), while the cluster check passes", async () => {
    const d = await openDesk({ ...CORRELATION, maxCorrelatedExposurePct: 5 }, { history: false });
    await accepted(d, "ADA/BTC");
    await accepted(d, "XLM/BTC");
    await d.engine.execute({ kind: "setRiskLimits", limits: { ...d.engine.riskSettings().limits, maxVarPct: 50 }, actor: ADMIN });
    const denial = await refused(d, "POWR/BTC");
    expect(denial.error.code).toBe("VAR_LIMIT");
    expect(denial.error.message).toContain("cannot be measured: there is no trusted return history for POWR/BTC yet");
  });
});

/**
 * Portfolio VaR as a breaker input: the engine measures the 99 % 1-day parametric VaR (the gate's covariance on the
 * recorded multi-symbol history) with each equity update and the breaker trips PORTFOLIO_VAR_PCT when it reaches
 * `maxPortfolioVarPct`; an admin changes the bound through the settings command, audited.
 */
import { describe, expect, it } from "vitest";
import { openPortfolioDesk } from "../../test/portfolio-desk";

const ADMIN = { username: "ada", role: "admin" as const };

function openDesk(maxPortfolioVarPct: number | null, options: { history?: boolean } = {}) {
  return openPortfolioDesk({
    traded: ["ADA/BTC", "XLM/BTC"],
    sizing: { method: "fixed_fraction", fraction: 0.3 },
    breaker: {
      maxDailyLossPct: null,
      maxDrawdownPct: null,
      maxConsecutiveLosses: null,
      maxOrdersPerMinute: 1000,
      maxOrdersPerHour: 10_000,
      maxPortfolioVarPct,
      tripAction: "HALT",
    },
    ...options,
  });
}

describe("portfolio VaR as a breaker input", () => {
  it("measures the VaR with the equity and trips PORTFOLIO_VAR_PCT once the held positions reach the bound", async () => {
    const d = await openDesk(100);
    await d.buy("ADA/BTC");
    const measured = d.engine.state().breaker?.portfolioVarPct ?? null;
    expect(measured).not.toBeNull();
    expect(measured!).toBeGreaterThan(0);
    expect(d.engine.state().tradingState).toBe("ACTIVE");

    const config = { ...d.engine.riskSettings().breakerConfig!, maxPortfolioVarPct: Number((measured! * 1.5).toFixed(2)) };
    expect((await d.engine.execute({ kind: "setBreakerConfig", config, actor: ADMIN })).ok).toBe(true);
    expect(d.store.listAudit().some((a) => a.action === "set_breaker_config" && a.actor === "ada")).toBe(true);
    await d.quote("ADA/BTC");
    expect(d.engine.state().tradingState).toBe("ACTIVE"); // under the bound

    await d.buy("XLM/BTC"); // ρ ADA–XLM 0.65: the second position adds most of its own VaR
    const state = d.engine.state();
    expect(state.tradingState).toBe("HALTED");
    expect(state.breaker).toMatchObject({ state: "OPEN", reason: "PORTFOLIO_VAR_PCT" });
    expect(state.breaker?.message).toMatch(/^Portfolio 1-day 99% VaR of [\d.]+% of equity [\d.]+ reached the [\d.]+% limit\.$/);
    expect(d.store.listBreakerEvents().some((e) => e.kind === "TRIP" && e.reason === "PORTFOLIO_VAR_PCT")).toBe(true);
  });

  it("without the bound the same positions keep the desk active and the VaR is not measured", async () => {
    const d = await openDesk(null);
    await d.buy("ADA/BTC");
    await d.buy("XLM/BTC");
    expect(d.engine.state().tradingState).toBe("ACTIVE");
    expect(d.engine.state().breaker?.portfolioVarPct).toBeNull();
  });

  it("without market history the VaR cannot be measured and never trips", async () => {
    const d = await openDesk(0.01, { history: false });
    await d.buy("ADA/BTC");
    expect(d.engine.state().tradingState).toBe("ACTIVE");
    expect(d.engine.state().breaker?.portfolioVarPct).toBeNull();
  });
});

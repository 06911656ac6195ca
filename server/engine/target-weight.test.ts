/**
 * `target_weight` sizing in the engine, on the recorded portfolio: an entry buys the gap to the symbol's target
 * weight (risk parity on the gate's covariance, over every symbol the desk keeps history for), a second entry at
 * the target is refused AT_TARGET_WEIGHT, and without history there is no target (NO_TARGET_WEIGHT).
 */
import { describe, expect, it } from "vitest";
import { openPortfolioDesk } from "../../test/portfolio-desk";

describe("target_weight sizing", () => {
  it("sizes an entry to fraction × the risk-parity weight of equity, then refuses a second one at the target", async () => {
    const d = await openPortfolioDesk({ traded: ["ADA/BTC", "ETH/BTC"], sizing: { method: "target_weight", fraction: 0.8, allocation: "risk_parity" } });
    await d.buy("ADA/BTC");
    const { position } = d.engine.state().positions.find((p) => p.position.symbol === "ADA/BTC")!;
    const notional = position.quantity.times(position.avgEntryPrice!);
    const weights = d.engine.targetWeights("risk_parity");
    expect(weights.ok).toBe(true);
    const weight = weights.ok ? weights.value["ADA/BTC"]! : 0;
    expect(weight).toBeGreaterThan(0.01);
    expect(weight).toBeLessThan(0.5);
    // Equity 1 BTC: 0.8 × weight, less a step of rounding and the 0.1 % spread.
    expect(notional.toNumber()).toBeGreaterThan(0.8 * weight * 0.99);
    expect(notional.toNumber()).toBeLessThanOrEqual(0.8 * weight * 1.002);

    const again = await d.signal("ADA/BTC");
    expect(again.ok).toBe(false);
    expect(!again.ok && again.error.code).toBe("AT_TARGET_WEIGHT");
    expect(!again.ok && again.error.message).toMatch(/^ADA\/BTC already holds [\d.]+, within 1% of or above its target of [\d.]+ \([\d.]+% of 80% of equity/);
  });

  it("a symbol with a lower target weight gets a smaller entry (the weights differ by method)", async () => {
    const d = await openPortfolioDesk({ traded: ["ADA/BTC", "ETH/BTC"], sizing: { method: "target_weight", fraction: 1, allocation: "min_variance" } });
    const weights = d.engine.targetWeights("min_variance");
    if (!weights.ok) throw new Error(weights.error.message);
    await d.buy("ETH/BTC");
    const eth = d.engine.state().positions.find((p) => p.position.symbol === "ETH/BTC")!.position;
    expect(eth.quantity.times(eth.avgEntryPrice!).toNumber()).toBeCloseTo(weights.value["ETH/BTC"]!, 2);
  });

  it("without market history there is no target weight and the entry is refused with the reason", async () => {
    const d = await openPortfolioDesk({ traded: ["ADA/BTC"], sizing: { method: "target_weight", fraction: 0.5 }, history: false });
    const result = await d.signal("ADA/BTC");
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe("NO_TARGET_WEIGHT");
    expect(!result.ok && result.error.message).toContain("ADA/BTC cannot be sized by target weight. No risk_parity target weights yet:");
  });
  it("max Sharpe takes a fresh signal's expectedReturn as its symbol's forecast, the entry sizing toward it, until it is stale", async () => {
    const traded = ["ADA/BTC", "ETH/BTC", "LTC/BTC"];
    const d = await openPortfolioDesk({ traded, sizing: { method: "target_weight", fraction: 0.4, allocation: "max_sharpe" } });
    const before = d.engine.targetWeights("max_sharpe");
    if (!before.ok) throw new Error(before.error.message);
    const parity = d.engine.targetWeights("risk_parity");
    const symbol = traded.reduce((a, b) => (before.value[a]! <= before.value[b]! ? a : b));
    const signal = (id: string, action: "BUY" | "CLOSE", expectedReturn: number) =>
      d.engine.execute({
        kind: "signal",
        signal: { id, symbol, action, confidence: 0.9, expectedReturn, strategy: "model", ts: d.clock.now() },
        source: "test",
      });

    // A CLOSE carries no direction: nothing changes.
    await signal("close-1", "CLOSE", 0.05);
    expect(d.engine.targetWeights("max_sharpe")).toEqual(before);

    const result = await signal("buy-1", "BUY", 0.05);
    expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
    const after = d.engine.targetWeights("max_sharpe");
    if (!after.ok) throw new Error(after.error.message);
    expect(after.value[symbol]!).toBeGreaterThan(before.value[symbol]! + 0.1);
    // The entry sized toward the new target (its own forecast counted): 40 % of equity 1 BTC × the weight, within rounding.
    const position = d.engine.state().positions.find((p) => p.position.symbol === symbol)!.position;
    expect(position.quantity.times(position.avgEntryPrice!).toNumber()).toBeCloseTo(0.4 * after.value[symbol]!, 2);
    expect(d.engine.targetWeights("risk_parity")).toEqual(parity);

    d.clock.advance(24 * 60 * 60 * 1000 + 1);
    const stale = d.engine.targetWeights("max_sharpe");
    if (!stale.ok) throw new Error(stale.error.message);
    for (const s of Object.keys(before.value)) expect(stale.value[s]!).toBeCloseTo(before.value[s]!, 9);
  });
});

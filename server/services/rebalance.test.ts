/**
 * risk.rebalance / risk.sendRebalance on the recorded portfolio: a viewer sees the orders toward the risk-parity
 * targets and cannot send them; a trader sends them, each order goes through the gate (a refusal is reported, not
 * hidden) and is audited with the trader's reason; afterwards the proposal is (nearly) empty.
 */
import { afterEach, describe, expect, it } from "vitest";
import { callerFor, trpcError } from "../../test/desk-support";
import { installPortfolioRuntime, openPortfolioDesk, type PortfolioDesk } from "../../test/portfolio-desk";
import { runtimeState } from "../engine/runtime";

const TRADED = ["ADA/BTC", "ETH/BTC", "XLM/BTC"];

afterEach(() => {
  runtimeState().runtime = null;
});

async function openDesk(limits: Parameters<typeof openPortfolioDesk>[0]["riskLimits"] = {}): Promise<PortfolioDesk> {
  const d = await openPortfolioDesk({ traded: TRADED, sizing: { method: "fixed_fraction", fraction: 0.3 }, riskLimits: limits });
  installPortfolioRuntime(d);
  return d;
}

describe("rebalancing proposals", () => {
  it("a viewer sees sells and buys toward the targets; a trader sends them through the gate, audited", async () => {
    const d = await openDesk();
    await d.buy("ADA/BTC"); // 30 % of equity in ADA, far above its share of half the book
    const viewer = callerFor("viewer");
    const proposal = await viewer.risk.rebalance({ method: "risk_parity", fraction: 0.5 });
    expect(proposal.reason).toBeNull();
    const sides = Object.fromEntries(proposal.orders.map((o) => [o.symbol, o.side]));
    expect(sides["ADA/BTC"]).toBe("SELL");
    expect(proposal.orders.find((o) => o.symbol === "ADA/BTC")!.reduceOnly).toBe(true);
    expect(proposal.orders[0]!.side).toBe("SELL"); // sells first
    expect(Object.values(proposal.targets).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    // Every order the targets name is in the proposal or in `skipped` with a reason, for the traded symbols.
    for (const symbol of TRADED) expect(proposal.orders.some((o) => o.symbol === symbol) || proposal.skipped.some((s) => s.symbol === symbol)).toBe(true);

    const orders = proposal.orders.map((o) => ({ symbol: o.symbol, side: o.side, quantity: o.quantity, reduceOnly: o.reduceOnly }));
    expect((await trpcError(viewer.risk.sendRebalance({ orders, reason: "quarterly" }))).code).toBe("FORBIDDEN");

    const sent = await callerFor("trader").risk.sendRebalance({ orders, reason: "back to risk parity" });
    expect(sent.refused).toBe(0);
    expect(sent.sent).toBe(orders.length);
    for (const symbol of TRADED) await d.quote(symbol); // market orders fill on the next quote
    const audit = d.store.listAudit().filter((a) => a.action === "manual_order" && a.actor === "tina");
    expect(audit).toHaveLength(orders.length);
    for (const row of audit) expect(row.reason).toBe("rebalance: back to risk parity");

    const after = await viewer.risk.rebalance({ method: "risk_parity", fraction: 0.5 });
    expect(after.orders).toEqual([]); // every symbol within the band of its target now
  });

  it("each order goes through the gate: a refusal is reported beside the orders that went out", async () => {
    const d = await openDesk({ maxSymbolExposurePct: 10 });
    const proposal = await callerFor("viewer").risk.rebalance({ method: "risk_parity", fraction: 1 });
    const orders = proposal.orders.map((o) => ({ symbol: o.symbol, side: o.side, quantity: o.quantity, reduceOnly: o.reduceOnly }));
    const sent = await callerFor("trader").risk.sendRebalance({ orders, reason: "full book" });
    expect(sent.refused).toBeGreaterThan(0);
    const refused = sent.results.find((r) => !r.ok)!;
    expect(refused.code).toBe("MAX_SYMBOL_EXPOSURE");
    expect(d.store.listAudit().filter((a) => a.action === "manual_order").length).toBe(orders.length);
  });

  it("says why there is no proposal without market history, and refuses bad input in words", async () => {
    await openDesk();
    runtimeState().runtime!.engine = (await openPortfolioDesk({ traded: TRADED, sizing: { method: "fixed_fraction", fraction: 0.1 }, history: false })).engine;
    const none = await callerFor("viewer").risk.rebalance();
    expect(none.orders).toEqual([]);
    expect(none.reason).toContain("No risk_parity target weights yet");
    expect((await trpcError(callerFor("viewer").risk.rebalance({ method: "magic" as never }))).message).toContain("method must be one of");
    expect((await trpcError(callerFor("trader").risk.sendRebalance({ orders: [], reason: "x" }))).message).toContain("there are no orders to send");
  });
});

/** The runtime with the committed cross-venue desk file: two simulated venues in one engine, each with its id and fees. */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMigratedDb } from "../../test/db";
import { ensureRuntime, runtimeState } from "./runtime";

describe("the runtime with several simulated venues", () => {
  const saved = { ...process.env };
  let dir = "";

  beforeAll(() => {
    const dbPath = createMigratedDb();
    dir = dirname(dbPath);
    (globalThis as Record<string, unknown>).__bastionRuntime = undefined;
    Object.assign(process.env, {
      DATABASE_URL: `file:${dbPath}`,
      BASTION_CONFIG: "config/desk.cross-venue.example.yaml",
      BASTION_STRATEGY: "off",
    });
    delete process.env.BASTION_MODE;
  });

  afterAll(async () => {
    await runtimeState().runtime?.stop();
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts both venues of config/desk.cross-venue.example.yaml; a routed entry takes the lower fee; each can be paused alone", async () => {
    const runtime = await ensureRuntime();
    expect(runtimeState().error).toBeNull();
    const engine = runtime!.engine;
    expect(engine.venueStatuses().map((v) => [v.id, v.exchange, v.connected])).toEqual([
      ["sim-binanceus", "simulator", true],
      ["sim-kraken", "simulator", true],
    ]);
    // Each venue plays its own recording (desk-file venues[].replay): one feed per venue.
    expect(runtime!.feedStatus().message).toContain("2 feeds (BTC/USDT on sim-binanceus, BTC/USDT on sim-kraken)");
    // Capital is per venue: the desk's equity is their sum.
    expect(engine.equity().equity.toString()).toBe("20000");
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 23_000, ask: 23_001 });
    const tina = { username: "tina", role: "trader" as const };
    const routed = await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "20000" },
      actor: tina,
      reason: null,
    });
    expect(routed).toMatchObject({ ok: true });
    const order = engine.state().openOrders.find((o) => o.clientOrderId === (routed.ok ? routed.data?.clientOrderId : ""))!;
    expect(order.venue).toBe("sim-binanceus");
    expect(order.tags.route).toContain("sim-kraken passed: buy 23001 + 0.26% fee");
    expect(await engine.execute({ kind: "pause", venue: "sim-binanceus", actor: tina, reason: "drill" })).toMatchObject({ ok: true });
    const next = await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "20000" },
      actor: tina,
      reason: null,
    });
    expect(next, JSON.stringify(next)).toMatchObject({ ok: true });
    expect(engine.state().openOrders.find((o) => o.clientOrderId === (next.ok ? next.data?.clientOrderId : ""))?.venue).toBe("sim-kraken");
    expect(engine.state().venues.map((v) => v.state)).toEqual(["PAUSED", "ACTIVE"]);
  });
});

/**
 * Positions belong to (symbol, strategy): two strategies on one symbol hold separate positions, a strategy's CLOSE
 * touches only its own, per-strategy limits and the rule for a signal against another strategy's position.
 */
import { resultMessage } from "./context";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import { D } from "../core/money";
import { MemoryStore } from "../db/memory-store";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import type { Store } from "../db/store";
import { createMigratedDb } from "../../test/db";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine, type EngineOptions } from "./engine";
import { DEFAULT_RISK_LIMITS } from "./settings";
import type { Actor, CommandResult, Signal } from "./types";
import { BTC, ETH } from "../../test/instruments";

const PERP = makeInstrument({
  symbol: "BTC/USDT:USDT",
  kind: "swap",
  priceTick: "0.01",
  qtyStep: "0.00001",
  minQty: "0.00001",
  minNotional: "5",
  makerFee: "0.001",
  takerFee: "0.001",
});
const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const trader: Actor = { username: "tina", role: "trader" };
const admin: Actor = { username: "ada", role: "admin" };

interface Desk {
  engine: Engine;
  store: Store;
  clock: ManualClock;
  venue: SimVenue;
}

function desk(overrides: Partial<EngineOptions> = {}, store: Store = new MemoryStore(), clock = new ManualClock(T0), venuePath?: string): Desk {
  const venue = new SimVenue({ instruments: [BTC, ETH, PERP], initialBalances: { USDT: "10000" } }, venuePath ? { statePath: venuePath } : {});
  const engine = new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "10000",
    breaker: null,
    // No exit rules: the positions change only through the signals and orders of each test.
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.2 },
      stopLossPct: null,
      takeProfitLevels: [],
      trailing: null,
      maxAgeMinutes: null,
    },
    ...overrides,
  });
  return { engine, store, clock, venue };
}

async function quote(d: Desk, price: number, symbol = "BTC/USDT"): Promise<void> {
  d.clock.advance(1000);
  await d.engine.marketData({ kind: "quote", symbol, bid: price - 0.5, ask: price + 0.5 });
}

let n = 0;
function send(d: Desk, action: Signal["action"], strategy: string, extra: Partial<Signal> = {}): Promise<CommandResult> {
  const signal: Signal = { id: `sig-${++n}`, symbol: "BTC/USDT", action, confidence: 0.8, strategy, ts: d.clock.now(), ...extra };
  return d.engine.execute({ kind: "signal", signal, source: "test" });
}

function positionsBy(d: Desk, symbol = "BTC/USDT"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { position } of d.engine.state().positions) {
    if (position.symbol !== symbol) continue;
    const owner = d.engine.positionOwner(position.id) ?? "?";
    out[`${owner} ${position.side}`] = position.quantity.toString();
  }
  return out;
}

describe("a strategy's CLOSE", () => {
  it("does not cancel an operator's resting order on the symbol (issue 11)", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    expect(await send(d, "BUY", "alpha")).toMatchObject({ ok: true });
    const resting = await d.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "15000" },
      actor: trader,
      reason: "dip buy",
    });
    expect(resting).toMatchObject({ ok: true });
    expect(await send(d, "CLOSE", "alpha")).toMatchObject({ ok: true });
    const open = d.engine.state().openOrders;
    expect(open.map((o) => [o.side, o.type, o.status, o.tags.strategy])).toEqual([["BUY", "LIMIT", "ACCEPTED", "manual"]]);
    expect(d.engine.openPosition("BTC/USDT", "alpha")).toBeNull();
  });

  it("leaves another strategy's position and an operator's resting order alone", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    expect(await send(d, "BUY", "alpha")).toMatchObject({ ok: true });
    expect(await send(d, "BUY", "beta")).toMatchObject({ ok: true });
    // An operator's resting limit buy well below the market.
    const resting = await d.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "15000" },
      actor: trader,
      reason: "dip buy",
    });
    expect(resting).toMatchObject({ ok: true });
    const restingId = resting.ok ? String(resting.data?.clientOrderId) : "";
    expect(Object.keys(positionsBy(d)).sort()).toEqual(["alpha LONG", "beta LONG", "manual LONG"]);

    const closed = await send(d, "CLOSE", "alpha");
    expect(closed).toMatchObject({ ok: true });
    // alpha is flat; beta's position and the operator's order are as they were.
    const left = positionsBy(d);
    expect(left["alpha LONG"]).toBeUndefined();
    expect(left["beta LONG"]).toBe("0.09997");
    expect(d.engine.state().openOrders.map((o) => o.clientOrderId)).toEqual([restingId]);
    expect(d.engine.openPosition("BTC/USDT", "alpha")).toBeNull();
    expect(d.engine.openPosition("BTC/USDT", "beta")?.quantity.toString()).toBe("0.09997");
  });
});

describe("positions belong to (symbol, strategy)", () => {
  it("two strategies on one symbol hold separate positions, each with its own exact PnL", async () => {
    // Three entries of 20 % each on one symbol: above the default 50 % per symbol.
    const d = desk({ riskLimits: { ...DEFAULT_RISK_LIMITS, maxSymbolExposurePct: 100 } });
    await d.engine.start();
    await quote(d, 20000);
    expect(await send(d, "BUY", "alpha")).toMatchObject({ ok: true });
    await quote(d, 21000);
    expect(await send(d, "BUY", "beta")).toMatchObject({ ok: true });
    const alpha = d.engine.openPosition("BTC/USDT", "alpha")!;
    const beta = d.engine.openPosition("BTC/USDT", "beta")!;
    expect(alpha.id).not.toBe(beta.id);
    // 20 % of 10000 at the ask 20000.5, down to the step.
    expect(alpha.quantity.toString()).toBe("0.09999");
    expect(alpha.avgEntryPrice?.toString()).toBe("20000.5");
    expect(beta.avgEntryPrice?.toString()).toBe("21000.5");
    // An entry adds to its own strategy's position, never to the other's.
    await quote(d, 21000);
    expect(await send(d, "BUY", "alpha")).toMatchObject({ ok: true });
    const alphaAdded = d.engine.openPosition("BTC/USDT", "alpha")!;
    expect(alphaAdded.id).toBe(alpha.id);
    expect(d.engine.openPosition("BTC/USDT", "beta")!.quantity.toString()).toBe(beta.quantity.toString());

    await quote(d, 22000);
    expect(await send(d, "CLOSE", "alpha")).toMatchObject({ ok: true });
    await quote(d, 23000);
    expect(await send(d, "CLOSE", "beta")).toMatchObject({ ok: true });
    const trades = (d.store as MemoryStore).listTrades();
    expect(trades.map((t) => t.strategy)).toEqual(["alpha", "beta"]);
    const [alphaTrade, betaTrade] = trades;
    // alpha: 0.09999 at 20000.5 + q2 at 21000.5, all sold at the bid 21999.5; fees 0.1 % of each fill's notional.
    const q2 = alphaAdded.quantity.minus("0.09999");
    const alphaCost = q2.times("21000.5").plus(D("0.09999").times("20000.5"));
    const alphaExit = alphaAdded.quantity.times("21999.5");
    expect(alphaTrade!.grossPnl.toString()).toBe(alphaExit.minus(alphaCost).toString());
    expect(alphaTrade!.pnl.toString()).toBe(alphaExit.minus(alphaCost).minus(alphaCost.plus(alphaExit).times("0.001")).toString());
    // beta: bought at 21000.5, sold at 22999.5.
    const betaCost = beta.quantity.times("21000.5");
    const betaExit = beta.quantity.times("22999.5");
    expect(betaTrade!.grossPnl.toString()).toBe(betaExit.minus(betaCost).toString());
    expect(betaTrade!.pnl.toString()).toBe(betaExit.minus(betaCost).minus(betaCost.plus(betaExit).times("0.001")).toString());
    expect(d.engine.state().positions).toHaveLength(0);
  });

  it("a person's close of one strategy's position closes that position only", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await send(d, "BUY", "alpha");
    await send(d, "BUY", "beta");
    const beta = d.engine.openPosition("BTC/USDT", "beta")!;
    expect(await d.engine.execute({ kind: "closePosition", positionId: beta.id, actor: trader, reason: null })).toMatchObject({ ok: true });
    expect(positionsBy(d)).toEqual({ "alpha LONG": "0.09999" });
  });

  it("a CLOSE from a strategy with nothing open on the symbol says so, and touches nothing", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await send(d, "BUY", "alpha");
    const refused = await send(d, "CLOSE", "beta");
    expect(refused).toMatchObject({ ok: false, error: { code: "NO_POSITION" } });
    expect(resultMessage(refused)).toBe("There is no open BTC/USDT position of strategy beta to close.");
    expect(positionsBy(d)).toEqual({ "alpha LONG": "0.09999" });
  });

  describe("after a restart", () => {
    const cleanup: string[] = [];
    afterEach(() => {
      for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
    });

    it("positions reload keyed by their strategy", async () => {
      const dbPath = createMigratedDb();
      cleanup.push(dirname(dbPath));
      const venuePath = `${dirname(dbPath)}/venue.db`;
      const clock = new ManualClock(T0);
      const a = desk({}, openSqliteStore({ path: dbPath, clock }), clock, venuePath);
      await a.engine.start();
      await quote(a, 20000);
      await send(a, "BUY", "alpha");
      await quote(a, 21000);
      await send(a, "BUY", "beta");
      const before = { alpha: a.engine.openPosition("BTC/USDT", "alpha")!, beta: a.engine.openPosition("BTC/USDT", "beta")! };
      (a.store as SqliteStore).close();
      await a.venue.close();

      // The second process: its own id namespace, as a real restart's random ids never meet the first's.
      const b = desk({ ids: sequentialIds("b") }, openSqliteStore({ path: dbPath, clock }), clock, venuePath);
      expect((await b.engine.start()).drifts).toBe(0);
      for (const owner of ["alpha", "beta"] as const) {
        const position = b.engine.openPosition("BTC/USDT", owner)!;
        expect([position.id, position.quantity.toString()]).toEqual([before[owner].id, before[owner].quantity.toString()]);
        expect(b.engine.positionOwner(position.id)).toBe(owner);
      }
      await quote(b, 21000);
      const closed = await send(b, "CLOSE", "alpha");
      expect(closed, resultMessage(closed)).toMatchObject({ ok: true });
      expect(b.engine.openPosition("BTC/USDT", "alpha")).toBeNull();
      expect(b.engine.openPosition("BTC/USDT", "beta")?.quantity.toString()).toBe(before.beta.quantity.toString());
      (b.store as SqliteStore).close();
      await b.venue.close();
    });
  });
});

describe("per-strategy limits", () => {
  it("max open positions per strategy: a third position of one strategy is refused by name, another strategy still enters", async () => {
    const d = desk({ riskLimits: { ...DEFAULT_RISK_LIMITS, maxOpenPositionsPerStrategy: 1 } });
    await d.engine.start();
    await quote(d, 20000);
    await quote(d, 2000, "ETH/USDT");
    expect(await send(d, "BUY", "alpha")).toMatchObject({ ok: true });
    // Adding to its own position is not a new position.
    expect(await send(d, "BUY", "alpha", { confidence: 0.6 })).toMatchObject({ ok: true });
    const refused = await send(d, "BUY", "alpha", { symbol: "ETH/USDT" });
    expect(refused).toMatchObject({ ok: false, error: { code: "STRATEGY_MAX_POSITIONS" } });
    expect(!refused.ok && refused.error.message).toMatch(/^Strategy alpha already holds 1 open position\(s\), its limit \(maxOpenPositionsPerStrategy 1\)/);
    expect(await send(d, "BUY", "beta", { symbol: "ETH/USDT" })).toMatchObject({ ok: true });
    expect(d.engine.state().positions).toHaveLength(2);
  });

  it("max exposure per strategy: an entry past its share of equity is refused by name, another strategy still enters", async () => {
    const d = desk({ riskLimits: { ...DEFAULT_RISK_LIMITS, maxStrategyExposurePct: 25 } });
    await d.engine.start();
    await quote(d, 20000);
    expect(await send(d, "BUY", "alpha")).toMatchObject({ ok: true }); // 20 % of equity
    const refused = await send(d, "BUY", "alpha"); // 20 % more: about 40 % > 25 %
    expect(refused).toMatchObject({ ok: false, error: { code: "STRATEGY_MAX_EXPOSURE" } });
    expect(!refused.ok && refused.error.message).toMatch(
      /^Strategy alpha's exposure would be 399\d\.\d\d USDT with this order, above its limit of 25 % of equity/,
    );
    expect(await send(d, "BUY", "beta")).toMatchObject({ ok: true });
    expect(Object.keys(positionsBy(d)).sort()).toEqual(["alpha LONG", "beta LONG"]);
  });

  it("the settings are bounded and audited like the other risk limits", async () => {
    const d = desk();
    await d.engine.start();
    const bad = await d.engine.execute({ kind: "setRiskLimits", limits: { maxStrategyExposurePct: 0, strategyConflict: "maybe" }, actor: admin });
    expect(bad).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    expect(!bad.ok && bad.error.message).toContain("maxStrategyExposurePct must be from 0.01 to 10,000 %");
    expect(!bad.ok && bad.error.message).toContain("strategyConflict must be one of allow, net, refuse");
    const good = { ...DEFAULT_RISK_LIMITS, maxOpenPositionsPerStrategy: 3, maxStrategyExposurePct: 40, strategyConflict: "refuse" };
    expect(await d.engine.execute({ kind: "setRiskLimits", limits: good, actor: admin })).toMatchObject({ ok: true });
    expect(d.engine.riskSettings().limits).toMatchObject({ maxOpenPositionsPerStrategy: 3, maxStrategyExposurePct: 40, strategyConflict: "refuse" });
    const audit = (d.store as MemoryStore).listAudit().filter((a) => a.action === "set_risk_limits");
    expect(audit.map((a) => a.result)).toEqual(["REFUSED", "OK"]);
  });
});

describe("a signal for a symbol another strategy holds", () => {
  const PERP_SYMBOL = "BTC/USDT:USDT";
  async function longAlpha(rule?: "allow" | "net" | "refuse"): Promise<Desk> {
    const d = desk({ riskLimits: { ...DEFAULT_RISK_LIMITS, ...(rule && { strategyConflict: rule }) } });
    await d.engine.start();
    await quote(d, 20000, PERP_SYMBOL);
    expect(await send(d, "BUY", "alpha", { symbol: PERP_SYMBOL })).toMatchObject({ ok: true });
    return d;
  }

  it("allow: an opposite entry is its own position, and the acceptance names the rule", async () => {
    const d = await longAlpha("allow");
    const short = await send(d, "SELL", "beta", { symbol: PERP_SYMBOL });
    expect(short).toMatchObject({ ok: true, data: { conflictRule: "allow" } });
    expect(resultMessage(short)).toContain("Conflict rule 'allow': taken beside alpha (long)");
    expect(Object.keys(positionsBy(d, PERP_SYMBOL)).sort()).toEqual(["alpha LONG", "beta SHORT"]);
  });

  it.each([[undefined], ["net" as const]])("net (%s = the default): an opposite entry is refused, a same-side one taken", async (rule) => {
    const d = await longAlpha(rule);
    const short = await send(d, "SELL", "beta", { symbol: PERP_SYMBOL });
    expect(short).toMatchObject({ ok: false, error: { code: "STRATEGY_CONFLICT" }, data: { rule: "net", holders: ["alpha"] } });
    expect(resultMessage(short)).toBe(
      "Strategy beta's SELL on BTC/USDT:USDT refused by the conflict rule 'net': alpha (long) holds a position there and an opposite entry would net against their position at sim.",
    );
    const long = await send(d, "BUY", "beta", { symbol: PERP_SYMBOL });
    expect(long).toMatchObject({ ok: true, data: { conflictRule: "net" } });
    expect(Object.keys(positionsBy(d, PERP_SYMBOL)).sort()).toEqual(["alpha LONG", "beta LONG"]);
  });

  it("refuse: no entry of another strategy on the symbol, whatever its side; the holder itself still trades", async () => {
    const d = await longAlpha("refuse");
    for (const action of ["BUY", "SELL"] as const) {
      const result = await send(d, action, "beta", { symbol: PERP_SYMBOL });
      expect(result).toMatchObject({ ok: false, error: { code: "STRATEGY_CONFLICT" }, data: { rule: "refuse" } });
      expect(resultMessage(result)).toContain("refused by the conflict rule 'refuse': alpha (long) holds a position there");
    }
    expect(await send(d, "BUY", "alpha", { symbol: PERP_SYMBOL, confidence: 0.6 })).toMatchObject({ ok: true });
    expect(Object.keys(positionsBy(d, PERP_SYMBOL))).toEqual(["alpha LONG"]);
  });
});

describe("a person's orders belong to manual", () => {
  it("a sell reduces the manual position, never past it; with none, a reduce-only sell reduces the strategy's position", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await send(d, "BUY", "alpha");
    const order = (side: "BUY" | "SELL", quantity: string, reduceOnly = false) =>
      d.engine.execute({ kind: "manualOrder", order: { symbol: "BTC/USDT", side, type: "MARKET", quantity, reduceOnly }, actor: trader, reason: null });
    // No manual position yet: a reduce-only sell reduces alpha's (the operator's exit on the strategy's position).
    expect(await order("SELL", "0.00999", true)).toMatchObject({ ok: true });
    expect(positionsBy(d)).toEqual({ "alpha LONG": "0.09" });
    // A manual buy is the manual position, beside alpha's.
    expect(await order("BUY", "0.01")).toMatchObject({ ok: true });
    expect(positionsBy(d)).toEqual({ "alpha LONG": "0.09", "manual LONG": "0.01" });
    // A sell now reduces the manual position, and may not sell more than it holds (the rest would be alpha's coins).
    const over = await order("SELL", "0.05");
    expect(over).toMatchObject({ ok: false, error: { code: "REDUCE_ONLY_OVERCOMMITTED" } });
    expect(resultMessage(over)).toMatch(/\(manual, 0\.01\): at most 0\.01 more can be\.$/);
    expect(await order("SELL", "0.01")).toMatchObject({ ok: true });
    expect(positionsBy(d)).toEqual({ "alpha LONG": "0.09" });
  });
});

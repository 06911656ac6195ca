/**
 * The risk gate's running sums (reserved notional per symbol, working reduce-only orders) against the
 * definition — a sum over every open order, as the Risk page computes it — after random sequences of
 * placements, fills, cancels and restarts through the real engine on SQLite and the durable simulated venue.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { D, Decimal } from "../core/money";
import { seededRng } from "../core/rng";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import { createMigratedDb } from "../../test/db";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import { reservedFromScratch, workingReduceOnlyFromScratch } from "./open-orders";
import type { Actor } from "./types";
import { BTC, ETH } from "../../test/instruments";

const MID: Record<string, number> = { "BTC/USDT": 20_000, "ETH/USDT": 1_500 };
const trader: Actor = { username: "tina", role: "trader" };

interface Desk {
  engine: Engine;
  store: SqliteStore;
  venue: SimVenue;
}

function open(dbPath: string, venuePath: string, clock: ManualClock): Desk {
  const store = openSqliteStore({ path: dbPath, clock });
  const venue = new SimVenue({ instruments: [BTC, ETH], initialBalances: { USDT: "1000000" } }, { statePath: venuePath });
  const engine = new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(`s${clock.now()}-`),
    initialEquity: "1000000",
    breaker: {
      maxDailyLossPct: null,
      maxDrawdownPct: null,
      maxConsecutiveLosses: null,
      maxOrdersPerMinute: null,
      maxOrdersPerHour: null,
      maxConsecutiveErrors: null,
    },
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.01 },
      stopLossPct: null,
      takeProfitLevels: [],
      trailing: null,
      maxAgeMinutes: null,
    },
  });
  return { engine, store, venue };
}

async function close(d: Desk): Promise<void> {
  d.store.close();
  await d.venue.close();
}

const plain = (m: Map<string, Decimal>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toString()]));
const plainExits = (m: Map<string, Partial<Record<string, Decimal>>>) =>
  Object.fromEntries([...m].map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([s, q]) => [s, q!.toString()]))]));

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe("the gate's running sums through the engine", () => {
  it.each([11, 12, 13])("equal a sum over the open orders after random placements, fills, cancels and restarts (seed %i)", async (seed) => {
    dir = mkdtempSync(join(tmpdir(), "bastion-sums-"));
    const dbPath = createMigratedDb(dir);
    const venuePath = join(dir, "venue.db");
    const clock = new ManualClock(Date.UTC(2024, 0, 2, 12, 0, 0));
    const source = seededRng(seed);
    const rng = () => source.next();
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
    let d = open(dbPath, venuePath, clock);
    await d.engine.start();
    const mids = { ...MID };
    const quote = async (symbol: string) => {
      clock.advance(1000);
      await d.engine.marketData({ kind: "quote", symbol, bid: mids[symbol]! - 0.5, ask: mids[symbol]! + 0.5 });
    };
    for (const symbol of Object.keys(mids)) await quote(symbol);
    const counts = { placed: 0, filled: 0, canceled: 0, restarts: 0, reduceOnly: 0 };

    const check = () => {
      const state = d.engine.state();
      const markOf = (symbol: string) => {
        const last = state.marks[symbol]?.last;
        return last === undefined ? null : D(last);
      };
      const sums = d.engine.openOrderSums();
      expect(plain(sums.reservedBySymbol)).toEqual(plain(reservedFromScratch(state.openOrders, markOf)));
      expect(plainExits(sums.workingReduceOnlyBySymbol)).toEqual(plainExits(workingReduceOnlyFromScratch(state.openOrders)));
      const some = state.openOrders.length > 0 ? pick(state.openOrders).clientOrderId : undefined;
      expect(plainExits(d.engine.openOrderSums(some).workingReduceOnlyBySymbol)).toEqual(plainExits(workingReduceOnlyFromScratch(state.openOrders, some)));
    };

    for (let i = 0; i < 120; i++) {
      const roll = rng();
      const symbol = pick(Object.keys(mids));
      const mid = mids[symbol]!;
      clock.advance(100);
      if (roll < 0.4) {
        // A resting (or, now and then, marketable) limit entry.
        const price = (mid * (0.9 + rng() * 0.12)).toFixed(2);
        const quantity = symbol === "BTC/USDT" ? (0.001 + rng() * 0.01).toFixed(5) : (0.01 + rng() * 0.1).toFixed(4);
        const side = rng() < 0.8 ? "BUY" : "SELL";
        const r = await d.engine.execute({ kind: "manualOrder", order: { symbol, side, type: "LIMIT", quantity, price }, actor: trader, reason: null });
        if (r.ok) counts.placed++;
      } else if (roll < 0.5) {
        // An exit for part of a position: a reduce-only limit SELL above the market (refused without a long).
        const held = d.engine.state().positions.find((p) => p.position.symbol === symbol && p.position.side === "LONG" && p.position.quantity.greaterThan(0));
        if (held) {
          const quantity = held.position.quantity
            .times(0.3 + rng() * 0.3)
            .toDecimalPlaces(symbol === "BTC/USDT" ? 5 : 4, Decimal.ROUND_DOWN)
            .toString();
          const r = await d.engine.execute({
            kind: "manualOrder",
            order: { symbol, side: "SELL", type: "LIMIT", quantity, price: (mid * 1.05).toFixed(2), reduceOnly: true },
            actor: trader,
            reason: null,
          });
          if (r.ok) counts.reduceOnly++;
        }
      } else if (roll < 0.7) {
        // The market moves: resting limits on the way fill.
        mids[symbol] = Math.round(mid * (0.96 + rng() * 0.08) * 100) / 100;
        const before = d.engine.state().openOrders.length;
        await quote(symbol);
        counts.filled += Math.max(0, before - d.engine.state().openOrders.length);
      } else if (roll < 0.85) {
        const orders = d.engine.state().openOrders;
        if (orders.length > 0) {
          const r = await d.engine.execute({ kind: "cancelOrder", clientOrderId: pick(orders).clientOrderId, actor: trader, reason: null });
          if (r.ok) counts.canceled++;
        }
      } else if (roll < 0.92) {
        await close(d);
        d = open(dbPath, venuePath, clock);
        await d.engine.start();
        counts.restarts++;
      } else {
        // A market entry priced at the mark while the gate sums (fills at once).
        await d.engine.execute({
          kind: "manualOrder",
          order: { symbol, side: "BUY", type: "MARKET", quantity: symbol === "BTC/USDT" ? "0.002" : "0.02" },
          actor: trader,
          reason: null,
        });
      }
      check();
    }
    await close(d);
    // Not vacuous: every kind of change happened.
    expect(counts.placed).toBeGreaterThan(10);
    expect(counts.filled).toBeGreaterThan(0);
    expect(counts.canceled).toBeGreaterThan(0);
    expect(counts.restarts).toBeGreaterThan(0);
    expect(counts.reduceOnly).toBeGreaterThan(0);
  });
});

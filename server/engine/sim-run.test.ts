/**
 * `npm run sim` end to end through its module (runSim, formatSimTable) on the recorded Binance BTCUSDT microstructure
 * (../shared/data/market/microstructure): a small order list, fills checked against the recorded book and trades, and
 * the same JSON on every run.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadBookSnapshotsCsv, loadTradesCsv } from "../venues/replay/csv";
import { parseSimArgs, type SimRunArgs } from "./sim-args";
import { formatSimTable, runSim, type SimReport } from "./sim-run";

const MICRO = "/work/shared/data/market/microstructure";
const BOOK = `${MICRO}/btc-usdt_binance-spot_book-snapshot-25_2024-08-08_2024-08-09.csv`;
const TRADES = `${MICRO}/btc-usdt_trades_binance-spot_2024-08-08_2024-08-09.csv`;
const books = loadBookSnapshotsCsv(BOOK);
const trades = loadTradesCsv(TRADES);

const dir = mkdtempSync(join(tmpdir(), "bastion-sim-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = books[50]!;
const later = books[100]!;
const ORDERS = [
  { ts: at.ts + 100, side: "BUY", type: "MARKET", qty: 0.5 },
  { ts: at.ts + 100, side: "BUY", type: "MARKET", qty: 0.5 },
  { id: "far", ts: at.ts + 100, side: "SELL", type: "LIMIT", qty: 0.1, price: 99_999 },
  { id: "bid", ts: later.ts + 1, side: "BUY", type: "LIMIT", qty: 0.01, price: later.bids[0]![0] },
  { id: "odd", ts: later.ts + 1, side: "BUY", type: "MARKET", qty: "0.000001" },
];
const ordersFile = join(dir, "orders.json");
writeFileSync(ordersFile, JSON.stringify(ORDERS));

function args(extra: string[] = []): SimRunArgs {
  const parsed = parseSimArgs(["--book", BOOK, "--trades", TRADES, "--orders", ordersFile, "--latency", "25", "--json", ...extra], { cwd: dir });
  if (!parsed.ok || parsed.value.help) throw new Error("bad arguments");
  return parsed.value;
}
function report(extra: string[] = []): SimReport {
  const result = runSim(args(extra));
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** The recorded asks walked level by level, as fills { price, qty } (decimal strings as the report writes them). */
function walkAsks(levels: readonly (readonly [number, number])[], qty: number, skip = 0): { price: string; qty: string }[] {
  const out: { price: string; qty: string }[] = [];
  let toSkip = skip;
  let left = qty;
  for (const [price, size] of levels) {
    let available = size;
    const skipped = Math.min(available, toSkip);
    available -= skipped;
    toSkip -= skipped;
    if (available <= 1e-12 || left <= 1e-12) continue;
    const take = Number(Math.min(available, left).toFixed(5));
    out.push({ price: String(price), qty: String(take) });
    left = Number((left - take).toFixed(5));
  }
  return out;
}

describe("npm run sim on the recorded microstructure", () => {
  const first = report();

  it("reports the data and the parameters", () => {
    expect(first.params).toEqual({
      book: "btc-usdt_binance-spot_book-snapshot-25_2024-08-08_2024-08-09.csv",
      trades: "btc-usdt_trades_binance-spot_2024-08-08_2024-08-09.csv",
      symbol: "BTC/USDT",
      latencyMs: 25,
      jitterMs: 0,
      seed: 0,
      impactBps: null,
    });
    expect(first.data).toEqual({ books: 650, trades: trades.length, from: trades[0]!.ts, to: trades.at(-1)!.ts });
  });

  it("a market order arrives after the latency and walks the book recorded before its arrival; the next one pays what is left", () => {
    const [a, b] = first.orders;
    expect(a).toMatchObject({ id: "o1", ts: at.ts + 100, arrivalTs: at.ts + 125, latencyMs: 25, status: "FILLED", filledQty: "0.5", reason: null });
    expect(a!.fills.map(({ price, qty }) => ({ price, qty }))).toEqual(walkAsks(at.asks, 0.5));
    expect(a!.fills.every((fill) => fill.ts === at.ts + 125 && fill.liquidity === "TAKER")).toBe(true);
    expect(b!.fills.map(({ price, qty }) => ({ price, qty }))).toEqual(walkAsks(at.asks, 0.5, 0.5));
    expect(Number(b!.avgPrice)).toBeGreaterThan(Number(a!.avgPrice));
  });

  it("a limit nobody trades through stays open; a bid at the best bid fills at its price, as maker, when trades reach it", () => {
    const far = first.orders[2]!;
    expect(far).toMatchObject({ id: "far", status: "ACCEPTED", filledQty: "0", fills: [] });
    const bid = first.orders[3]!;
    expect(bid.status).toBe("FILLED");
    const price = later.bids[0]![0];
    for (const fill of bid.fills) {
      expect(fill).toMatchObject({ price: String(price), liquidity: "MAKER" });
      expect(trades.some((trade) => trade.ts === fill.ts && trade.price <= price)).toBe(true);
    }
  });

  it("an order the venue refuses says why", () => {
    expect(first.orders[4]).toMatchObject({ id: "odd", status: "REJECTED", filledQty: "0", fills: [], arrivalTs: later.ts + 26 });
    expect(first.orders[4]!.reason).toMatch(/^[A-Z_]+: /);
  });

  it("prints the same JSON on every run, and the same latencies for the same seed", () => {
    expect(JSON.stringify(report())).toBe(JSON.stringify(first));
    const jittered = report(["--jitter", "40", "--seed", "3"]);
    expect(JSON.stringify(report(["--jitter", "40", "--seed", "3"]))).toBe(JSON.stringify(jittered));
    for (const order of jittered.orders) {
      expect(order.latencyMs).toBeGreaterThanOrEqual(25);
      expect(order.latencyMs).toBeLessThanOrEqual(65);
    }
  });

  it("writes a table for people: one line per order, one per fill", () => {
    const table = formatSimTable(first).split("\n");
    expect(table[0]).toMatch(/^id\s+sent \(UTC\)\s+arrival\s+side\s+type\s+qty\s+price\s+status\s+filled\s+avg price\s+fills$/);
    expect(table[1]).toMatch(/^o1\s+\S+\s+\+25 ms\s+BUY\s+MARKET\s+0\.5\s+-\s+FILLED\s+0\.5\s/);
    expect(table[2]).toBe(
      `    ${new Date(at.ts + 125).toISOString().slice(11, 23)}  ${first.orders[0]!.fills[0]!.qty} @ ${first.orders[0]!.fills[0]!.price}  TAKER`,
    );
    expect(table.at(-1)).toContain("650 books");
  });

  it("refuses a bad orders file with the file and the order named", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify([{ ts: 1, side: "BUY", type: "LIMIT", qty: 1 }]));
    const result = runSim({ ...args(), orders: bad });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toBe(`SIM_ORDERS_INVALID: ${bad}: [0].price: a LIMIT order needs a price.`);
  });
});

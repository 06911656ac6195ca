/**
 * Seeds N synthetic closed trades into a given SQLite database, quickly: for benchmarks and for trying the
 * History page. Never run by default (no npm script, no import from the app); it refuses to run without an
 * explicit `--db` and `--count`.
 *
 *   npx tsx scripts/seed-trades.ts --db /tmp/me/bastion.db --count 5000 [--seed 7] [--fills] [--days 365]
 *
 * Trades are internally consistent and exact: prices and quantities are integers of the instrument's tick and
 * step, so notional, fees (0.1% each side), gross and net PnL are computed in integers and printed as exact
 * decimal strings (as Decimal.toString would: no trailing zeros). `pnlNum` / `pnlPct` are their float shadows.
 * With `--fills` (for small sets) each trade also gets its entry and exit orders and fills, so the trade detail
 * page has something to show. Ids start with `syn-` so seeded rows are easy to tell apart (and to delete).
 */
import Database from "better-sqlite3";
import { pathToFileURL } from "node:url";
import { encodeJson } from "../server/db/codec";
import { scaledToString } from "../server/db/queries/trade-totals";
import { D } from "../server/core/money";
import { createOrder } from "../server/core/orders/fsm";

export interface SeedInstrument {
  symbol: string;
  /** Decimals of the price tick and the quantity step. */
  pdp: number;
  qdp: number;
  /** A typical price (in quote) and a typical quantity (in base). */
  price: number;
  qty: number;
}

export const SEED_INSTRUMENTS: SeedInstrument[] = [
  { symbol: "BTC/USDT", pdp: 2, qdp: 5, price: 60_000, qty: 0.2 },
  { symbol: "ETH/USDT", pdp: 2, qdp: 4, price: 3_000, qty: 3 },
  { symbol: "SOL/USDT", pdp: 3, qdp: 2, price: 150, qty: 40 },
  { symbol: "XRP/USDT", pdp: 4, qdp: 1, price: 0.6, qty: 8_000 },
  { symbol: "DOGE/USDT", pdp: 5, qdp: 0, price: 0.15, qty: 30_000 },
  { symbol: "ADA/USDT", pdp: 4, qdp: 1, price: 0.45, qty: 10_000 },
  { symbol: "BNB/USDT", pdp: 2, qdp: 3, price: 550, qty: 8 },
  { symbol: "LINK/USDT", pdp: 3, qdp: 2, price: 15, qty: 300 },
];

/** Exit reasons with their weights (what the engine writes: exits, signals, manual and emergency closes). */
const EXIT_REASONS: [string, number][] = [
  ["take_profit", 30],
  ["stop_loss", 30],
  ["signal", 25],
  ["trailing_stop", 8],
  ["max_age", 4],
  ["manual", 2],
  ["emergency_stop", 1],
];

const STRATEGIES = ["sma-cross", "model-a", "breakout", null] as const;

export interface SeedOptions {
  count: number;
  /** PRNG seed: the same seed gives the same trades. */
  seed?: number;
  /** Latest exit time (epoch ms); trades spread back over `days`. */
  now?: number;
  days?: number;
  /** Also write entry/exit orders and fills (slower; meant for small sets). */
  fills?: boolean;
  /** Rows per transaction. */
  batch?: number;
  /** Id prefix (default "syn"): a second seeding with another prefix adds to the first. */
  prefix?: string;
  log?: (line: string) => void;
}

export interface SeedResult {
  count: number;
  elapsedMs: number;
}

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, weighted: [T, number][]): T {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of weighted) {
    x -= w;
    if (x < 0) return v;
  }
  return weighted[weighted.length - 1]![0];
}

const FEE_RATE_DP = 3; // 0.001 = 1 × 10^-3

export function seedTrades(dbPath: string, options: SeedOptions): SeedResult {
  const started = performance.now();
  const r = rng(options.seed ?? 1);
  const now = options.now ?? Date.now();
  const spanMs = (options.days ?? 730) * 86_400_000;
  const batch = options.batch ?? 50_000;
  const prefix = options.prefix ?? "syn";
  const slotMs = spanMs / Math.max(1, options.count);
  const db = new Database(dbPath);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -200000");
  try {
    const insertInstrument = db.prepare(
      `INSERT OR IGNORE INTO instruments (symbol, venue, venueSymbol, base, quote, kind, priceTick, qtyStep, minQty, maxQty,
         minNotional, maxNotional, makerFee, takerFee, updatedAt)
       VALUES (?, 'sim', ?, ?, ?, 'spot', ?, ?, ?, NULL, '5', NULL, '0.001', '0.001', ?)`,
    );
    for (const i of SEED_INSTRUMENTS) {
      const [base, quote] = i.symbol.split("/") as [string, string];
      const tick = scaledToString(1n, i.pdp);
      const step = scaledToString(1n, i.qdp);
      insertInstrument.run(i.symbol, i.symbol.replace("/", ""), base, quote, tick, step, step, now);
    }
    const insertTrade = db.prepare(
      `INSERT INTO trades (id, positionId, symbol, side, quantity, entryPrice, exitPrice, entryTime, exitTime, durationMs,
         fees, grossPnl, pnl, pnlNum, pnlPct, outcome, exitReason, requestedPrice, entrySlippageBps, exitSlippageBps, strategy, signalId,
         venue)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'sim')`,
    );
    const insertOrder = db.prepare(
      `INSERT INTO orders (clientOrderId, venueOrderId, venue, symbol, side, type, quantity, price, triggerPrice, timeInForce,
         reduceOnly, status, filledQty, avgFillPrice, feesPaid, positionId, signalId, strategy, reason, listId,
         parentClientOrderId, requestedPrice, data, createdAt, updatedAt)
       VALUES (?, ?, 'sim', ?, ?, 'MARKET', ?, NULL, NULL, 'GTC', ?, 'FILLED', ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?, ?, ?)`,
    );
    const insertFill = db.prepare(
      `INSERT INTO fills (venue, tradeId, clientOrderId, symbol, side, qty, price, fee, feeCurrency, liquidity, positionId, late, ts)
       VALUES ('sim', ?, ?, ?, ?, ?, ?, ?, ?, 'TAKER', ?, 0, ?)`,
    );

    const writeOne = (n: number) => {
      const inst = SEED_INSTRUMENTS[Math.floor(r() * SEED_INSTRUMENTS.length)]!;
      const long = r() < 0.55;
      const priceUnit = 10 ** inst.pdp;
      const qtyUnit = 10 ** inst.qdp;
      // Prices wander ±30% around the typical price; quantities 0.1×–2× the typical one.
      const entryP = BigInt(Math.max(1, Math.round(inst.price * (0.7 + r() * 0.6) * priceUnit)));
      const qty = BigInt(Math.max(1, Math.round(inst.qty * (0.1 + r() * 1.9) * qtyUnit)));
      const reason = pick(r, EXIT_REASONS);
      const win = reason === "take_profit" ? r() < 0.95 : reason === "stop_loss" ? r() < 0.03 : r() < 0.5;
      const movePct = (win === long ? 1 : -1) * r() * 0.04; // price move in the trade's favour when it wins
      let exitP = BigInt(Math.max(1, Math.round(Number(entryP) * (1 + movePct))));
      if (r() < 0.01) exitP = entryP; // a few flat exits
      const scale = inst.pdp + inst.qdp;
      const entryNotional = entryP * qty; // 10^-scale
      const exitNotional = exitP * qty;
      const fees = entryNotional + exitNotional; // × 0.001 → 10^-(scale+3)
      const gross = (long ? exitNotional - entryNotional : entryNotional - exitNotional) * 10n ** BigInt(FEE_RATE_DP);
      let pnl = gross - fees;
      if (r() < 0.002) pnl = 0n; // breakeven rows exist (fees exactly covered)
      const grossOut = pnl === 0n ? fees : gross;
      const fscale = scale + FEE_RATE_DP;
      const pnlText = scaledToString(pnl, fscale);
      const pnlPct = Math.round((Number(pnl) / Number(entryNotional * 1000n)) * 100 * 1e6) / 1e6;
      // Exit times ascend with n (as the engine appends them), jittered inside each slot: the time indexes then
      // grow at their end, which keeps a million-row seed fast.
      const exitTime = now - spanMs + Math.floor((n + r()) * slotMs);
      const durationMs = Math.floor(60_000 + -Math.log(1 - r()) * 6 * 3_600_000);
      const entryTime = exitTime - durationMs;
      // Entry asked at a price a few ticks away (slippage in bps against us is positive).
      const slipTicks = BigInt(Math.floor(r() * 7) - 2);
      const requested = entryP - (long ? slipTicks : -slipTicks);
      const exitSlipTicks = BigInt(Math.floor(r() * 7) - 2);
      const exitRequested = exitP + (long ? exitSlipTicks : -exitSlipTicks);
      const bps = (req: bigint, filled: bigint, buy: boolean) =>
        req <= 0n ? null : Math.round(((buy ? Number(filled - req) : Number(req - filled)) / Number(req)) * 10_000 * 1e4) / 1e4;
      const strategy = STRATEGIES[Math.floor(r() * STRATEGIES.length)] ?? null;
      const id = `${prefix}-${String(n).padStart(7, "0")}`;
      const positionId = `${prefix}-pos-${n}`;
      const priceText = (p: bigint) => scaledToString(p, inst.pdp);
      const qtyText = scaledToString(qty, inst.qdp);
      insertTrade.run(
        `trd-${id}`,
        positionId,
        inst.symbol,
        long ? "LONG" : "SHORT",
        qtyText,
        priceText(entryP),
        priceText(exitP),
        entryTime,
        exitTime,
        durationMs,
        scaledToString(fees, fscale),
        scaledToString(grossOut, fscale),
        pnlText,
        Number(pnlText),
        pnlPct,
        pnl > 0n ? "WIN" : pnl < 0n ? "LOSS" : "BREAKEVEN",
        reason,
        priceText(requested),
        bps(requested, entryP, long),
        bps(exitRequested, exitP, !long),
        strategy,
        strategy ? `${prefix}-sig-${n}` : null,
      );
      if (!options.fills) return;
      const legs = [
        {
          oid: `${prefix}-o-${n}-e`,
          side: long ? "BUY" : "SELL",
          price: entryP,
          req: requested,
          ts: entryTime,
          reduceOnly: false,
          tag: "entry",
          notional: entryNotional,
        },
        {
          oid: `${prefix}-o-${n}-x`,
          side: long ? "SELL" : "BUY",
          price: exitP,
          req: exitRequested,
          ts: exitTime,
          reduceOnly: true,
          tag: reason,
          notional: exitNotional,
        },
      ] as const;
      for (const leg of legs) {
        const order = createOrder({
          clientOrderId: leg.oid,
          symbol: inst.symbol,
          side: leg.side,
          type: "MARKET",
          quantity: qtyText,
          reduceOnly: leg.reduceOnly,
          ts: leg.ts - 40,
          tags: { reason: leg.tag, positionId, ...(strategy ? { strategy } : {}) },
        });
        // Two partial fills at the same price for every third order: qty splits, price and fees stay exact.
        const split = n % 3 === 0 && qty > 1n ? [qty / 2n, qty - qty / 2n] : [qty];
        const feeTotal = scaledToString(leg.notional, fscale);
        const filled = {
          ...order,
          venueOrderId: `v-${leg.oid}`,
          venue: "sim",
          status: "FILLED" as const,
          filledQty: D(qtyText),
          avgFillPrice: D(priceText(leg.price)),
          feesPaid: D(feeTotal),
          tradeIds: split.map((_, k) => `t-${leg.oid}-${k}`),
          updatedAt: leg.ts,
          eventCount: 3 + split.length,
        };
        insertOrder.run(
          leg.oid,
          `v-${leg.oid}`,
          inst.symbol,
          leg.side,
          qtyText,
          leg.reduceOnly ? 1 : 0,
          qtyText,
          priceText(leg.price),
          feeTotal,
          positionId,
          strategy ? `${prefix}-sig-${n}` : null,
          strategy,
          priceText(leg.req),
          encodeJson(filled),
          leg.ts - 40,
          leg.ts,
        );
        split.forEach((q, k) => {
          insertFill.run(
            `t-${leg.oid}-${k}`,
            leg.oid,
            inst.symbol,
            leg.side,
            scaledToString(q, inst.qdp),
            priceText(leg.price),
            scaledToString(q * leg.price, fscale),
            "USDT",
            positionId,
            leg.ts + k * 5,
          );
        });
      }
    };

    const writeBatch = db.transaction((from: number, to: number) => {
      for (let n = from; n < to; n++) writeOne(n);
    });
    for (let from = 0; from < options.count; from += batch) {
      const to = Math.min(options.count, from + batch);
      writeBatch(from, to);
      options.log?.(`seeded ${to} / ${options.count} trades`);
    }
  } finally {
    db.close();
  }
  return { count: options.count, elapsedMs: Math.round(performance.now() - started) };
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function main(argv: string[]): void {
  const dbArg = arg(argv, "db");
  const countArg = arg(argv, "count");
  if (!dbArg || !countArg) {
    process.stderr.write("usage: npx tsx scripts/seed-trades.ts --db <sqlite file> --count <N> [--seed S] [--days D] [--fills] [--prefix syn]\n");
    process.exit(2);
  }
  const count = Number(countArg);
  if (!Number.isInteger(count) || count <= 0 || count > 20_000_000) {
    process.stderr.write(`--count must be a whole number from 1 to 20,000,000, got '${countArg}'\n`);
    process.exit(2);
  }
  const path = dbArg.replace(/^file:/, "");
  const result = seedTrades(path, {
    count,
    seed: Number(arg(argv, "seed") ?? 1),
    days: Number(arg(argv, "days") ?? 730),
    fills: argv.includes("--fills"),
    prefix: arg(argv, "prefix") ?? "syn",
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify({ db: path, ...result })}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main(process.argv.slice(2));

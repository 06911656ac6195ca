/**
 * Crash test at the exchange boundary (issue 9): a LIVE desk in a child process (test/crash/exchange-child.ts:
 * engine → ResilientVenue → CcxtVenue → ccxt binance) trades against the Binance-compatible test server
 * run here, whose fault plan loses answers and places orders late ("status unknown" then executed, placed
 * only after the first lookup, connection reset after execution). The child is killed with SIGKILL at
 * random moments, restarted (restore + reconcile against the exchange), killed again; a last start only
 * recovers. Then the exchange and Bastion's database must agree:
 * - no order executed twice: per clientOrderId (a re-send with the same id, which Binance accepts once
 *   the first is closed) and per signal (a re-send under a new id); no order at the exchange that
 *   Bastion never journaled;
 * - no fill lost or invented: every exchange fill is booked once, on the same order, same quantity and
 *   price, and Bastion has no fill the exchange did not make.
 * BASTION_CRASH_KILLS sets the number of kills (`npm run chaos` runs 100); CI runs 5.
 */
import Database from "better-sqlite3";
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { D } from "../core/money";
import { seededRng } from "../core/rng";
import { createMigratedDb } from "../../test/db";
import { crashKills, runCrashChild, type RunOutcome } from "../../test/crash/run-child";
import { BinanceTestServer } from "../../test/binance-test-server";

const CHILD = join(import.meta.dirname, "..", "..", "test", "crash", "exchange-child.ts");
const KILLS = crashKills(process.env.BASTION_CRASH_KILLS, 5);

/** Runs the child; in `run` mode SIGKILLs it `killAfterMs` after READY (0 = as READY is read). */
function runChild(args: string[], killAfterMs: number | null): Promise<RunOutcome> {
  return runCrashChild(CHILD, args, {
    nodeArgs: ["-C", "react-server", "--import", "tsx"],
    guardMs: 60_000,
    kill: killAfterMs === null ? null : { afterMs: killAfterMs },
  });
}

async function until(probe: () => boolean, boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!probe() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe("crash test at the exchange: SIGKILL while answers are lost and orders land late", () => {
  const dbPath = createMigratedDb();
  const dir = dirname(dbPath);
  let server: BinanceTestServer | null = null;
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    `never doubles an order or loses a fill across ${KILLS} kills and restarts`,
    async () => {
      server = await BinanceTestServer.start({
        symbols: ["BTC/USDT", "ETH/USDT"],
        balances: { USDT: "100000", BTC: "0", ETH: "0" },
        clientOrderIdReuse: "whenClosed",
        rateLimits: { requestWeightPerMinute: 10_000_000, ordersPer10s: 1_000_000, ordersPerDay: 10_000_000 },
      });
      server.pushQuote("BTCUSDT", 29_999, 30_001, 1_000, 1_000);
      server.pushQuote("ETHUSDT", 1_999.9, 2_000.1, 1_000, 1_000);
      server.setFaultPlan({
        seed: 20_261_206,
        rules: [
          {
            endpoint: "POST /api/v3/order",
            probabilities: { statusUnknown: 0.12, placeOnLookup: 0.06, resetAfterExecute: 0.06, statusUnknownNotExecuted: 0.06, delay: 0.05, rateLimit: 0.05 },
            delayMs: [400, 1_200],
          },
        ],
      });
      const rng = seededRng(7_007);
      const runs: RunOutcome[] = [];
      for (let i = 0; i < KILLS; i++) {
        const killAfter = i % 5 === 4 ? 0 : 200 + Math.floor(rng.next() * 1_000);
        const run = await runChild([dbPath, server.url, String(3000 + i), "run"], killAfter);
        expect(run.stderr, `run ${i} stderr`).toBe("");
        expect(run.ready, `run ${i} never printed READY: ${run.stdout.join(" | ")}`).toBe(true);
        expect(run.signal, `run ${i} was not killed (exit code ${String(run.code)})`).toBe("SIGKILL");
        runs.push(run);
      }
      // Every late execution lands before the last start; from here the exchange answers plainly.
      await until(() => server!.faultStats().latePending === 0, 30_000);
      server.setFaultPlan(null);
      const verify = await runChild([dbPath, server.url, "1", "verify"], null);
      expect(verify.stderr).toBe("");
      expect(verify.code).toBe(0);

      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      const orders = db.prepare("SELECT clientOrderId, signalId, status FROM orders").all() as {
        clientOrderId: string;
        signalId: string | null;
        status: string;
      }[];
      const fills = db.prepare("SELECT tradeId, clientOrderId, qty, price FROM fills WHERE venue = 'binance'").all() as {
        tradeId: string;
        clientOrderId: string;
        qty: string;
        price: string;
      }[];
      db.close();
      const exOrders = server.account.allOrders();
      const exTrades = server.account.allTrades();
      const stats = server.faultStats();

      // Not vacuous: the kills landed mid-stream, orders reached the exchange, faults happened.
      expect(runs.filter((r) => r.ticks > 0).length).toBeGreaterThanOrEqual(Math.ceil(KILLS / 2));
      expect(exOrders.length).toBeGreaterThan(KILLS * 3);
      expect(exTrades.length).toBeGreaterThan(KILLS);
      expect(Object.values(stats.injected).reduce((a, b) => a + (b ?? 0), 0)).toBeGreaterThan(KILLS);

      // ── no order executed twice ──
      const byId = new Map(orders.map((o) => [o.clientOrderId, o]));
      const executed = exOrders.filter((o) => o.executedQty.greaterThan(0));
      const count = (keys: (string | null)[]): string[] => {
        const m = new Map<string, number>();
        for (const k of keys) if (k !== null) m.set(k, (m.get(k) ?? 0) + 1);
        return [...m].filter(([, n]) => n > 1).map(([k, n]) => `${k}×${n}`);
      };
      const twiceById = count(executed.map((o) => o.clientOrderId));
      const twiceBySignal = count(executed.map((o) => byId.get(o.clientOrderId)?.signalId ?? null));
      const unknown = exOrders.filter((o) => !byId.has(o.clientOrderId)).map((o) => `${o.clientOrderId}#${o.orderId}`);

      // ── no fill lost or invented ──
      const ours = new Map(fills.map((f) => [f.tradeId, f]));
      const lost = exTrades
        .filter((t) => !ours.has(String(t.id)))
        .map((t) => `${t.id} (${t.clientOrderId} ${t.qty.toString()}, books: ${byId.get(t.clientOrderId)?.status ?? "unknown"})`);
      const theirs = new Set(exTrades.map((t) => String(t.id)));
      const invented = fills.filter((f) => !theirs.has(f.tradeId)).map((f) => f.tradeId);
      const differ = exTrades.flatMap((t) => {
        const f = ours.get(String(t.id));
        return f && (f.clientOrderId !== t.clientOrderId || !D(f.qty).eq(t.qty) || !D(f.price).eq(t.price)) ? [String(t.id)] : [];
      });

      const figures = {
        kills: KILLS,
        killedMidStream: runs.filter((r) => r.ticks > 0).length,
        ordersInBooks: orders.length,
        ordersAtExchange: exOrders.length,
        fillsAtExchange: exTrades.length,
        faults: stats.injected,
        lateExecuted: stats.lateExecuted,
        verdicts: {
          executedTwiceById: twiceById,
          executedTwiceBySignal: twiceBySignal,
          unknownAtExchange: unknown,
          fillsLost: lost,
          fillsInvented: invented,
          fillsDiffer: differ,
        },
      };
      const text = JSON.stringify(figures, null, 1);
      const reportPath = process.env.BASTION_CRASH_EXCHANGE_REPORT;
      if (reportPath) writeFileSync(reportPath, JSON.stringify(figures));
      expect({ twiceById, twiceBySignal, unknown }, text).toEqual({ twiceById: [], twiceBySignal: [], unknown: [] });
      expect({ lost, invented, differ }, text).toEqual({ lost: [], invented: [], differ: [] });
    },
    Math.max(180_000, KILLS * 10_000),
  );
});

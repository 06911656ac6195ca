/**
 * History on a million trades: a temp migrated database, N synthetic closed trades (scripts/seed-trades.ts), then
 * `trades.list` through the real tRPC router (Prisma on the driver adapter, as the server runs it), each case
 * timed several times; the median (and min/max) in ms.
 *
 * Cases: the first page in the default sort, a filtered page (symbol + outcome + 6-month range), a deep page
 * (page 1000), sort by PnL, an unindexed sort (pnlPct), and the totals: cold (the rollup's one-time build),
 * warm (all trades; a filtered set with partial edge days) and after new trades arrive (incremental fold).
 *
 *   npx tsx -C react-server scripts/bench/history.ts [--count 1000000] [--runs 7]
 */
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { createCaller } from "../../server/api/root";
import type { Context } from "../../server/api/context";
import { createDbClient, setDbForTests } from "../../server/db/client";
import { createMigratedDb } from "../../test/db";
import { tradeRollupStats } from "../../server/db/queries/trade-totals";
import { seedTrades } from "../seed-trades";

export interface HistoryBenchOptions {
  name?: string;
  count?: number;
  runs?: number;
  log?: (line: string) => void;
}

interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

const round = (x: number) => Math.round(x * 100) / 100;

async function time(runs: number, body: () => Promise<unknown>): Promise<Timing> {
  await body(); // warm-up (statement caches, page cache)
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await body();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: round(samples[Math.floor(samples.length / 2)]!), minMs: round(samples[0]!), maxMs: round(samples.at(-1)!), runs };
}

export async function historyBench(options: HistoryBenchOptions = {}) {
  const count = options.count ?? 1_000_000;
  const runs = options.runs ?? 7;
  const log = options.log ?? (() => {});
  const now = Date.UTC(2025, 5, 1);
  const path = createMigratedDb();
  try {
    log(`history: seeding ${count.toLocaleString("en-US")} trades`);
    const seeded = seedTrades(path, { count, seed: 42, now, days: 730 });
    const client = createDbClient(`file:${path}`);
    setDbForTests(client);
    const ctx: Context = {
      user: { id: "bench", username: "bench", role: "viewer" },
      sessionToken: null,
      ip: "bench",
      resHeaders: new Headers(),
      secureCookies: false,
    };
    const caller = createCaller(ctx);
    const sort = { by: "exitTime", dir: "desc" } as const;
    const filtered = { symbol: "BTC/USDT", outcome: "WIN", from: Date.UTC(2024, 0, 1, 6, 30), to: Date.UTC(2024, 6, 1, 18, 0) } as const;
    try {
      log("history: totals (cold: builds the rollup)");
      const coldStart = performance.now();
      const all = await caller.trades.totals({});
      const coldMs = round(performance.now() - coldStart);
      const rollup = tradeRollupStats(client);
      const heap = Math.round(process.memoryUsage().heapUsed / 1e6);

      log("history: pages");
      const firstPage = await time(runs, () => caller.trades.list({ sort, pageSize: 50, withTotals: false }));
      const firstPageWithTotals = await time(runs, () => caller.trades.list({ sort, pageSize: 50 }));
      const filteredPage = await time(runs, () => caller.trades.list({ ...filtered, sort, pageSize: 50 }));
      const deepPage = await time(runs, () => caller.trades.list({ sort, page: 1000, pageSize: 50 }));
      const sortPnl = await time(runs, () => caller.trades.list({ sort: { by: "pnl", dir: "desc" }, page: 1, pageSize: 50 }));
      const sortPnlDeep = await time(runs, () => caller.trades.list({ sort: { by: "pnl", dir: "desc" }, page: 1000, pageSize: 50 }));
      const unindexedSort = await time(Math.min(runs, 3), () =>
        caller.trades.list({ sort: { by: "pnlPct", dir: "desc" }, page: 1, pageSize: 50, withTotals: false }),
      );
      const first = await caller.trades.list({ sort, pageSize: 50, withTotals: false });
      const cursorPage = await time(runs, () => caller.trades.list({ sort, pageSize: 50, cursor: first.nextCursor!, withTotals: false }));

      log("history: totals (warm)");
      const totalsAll = await time(runs, () => caller.trades.totals({}));
      const totalsFiltered = await time(runs, () => caller.trades.totals(filtered));
      const totalsSymbol = await time(runs, () => caller.trades.totals({ symbol: "ETH/USDT" }));

      // New trades arrive (the engine appends): the next totals fold in only those rows.
      const raw = new Database(path);
      const insert = raw.prepare(
        `INSERT INTO trades (id, positionId, symbol, side, quantity, entryPrice, exitPrice, entryTime, exitTime, durationMs, fees, grossPnl, pnl, pnlNum, pnlPct, outcome, exitReason)
         VALUES (?, ?, 'BTC/USDT', 'LONG', '0.1', '60000', '60100', ?, ?, 60000, '12.01', '10', '-2.01', -2.01, -0.0335, 'LOSS', 'signal')`,
      );
      let k = 0;
      const afterInsert = await time(runs, async () => {
        for (let i = 0; i < 10; i++, k++) insert.run(`bench-new-${k}`, `bench-pos-${k}`, now + k, now + k + 60_000);
        await caller.trades.totals({});
      });
      raw.close();

      return {
        name: options.name ?? "history_query_ms_1m_trades",
        trades: count,
        seedMs: seeded.elapsedMs,
        unit: "ms (median)",
        firstPage,
        firstPageWithTotals,
        filteredPage,
        deepPage1000: deepPage,
        sortPnl,
        sortPnlPage1000: sortPnlDeep,
        cursorPage,
        unindexedSortPnlPct: unindexedSort,
        totalsColdBuildMs: coldMs,
        totalsAll,
        totalsFiltered,
        totalsSymbol,
        totalsAfter10NewTrades: afterInsert,
        rollup: { ...rollup, heapUsedMb: heap },
        check: { count: all.count, netPnl: all.netPnl, exact: all.exact },
      };
    } finally {
      setDbForTests(undefined);
      await client.$disconnect();
    }
  } finally {
    rmSync(dirname(path), { recursive: true, force: true });
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  historyBench({ count: Number(arg("count") ?? 1_000_000), runs: Number(arg("runs") ?? 7), log: (l) => process.stderr.write(`${l}\n`) })
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((e: unknown) => {
      process.stderr.write(`history bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    });
}

import Database from "better-sqlite3";
import { TRPCError } from "@trpc/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GET as exportCsv } from "@/app/api/trades/export/route";
import { seedTrades } from "@/scripts/seed-trades";
import { type Role } from "../auth/roles";
import { createSession } from "../auth/sessions";
import { FAST_SCRYPT, useFreshDb as freshDb, type TestDb } from "../../test/auth-support";
import { createUser } from "../auth/users";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { BTC } from "../../test/instruments";
import { Decimal } from "../core/money";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import { Engine } from "../engine/engine";
import { SimVenue } from "../venues/sim/sim-venue";
import { type Context } from "../api/context";
import { createCaller } from "../api/root";
import { Prisma } from "../db/generated/client";
import { dropTradeRollup, filterSql, scaledToString, toScaled, whereSql } from "../db/queries/trade-totals";
import { pageSql, type TradeRow } from "../db/queries/trades";
import { csvField, tradeCsvLine } from "./trades";

const DAY = 86_400_000;
const D0 = Date.UTC(2024, 2, 1); // 2024-03-01 00:00 UTC

interface Seed {
  id: string;
  symbol: string;
  side: "LONG" | "SHORT";
  exitTime: number;
  pnl: string;
  fees: string;
  grossPnl: string;
  outcome: "WIN" | "LOSS" | "BREAKEVEN";
  exitReason: string;
  durationMs?: number;
  strategy?: string | null;
}

/** Gives seeded trades their venues (the seed leaves them without: a trade from before venues were recorded). */
function setVenues(path: string, venues: Record<string, string>): void {
  const raw = new Database(path);
  const update = raw.prepare("UPDATE trades SET venue = ? WHERE id = ?");
  for (const [id, venue] of Object.entries(venues)) update.run(venue, id);
  raw.close();
}

/** Hand-checkable trades: sums below are worked out by hand in the tests. */
const SMALL: Seed[] = [
  {
    id: "t1",
    symbol: "BTC/USDT",
    side: "LONG",
    exitTime: D0 + 10 * 3600_000,
    pnl: "10.5",
    fees: "0.1",
    grossPnl: "10.6",
    outcome: "WIN",
    exitReason: "take_profit",
    durationMs: 60_000,
  },
  {
    id: "t2",
    symbol: "BTC/USDT",
    side: "SHORT",
    exitTime: D0 + 12 * 3600_000,
    pnl: "-3.25",
    fees: "0.05",
    grossPnl: "-3.2",
    outcome: "LOSS",
    exitReason: "stop_loss",
    durationMs: 5_000,
  },
  // 21 decimals: beyond the 18 of the rollup's fast path, still exact.
  {
    id: "t3",
    symbol: "ETH/USDT",
    side: "LONG",
    exitTime: D0 + DAY + 1,
    pnl: "0.000000000000000000001",
    fees: "0.2",
    grossPnl: "0.200000000000000000001",
    outcome: "WIN",
    exitReason: "signal",
    durationMs: 7_200_000,
  },
  {
    id: "t4",
    symbol: "ETH/USDT",
    side: "SHORT",
    exitTime: D0 + 2 * DAY,
    pnl: "0",
    fees: "0.3",
    grossPnl: "0.3",
    outcome: "BREAKEVEN",
    exitReason: "manual",
    durationMs: 100,
    strategy: 'odd, "quoted"\nname',
  },
  // Same exit time as t6: the rowid breaks the tie.
  {
    id: "t5",
    symbol: "BTC/USDT",
    side: "LONG",
    exitTime: D0 + 4 * DAY,
    pnl: "-7.1",
    fees: "0.1",
    grossPnl: "-7",
    outcome: "LOSS",
    exitReason: "signal",
    durationMs: 900_000,
  },
  {
    id: "t6",
    symbol: "SOL/USDT",
    side: "LONG",
    exitTime: D0 + 4 * DAY,
    pnl: "2.0000000001",
    fees: "0.01",
    grossPnl: "2.0100000001",
    outcome: "WIN",
    exitReason: "take_profit",
    durationMs: 30_000,
    strategy: "=cmd",
  },
];

function insertTrades(path: string, trades: Seed[]): void {
  const raw = new Database(path);
  const insert = raw.prepare(
    `INSERT INTO trades (id, positionId, symbol, side, quantity, entryPrice, exitPrice, entryTime, exitTime, durationMs, fees, grossPnl, pnl, pnlNum, pnlPct, outcome, exitReason, requestedPrice, entrySlippageBps, exitSlippageBps, strategy, signalId)
     VALUES (@id, @positionId, @symbol, @side, '1', '100', '101', @entryTime, @exitTime, @durationMs, @fees, @grossPnl, @pnl, @pnlNum, @pnlPct, @outcome, @exitReason, NULL, NULL, NULL, @strategy, NULL)`,
  );
  raw.transaction(() => {
    for (const t of trades) {
      const durationMs = t.durationMs ?? 1000;
      insert.run({
        ...t,
        positionId: `pos-${t.id}`,
        entryTime: t.exitTime - durationMs,
        durationMs,
        pnlNum: Number(t.pnl),
        pnlPct: Number(t.pnl),
        strategy: t.strategy ?? null,
      });
    }
  })();
  raw.close();
}

let tdb: TestDb;
const users = {} as Record<Role, { id: string; username: string; role: Role }>;

function ctx(role: Role | null): Context {
  return { user: role ? users[role] : null, sessionToken: null, ip: "test", resHeaders: new Headers(), secureCookies: false };
}

const viewer = () => createCaller(ctx("viewer"));

async function trpcCode(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a TRPCError");
}

async function setUp(): Promise<void> {
  tdb = freshDb();
  for (const role of ["viewer", "admin"] as const) {
    const u = await createUser({ username: `${role}1`, password: "violet tractor harbour", role }, { scrypt: FAST_SCRYPT });
    users[role] = { id: u.id, username: u.username, role };
  }
}

describe("trades.list on a small hand-checked set", () => {
  beforeEach(async () => {
    await setUp();
    insertTrades(tdb.path, SMALL);
  });
  afterEach(async () => {
    dropTradeRollup(tdb.client);
    await tdb.close();
  });

  it("needs a session; a viewer may read", async () => {
    expect((await trpcCode(createCaller(ctx(null)).trades.list({}))).code).toBe("UNAUTHORIZED");
    const r = await viewer().trades.list({});
    expect(r.rows.map((x) => x.id)).toEqual(["trd-t6", "trd-t5", "trd-t4", "trd-t3", "trd-t2", "trd-t1"].map((s) => s.replace("trd-", "")));
  });

  it("sums the whole set exactly, with counts, win rate and average", async () => {
    const r = await viewer().trades.list({});
    expect(r.total).toBe(6);
    // net: 10.5 − 3.25 + 1e-21 + 0 − 7.1 + 2.0000000001 = 2.1500000001 + 1e-21
    expect(r.totals).toEqual({
      count: 6,
      wins: 3,
      losses: 2,
      breakeven: 1,
      winRatePct: 50,
      netPnl: "2.150000000100000000001",
      grossPnl: "2.910000000100000000001", // 10.6 − 3.2 + 0.2…01 + 0.3 − 7 + 2.0100000001
      fees: "0.76",
      avgPnl: "0.3583333334", // 2.1500000001 / 6, to 10 decimals (half up)
      exact: true,
      // every symbol here is quoted in USDT: one currency, the same sums
      byCurrency: [
        {
          currency: "USDT",
          count: 6,
          netPnl: "2.150000000100000000001",
          grossPnl: "2.910000000100000000001",
          fees: "0.76",
          avgPnl: "0.3583333334",
        },
      ],
    });
    expect(r.rows[0]).toMatchObject({
      id: "t6",
      symbol: "SOL/USDT",
      side: "LONG",
      qty: "1",
      pnl: "2.0000000001",
      outcome: "WIN",
      exitReason: "take_profit",
      strategy: "=cmd",
    });
  });

  it("sums each quote currency apart when the trades are in several (USDT and BTC PnL do not add up)", async () => {
    insertTrades(tdb.path, [
      {
        id: "b1",
        symbol: "ETH/BTC",
        side: "LONG",
        exitTime: D0 + DAY + 5,
        pnl: "0.00012345",
        fees: "0.00000100",
        grossPnl: "0.00012445",
        outcome: "WIN",
        exitReason: "signal",
      },
      {
        id: "b2",
        symbol: "ETH/BTC",
        side: "SHORT",
        exitTime: D0 + 3 * DAY,
        pnl: "-0.0001",
        fees: "0.000001",
        grossPnl: "-0.000099",
        outcome: "LOSS",
        exitReason: "stop_loss",
      },
    ]);
    const byCurrency = async (input: Parameters<ReturnType<typeof viewer>["trades"]["totals"]>[0]) =>
      (await viewer().trades.totals(input)).byCurrency.map((c) => [c.currency, c.count, c.netPnl, c.fees, c.avgPnl]);
    expect(await byCurrency({})).toEqual([
      ["BTC", 2, "0.00002345", "0.000002", "0.000011725"],
      ["USDT", 6, "2.150000000100000000001", "0.76", "0.3583333334"],
    ]);
    // Partial days at both ends (the SQL edge path) split the same way as the rollup's whole days.
    expect(await byCurrency({ from: D0 + DAY, to: D0 + 3 * DAY + 1 })).toEqual([
      ["BTC", 2, "0.00002345", "0.000002", "0.000011725"],
      ["USDT", 2, "0.000000000000000000001", "0.5", "0"], // t3 + t4; the average rounds to 0 at 10 decimals
    ]);
    expect(await byCurrency({ symbol: "ETH/BTC", outcome: "LOSS" })).toEqual([["BTC", 1, "-0.0001", "0.000001", "-0.0001"]]);
  });

  it("filters by symbol, side, outcome, exit reason and exit time, each with its totals", async () => {
    const ids = async (input: Parameters<ReturnType<typeof viewer>["trades"]["list"]>[0]) => {
      const r = await viewer().trades.list(input);
      return { ids: r.rows.map((x) => x.id), net: r.totals!.netPnl, count: r.total };
    };
    expect(await ids({ symbol: "BTC/USDT" })).toEqual({ ids: ["t5", "t2", "t1"], net: "0.15", count: 3 });
    expect(await ids({ side: "SHORT" })).toEqual({ ids: ["t4", "t2"], net: "-3.25", count: 2 });
    expect(await ids({ outcome: "WIN" })).toEqual({ ids: ["t6", "t3", "t1"], net: "12.500000000100000000001", count: 3 });
    expect(await ids({ exitReason: "signal" })).toEqual({ ids: ["t5", "t3"], net: "-7.099999999999999999999", count: 2 });
    // Partial days at both ends: 11:00 on day 0 up to (not including) the exact exit time of t4.
    expect(await ids({ from: D0 + 11 * 3600_000, to: D0 + 2 * DAY })).toEqual({ ids: ["t3", "t2"], net: "-3.249999999999999999999", count: 2 });
    expect(await ids({ from: D0 + 2 * DAY })).toEqual({ ids: ["t6", "t5", "t4"], net: "-5.0999999999", count: 3 });
    expect(await ids({ symbol: "BTC/USDT", outcome: "LOSS", from: D0, to: D0 + DAY })).toEqual({ ids: ["t2"], net: "-3.25", count: 1 });
    expect(await ids({ symbol: "XRP/USDT" })).toEqual({ ids: [], net: "0", count: 0 });
    const none = await viewer().trades.list({ symbol: "XRP/USDT" });
    expect(none.totals).toMatchObject({ winRatePct: null, avgPnl: null });
  });

  it("carries venue and strategy (manual when none) on each row, filters by each with exact totals, and offers them as facets", async () => {
    // Each trade holds its own venue: BTC/USDT traded on both (t5 on bitget-1). t6 has none (and matches no venue filter).
    setVenues(tdb.path, { t1: "binance-main", t2: "binance-main", t5: "bitget-1", t3: "bitget-1", t4: "bitget-1" });
    const all = await viewer().trades.list({});
    expect(all.rows.map((x) => [x.id, x.venue, x.strategy])).toEqual([
      ["t6", null, "=cmd"],
      ["t5", "bitget-1", "manual"],
      ["t4", "bitget-1", 'odd, "quoted"\nname'],
      ["t3", "bitget-1", "manual"],
      ["t2", "binance-main", "manual"],
      ["t1", "binance-main", "manual"],
    ]);
    const ids = async (input: Parameters<ReturnType<typeof viewer>["trades"]["totals"]>[0]) => {
      const r = await viewer().trades.list(input);
      expect(await viewer().trades.totals(input)).toEqual(r.totals);
      return { ids: r.rows.map((x) => x.id), net: r.totals!.netPnl, count: r.total };
    };
    expect(await ids({ strategy: "manual" })).toEqual({ ids: ["t5", "t3", "t2", "t1"], net: "0.150000000000000000001", count: 4 });
    expect(await ids({ strategy: "=cmd" })).toEqual({ ids: ["t6"], net: "2.0000000001", count: 1 });
    expect(await ids({ strategy: "sma-cross" })).toEqual({ ids: [], net: "0", count: 0 });
    expect(await ids({ venue: "bitget-1" })).toEqual({ ids: ["t5", "t4", "t3"], net: "-7.099999999999999999999", count: 3 });
    expect(await ids({ venue: "binance-main", strategy: "manual" })).toEqual({ ids: ["t2", "t1"], net: "7.25", count: 2 });
    expect(await ids({ venue: "bitget-1", symbol: "BTC/USDT" })).toEqual({ ids: ["t5"], net: "-7.1", count: 1 });
    expect(await ids({ venue: "kraken" })).toEqual({ ids: [], net: "0", count: 0 });
    // Partial days at both ends (the SQL edge path) agree with the rollup's cells.
    expect(await ids({ strategy: "manual", from: D0 + 11 * 3600_000, to: D0 + 2 * DAY })).toEqual({
      ids: ["t3", "t2"],
      net: "-3.249999999999999999999",
      count: 2,
    });
    expect(await ids({ venue: "bitget-1", from: D0 + 11 * 3600_000, to: D0 + 2 * DAY + 1 })).toEqual({
      ids: ["t4", "t3"],
      net: "0.000000000000000000001",
      count: 2,
    });
    expect(await viewer().trades.facets()).toEqual({
      venues: ["binance-main", "bitget-1"],
      symbols: ["BTC/USDT", "ETH/USDT", "SOL/USDT"],
      strategies: ["=cmd", "manual", 'odd, "quoted"\nname'],
      exitReasons: ["manual", "signal", "stop_loss", "take_profit"],
    });
    expect((await viewer().trades.detail({ id: "t2" })).trade).toMatchObject({ venue: "binance-main", strategy: "manual" });
    expect((await trpcCode(viewer().trades.list({ venue: "two words" }))).code).toBe("BAD_REQUEST");
    expect((await trpcCode(viewer().trades.list({ strategy: "x".repeat(65) }))).code).toBe("BAD_REQUEST");
  });

  it("sorts by every column with a stable tie-break, both ways", async () => {
    const order = async (by: "exitTime" | "entryTime" | "pnl" | "pnlPct" | "symbol" | "duration", dir: "asc" | "desc") =>
      (await viewer().trades.list({ sort: { by, dir }, withTotals: false })).rows.map((x) => x.id);
    expect(await order("exitTime", "asc")).toEqual(["t1", "t2", "t3", "t4", "t5", "t6"]);
    expect(await order("pnl", "desc")).toEqual(["t1", "t6", "t3", "t4", "t2", "t5"]);
    expect(await order("pnl", "asc")).toEqual(["t5", "t2", "t4", "t3", "t6", "t1"]);
    expect(await order("duration", "asc")).toEqual(["t4", "t2", "t6", "t1", "t5", "t3"]);
    expect(await order("symbol", "asc")).toEqual(["t1", "t2", "t5", "t3", "t4", "t6"]);
    expect(await order("symbol", "desc")).toEqual(["t6", "t4", "t3", "t5", "t2", "t1"]);
    expect(await order("entryTime", "desc")).toEqual(["t6", "t5", "t4", "t3", "t2", "t1"]);
  });

  it("pages by number and by cursor without repeats or gaps", async () => {
    const byPage: string[] = [];
    for (let page = 1; page <= 4; page++) {
      const r = await viewer().trades.list({ page, pageSize: 2, sort: { by: "pnl", dir: "desc" } });
      byPage.push(...r.rows.map((x) => x.id));
      expect(r.nextCursor === null).toBe(page >= 3);
    }
    expect(byPage).toEqual(["t1", "t6", "t3", "t4", "t2", "t5"]);
    const byCursor: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await viewer().trades.list({ pageSize: 2, sort: { by: "pnl", dir: "desc" }, withTotals: false, ...(cursor ? { cursor } : {}) });
      byCursor.push(...r.rows.map((x) => x.id));
      cursor = r.nextCursor ?? undefined;
    } while (cursor);
    expect(byCursor).toEqual(byPage);
    const first = await viewer().trades.list({ pageSize: 2, sort: { by: "pnl", dir: "desc" } });
    const wrongSort = await trpcCode(viewer().trades.list({ pageSize: 2, cursor: first.nextCursor!, sort: { by: "exitTime", dir: "desc" } }));
    expect(wrongSort.code).toBe("BAD_REQUEST");
    expect(wrongSort.message).toMatch(/cursor is not valid/);
    expect((await trpcCode(viewer().trades.list({ cursor: "garbage!" }))).code).toBe("BAD_REQUEST");
    const deep = await trpcCode(viewer().trades.list({ page: 20_000, pageSize: 50 }));
    expect(deep.code).toBe("BAD_REQUEST");
    expect(deep.message).toMatch(/too deep/);
  });

  it("refuses malformed input with readable reasons", async () => {
    const bad = async (input: unknown) => (await trpcCode(viewer().trades.list(input as never))).message;
    expect(await bad({ from: Number.NaN })).toMatch(/from/);
    expect(await bad({ to: Number.POSITIVE_INFINITY })).toMatch(/to/);
    expect(await bad({ from: -5 })).toMatch(/from must be epoch milliseconds/);
    expect(await bad({ pageSize: 500 })).toMatch(/pageSize must be at most 200/);
    expect(await bad({ side: "BUY" })).toMatch(/side must be LONG or SHORT/);
    expect(await bad({ symbol: "btc" })).toMatch(/BTC\/USDT/);
    expect(await bad({ sort: { by: "fees", dir: "desc" } })).toMatch(/sort.by must be one of/);
    expect(await bad({ exitReason: "x'; DROP TABLE trades; --" })).toMatch(/exitReason/);
    expect(await bad({ limit: 5 })).toMatch(/limit/);
    expect(await bad({ from: D0 + DAY, to: D0 })).toMatch(/from' must be before 'to/);
    expect(await bad({ page: 2, cursor: "x" })).toMatch(/either page or cursor/);
  });

  it("keeps the totals current as trades are appended", async () => {
    expect((await viewer().trades.totals({})).netPnl).toBe("2.150000000100000000001");
    insertTrades(tdb.path, [
      {
        id: "t7",
        symbol: "BTC/USDT",
        side: "LONG",
        exitTime: D0 + 5 * DAY,
        pnl: "-0.150000000100000000001",
        fees: "1",
        grossPnl: "0.849999999899999999999",
        outcome: "LOSS",
        exitReason: "max_age",
      },
    ]);
    expect(await viewer().trades.totals({})).toMatchObject({ count: 7, losses: 3, netPnl: "2", fees: "1.76" });
    expect(await viewer().trades.totals({ exitReason: "max_age" })).toMatchObject({ count: 1, netPnl: "-0.150000000100000000001" });
  });

  it("reads a page through an index, never by scanning the table", async () => {
    const plan = async (sql: Prisma.Sql) => (await tdb.client.$queryRaw<{ detail: string }[]>`EXPLAIN QUERY PLAN ${sql}`).map((r) => r.detail);
    for (const by of ["exitTime", "pnl", "symbol"] as const) {
      for (const where of [Prisma.empty, whereSql(filterSql({ symbol: "BTC/USDT", outcome: "WIN", from: D0, to: D0 + DAY }))]) {
        const lines = await plan(pageSql(by, "desc", where, 51, 1000));
        expect(
          lines.some((l) => /SEARCH t USING INTEGER PRIMARY KEY/.test(l)),
          lines.join(" | "),
        ).toBe(true);
        expect(
          lines.some((l) => /^SCAN t\b/.test(l)),
          lines.join(" | "),
        ).toBe(false);
        if (where === Prisma.empty)
          expect(
            lines.some((l) => /SCAN trades USING COVERING INDEX/.test(l)),
            lines.join(" | "),
          ).toBe(true);
      }
    }
  });

  it("lists the symbols and exit reasons for the filter menus", async () => {
    expect(await viewer().trades.facets()).toEqual({
      symbols: ["BTC/USDT", "ETH/USDT", "SOL/USDT"],
      exitReasons: ["manual", "signal", "stop_loss", "take_profit"],
      // no trade in this set records a venue: none to offer
      venues: [],
      strategies: ["=cmd", "manual", 'odd, "quoted"\nname'],
    });
  });
});

describe("exact totals against a brute-force sum", () => {
  beforeAll(async () => {
    await setUp();
    seedTrades(tdb.path, { count: 3000, seed: 9, now: D0 + 90 * DAY, days: 90 });
  });
  afterAll(async () => {
    dropTradeRollup(tdb.client);
    await tdb.close();
  });

  it("matches Decimal sums for random filters and ranges", async () => {
    const all = await tdb.client.trade.findMany();
    let x = 12345;
    const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const symbols = [...new Set(all.map((t) => t.symbol))];
    for (let i = 0; i < 25; i++) {
      const filter: { symbol?: string; outcome?: "WIN" | "LOSS"; side?: "LONG" | "SHORT"; from?: number; to?: number } = {};
      if (rnd() < 0.5) filter.symbol = symbols[Math.floor(rnd() * symbols.length)];
      if (rnd() < 0.3) filter.outcome = rnd() < 0.5 ? "WIN" : "LOSS";
      if (rnd() < 0.3) filter.side = rnd() < 0.5 ? "LONG" : "SHORT";
      if (rnd() < 0.7) {
        const a = D0 + Math.floor(rnd() * 90 * DAY);
        const b = a + 1 + Math.floor(rnd() * (i % 2 ? 3 * DAY : 70 * DAY));
        filter.from = a;
        filter.to = b;
      }
      const match = all.filter(
        (t) =>
          (filter.symbol === undefined || t.symbol === filter.symbol) &&
          (filter.outcome === undefined || t.outcome === filter.outcome) &&
          (filter.side === undefined || t.side === filter.side) &&
          (filter.from === undefined || t.exitTime >= filter.from) &&
          (filter.to === undefined || t.exitTime < filter.to),
      );
      const sum = (k: "pnl" | "fees" | "grossPnl") => match.reduce((s, t) => s.plus(t[k]), new Decimal(0)).toString();
      const totals = await viewer().trades.totals(filter);
      expect({ filter, count: totals.count, net: totals.netPnl, fees: totals.fees, gross: totals.grossPnl, wins: totals.wins }).toEqual({
        filter,
        count: match.length,
        net: sum("pnl"),
        fees: sum("fees"),
        gross: sum("grossPnl"),
        wins: match.filter((t) => t.outcome === "WIN").length,
      });
    }
  });

  it("pages the seeded set by number and by cursor identically", async () => {
    const ids = (await tdb.client.trade.findMany({ orderBy: [{ pnlNum: "asc" }] })).length;
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const r = await viewer().trades.list({ pageSize: 200, sort: { by: "symbol", dir: "asc" }, withTotals: false, ...(cursor ? { cursor } : {}) });
      for (const row of r.rows) seen.add(row.id);
      cursor = r.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.size).toBe(ids);
  });
});

describe("decimal helpers and CSV fields", () => {
  it("parses and prints exact decimals", () => {
    expect(scaledToString(toScaled("-0.5")! + toScaled("0.25")!)).toBe("-0.25");
    expect(scaledToString(toScaled("1e-31")!)).toBe("0.0000000000000000000000000000001");
    expect(toScaled("NaN")).toBeNull();
    expect(toScaled("abc")).toBeNull();
  });

  it("quotes per RFC 4180 and defuses formulas in text only", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("=SUM(A1)", true)).toBe("'=SUM(A1)");
    expect(csvField("-7.1")).toBe("-7.1");
    expect(csvField(null)).toBe("");
  });

  it("writes a trade with exact decimals and ISO times", () => {
    const row = {
      id: "t",
      positionId: "p",
      symbol: "BTC/USDT",
      side: "LONG",
      quantity: "0.00001",
      entryPrice: "60000.01",
      exitPrice: "60000.02",
      entryTime: D0,
      exitTime: D0 + 1500,
      durationMs: 1500,
      fees: "0.000000000000000000001",
      grossPnl: "0",
      pnl: "-0.1",
      pnlNum: -0.1,
      pnlPct: -0.01,
      outcome: "LOSS",
      exitReason: "stop_loss",
      requestedPrice: null,
      entrySlippageBps: 1.5,
      exitSlippageBps: null,
      strategy: "a,b",
      signalId: null,
      rid: 1,
    } as TradeRow;
    expect(tradeCsvLine({ ...row, venue: "binance-main" })).toBe(
      't,p,BTC/USDT,LONG,0.00001,60000.01,60000.02,2024-03-01T00:00:00.000Z,2024-03-01T00:00:01.500Z,1500,0.000000000000000000001,0,-0.1,-0.01,LOSS,stop_loss,,1.5,,"a,b",,binance-main\r\n',
    );
    // a person's trade (no strategy recorded) is `manual`; a trade whose venue was not recorded has an empty one
    expect(tradeCsvLine({ ...row, strategy: null, venue: null })).toMatch(/,LOSS,stop_loss,,1\.5,,manual,,\r\n$/);
  });
});

describe("GET /api/trades/export", () => {
  let cookie: string;
  beforeAll(async () => {
    await setUp();
    insertTrades(tdb.path, SMALL);
    const { token } = await createSession(users.viewer.id);
    cookie = `bastion_session=${token}`;
  });
  afterAll(async () => {
    dropTradeRollup(tdb.client);
    await tdb.close();
  });

  const get = (query: string, headers: Record<string, string> = {}) => exportCsv(new Request(`http://127.0.0.1/api/trades/export${query}`, { headers }));

  it("answers 401 without a session, or with a bad one", async () => {
    expect((await get("")).status).toBe(401);
    expect((await get("", { cookie: "bastion_session=forged" })).status).toBe(401);
  });

  it("streams the filtered set as CSV", async () => {
    const res = await get(`?symbol=BTC%2FUSDT&from=${D0}&to=2024-03-10`, { cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="bastion-trades-.*\.csv"/);
    const lines = (await res.text()).split("\r\n");
    expect(lines[0]).toBe(
      "id,positionId,symbol,side,quantity,entryPrice,exitPrice,entryTime,exitTime,durationMs,fees,grossPnl,pnl,pnlPct,outcome,exitReason,requestedPrice,entrySlippageBps,exitSlippageBps,strategy,signalId,venue",
    );
    expect(lines.slice(1, -1).map((l) => l.split(",")[0])).toEqual(["t5", "t2", "t1"]);
    expect(lines.at(-1)).toBe("");
    expect(lines[1]).toContain(",2024-03-05T00:00:00.000Z,");
  });

  it("filters the export by strategy (manual for people's trades) and by venue", async () => {
    const manual = (await (await get("?strategy=manual", { cookie })).text()).split("\r\n").filter(Boolean);
    expect(manual.slice(1).map((l) => l.split(",")[0])).toEqual(["t5", "t3", "t2", "t1"]);
    expect(manual.slice(1).every((l) => l.includes(",manual,"))).toBe(true);
    setVenues(tdb.path, { t2: "kraken", t4: "kraken" });
    const kraken = (await (await get("?venue=kraken", { cookie })).text()).split("\r\n").filter(Boolean);
    expect(kraken.slice(1).map((l) => [l.split(",")[0], l.split(",").at(-1)])).toEqual([
      ["t4", "kraken"],
      ["t2", "kraken"],
    ]);
    const none = (await (await get("?venue=bitget-1", { cookie })).text()).split("\r\n").filter(Boolean);
    expect(none).toHaveLength(1);
    expect((await get("?venue=two%20words", { cookie })).status).toBe(400);
  });

  it("quotes awkward text and keeps every row across chunks", async () => {
    const text = await (await get("?dir=asc", { cookie })).text();
    expect(text).toContain(`,"odd, ""quoted""\nname",`);
    expect(text).toContain(",'=cmd,");
    expect(text.split("\r\n").filter(Boolean)).toHaveLength(1 + SMALL.length);
  });

  it("refuses bad filters with 400 and a reason", async () => {
    const res = await get("?side=BUY&from=yesterday", { cookie });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string };
    expect(body.message).toMatch(/side must be LONG or SHORT/);
    expect(body.message).toMatch(/from/);
  });
});

describe("trades.detail", () => {
  let store: SqliteStore;
  beforeAll(async () => {
    await setUp();
  });
  afterAll(async () => {
    store?.close();
    dropTradeRollup(tdb.client);
    await tdb.close();
  });

  it("shows an engine-made trade with its fills, orders and slippage", async () => {
    store = openSqliteStore({ path: tdb.path });
    const clock = new ManualClock(Date.UTC(2024, 0, 2, 12));
    const venue = new SimVenue({ instruments: [BTC], initialBalances: { USDT: "10000" }, slippage: { model: "FIXED", bps: 3 } });
    const engine = new Engine({ venue, store, clock, ids: sequentialIds("dt"), initialEquity: "10000", breaker: null });
    await engine.start();
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 20000, ask: 20001 });
    expect(
      await engine.execute({
        kind: "signal",
        signal: { id: "d-1", symbol: "BTC/USDT", action: "BUY", confidence: 0.9, strategy: "t", ts: clock.now() },
        source: "test",
      }),
    ).toMatchObject({ ok: true });
    clock.advance(60_000);
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 20100, ask: 20101 });
    const positionId = engine.state().positions[0]!.position.id;
    expect(await engine.execute({ kind: "closePosition", positionId, actor: { username: "tina", role: "trader" }, reason: "done" })).toMatchObject({
      ok: true,
    });

    const list = await viewer().trades.list({});
    expect(list.rows).toHaveLength(1);
    // The engine listed its instruments at start: the trade has its venue (History's column and filter) and decimals.
    expect(list.rows[0]!.venue).toBe("sim");
    expect(list.instruments["BTC/USDT"]).toEqual({ priceTick: "0.01", qtyStep: "0.00001" });
    expect((await viewer().trades.facets()).venues).toEqual(["sim"]);
    expect((await viewer().trades.list({ venue: "sim" })).rows).toHaveLength(1);
    expect((await viewer().trades.list({ venue: "kraken" })).rows).toHaveLength(0);
    const d = await viewer().trades.detail({ id: list.rows[0]!.id });
    expect(d.trade).toMatchObject({ symbol: "BTC/USDT", side: "LONG", exitReason: "manual" });
    expect(d.fills.map((f) => [f.role, f.side])).toEqual([
      ["entry", "BUY"],
      ["exit", "SELL"],
    ]);
    expect(d.fillFees).toBe(new Decimal(d.trade.fees).toString());
    expect(d.orders.map((o) => [o.role, o.status])).toEqual([
      ["entry", "FILLED"],
      ["exit", "FILLED"],
    ]);
    expect(d.execution.entry.orderId).toBe(d.orders[0]!.clientOrderId);
    expect(d.execution.exit.orderId).toBe(d.orders[1]!.clientOrderId);
    // Slippage: the engine's own record, and it agrees with requested vs filled.
    for (const leg of [d.execution.entry, d.execution.exit]) {
      expect(leg.requestedPrice).not.toBeNull();
      expect(typeof leg.slippageBps).toBe("number");
    }
    const entry = d.execution.entry;
    const expected = new Decimal(entry.filledPrice).minus(entry.requestedPrice!).dividedBy(entry.requestedPrice!).times(10_000).toDecimalPlaces(4).toNumber();
    expect(entry.slippageBps).toBe(expected);
    expect(entry.slippageBps).toBeGreaterThan(0); // 3 bps of simulated slippage against a buy
    expect(d.execution.exit.slippageBps).toBeGreaterThan(0);
  });

  it("says so when the trade does not exist, and validates the id", async () => {
    expect(await trpcCode(viewer().trades.detail({ id: "nope" }))).toMatchObject({ code: "NOT_FOUND", message: "No closed trade with id 'nope'." });
    expect((await trpcCode(viewer().trades.detail({ id: "" }))).code).toBe("BAD_REQUEST");
    expect((await trpcCode(createCaller(ctx(null)).trades.detail({ id: "x" }))).code).toBe("UNAUTHORIZED");
  });
});

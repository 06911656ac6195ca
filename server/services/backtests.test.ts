import { TRPCError } from "@trpc/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Context } from "../api/context";
import { createCaller } from "../api/root";
import { useFreshDb, type TestDb } from "../../test/auth-support";
import { backtestRunning, listDataSets } from "./backtests";

const FILE = "btc-usdt_5m_2023-01-02_2023-02-09.csv";
let tdb: TestDb;
const ctx = (role: "viewer" | "trader" | "admin"): Context => ({
  user: { id: `u-${role}`, username: `${role}1`, role },
  sessionToken: null,
  ip: "127.0.0.1",
  resHeaders: new Headers(),
  secureCookies: false,
});
const good = { dataSet: FILE, strategy: "sma-cross" as const, fast: 10, slow: 30, capital: "10000", feeBps: "10", slippageBps: "2" };

async function refusal(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

beforeEach(() => {
  tdb = useFreshDb();
});
afterEach(async () => {
  await tdb.close();
});

describe("backtests.datasets", () => {
  it("lists the shipped candle files with rows and range, not the trade file", async () => {
    const sets = await createCaller(ctx("viewer")).backtests.datasets();
    expect(sets.map((s) => s.name)).toEqual([FILE]);
    expect(sets[0]).toMatchObject({ symbol: "BTC/USDT", timeframe: "5m", rows: 10_999, firstTs: 1672677900000 });
    expect(new Date(sets[0]!.lastTs!).toISOString()).toBe("2023-02-09T21:15:00.000Z");
    expect(listDataSets("/nonexistent-dir")).toEqual([]);
  });
});

describe("backtests.run", () => {
  it("refuses a viewer", async () => {
    const e = await refusal(createCaller(ctx("viewer")).backtests.run(good));
    expect(e.code).toBe("FORBIDDEN");
    expect(await tdb.client.backtestRun.count()).toBe(0);
  });

  it.each([
    [{ ...good, fast: 30, slow: 30 }, /slow \(30\) must be greater than fast \(30\)/],
    [{ ...good, fast: 50, slow: 20 }, /slow \(20\) must be greater than fast \(50\)/],
    [{ ...good, capital: "-100" }, /capital must be more than 0 and at most 1,000,000,000,000, got -100/],
    [{ ...good, capital: "0" }, /capital must be more than 0/],
    [{ ...good, capital: "NaN" }, /capital must be a number more than 0/],
    [{ ...good, capital: Number.POSITIVE_INFINITY }, /capital must be a number/],
    [{ ...good, capital: "1e13" }, /capital must be more than 0 and at most 1,000,000,000,000, got 10000000000000/],
    [{ ...good, feeBps: "-1" }, /feeBps must be from 0 to 1,000 basis points/],
    [{ ...good, slippageBps: "20000" }, /slippageBps must be from 0 to 1,000 basis points/],
    [{ ...good, fast: 1.5 }, /fast must be a whole number/],
    [{ ...good, qtyStep: "0" }, /qtyStep must be more than 0/],
    [{ ...good, strategy: "rsi" as "sma-cross" }, /strategy must be sma-cross/],
    [{ ...good, dataSet: "../../etc/passwd" }, /not a path/],
    [{ ...good, dataSet: "/etc/passwd" }, /not a path/],
    [{ ...good, dataSet: "..\\..\\windows\\win.ini" }, /not a path/],
    [{ ...good, dataSet: "%2e%2e%2fetc%2fpasswd" }, /shipped file name/],
    [{ ...good, dataSet: "" }, /dataSet is required/],
    // Every problem at once, the fast/slow check included.
    [{ ...good, fast: 50, slow: 20, capital: "-5" }, /capital must be more than 0[\s\S]*slow \(20\) must be greater than fast \(50\)/],
  ])("refuses invalid input in words: %o", async (input, message) => {
    const e = await refusal(createCaller(ctx("trader")).backtests.run(input));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(message);
    expect(await tdb.client.backtestRun.count()).toBe(0);
  });

  it("refuses data sets that are not shipped candle files, and audits the refusal", async () => {
    const c = createCaller(ctx("trader"));
    const unknown = await refusal(c.backtests.run({ ...good, dataSet: "eth-usdt_1h.csv" }));
    expect(unknown.code).toBe("NOT_FOUND");
    expect(unknown.message).toMatch(/no shipped data set named 'eth-usdt_1h.csv'.*btc-usdt_5m/);
    // A shipped file that is not candles (recorded trades) is not a data set either.
    expect((await refusal(c.backtests.run({ ...good, dataSet: "btc-usdt_trades_binance_2021-01-08.csv" }))).code).toBe("NOT_FOUND");
    expect((await refusal(c.backtests.run({ ...good, dataSet: "README.csv" }))).code).toBe("NOT_FOUND");
    const audit = await tdb.client.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.actor, a.action, a.result])).toEqual([
      ["trader1", "backtest_run", "REFUSED"],
      ["trader1", "backtest_run", "REFUSED"],
      ["trader1", "backtest_run", "REFUSED"],
    ]);
    expect(await tdb.client.backtestRun.count()).toBe(0);
  });

  it("runs a real backtest, stores it, lists it, shows its report, and audits it", async () => {
    const trader = createCaller(ctx("trader"));
    const started = await trader.backtests.run(good);
    expect(started.id).toMatch(/^bt-/);
    expect(started.tradeCount).toBeGreaterThan(10);
    expect(backtestRunning()).toBe(false);

    const list = await createCaller(ctx("viewer")).backtests.list({});
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: started.id,
      dataSet: FILE,
      symbol: "BTC/USDT",
      strategy: "sma-cross",
      candles: 10_999,
      tradeCount: started.tradeCount,
      status: "DONE",
    });
    expect(list[0]!.params).toMatchObject({ fast: 10, slow: 30, capital: "10000", feeBps: "10", slippage: "fixed:2", data: FILE });
    expect(list[0]).not.toHaveProperty("report");

    const detail = await createCaller(ctx("viewer")).backtests.detail({ id: started.id });
    expect(detail.trades).toHaveLength(started.tradeCount);
    expect(detail.report.finalEquity).toBe(started.finalEquity);
    expect(detail.report.initialCapital).toBe("10000");
    expect(detail.curve.length).toBeGreaterThan(100);
    expect(detail.curve.length).toBeLessThanOrEqual(2000);
    expect(detail.drawdown).toHaveLength(detail.curve.length);
    expect(Math.min(...detail.drawdown.map((d) => d.pct))).toBeLessThanOrEqual(0);
    // The drawdown chart (downsampled curve) can only miss depth, never add it.
    expect(-Math.min(...detail.drawdown.map((d) => d.pct))).toBeLessThanOrEqual(detail.report.maxDrawdownPct! + 1e-9);

    const audit = await tdb.client.auditLog.findMany();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "trader1", role: "trader", action: "backtest_run", target: started.id, result: "OK" });
    expect(JSON.parse(audit[0]!.params!)).toMatchObject({ dataSet: FILE, fast: 10, slow: 30, capital: "10000" });
  });

  it("refuses a second run while one is going", async () => {
    const a = createCaller(ctx("trader")).backtests.run(good);
    const b = createCaller(ctx("admin")).backtests.run({ ...good, fast: 5, slow: 20 });
    const [ra, rb] = await Promise.allSettled([a, b]);
    expect(ra.status).toBe("fulfilled");
    expect(rb.status).toBe("rejected");
    const e = (rb as PromiseRejectedResult).reason as TRPCError;
    expect(e.message).toMatch(/still running/);
    expect(await tdb.client.backtestRun.count()).toBe(1);
    // …and the lock is released afterwards.
    await createCaller(ctx("admin")).backtests.run({ ...good, fast: 5, slow: 20 });
    expect(await tdb.client.backtestRun.count()).toBe(2);
  });

  it("answers NOT_FOUND for an unknown run and refuses odd ids", async () => {
    const c = createCaller(ctx("viewer"));
    expect((await refusal(c.backtests.detail({ id: "bt-00000000" }))).code).toBe("NOT_FOUND");
    expect((await refusal(c.backtests.detail({ id: "../x" }))).code).toBe("BAD_REQUEST");
  });
});

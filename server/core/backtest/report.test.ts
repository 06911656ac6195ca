// Tests may read the recorded market data fixture; the code under test stays pure.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { D, Decimal } from "../money";
import { handCandles, T0 } from "../../../test/backtest/hand-series";
import { runSmaCrossOracle } from "./oracle";
import { type BacktestReportInput, buildBacktestReport, CurveScan, decimalString } from "./report";
import { type EquityPoint } from "./types";

const DAY = 86_400_000;

// The oracle's hand-checked series (test/backtest/hand-series.ts; oracle.test.ts checks every number), with fee 25 bps.
const PARAMS = { symbol: "BTC/USDT", strategy: "sma-cross", fast: 2, slow: 4, capital: "401", feeBps: 25, slippage: "none" };

function handInput(overrides: Partial<BacktestReportInput> = {}): BacktestReportInput {
  const r = runSmaCrossOracle({ candles: handCandles, fast: 2, slow: 4, capital: 401, feeBps: 25, slippage: { kind: "none" } });
  if (!r.ok) throw new Error(r.error.message);
  return {
    trades: r.value.trades,
    equityCurve: r.value.equityCurve,
    initialCapital: "401",
    candles: handCandles.length,
    elapsedMs: 12.5,
    params: PARAMS,
    ...overrides,
  };
}

describe("buildBacktestReport on the hand-checked run", () => {
  const report = buildBacktestReport(handInput());

  it("computes every field", () => {
    expect(report).toEqual({
      params: PARAMS,
      candles: 18,
      tradeCount: 2,
      initialCapital: "401",
      finalEquity: "438.9",
      netPnl: "37.9",
      // 37.9 / 401 × 100
      totalReturnPct: D("37.9").dividedBy(401).times(100).toNumber(),
      // the equity peaks at 404 (close 10) and falls to 398 (close 11): 6 / 404 × 100; later falls are smaller
      maxDrawdownPct: D(6).dividedBy(404).times(100).toNumber(),
      // 90 minutes inside one UTC day: no daily return, no Sharpe
      sharpe: null,
      // one win (38.9025) and one loss (−1.0025)
      winRatePct: 50,
      profitFactor: D("38.9025").dividedBy("1.0025").toNumber(),
      // 2.0025 + 2.0975
      totalFees: "4.1",
      elapsedMs: 12.5,
      trades: [
        {
          entryTime: T0 + 8 * 300_000,
          exitTime: T0 + 12 * 300_000,
          side: "LONG",
          qty: "10",
          entryPrice: "40",
          exitPrice: "40.1",
          fees: "2.0025",
          pnl: "-1.0025",
          exitReason: "signal",
        },
        {
          entryTime: T0 + 15 * 300_000,
          exitTime: T0 + 18 * 300_000,
          side: "LONG",
          qty: "10",
          entryPrice: "39.9",
          exitPrice: "44",
          fees: "2.0975",
          pnl: "38.9025",
          exitReason: "end_of_data",
        },
      ],
    });
    expect(report.totalReturnPct).toBeCloseTo(9.451371571, 8);
    expect(report.maxDrawdownPct).toBeCloseTo(1.485148515, 8);
  });

  it("keeps a stable key order", () => {
    expect(Object.keys(report)).toEqual([
      "params",
      "candles",
      "tradeCount",
      "initialCapital",
      "finalEquity",
      "netPnl",
      "totalReturnPct",
      "maxDrawdownPct",
      "sharpe",
      "winRatePct",
      "profitFactor",
      "totalFees",
      "elapsedMs",
      "trades",
    ]);
    expect(Object.keys(report.trades[0]!)).toEqual(["entryTime", "exitTime", "side", "qty", "entryPrice", "exitPrice", "fees", "pnl", "exitReason"]);
    expect(Object.keys(report.params)).toEqual(Object.keys(PARAMS));
  });

  it("zeroes elapsedMs when deterministic, and can append the equity curve", () => {
    expect(buildBacktestReport(handInput({ deterministic: true })).elapsedMs).toBe(0);
    const withCurve = buildBacktestReport(handInput({ includeEquityCurve: true }));
    expect(withCurve.equityCurve?.map((p) => p.equity).slice(-3)).toEqual(["410", "420", "438.9"]);
    expect(Object.keys(withCurve).at(-1)).toBe("equityCurve");
  });
});

describe("buildBacktestReport edge cases", () => {
  it("no candles, no trades: nothing undefined leaks into JSON", () => {
    const report = buildBacktestReport({ trades: [], equityCurve: [], initialCapital: 10_000, candles: 0, elapsedMs: 0, params: {} });
    expect(report).toMatchObject({
      tradeCount: 0,
      finalEquity: "10000",
      netPnl: "0",
      totalReturnPct: 0,
      maxDrawdownPct: 0,
      sharpe: null,
      winRatePct: null,
      profitFactor: null,
      totalFees: "0",
    });
  });

  it("counts a fall below the initial capital as a drawdown", () => {
    const curve: EquityPoint[] = [
      { ts: T0, equity: D(90) },
      { ts: T0 + 1, equity: D(95) },
    ];
    expect(buildBacktestReport({ trades: [], equityCurve: curve, initialCapital: 100, candles: 2, elapsedMs: 0, params: {} }).maxDrawdownPct).toBe(10);
  });

  it("computes Sharpe from daily returns of the curve", () => {
    // day closes 100, 110, 99, 108.9: returns +10 %, −10 %, +10 %; mean 1/30, sample sd 1/√75, × √365 → √27375 / 30
    const curve: EquityPoint[] = [
      { ts: T0 + 3_600_000, equity: D(100) },
      { ts: T0 + DAY + 3_600_000, equity: D(104) },
      { ts: T0 + DAY + 7_200_000, equity: D(110) },
      { ts: T0 + 2 * DAY, equity: D(99) },
      { ts: T0 + 3 * DAY, equity: D("108.9") },
    ];
    const report = buildBacktestReport({ trades: [], equityCurve: curve, initialCapital: 100, candles: 5, elapsedMs: 0, params: {} });
    expect(report.sharpe).toBeCloseTo(Math.sqrt(27_375) / 30, 10);
  });

  it("writes null for a non-finite number in params and refuses nonsense counts", () => {
    const report = buildBacktestReport({
      trades: [],
      equityCurve: [],
      initialCapital: 1,
      candles: 0,
      elapsedMs: 0,
      params: { a: Number.NaN, b: Infinity, c: 1 },
    });
    expect(report.params).toEqual({ a: null, b: null, c: 1 });
    expect(() => buildBacktestReport({ trades: [], equityCurve: [], initialCapital: 1, candles: -1, elapsedMs: 0, params: {} })).toThrow(RangeError);
    expect(() => buildBacktestReport({ trades: [], equityCurve: [], initialCapital: 1, candles: 0, elapsedMs: Number.NaN, params: {} })).toThrow(RangeError);
  });
});

describe("buildBacktestReport on the recorded BTC/USDT 5m candles", () => {
  const candles = readFileSync("/work/shared/data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv", "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const [ts, open, , , close] = line.split(",");
      return { ts: Number(ts), open: open!, close: close! };
    });
  const run = (elapsedMs: number, deterministic: boolean): string => {
    const r = runSmaCrossOracle({ candles, fast: 10, slow: 30, capital: 10_000, feeBps: 10, slippage: { kind: "fixed", bps: D(2) } });
    if (!r.ok) throw new Error(r.error.message);
    const params = { data: "btc-usdt_5m_2023-01-02_2023-02-09.csv", symbol: "BTC/USDT", strategy: "sma-cross", fast: 10, slow: 30 };
    return JSON.stringify(
      buildBacktestReport({
        trades: r.value.trades,
        equityCurve: r.value.equityCurve,
        initialCapital: 10_000,
        candles: candles.length,
        elapsedMs,
        params,
        deterministic,
      }),
    );
  };

  it("is byte-identical for the same input, apart from elapsedMs unless deterministic", () => {
    const a = run(101, true);
    expect(run(202, true)).toBe(a);
    expect(run(101, false)).not.toBe(run(202, false));
    expect(run(101, false).replace(/"elapsedMs":\d+/, '"elapsedMs":0')).toBe(a);
  });

  it("holds only finite numbers, plain decimal strings and a consistent count", () => {
    const json = run(0, true);
    expect(json).not.toMatch(/NaN|Infinity/);
    const report = JSON.parse(json) as {
      tradeCount: number;
      trades: { qty: string; pnl: string }[];
      sharpe: number | null;
      maxDrawdownPct: number;
      winRatePct: number;
    };
    expect(report.trades.length).toBe(report.tradeCount);
    expect(report.tradeCount).toBeGreaterThan(100);
    for (const t of report.trades) {
      expect(t.qty).toMatch(/^\d+\.\d+$/);
      expect(t.pnl).toMatch(/^-?\d+(\.\d+)?$/);
    }
    // 38 days of 5-minute candles: 37 daily returns, so a Sharpe ratio exists
    expect(typeof report.sharpe).toBe("number");
    expect(report.maxDrawdownPct).toBeGreaterThan(0);
    expect(report.winRatePct).toBeGreaterThan(0);
  });
});

describe("buildBacktestReport on a numeric equity curve (what the engine backtest hands it)", () => {
  // Each curve as doubles; the last point is exact (a Decimal the doubles cannot hold) as in the engine.
  const HOUR = 3_600_000;
  const cases: { name: string; equity: number[]; last: string; ts?: number[] }[] = [
    { name: "rise then deep fall", equity: [1000, 1100, 1200, 900, 950, 1300], last: "1250.0000000000000000001" },
    { name: "two equally deep falls: the earlier is kept", equity: [1000, 500, 1000, 500], last: "1000" },
    { name: "ties with the peak and a fall below the capital", equity: [1000, 1000, 999.9999999999999, 1000, 800.1], last: "800.0999999999999999999" },
    { name: "never falls", equity: [1001, 1002, 1003], last: "1004" },
    { name: "flat at the capital (no trade)", equity: [1000, 1000, 1000, 1000], last: "1000" },
    { name: "flat at a capital floats cannot hold", equity: [1000.1, 1000.1, 1000.1], last: "1000.1" },
    { name: "plateaus at each high with falls between", equity: [1100, 1100, 1050, 1100, 1100, 1200, 1200, 1150, 1200, 1200], last: "1200" },
    { name: "falls to zero and below", equity: [1000, 0, -5, 10], last: "-0.5" },
    { name: "one point", equity: [], last: "977.123456789" },
    { name: "nearly equal ratios", equity: [2000, 1000.0000000000001, 4000, 2000.0000000000002, 2000], last: "2000.0000000000003" },
    { name: "a deeper fall after a shallower one", equity: [1000, 900, 850, 950, 1100, 600, 580.5, 700, 1200, 1150], last: "1150.00000000000000001" },
    {
      name: "uneven times: points on day edges, a day of one point, days without any",
      equity: [1000, 1010, 990, 1020, 1005, 1030, 1001, 1040, 1039],
      last: "1041.5",
      ts: [0, 1, 86_399_999, 86_400_000, 86_400_001, 3 * 86_400_000 + 5, 5 * 86_400_000 - 1, 5 * 86_400_000, 5 * 86_400_000, 9 * 86_400_000].map((d) => T0 + d),
    },
    { name: "times out of order (sorted the old way)", equity: [1000, 1200, 900, 1100], last: "1000", ts: [4, 1, 3, 2, 5].map((h) => T0 + h * 17 * HOUR) },
  ];
  for (const c of cases) {
    it(`gives exactly the report of the same curve as Decimals: ${c.name}`, () => {
      const values = [...c.equity, 0];
      // Hours across three UTC days, so Sharpe has returns to work on.
      const ts = c.ts ?? values.map((_, i) => T0 + i * 17 * HOUR);
      const last = D(c.last);
      const decimals: EquityPoint[] = values.map((v, i) => ({ ts: ts[i]!, equity: i === values.length - 1 ? last : D(v) }));
      const numeric = { ts: Float64Array.from(ts), equity: Float64Array.from(values), last };
      const base = handInput({ includeEquityCurve: true });
      const fromDecimals = buildBacktestReport({ ...base, equityCurve: decimals });
      const fromNumbers = buildBacktestReport({ ...base, equityCurve: numeric });
      expect(JSON.stringify(fromNumbers)).toBe(JSON.stringify(fromDecimals));
    });
  }

  // The engine's backtest notes every point but the last as it writes them (CurveScan): the report then reads the notes
  // instead of the points, and must give the same bytes; a scan that does not fit the curve (another capital, or not
  // every point) is not used.
  for (const c of cases) {
    it(`gives the same report from the points noted while the curve was written: ${c.name}`, () => {
      const values = [...c.equity, 0];
      const ts = c.ts ?? values.map((_, i) => T0 + i * 17 * HOUR);
      const last = D(c.last);
      const curve = { ts: Float64Array.from(ts), equity: Float64Array.from(values), last };
      const base = handInput({ includeEquityCurve: true });
      const expected = JSON.stringify(buildBacktestReport({ ...base, equityCurve: curve }));
      const noted = (initial: number, points: number) => {
        const scan = new CurveScan(initial);
        for (let i = 0; i < points; i++) scan.note(ts[i]!, values[i]!);
        return scan;
      };
      const fitting = noted(401, values.length - 1);
      expect(JSON.stringify(buildBacktestReport({ ...base, equityCurve: { ...curve, scan: fitting } }))).toBe(expected);
      // Read, not changed: a second report from the same scan is the same.
      expect(JSON.stringify(buildBacktestReport({ ...base, equityCurve: { ...curve, scan: fitting } }))).toBe(expected);
      // Misfits: noted from another capital (a peak of 10^6 would hide every fall), or one point short.
      expect(JSON.stringify(buildBacktestReport({ ...base, equityCurve: { ...curve, scan: noted(1e6, values.length - 1) } }))).toBe(expected);
      if (values.length > 1) {
        expect(JSON.stringify(buildBacktestReport({ ...base, equityCurve: { ...curve, scan: noted(401, values.length - 2) } }))).toBe(expected);
      }
    });
  }

  it("notes a run flat at its high once (no trade: one note, not one per candle)", () => {
    const flat = new CurveScan(1000);
    for (let i = 0; i < 10_000; i++) flat.note(i, 1000);
    expect(flat.count).toBe(10_000);
    expect(flat.drawAt).toEqual([0]);
    const plateaus = new CurveScan(1000);
    for (const [i, v] of [1100, 1100, 1050, 1100, 1200, 1200].entries()) plateaus.note(i, v);
    // the first 1100 (a peak), the fall to 1050, the first 1200; not the repeats of a peak already noted
    expect(plateaus.drawAt).toEqual([0, 2, 4]);
    expect(plateaus.drawRatio).toEqual([-1, 50 / 1100, -1]);
  });

  it("keeps few notes of a fall that deepens point after point (a fall below the largest by more than 1e-9 is never kept)", () => {
    const scan = new CurveScan(1000);
    for (let i = 0; i < 1000; i++) scan.note(i, 999 - i * 0.5);
    expect(scan.count).toBe(1000);
    expect(scan.drawAt).toEqual([999]);
    expect(scan.maxRatio).toBeCloseTo(0.5005, 12);
    scan.note(1000, 2000); // a new peak is always kept
    scan.note(1001, 1500); // a fall of 25 %: less than the largest, never kept
    scan.note(1002, 900); // 55 %: the largest now
    expect(scan.drawAt).toEqual([999, 1000, 1002]);
    expect(scan.drawRatio.slice(1)).toEqual([-1, 0.55]);
  });

  it("matches the Decimal curve on a long random walk (drawdown and Sharpe read only a few points)", () => {
    let x = 10_000;
    let seed = 7;
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      x *= 1 + (seed / 2_147_483_648 - 0.5) * 0.004;
      values.push(x);
    }
    const ts = values.map((_, i) => T0 + i * 60_000);
    const last = D(values.at(-1)!).plus("1e-30");
    const decimals = values.map((v, i) => ({ ts: ts[i]!, equity: i === values.length - 1 ? last : D(v) }));
    const base = handInput();
    const fromDecimals = buildBacktestReport({ ...base, equityCurve: decimals });
    const fromNumbers = buildBacktestReport({ ...base, equityCurve: { ts: Float64Array.from(ts), equity: Float64Array.from(values), last } });
    expect(fromNumbers).toEqual(fromDecimals);
    expect(fromNumbers.maxDrawdownPct).toBeGreaterThan(0);
    expect(fromNumbers.sharpe).not.toBeNull();
  });
});

describe("decimalString", () => {
  // What it was: toFixed(), and "0" for a zero of either sign. It now reads the digits itself, so every shape counts.
  const reference = (d: Decimal) => (d.isZero() ? "0" : d.toFixed());

  it("writes what toFixed writes, for every size and sign", () => {
    let seed = 99;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor(seed / 65536) % n;
    };
    const values: Decimal[] = [];
    for (let i = 0; i < 20_000; i++) {
      const digits = Array.from({ length: 1 + next(45) }, () => String(next(10))).join("");
      const exponent = next(90) - 45;
      const d = new Decimal(`${next(2) === 0 ? "-" : ""}${digits}e${exponent}`);
      values.push(d, d.dividedBy(7), d.times(10_000_000), d.dividedBy(10_000_000));
    }
    const edges = [
      "0",
      "-0",
      "1",
      "-1",
      "10",
      "1e7",
      "1e14",
      "10000001",
      "0.1",
      "0.0000001",
      "1e-7",
      "1e-30",
      "-1e-31",
      "1e39",
      "1e40",
      "9999999",
      "0.9999999",
    ];
    for (const text of edges) values.push(new Decimal(text));
    for (const d of values) expect(decimalString(d), d.toString()).toBe(reference(d));
  });

  it("writes NaN and Infinity as toFixed does (no caller passes them)", () => {
    for (const text of ["NaN", "Infinity", "-Infinity"]) expect(decimalString(new Decimal(text))).toBe(new Decimal(text).toFixed());
  });

  it("reads words not aligned on the point (never built by decimal.js) as digits placed by the exponent", () => {
    // A first word of 2 digits where the exponent asks for 3: the words are read as one digit string, as before.
    const unaligned = (words: number[], e: number, s = 1) => Object.assign(new Decimal(1), { d: words, e, s });
    expect(decimalString(unaligned([12, 3400000], 2))).toBe("123.4");
    expect(decimalString(unaligned([12], 5, -1))).toBe("-120000");
    expect(decimalString(unaligned([12, 5000000], -2))).toBe("0.0125");
  });
});

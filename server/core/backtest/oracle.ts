/**
 * The backtest oracle: a deliberately simple, independent reference implementation of the sma-cross backtest spec.
 * It is the yardstick the engine's backtest is tested against (same trades, same numbers), so it shares no logic with
 * the engine or with the incremental SmaCross: averages come from Decimal prefix sums, the loop is one pass with a
 * pending order, and every amount is a Decimal.
 *
 * The spec (issue text), and how each open point is settled here:
 * - SMA of closes over `fast` and `slow` candles. A cross up at candle i: fast > slow at i and fast ≤ slow at i−1;
 *   a cross down: fast < slow at i and fast ≥ slow at i−1. Compared exactly as fastSum × slow vs slowSum × fast.
 * - Cross up while flat: buy at the open of candle i+1 the quantity the whole equity pays for, fee included:
 *   qty = equity / (price × (1 + fee)), with price the fill price (slippage included). With a quantity step the qty is
 *   rounded down onto it (and no order is placed if that leaves zero). Without a step, qty is decimal.js's quotient
 *   at 40 significant digits rounded down, so the cost never exceeds the cash (a residual of about 1e-35 can remain).
 * - Cross down while long: sell the whole position at the open of candle i+1. Long only: other crosses do nothing.
 * - A signal on the last candle has no next open and is dropped; a position still open after the last candle is
 *   closed at that candle's close, paying slippage and fee like every fill (exitReason "end_of_data").
 * - fee: each fill pays notional × feeBps / 10 000 (notional = qty × fill price).
 * - slippage fixed:N: buy price = reference × (1 + N / 10 000), sell price = reference × (1 − N / 10 000), exact.
 * - Times: a candle's `ts` is its open time, its close time is ts + intervalMs. Entry and signal exits happen at the
 *   next candle's open time; the end-of-data exit at the last candle's close time. intervalMs defaults to the
 *   smallest positive gap between consecutive candles (0 with fewer than two candles).
 * - Equity curve: one point per candle at its close time: cash + qty × close (a mark, no exit costs), except the last
 *   point, which is the cash after the end-of-data close, so it equals finalEquity.
 */
import { D, Decimal, type DecimalInput, ZERO, roundToStep } from "../money";

const DecimalDown = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_DOWN });
import { type Result, err, ok } from "../errors";
import { validateSmaCrossParams } from "../strategies/sma-cross";
import { type PriceValue } from "../strategies/types";
import { type BacktestFill, type BacktestTrade, type EquityPoint, type SlippageSpec } from "./types";

export interface OracleCandle {
  ts: number;
  open: PriceValue;
  close: PriceValue;
}

export interface SmaCrossBacktestSpec {
  candles: readonly OracleCandle[];
  fast: number;
  slow: number;
  capital: DecimalInput;
  /** Fee per fill in bps of its notional (0 ≤ feeBps < 10 000). */
  feeBps: DecimalInput;
  slippage: SlippageSpec;
  /** Instrument quantity step; quantities are rounded down onto it. Omitted or null: no rounding. */
  qtyStep?: DecimalInput | null;
  /** Candle length in ms (see the file comment for the default). */
  intervalMs?: number;
}

export interface OracleCross {
  /** Index of the candle at whose close the cross happened. */
  index: number;
  signal: "BUY" | "SELL";
  /** Whether it led to an order (a BUY while flat, a SELL while long, with a next candle to fill in). */
  acted: boolean;
}

export interface OracleResult {
  trades: BacktestTrade[];
  fills: BacktestFill[];
  equityCurve: EquityPoint[];
  crosses: OracleCross[];
  finalEquity: Decimal;
  intervalMs: number;
}

export type OracleErrorCode = "BACKTEST_INVALID_SPEC" | "BACKTEST_INVALID_CANDLES";

const BPS = new Decimal(10_000);

function price(value: PriceValue, what: string): Decimal | string {
  try {
    const d = D(value);
    return d.greaterThan(0) ? d : `${what} ${String(value)} is not a positive price`;
  } catch {
    return `${what} ${String(value)} is not a number`;
  }
}

function inferInterval(candles: readonly OracleCandle[]): number {
  let best = 0;
  for (let i = 1; i < candles.length; i++) {
    const gap = candles[i]!.ts - candles[i - 1]!.ts;
    if (gap > 0 && (best === 0 || gap < best)) best = gap;
  }
  return best;
}

/** Runs the sma-cross backtest by the book. */
export function runSmaCrossOracle(spec: SmaCrossBacktestSpec): Result<OracleResult, OracleErrorCode> {
  // ---- checks
  const params = validateSmaCrossParams({ fast: spec.fast, slow: spec.slow });
  if (!params.ok) return err("BACKTEST_INVALID_SPEC", params.error.message);
  const { fast, slow } = params.value;
  let capital: Decimal;
  let feeRate: Decimal;
  let slip: Decimal;
  let step: Decimal | null;
  try {
    capital = D(spec.capital);
    feeRate = D(spec.feeBps).dividedBy(BPS);
    slip = spec.slippage.kind === "fixed" ? D(spec.slippage.bps).dividedBy(BPS) : ZERO;
    step = spec.qtyStep == null ? null : D(spec.qtyStep);
  } catch (e) {
    return err("BACKTEST_INVALID_SPEC", `The backtest settings are not numbers: ${(e as Error).message}.`);
  }
  if (!capital.greaterThan(0)) return err("BACKTEST_INVALID_SPEC", `The capital must be positive, got ${capital.toString()}.`);
  if (feeRate.isNegative() || feeRate.greaterThanOrEqualTo(1))
    return err("BACKTEST_INVALID_SPEC", `The fee must be from 0 to below 10000 bps, got ${String(spec.feeBps)}.`);
  if (slip.isNegative() || slip.greaterThanOrEqualTo(1)) return err("BACKTEST_INVALID_SPEC", `The slippage must be from 0 to below 10000 bps.`);
  if (step !== null && !step.greaterThan(0)) return err("BACKTEST_INVALID_SPEC", `The quantity step must be positive, got ${step.toString()}.`);

  const opens: Decimal[] = [];
  const closes: Decimal[] = [];
  for (let i = 0; i < spec.candles.length; i++) {
    const c = spec.candles[i]!;
    if (!Number.isFinite(c.ts)) return err("BACKTEST_INVALID_CANDLES", `Candle ${i} has no valid time.`);
    if (i > 0 && !(c.ts > spec.candles[i - 1]!.ts)) return err("BACKTEST_INVALID_CANDLES", `Candle ${i} (ts ${c.ts}) does not come after candle ${i - 1}.`);
    const open = price(c.open, `Candle ${i}: open`);
    const close = price(c.close, `Candle ${i}: close`);
    if (typeof open === "string") return err("BACKTEST_INVALID_CANDLES", `${open}.`);
    if (typeof close === "string") return err("BACKTEST_INVALID_CANDLES", `${close}.`);
    opens.push(open);
    closes.push(close);
  }
  const n = closes.length;
  const intervalMs = spec.intervalMs ?? inferInterval(spec.candles);
  const closeTime = (i: number): number => spec.candles[i]!.ts + intervalMs;

  // ---- averages: prefix[k] = close[0] + … + close[k−1]
  const prefix: Decimal[] = [ZERO];
  for (const c of closes) prefix.push(prefix[prefix.length - 1]!.plus(c));
  const sumOf = (i: number, len: number): Decimal => prefix[i + 1]!.minus(prefix[i + 1 - len]!);
  /** sign(SMA_fast(i) − SMA_slow(i)), defined for i ≥ slow − 1. */
  const relation = (i: number): number => sumOf(i, fast).times(slow).comparedTo(sumOf(i, slow).times(fast));

  // ---- the loop
  const trades: BacktestTrade[] = [];
  const fills: BacktestFill[] = [];
  const equityCurve: EquityPoint[] = [];
  const crosses: OracleCross[] = [];
  let cash = capital;
  let qty = ZERO;
  let entry: { ts: number; price: Decimal; fee: Decimal; cost: Decimal } | null = null;
  let pending: "BUY" | "SELL" | null = null;

  const sell = (i: number, ts: number, reference: Decimal, reason: BacktestTrade["exitReason"]): void => {
    const fillPrice = reference.times(oneMinus(slip));
    const proceeds = qty.times(fillPrice);
    const fee = proceeds.times(feeRate);
    cash = cash.plus(proceeds).minus(fee);
    const opened = entry!;
    fills.push({ ts, candleIndex: i, side: "SELL", qty, price: fillPrice, fee });
    trades.push({
      entryTime: opened.ts,
      exitTime: ts,
      side: "LONG",
      qty,
      entryPrice: opened.price,
      exitPrice: fillPrice,
      fees: opened.fee.plus(fee),
      pnl: proceeds.minus(fee).minus(opened.cost),
      exitReason: reason,
    });
    qty = ZERO;
    entry = null;
  };

  for (let i = 0; i < n; i++) {
    const ts = spec.candles[i]!.ts;
    // 1. the order decided at the previous close fills at this open
    if (pending === "BUY") {
      const fillPrice = opens[i]!.times(slip.plus(1));
      // Rounded down (40 significant digits): the order never costs more than the cash behind it, as at a venue.
      const raw = new Decimal(new DecimalDown(cash).dividedBy(fillPrice.times(feeRate.plus(1))));
      const q = step ? roundToStep(raw, step, "down") : raw;
      if (q.greaterThan(0)) {
        const notional = q.times(fillPrice);
        const fee = notional.times(feeRate);
        cash = cash.minus(notional).minus(fee);
        qty = q;
        entry = { ts, price: fillPrice, fee, cost: notional.plus(fee) };
        fills.push({ ts, candleIndex: i, side: "BUY", qty: q, price: fillPrice, fee });
      }
    } else if (pending === "SELL") {
      sell(i, ts, opens[i]!, "signal");
    }
    pending = null;

    // 2. the last candle closes what is still open; otherwise look for a cross at this close
    if (i === n - 1) {
      if (qty.greaterThan(0)) sell(i, closeTime(i), closes[i]!, "end_of_data");
    }
    if (i >= slow) {
      const now = relation(i);
      const before = relation(i - 1);
      const signal = now > 0 && before <= 0 ? "BUY" : now < 0 && before >= 0 ? "SELL" : null;
      if (signal) {
        const long = qty.greaterThan(0);
        const acted = i < n - 1 && (signal === "BUY" ? !long : long);
        crosses.push({ index: i, signal, acted });
        if (acted) pending = signal;
      }
    }

    // 3. mark equity at the close
    equityCurve.push({ ts: closeTime(i), equity: cash.plus(qty.times(closes[i]!)) });
  }

  return ok({ trades, fills, equityCurve, crosses, finalEquity: cash, intervalMs });
}

function oneMinus(x: Decimal): Decimal {
  return new Decimal(1).minus(x);
}

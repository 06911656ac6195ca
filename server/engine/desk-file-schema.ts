/**
 * The desk file's schema: snake_case keys, every object strict (desk-file-yaml.ts turns an unknown key into a "did you
 * mean"), every field with its range in words. The key path is put in front of each message by the formatter.
 */
import { z } from "zod";
import { MAX_BREAKER_MINUTES, TRIP_ACTIONS } from "../core/breaker/config";
import { parseDecimal } from "../core/money";
import { STRATEGY_NAMES } from "../core/strategies";
import { ALLOCATION_METHODS } from "../core/risk/portfolio-report";

export const DESK_MODES = ["replay", "paper", "live", "backtest"] as const;

// Field types, each with its range in words (the key path is put in front by the formatter)

/** A value echoed in a message: short, never a megabyte back. */
export function got(input: unknown): string {
  if (typeof input === "string") return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
  if (input === undefined) return "nothing";
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "number" || typeof input === "boolean" || typeof input === "bigint") return String(input);
  return typeof input === "object" ? "a map" : typeof input;
}

const shownNumber = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 8 });

function numberIn(min: number, max: number, unit = "") {
  const message = (issue: { input?: unknown }) => `must be a number from ${shownNumber(min)} to ${shownNumber(max)}${unit} (got ${got(issue.input)})`;
  return z.number({ error: message }).min(min, { error: message }).max(max, { error: message });
}

function wholeIn(min: number, max: number, unit = "") {
  const message = (issue: { input?: unknown }) => `must be a whole number from ${shownNumber(min)} to ${shownNumber(max)}${unit} (got ${got(issue.input)})`;
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

/** A share of one, written 0.02 for 2 %. */
const share = (min: number, max: number, of: string) => numberIn(min, max, ` (a share of ${of}: 0.02 = 2 %)`);

/** Exact decimal text (a YAML number or a quoted string), kept as a string: money and quantities are never floats. */
function decimalIn(min: string, max: string, decimals: number, unit = "") {
  return z.union([z.string(), z.number()], { error: (issue) => `must be a number (got ${got(issue.input)})` }).transform((value, ctx) => {
    const d = typeof value === "number" && !Number.isFinite(value) ? null : parseDecimal(value);
    if (d === null || d.lessThan(min) || d.greaterThan(max) || d.decimalPlaces() > decimals) {
      ctx.addIssue({
        code: "custom",
        message: `must be a number from ${min} to ${Number(max).toLocaleString("en-US")}${unit} with at most ${decimals} decimals (got ${got(value)})`,
      });
      return z.NEVER;
    }
    return d.toFixed();
  });
}

const money = () => decimalIn("0.01", "1000000000000", 8, " (quote currency)");
const quantity = () => decimalIn("0.000000000001", "1000000000000", 12, " (coins)");
const bool = () => z.boolean({ error: (issue) => `must be true or false (got ${got(issue.input)})` });
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (issue) => `must be one of ${values.join(", ")} (got ${got(issue.input)})` });
const pattern = (regex: RegExp, what: string) =>
  z.string({ error: (issue) => `must be ${what} (got ${got(issue.input)})` }).regex(regex, { error: (issue) => `must be ${what} (got ${got(issue.input)})` });

const SYMBOL = /^[A-Za-z0-9._-]{1,20}\/[A-Za-z0-9._-]{1,20}(:[A-Za-z0-9._-]{1,20})?$/;
const symbolName = () => pattern(SYMBOL, "a ccxt symbol such as BTC/USDT");
const ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
const idName = () => pattern(ID, "an id of lower-case letters, digits and dashes such as binance-main (at most 40)");
const list = <T extends z.ZodType>(item: T, max: number) =>
  z.array(item, { error: (issue) => `must be a list (got ${got(issue.input)})` }).max(max, { error: `allows at most ${max} entries` });

const takeProfitLevels = () =>
  list(
    z.strictObject({
      pct: numberIn(0.01, 10_000, " %"),
      close_fraction: numberIn(0.01, 1, " (the share of what is left that closes)"),
    }),
    10,
  ).refine((levels) => levels.every((l, i) => i === 0 || l.pct > levels[i - 1]!.pct), { error: "the levels must rise in pct" });

const sizing = () =>
  z.discriminatedUnion(
    "method",
    [
      z.strictObject({ method: z.literal("fixed_fraction"), fraction: share(0.0001, 1, "equity") }),
      z.strictObject({ method: z.literal("all_in") }),
      z.strictObject({ method: z.literal("fixed_risk"), risk_fraction: share(0.0001, 0.2, "equity risked per trade") }),
      z.strictObject({ method: z.literal("confidence"), fraction: share(0.0001, 1, "equity") }),
      z.strictObject({
        method: z.literal("kelly"),
        multiplier: numberIn(0.01, 1, " (the share of full Kelly bet: 0.5 = half Kelly)").optional(),
        max_fraction: share(0.0001, 1, "equity").optional(),
        min_trades: wholeIn(1, 100_000, " closed trades").optional(),
        fallback_fraction: share(0.0001, 1, "equity").optional(),
      }),
      z.strictObject({
        method: z.literal("atr"),
        risk_fraction: share(0.0001, 0.2, "equity risked per trade"),
        atr_multiple: numberIn(0.1, 50).optional(),
        period: wholeIn(2, 500, " bars").optional(),
      }),
      z.strictObject({
        method: z.literal("target_weight"),
        fraction: share(0.0001, 1, "equity the whole book holds"),
        allocation: z.enum(ALLOCATION_METHODS, { error: `allocation must be one of ${ALLOCATION_METHODS.join(", ")}` }).optional(),
      }),
    ],
    {
      error: (issue) =>
        `method must be one of fixed_fraction, all_in, fixed_risk, confidence, kelly, atr, target_weight (got ${got((issue.input as { method?: unknown })?.method)})`,
    },
  );

// ---------------------------------------------------------------------------------------------------------------
// The file's schema (snake_case, every object strict: an unknown key is refused, with a "did you mean")

const deskSection = z.strictObject({
  mode: oneOf(DESK_MODES).optional(),
  /** Starting capital of a simulated desk, in the quote currency. */
  capital: decimalIn("1", "1000000000000", 8, " (quote currency)").optional(),
  /** The symbols the desk trades (BASTION_SYMBOL). */
  symbols: list(symbolName(), 200).min(1, { error: "needs at least one symbol" }).optional(),
  seed: wholeIn(0, 2 ** 32 - 1).optional(),
  replay: z
    .strictObject({
      file: z
        .string({ error: (issue) => `must be a file path (got ${got(issue.input)})` })
        .min(1, { error: "must be a file path" })
        .optional(),
      speed: wholeIn(1, 100_000, " recorded ms per real ms").optional(),
      /** The recorded time to start from (UTC, e.g. 2023-03-10T18:00:00Z); default a few bars before the first entry. */
      start: pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$/, "a UTC time such as 2023-03-10T18:00:00Z").optional(),
    })
    .optional(),
  /**
   * Fixed rates of pegged currencies into the desk's quote (units of the quote per unit: `USDC: 1` on a USDT desk), for a
   * currency that has no conversion mark. A peg only (0.5 to 2): a floating rate is a market's, read from a mark.
   */
  conversion_rates: z
    .record(pattern(/^[A-Z0-9]{2,10}$/, "a currency code such as USDC"), decimalIn("0.5", "2", 8, " units of the desk's quote (a peg)"), {
      error: (issue) => `must be a map of currency: rate such as { USDC: 1 } (got ${got(issue.input)})`,
    })
    .refine((rates) => Object.keys(rates).length <= 20, { error: "allows at most 20 currencies" })
    .optional(),
});

const venueEntry = z.strictObject({
  id: idName(),
  /** A ccxt exchange id (binance, bitget …), or sim. */
  exchange: pattern(/^[a-z0-9_]{1,40}$/, "a ccxt exchange id such as binance or bitget"),
  mode: oneOf(["sim", "ccxt"] as const),
  testnet: bool().optional(),
  enabled: bool().optional(),
  fees: z.strictObject({ maker_bps: numberIn(-100, 1000, " bp"), taker_bps: numberIn(-100, 1000, " bp") }).optional(),
  symbols: list(symbolName(), 200).optional(),
  /** Replay, mode sim: the venue's own recording(s), one file per symbol (its name says the symbol); else the desk's. */
  replay: z.union([replayPath(), list(replayPath(), 200)], { error: (issue) => `must be a file path or a list of them (got ${got(issue.input)})` }).optional(),
  /** ccxt venues: a base URL replacing the exchange's API origin (a test server, a proxy), as BASTION_API_URL does for one. */
  api_url: pattern(/^https?:\/\/[^\s?#]{1,300}$/, "an http(s) base URL such as http://127.0.0.1:8080").optional(),
  /** Mode sim: the venue's starting balances per currency (e.g. { BTC: 1, USDC: 50000 }); else the desk's capital in its quote. */
  balances: z
    .record(pattern(/^[A-Z0-9]{1,20}$/, "a currency code in capitals such as BTC or USDC"), decimalIn("0", "1000000000000", 12, " (units of the currency)"), {
      error: (issue) => `must be a map of currency: amount such as { BTC: 1, USDC: 50000 } (got ${got(issue.input)})`,
    })
    .optional(),
});

function replayPath() {
  return z.string({ error: (issue) => `must be a file path (got ${got(issue.input)})` }).min(1, { error: "must be a file path" });
}

const strategyEntry = z.strictObject({
  id: idName(),
  kind: oneOf(STRATEGY_NAMES),
  params: z.record(z.string(), z.unknown(), { error: (issue) => `must be a map of parameters (got ${got(issue.input)})` }).optional(),
  symbols: list(symbolName(), 200).min(1, { error: "needs at least one symbol" }),
  venue: idName().optional(),
  enabled: bool().optional(),
});

export const symbolEntry = z.strictObject({
  enabled: bool().optional(),
  min_confidence: numberIn(0, 1).optional(),
  /** The largest position, in coins (maxPositionQty). */
  max_position_size: quantity().nullable().optional(),
  max_position_notional: money().nullable().optional(),
  sizing: sizing().optional(),
  stop_loss_pct: numberIn(0.01, 99, " %").nullable().optional(),
  take_profit_levels: takeProfitLevels().optional(),
  trailing: z
    .strictObject({ activation_pct: numberIn(0, 1000, " %"), distance_pct: numberIn(0.01, 99, " %") })
    .nullable()
    .optional(),
  max_age_minutes: wholeIn(1, 525_600, " minutes").nullable().optional(),
  /** Size × expectedReturn / reference, at most × max_multiplier; null: the size does not depend on it. */
  expected_return_scaling: z
    .strictObject({ reference: share(0.0001, 10, "the price (the expectedReturn sized at ×1)"), max_multiplier: numberIn(0.1, 10).optional() })
    .nullable()
    .optional(),
  /** The chaser (engine/algos.ts): a limit entry unfilled after order_timeout_seconds is re-priced retry_attempts times, then crossed or cancelled. */
  execution: z
    .strictObject({
      order_timeout_seconds: wholeIn(1, 86_400, " s").optional(),
      retry_attempts: wholeIn(0, 100).optional(),
      chaser_end: z.enum(["cross", "cancel"], { error: "must be cross or cancel" }).optional(),
    })
    .nullable()
    .optional(),
});

const riskSection = z.strictObject({
  max_open_positions: wholeIn(1, 10_000).nullable().optional(),
  max_portfolio_exposure: share(0.0001, 100, "equity").nullable().optional(),
  max_portfolio_exposure_amount: money().nullable().optional(),
  max_symbol_exposure: share(0.0001, 100, "equity").nullable().optional(),
  /** A correlation cluster's gross exposure cap (the issue's max_correlated_exposure, e.g. 0.4). */
  max_correlated_exposure: share(0.0001, 100, "equity").nullable().optional(),
  correlation_threshold: numberIn(0.1, 0.99).nullable().optional(),
  correlation_window_bars: wholeIn(10, 5000, " bars").nullable().optional(),
  correlation_bar_minutes: wholeIn(5, 1440, " minutes").nullable().optional(),
  /** The highest portfolio 99 % 1-day VaR a new entry may lead to, as a share of equity. */
  max_var: share(0.0001, 1, "equity").nullable().optional(),
  min_notional: decimalIn("0.01", "1000000", 8, " (quote currency)").nullable().optional(),
  max_notional_per_order: money().nullable().optional(),
  max_slippage_bps: numberIn(0.1, 10_000, " bp").nullable().optional(),
  max_orders_per_minute: wholeIn(1, 10_000).nullable().optional(),
  min_confidence: numberIn(0, 1).nullable().optional(),
  max_open_positions_per_strategy: wholeIn(1, 10_000).nullable().optional(),
  max_strategy_exposure: share(0.0001, 100, "equity").nullable().optional(),
  /** A signal for a symbol another strategy holds: allow, net (opposite-side entries refused) or refuse. */
  strategy_conflict: z.enum(["allow", "net", "refuse"], { error: "strategy_conflict must be one of allow, net, refuse" }).nullable().optional(),
  /** The breaker's drawdown limit (breaker.max_drawdown_pct), as a share. */
  emergency_stop_drawdown: share(0.0001, 1, "the equity peak").nullable().optional(),
  /** Defaults of symbols without settings of their own. */
  default_stop_loss: share(0.0001, 0.99, "the entry price").nullable().optional(),
  trailing_stop_activation: share(0, 10, "the entry price").nullable().optional(),
  trailing_stop_distance: share(0.0001, 0.99, "the best price").optional(),
  partial_close_thresholds: takeProfitLevels().optional(),
  order_timeout_seconds: wholeIn(1, 86_400, " seconds").optional(),
  /** Retries of a venue request known not to have run (rate limited, refused before processing); an order in doubt is never sent again. */
  retry_attempts: wholeIn(0, 10).optional(),
});

const pctLimit = () => numberIn(0.01, 100, " %").nullable().optional();
const amountLimit = () => numberIn(0.01, 1e12, " (quote currency)").nullable().optional();
const countLimit = (max: number) => wholeIn(1, max).nullable().optional();
export const breakerSection = z.strictObject({
  max_daily_loss_pct: pctLimit(),
  max_daily_loss_abs: amountLimit(),
  max_weekly_loss_pct: pctLimit(),
  max_drawdown_pct: pctLimit(),
  max_drawdown_abs: amountLimit(),
  /** The portfolio's 99 % 1-day VaR as % of equity (maxPortfolioVarPct). */
  max_portfolio_var_pct: pctLimit(),
  max_consecutive_losses: countLimit(1_000),
  max_orders_per_minute: countLimit(10_000),
  max_orders_per_hour: countLimit(100_000),
  max_consecutive_errors: countLimit(1_000),
  auto_reset_after_minutes: numberIn(1, MAX_BREAKER_MINUTES, " minutes").nullable().optional(),
  require_manual_reset: bool().optional(),
  cooldown_minutes: numberIn(0, MAX_BREAKER_MINUTES, " minutes").optional(),
  trip_action: oneOf(TRIP_ACTIONS).optional(),
});

/**
 * Outbound notification channels (webhook, Telegram, email). Each channel is checked by server/notify's own schema in
 * desk-file.ts (its keys written in snake_case here); their secrets come from the environment or the secrets file.
 */
const notificationsSection = z.strictObject({
  channels: list(
    z.record(z.string(), z.unknown(), { error: (issue) => `must be a map such as { name: ops, type: webhook, url: … } (got ${got(issue.input)})` }),
    20,
  ).optional(),
});

/** The alert center's thresholds (core/alerts AlertSettings); a key left out keeps its default. */
export const alertsSection = z.strictObject({
  slippage_warn_bps: numberIn(0.01, 10_000, " basis points").optional(),
  slippage_critical_bps: numberIn(0.01, 10_000, " basis points").optional(),
  latency_ms: wholeIn(1, 600_000, " ms").optional(),
  limit_fill_timeout_seconds: wholeIn(1, 7 * 86_400, " seconds").optional(),
  fill_rate_window_minutes: wholeIn(1, 7 * 1_440, " minutes").optional(),
  fill_rate_min_orders: wholeIn(1, 10_000).optional(),
  fill_rate_floor_pct: numberIn(0, 100, " %").optional(),
});

/**
 * Protections (core/protection): flash_move, stale_data, venue_unreachable, volatility, strategy_failure, system_overload,
 * each with its values, an action and per-symbol overrides under `symbols`. Checked by core/protection's own schema in
 * desk-file.ts (its keys written in snake_case here).
 */
const protectionsSection = z.record(z.string(), z.unknown(), {
  error: (issue) => `must be a map of protection rules such as { flash_move: { move_pct: 5 } } (got ${got(issue.input)})`,
});

/** One market of an arbitrage pair: a symbol on a venue. */
const arbMarket = z.strictObject({ venue: idName(), symbol: symbolName() });

/**
 * An arbitrage pair (engine/arbitrage.ts): the same asset on two markets; either may be the buy side (the spread
 * decides). The two markets' quote currencies are treated as equal value (USDC = USD): say so in the file.
 */
const arbitragePair = z.strictObject({
  id: idName(),
  markets: z
    .array(arbMarket, { error: (issue) => `must be a list of two { venue, symbol } markets (got ${got(issue.input)})` })
    .length(2, { error: "must name exactly two markets, each { venue, symbol }" }),
  /** The least net spread worth trading, after both fees and the expected slippage. */
  threshold_bps: numberIn(0, 10_000, " bp"),
  /** Expected slippage per taker leg; the taker legs' limit prices allow this much past the touch. */
  slippage_bps: numberIn(0, 1_000, " bp").optional(),
  legs: oneOf(["taker-taker", "maker-taker"] as const).optional(),
  /** The largest quantity one round trip trades, in coins of the base. */
  max_qty: quantity(),
  /** A leg still working this long after the round trip opened is too slow: it is cancelled and the imbalance repaired. */
  leg_timeout_seconds: wholeIn(1, 3_600, " s").optional(),
  /** Two quotes further apart in time than this are not compared. */
  max_quote_age_seconds: wholeIn(1, 86_400, " s").optional(),
  /** How an imbalance is repaired first: hedge (complete the lagging leg) or unwind (reverse the leading one). */
  repair: oneOf(["hedge", "unwind"] as const).optional(),
  enabled: bool().optional(),
});

export const deskFileSchema = z.strictObject({
  version: z.literal(1, { error: (issue) => `must be 1 (got ${got(issue.input)})` }).optional(),
  desk: deskSection.optional(),
  venues: list(venueEntry, 50).optional(),
  symbols: z.record(symbolName(), symbolEntry, { error: (issue) => `must be a map of symbols (got ${got(issue.input)})` }).optional(),
  strategies: list(strategyEntry, 100).optional(),
  risk: riskSection.optional(),
  breaker: breakerSection.optional(),
  notifications: notificationsSection.optional(),
  alerts: alertsSection.optional(),
  protections: protectionsSection.optional(),
  arbitrage: list(arbitragePair, 50).optional(),
});
export type DeskFileInput = z.output<typeof deskFileSchema>;

/**
 * Editable trading settings: per-symbol settings and the portfolio risk limits, as zod schemas (the
 * API validates with them; the engine parses stored JSON with them), plus their conversion to the
 * core's types.
 */
import { ALLOCATION_METHODS } from "../core/risk/portfolio-report";
import { z } from "zod";
import { D, parseDecimal } from "../core/money";
import type { ExitConfig } from "../core/positions/exits";
import { algoRequestSchema } from "../core/algos/request";
import type { RiskLimits, SymbolRiskLimits } from "../core/risk/limits";

/*
 * Every setting has a sane range, said in words: a value inside the schema's type but absurd (a cooldown of 1e300
 * minutes, a loss limit of 5e-324 %, a minimum notional of 1e-41, a limit with 40 nines) is refused, not saved.
 */

const shownNumber = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 8 });

const got = (input: unknown) =>
  typeof input === "number" ? String(input) : typeof input === "string" ? JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input) : typeof input;

/** A number in [min, max], said as "from min to max unit (got …)". */
export const numberIn = (what: string, min: number, max: number, unit = "") => {
  const range = (issue: { input?: unknown }) => `${what} must be from ${shownNumber(min)} to ${shownNumber(max)}${unit} (got ${got(issue.input)})`;
  return z
    .number({ error: (issue) => `${what} must be a finite number (got ${got(issue.input)})` })
    .min(min, { error: range })
    .max(max, { error: range });
};

/** A whole number in [min, max]. */
export const wholeIn = (what: string, min: number, max: number, unit = "") =>
  numberIn(what, min, max, unit).int({
    error: (issue) => `${what} must be a whole number from ${shownNumber(min)} to ${shownNumber(max)}${unit} (got ${got(issue.input)})`,
  });

/** A percentage from 0.01 to `max`. */
const pct = (what: string, max = 1000) => numberIn(what, 0.01, max, " %");

/** A positive decimal (string or number) from `min` to `max` with at most `decimals` decimals, kept as a string. */
const decimalString = (what: string, opts: { min: string; max: string; decimals: number; unit?: string }) =>
  z.union([z.string(), z.number()], { error: `${what} must be a number` }).transform((v, ctx) => {
    const range = `from ${opts.min} to ${Number(opts.max).toLocaleString("en-US")}${opts.unit ?? ""}, with at most ${opts.decimals} decimals`;
    const d = typeof v === "number" && !Number.isFinite(v) ? null : parseDecimal(v);
    const shown = String(v).length > 40 ? `${String(v).slice(0, 40)}…` : String(v);
    if (d === null || d.isNegative() || d.lessThan(opts.min) || d.greaterThan(opts.max) || d.decimalPlaces() > opts.decimals) {
      ctx.addIssue({ code: "custom", message: `${what} must be ${range} (got '${shown}')` });
      return z.NEVER;
    }
    return d.toFixed();
  });

/** An amount of the account currency (USDT): a cent to a trillion. */
const money = (what: string) => decimalString(what, { min: "0.01", max: "1000000000000", decimals: 8 });
/** A quantity of coins: 0.000000000001 to a trillion. */
const quantity = (what: string) => decimalString(what, { min: "0.000000000001", max: "1000000000000", decimals: 12 });

export const sizingSchema = z.discriminatedUnion("method", [
  z.object({ method: z.literal("fixed_fraction"), fraction: numberIn("fraction (a share of equity)", 0.0001, 1) }),
  /** The whole equity, fees included: qty = equity / (price × (1 + slippage) × (1 + fee)). */
  z.object({ method: z.literal("all_in") }),
  z.object({
    method: z.literal("fixed_risk"),
    riskFraction: numberIn("riskFraction (a share of equity risked per trade; more than 20% is refused)", 0.0001, 0.2),
  }),
  z.object({ method: z.literal("confidence"), fraction: numberIn("fraction (a share of equity)", 0.0001, 1) }),
  /**
   * Fractional Kelly from the strategy's own closed trades (win rate, payoff ratio), capped at maxFraction of equity;
   * until the strategy has minTrades trades with a win and a loss, fixed_fraction with fallbackFraction.
   */
  z.object({
    method: z.literal("kelly"),
    multiplier: numberIn("multiplier (the share of full Kelly bet: 0.5 = half Kelly)", 0.01, 1).default(0.5),
    maxFraction: numberIn("maxFraction (the largest share of equity one entry may take)", 0.0001, 1).default(0.2),
    minTrades: wholeIn("minTrades (closed trades before Kelly replaces the fallback)", 1, 100_000).default(30),
    fallbackFraction: numberIn("fallbackFraction (a share of equity, until minTrades)", 0.0001, 1).default(0.1),
  }),
  /** Volatility sizing: the stop sits atrMultiple × ATR(period) of the recent market-history bars away; riskFraction of equity is risked. */
  z.object({
    method: z.literal("atr"),
    riskFraction: numberIn("riskFraction (a share of equity risked per trade; more than 20% is refused)", 0.0001, 0.2),
    atrMultiple: numberIn("atrMultiple", 0.1, 50).default(2),
    period: wholeIn("period (bars of the ATR)", 2, 500).default(14),
  }),
  /**
   * Toward the symbol's target weight from an allocation method (core/risk/allocation.ts, on the gate's covariance):
   * the symbol may hold fraction × weight of equity and an entry buys the gap (target-weight.ts).
   */
  z.object({
    method: z.literal("target_weight"),
    fraction: numberIn("fraction (the share of equity the whole book holds)", 0.0001, 1),
    allocation: z.enum(ALLOCATION_METHODS, { error: `allocation must be one of ${ALLOCATION_METHODS.join(", ")}` }).default("risk_parity"),
  }),
]);

/**
 * Size scaled by the signal's expectedReturn: × expectedReturn / reference, at most maxMultiplier. A signal without an
 * expectedReturn keeps its size; one that expects nothing (≤ 0) is refused. Not applied to all_in (its budget is the cap).
 */
export const expectedReturnScalingSchema = z.object({
  reference: numberIn("reference (the expectedReturn sized at ×1, a fraction: 0.02 = 2 %)", 0.0001, 10),
  maxMultiplier: numberIn("maxMultiplier", 0.1, 10).default(1),
});
/**
 * all_in with a narrower budget than the whole equity, for portfolio backtests (server/engine/portfolio-backtest.ts), which
 * share one equity between symbols: equityFraction (equity × fraction) or a fixed notional (quote currency). The budget
 * never exceeds the venue's free balance. Not in the schema on purpose: people and desk files cannot set it (a desk
 * export would carry keys the desk file refuses); only code that builds an engine's settings does.
 */
export interface AllInSizing {
  method: "all_in";
  equityFraction?: number;
  notional?: string;
}
export type Sizing = Exclude<z.infer<typeof sizingSchema>, { method: "all_in" }> | AllInSizing;

export const takeProfitLevelSchema = z.object({
  pct: pct("A take-profit level", 10_000),
  closeFraction: numberIn("closeFraction (the share of the position closed)", 0.01, 1),
});

/**
 * Execution settings of a symbol: the chaser's `order_timeout_seconds` / `retry_attempts` (a limit entry not filled in
 * time is re-priced toward the touch that many times, then crossed or cancelled per `chaserEnd`), and an algorithm
 * used by default for entries above a notional.
 */
export const executionSettingsSchema = z
  .object({
    orderTimeoutSeconds: wholeIn("orderTimeoutSeconds", 1, 86_400, " s").default(30),
    retryAttempts: wholeIn("retryAttempts", 0, 100).default(3),
    chaserEnd: z.enum(["cross", "cancel"], { error: "chaserEnd must be cross or cancel" }).default("cancel"),
    defaultAlgo: algoRequestSchema.nullable().default(null),
    defaultAlgoAboveNotional: money("defaultAlgoAboveNotional").nullable().default(null),
    /** A desk with several venues: an entry above this notional that names no venue or route is split over the venues' books. */
    splitAboveNotional: money("splitAboveNotional").nullable().default(null),
  })
  .strict();
export type ExecutionSettings = z.infer<typeof executionSettingsSchema>;

export const symbolSettingsSchema = z
  .object({
    enabled: z.boolean().default(true),
    minConfidence: numberIn("minConfidence", 0, 1).default(0.5),
    maxPositionQty: quantity("maxPositionQty").optional(),
    maxPositionNotional: money("maxPositionNotional").optional(),
    sizing: sizingSchema.default({ method: "fixed_fraction", fraction: 0.1 }),
    stopLossPct: pct("stopLossPct", 99).nullable().default(2),
    takeProfitLevels: z
      .array(takeProfitLevelSchema)
      .max(10, "at most 10 take-profit levels")
      .refine((levels) => levels.every((l, i) => i === 0 || l.pct > levels[i - 1]!.pct), "take-profit levels must rise in pct")
      .default([
        { pct: 2, closeFraction: 0.33 },
        { pct: 4, closeFraction: 0.5 },
        { pct: 8, closeFraction: 1 },
      ]),
    trailing: z
      .object({ activationPct: numberIn("trailing activationPct", 0, 1000, " %"), distancePct: pct("trailing distancePct", 99) })
      .nullable()
      .default({ activationPct: 1.5, distancePct: 1 }),
    maxAgeMinutes: wholeIn("maxAgeMinutes", 1, 525_600, " minutes (a year)")
      .nullable()
      .default(24 * 60),
    /** Left out: the size does not depend on expectedReturn. */
    expectedReturnScaling: expectedReturnScalingSchema.optional(),
    /** How entries are worked (engine/algos.ts); absent: one order each, as always. */
    execution: executionSettingsSchema.optional(),
  })
  .strict();
export type SymbolSettings = Omit<z.infer<typeof symbolSettingsSchema>, "sizing"> & { sizing: Sizing };
export type SymbolSettingsInput = z.input<typeof symbolSettingsSchema>;

/** Carries a checked all_in budget (AllInSizing) past the schema, which does not know it. Throws RangeError on a bad one. */
export function withAllInBudget(settings: SymbolSettings, sizing: unknown): SymbolSettings {
  if (typeof sizing !== "object" || sizing === null || (sizing as { method?: unknown }).method !== "all_in") return settings;
  const { equityFraction, notional } = sizing as AllInSizing;
  if (equityFraction === undefined && notional === undefined) return settings;
  if (equityFraction !== undefined && notional !== undefined) throw new RangeError("all_in takes equityFraction or notional, not both");
  if (equityFraction !== undefined) {
    if (!(equityFraction > 0 && equityFraction <= 1)) throw new RangeError(`all_in equityFraction must be greater than 0 and at most 1, got ${equityFraction}`);
    return { ...settings, sizing: { method: "all_in", equityFraction } };
  }
  const amount = parseDecimal(String(notional));
  if (amount === null || !amount.greaterThan(0)) throw new RangeError(`all_in notional must be an amount greater than 0, got ${String(notional)}`);
  return { ...settings, sizing: { method: "all_in", notional: amount.toFixed() } };
}

export const DEFAULT_SYMBOL_SETTINGS: SymbolSettings = symbolSettingsSchema.parse({});

/** The exit rules a new position gets from its symbol's settings (and the signal's own stop/take-profit, which win). */
export function exitConfigFor(settings: SymbolSettings, signal?: { stopLoss?: number | null; takeProfit?: number | null }): ExitConfig {
  const config: {
    stopLoss?: ExitConfig["stopLoss"];
    takeProfit?: ExitConfig["takeProfit"];
    takeProfitLadder?: ExitConfig["takeProfitLadder"];
    trailingStop?: ExitConfig["trailingStop"];
    maxAgeMs?: number;
  } = {};
  if (signal?.stopLoss != null) config.stopLoss = { price: signal.stopLoss };
  else if (settings.stopLossPct !== null) config.stopLoss = { pct: settings.stopLossPct };
  if (signal?.takeProfit != null) config.takeProfit = { price: signal.takeProfit };
  else if (settings.takeProfitLevels.length > 0) config.takeProfitLadder = settings.takeProfitLevels;
  if (settings.trailing) config.trailingStop = { activationPct: settings.trailing.activationPct, distance: { pct: settings.trailing.distancePct } };
  if (settings.maxAgeMinutes !== null) config.maxAgeMs = settings.maxAgeMinutes * 60_000;
  return config;
}

export const STRATEGY_CONFLICT_RULES = ["allow", "net", "refuse"] as const;
export type StrategyConflictRule = (typeof STRATEGY_CONFLICT_RULES)[number];
/** Same-side entries of several strategies are independent; an opposite-side one is refused (see intake.ts). */
export const DEFAULT_STRATEGY_CONFLICT: StrategyConflictRule = "net";
/** Bar sizes the correlation window can use (the market history holds 5-minute bars). */
export const CORRELATION_BAR_MINUTES = [5, 15, 60, 240, 1440] as const;
/** What the portfolio gate uses for the correlation settings left out. */
export const PORTFOLIO_GATE_DEFAULTS = { correlationThreshold: 0.7, windowBars: 720, barMinutes: 60 } as const;
/** The market history keeps 35 days; a window may use 34 of them. */
const MAX_CORRELATION_WINDOW_MINUTES = 34 * 24 * 60;

export const riskLimitsSchema = z
  .object({
    maxOpenPositions: wholeIn("maxOpenPositions", 1, 10_000).optional(),
    maxPortfolioExposure: money("maxPortfolioExposure").optional(),
    maxPortfolioExposurePct: pct("maxPortfolioExposurePct", 10_000).optional(),
    minNotional: decimalString("minNotional", { min: "0.01", max: "1000000", decimals: 8 }).optional(),
    maxNotionalPerOrder: money("maxNotionalPerOrder").optional(),
    maxSlippageBps: numberIn("maxSlippageBps", 0.1, 10_000, " basis points").optional(),
    maxOrdersPerMinute: wholeIn("maxOrdersPerMinute", 1, 10_000).optional(),
    minConfidence: numberIn("minConfidence", 0, 1).optional(),
    maxSymbolExposurePct: pct("maxSymbolExposurePct", 10_000).optional(),
    /** Open (and opening) positions one strategy (or `manual`) may hold, over all symbols. */
    maxOpenPositionsPerStrategy: wholeIn("maxOpenPositionsPerStrategy", 1, 10_000).optional(),
    /** One strategy's exposure (its positions at their marks and its open entries) as a share of equity. */
    maxStrategyExposurePct: pct("maxStrategyExposurePct", 10_000).optional(),
    /** A signal for a symbol another strategy holds: allow, net or refuse (intake.ts says what each means; default net). */
    strategyConflict: z.enum(STRATEGY_CONFLICT_RULES, { error: "strategyConflict must be one of allow, net, refuse" }).optional(),
    /** Gross exposure cap of a correlation cluster (portfolio-gate.ts); absent or null = off. */
    maxCorrelatedExposurePct: pct("maxCorrelatedExposurePct", 10_000).nullable().optional(),
    /** Symbols whose return correlation is above this form a cluster. Default 0.7. */
    correlationThreshold: numberIn("correlationThreshold", 0.1, 0.99).optional(),
    /** Bars in the correlation/covariance window. Default 720 (30 days of 1h bars). */
    correlationWindowBars: wholeIn("correlationWindowBars", 10, 5000, " bars").optional(),
    /** Bar size of the correlation/covariance window, in minutes. Default 60. */
    correlationBarMinutes: z
      .number({ error: "correlationBarMinutes must be one of 5, 15, 60, 240 or 1440" })
      .refine((v) => (CORRELATION_BAR_MINUTES as readonly number[]).includes(v), { error: "correlationBarMinutes must be one of 5, 15, 60, 240 or 1440" })
      .optional(),
    /** Highest portfolio 99 % 1-day parametric VaR a new entry may lead to, in % of equity; absent or null = off. */
    maxVarPct: pct("maxVarPct", 100).nullable().optional(),
  })
  .strict()
  .refine(
    (v) =>
      (v.correlationWindowBars ?? PORTFOLIO_GATE_DEFAULTS.windowBars) * (v.correlationBarMinutes ?? PORTFOLIO_GATE_DEFAULTS.barMinutes) <=
      MAX_CORRELATION_WINDOW_MINUTES,
    { error: "correlationWindowBars × correlationBarMinutes must be at most 34 days (the desk keeps 35 days of prices)", path: ["correlationWindowBars"] },
  );
export type RiskLimitsSettings = z.infer<typeof riskLimitsSchema>;

export const DEFAULT_RISK_LIMITS: RiskLimitsSettings = {
  maxOpenPositions: 10,
  maxPortfolioExposurePct: 100,
  minNotional: "10",
  maxSlippageBps: 100,
  maxOrdersPerMinute: 60,
  maxSymbolExposurePct: 50,
};

/** The core's RiskLimits from the portfolio settings and each symbol's settings. */
export function toRiskLimits(limits: RiskLimitsSettings, symbols: ReadonlyMap<string, SymbolSettings>): RiskLimits {
  const perSymbol: Record<string, SymbolRiskLimits> = {};
  for (const [symbol, s] of symbols) {
    const entry: { maxPositionQty?: ReturnType<typeof D>; maxPositionNotional?: ReturnType<typeof D>; minConfidence?: number } = {
      minConfidence: s.minConfidence,
    };
    if (s.maxPositionQty) entry.maxPositionQty = D(s.maxPositionQty);
    if (s.maxPositionNotional) entry.maxPositionNotional = D(s.maxPositionNotional);
    perSymbol[symbol] = entry;
  }
  return {
    ...(limits.maxOpenPositions !== undefined && { maxOpenPositions: limits.maxOpenPositions }),
    ...(limits.maxPortfolioExposure !== undefined && { maxPortfolioExposure: D(limits.maxPortfolioExposure) }),
    ...(limits.maxPortfolioExposurePct !== undefined && { maxPortfolioExposurePct: limits.maxPortfolioExposurePct }),
    ...(limits.minNotional !== undefined && { minNotional: D(limits.minNotional) }),
    ...(limits.maxNotionalPerOrder !== undefined && { maxNotionalPerOrder: D(limits.maxNotionalPerOrder) }),
    ...(limits.maxSlippageBps !== undefined && { maxSlippageBps: limits.maxSlippageBps }),
    ...(limits.maxOrdersPerMinute !== undefined && { maxOrdersPerMinute: limits.maxOrdersPerMinute }),
    ...(limits.minConfidence !== undefined && { minConfidence: limits.minConfidence }),
    ...(limits.maxSymbolExposurePct !== undefined && { maxSymbolExposurePct: limits.maxSymbolExposurePct }),
    perSymbol,
  };
}

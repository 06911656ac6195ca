/**
 * Editable trading settings: per-symbol settings and the portfolio risk limits, as zod schemas (the
 * API validates with them; the engine parses stored JSON with them), plus their conversion to the
 * core's types.
 */
import { z } from "zod";
import { D } from "../core/money";
import type { ExitConfig } from "../core/positions/exits";
import type { RiskLimits, SymbolRiskLimits } from "../core/risk/limits";

const pct = (what: string, max = 1000) =>
  z
    .number({ error: `${what} must be a number` })
    .finite(`${what} must be a finite number`)
    .gt(0, `${what} must be above 0`)
    .max(max, `${what} must be at most ${max}`);

const decimalString = (what: string) =>
  z
    .union([z.string(), z.number()], { error: `${what} must be a number` })
    .transform((v, ctx) => {
      const s = String(v).trim();
      if (!/^\d+(\.\d+)?$/.test(s) || !Number.isFinite(Number(s))) {
        ctx.addIssue({ code: "custom", message: `${what} must be a positive decimal number, got '${s}'` });
        return z.NEVER;
      }
      if (Number(s) <= 0) {
        ctx.addIssue({ code: "custom", message: `${what} must be above 0` });
        return z.NEVER;
      }
      return s;
    });

export const sizingSchema = z.discriminatedUnion("method", [
  z.object({ method: z.literal("fixed_fraction"), fraction: z.number().gt(0).max(1, "fraction is a share of equity from 0 to 1") }),
  /** The whole equity, fees included: qty = equity / (price × (1 + slippage) × (1 + fee)). */
  z.object({ method: z.literal("all_in") }),
  z.object({ method: z.literal("fixed_risk"), riskFraction: z.number().gt(0).max(0.2, "risking more than 20% of equity per trade is refused") }),
  z.object({ method: z.literal("confidence"), fraction: z.number().gt(0).max(1, "fraction is a share of equity from 0 to 1") }),
]);
export type Sizing = z.infer<typeof sizingSchema>;

export const takeProfitLevelSchema = z.object({
  pct: pct("A take-profit level", 10_000),
  closeFraction: z.number().gt(0, "closeFraction must be above 0").max(1, "closeFraction must be at most 1"),
});

export const symbolSettingsSchema = z
  .object({
    enabled: z.boolean().default(true),
    minConfidence: z.number().min(0, "minConfidence is from 0 to 1").max(1, "minConfidence is from 0 to 1").default(0.5),
    maxPositionQty: decimalString("maxPositionQty").optional(),
    maxPositionNotional: decimalString("maxPositionNotional").optional(),
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
      .object({ activationPct: z.number().min(0).max(1000), distancePct: pct("trailing distancePct", 99) })
      .nullable()
      .default({ activationPct: 1.5, distancePct: 1 }),
    maxAgeMinutes: z.number().int("maxAgeMinutes must be whole minutes").positive().max(525_600).nullable().default(24 * 60),
  })
  .strict();
export type SymbolSettings = z.infer<typeof symbolSettingsSchema>;
export type SymbolSettingsInput = z.input<typeof symbolSettingsSchema>;

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

export const riskLimitsSchema = z
  .object({
    maxOpenPositions: z.number().int().positive().max(10_000).optional(),
    maxPortfolioExposure: decimalString("maxPortfolioExposure").optional(),
    maxPortfolioExposurePct: pct("maxPortfolioExposurePct", 10_000).optional(),
    minNotional: decimalString("minNotional").optional(),
    maxNotionalPerOrder: decimalString("maxNotionalPerOrder").optional(),
    maxSlippageBps: z.number().positive().max(10_000).optional(),
    maxOrdersPerMinute: z.number().int().positive().max(100_000).optional(),
    minConfidence: z.number().min(0).max(1).optional(),
    maxSymbolExposurePct: pct("maxSymbolExposurePct", 10_000).optional(),
  })
  .strict();
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
    const entry: { maxPositionQty?: ReturnType<typeof D>; maxPositionNotional?: ReturnType<typeof D>; minConfidence?: number } = { minConfidence: s.minConfidence };
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

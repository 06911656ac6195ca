/**
 * Validation of a set of risk limits before it is stored: types, signs, bounds past which a value is surely a typo,
 * and limits that contradict each other. The gate itself (checkPreTrade) is in limits.ts.
 */
import { type Decimal } from "../money";
import type { Refusal } from "../errors";
import { isFiniteDecimal, show, type RiskLimits, type SymbolRiskLimits } from "./limits";

export type RiskLimitErrorCode = "INVALID_LIMIT" | "NEGATIVE_LIMIT" | "LIMIT_OUT_OF_RANGE" | "CONFLICTING_LIMITS";
export type RiskLimitError = Refusal<RiskLimitErrorCode>;

/** Bounds past which a limit is surely a typo (a percent where a fraction was meant, an extra zero …). */
export const LIMIT_BOUNDS = {
  /** 10 000% of equity = 100× leverage. */
  maxPct: 10_000,
  /** 10 000 bps = 100%. */
  maxBps: 10_000,
  maxCount: 1_000_000,
} as const;

const DECIMAL_FIELDS = ["maxPositionQty", "maxPositionNotional", "maxSymbolExposure", "maxNotionalPerOrder"] as const;
const PORTFOLIO_DECIMAL_FIELDS = ["maxPortfolioExposure", "minNotional"] as const;

/**
 * Checks limit values: every Decimal finite and ≥ 0, percents in [0, 10 000], confidence in [0, 1], slippage in
 * [0, 10 000] bps, counts whole numbers in [0, 1 000 000], and minNotional no larger than maxNotionalPerOrder.
 * Returns every problem found; an empty list means the limits are usable.
 */
export function validateRiskLimits(limits: RiskLimits): RiskLimitError[] {
  const errors: RiskLimitError[] = [];
  validateSymbolLevel(limits, "", errors);
  for (const field of PORTFOLIO_DECIMAL_FIELDS) checkDecimal(limits[field], field, errors);
  checkNumber(limits.maxPortfolioExposurePct, "maxPortfolioExposurePct", 0, LIMIT_BOUNDS.maxPct, false, errors, "% of equity");
  checkNumber(limits.maxSlippageBps, "maxSlippageBps", 0, LIMIT_BOUNDS.maxBps, false, errors, " bps");
  checkNumber(limits.maxOpenPositions, "maxOpenPositions", 0, LIMIT_BOUNDS.maxCount, true, errors, "");
  checkNumber(limits.maxOrdersPerMinute, "maxOrdersPerMinute", 0, LIMIT_BOUNDS.maxCount, true, errors, "");
  checkMinAgainstMax(limits.minNotional, limits.maxNotionalPerOrder, "maxNotionalPerOrder", errors);
  if (limits.perSymbol) {
    for (const [symbol, symbolLimits] of Object.entries(limits.perSymbol)) {
      validateSymbolLevel(symbolLimits, `perSymbol.${symbol}.`, errors);
      checkMinAgainstMax(limits.minNotional, symbolLimits.maxNotionalPerOrder, `perSymbol.${symbol}.maxNotionalPerOrder`, errors);
    }
  }
  return errors;
}

function validateSymbolLevel(limits: SymbolRiskLimits, prefix: string, errors: RiskLimitError[]): void {
  for (const field of DECIMAL_FIELDS) checkDecimal(limits[field], prefix + field, errors);
  checkNumber(limits.maxSymbolExposurePct, `${prefix}maxSymbolExposurePct`, 0, LIMIT_BOUNDS.maxPct, false, errors, "% of equity");
  checkNumber(limits.minConfidence, `${prefix}minConfidence`, 0, 1, false, errors, "");
}

function checkDecimal(value: unknown, field: string, errors: RiskLimitError[]): void {
  if (value === undefined) return;
  if (!isFiniteDecimal(value)) {
    errors.push({ code: "INVALID_LIMIT", message: `${field} must be a finite decimal number, not ${show(value)}.`, details: { field, value: show(value) } });
  } else if (value.lessThan(0)) {
    errors.push({ code: "NEGATIVE_LIMIT", message: `${field} cannot be negative (${value.toString()}).`, details: { field, value: value.toString() } });
  }
}

function checkNumber(value: unknown, field: string, min: number, max: number, integer: boolean, errors: RiskLimitError[], unit: string): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    errors.push({ code: "INVALID_LIMIT", message: `${field} must be a finite number, not ${show(value)}.`, details: { field, value: show(value) } });
  } else if (value < 0) {
    errors.push({ code: "NEGATIVE_LIMIT", message: `${field} cannot be negative (${value}).`, details: { field, value } });
  } else if (value > max || value < min || (integer && !Number.isInteger(value))) {
    const expected = integer ? `a whole number from ${min} to ${max}` : `between ${min} and ${max}${unit}`;
    errors.push({ code: "LIMIT_OUT_OF_RANGE", message: `${field} must be ${expected}, not ${value}.`, details: { field, value, min, max } });
  }
}

function checkMinAgainstMax(min: Decimal | undefined, max: Decimal | undefined, maxField: string, errors: RiskLimitError[]): void {
  if (!isFiniteDecimal(min) || !isFiniteDecimal(max)) return;
  if (min.greaterThan(max)) {
    errors.push({
      code: "CONFLICTING_LIMITS",
      message: `minNotional ${min.toString()} is above ${maxField} ${max.toString()}: no order could pass both.`,
      details: { field: maxField, min: min.toString(), max: max.toString() },
    });
  }
}

/**
 * Settings: the portfolio risk limits, each symbol's settings and the breaker config — read from the engine (what is
 * in force), changed only through the engine's audited commands. Input is validated at the edge with the engine's
 * own zod schemas and a plain-words error map, so a refusal names the field and the reason.
 */
import { z } from "zod";
import { DomainError } from "../core/errors";
import { text } from "../core/input-schemas";
import { breakerConfigSchema, DEFAULT_BREAKER_CONFIG } from "../core/breaker/config";
import { symbolSettingChanges } from "../db/queries/symbol-settings";
import { DEFAULT_RISK_LIMITS, riskLimitsSchema, symbolSettingsSchema, type RiskLimitsSettings, type SymbolSettings } from "../engine/settings";
import type { Actor } from "../engine/types";
import { instrumentDto } from "./dto";
import { commandValue, requireEngine } from "./engine";

// ---------------------------------------------------------------------------------------------------------------
// Input validation in plain words

function shown(input: unknown): string {
  if (typeof input === "number") return Number.isNaN(input) ? "NaN" : String(input);
  if (typeof input === "string") return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
  if (input === null) return "null";
  if (input === undefined) return "nothing";
  if (Array.isArray(input)) return "a list";
  return typeof input;
}

/**
 * Zod's generic messages ("Too small: expected number to be >0") in plain words. Messages a schema sets itself win
 * (zod applies a per-parse error map only where the schema has none).
 */
export function plainIssue(issue: z.core.$ZodRawIssue): string | undefined {
  const got = "input" in issue ? ` (got ${shown(issue.input)})` : "";
  switch (issue.code) {
    case "invalid_type":
      if (issue.expected === "number") return `must be a finite number${got}`;
      if (issue.expected === "int") return `must be a whole number${got}`;
      if (issue.expected === "boolean") return `must be true or false${got}`;
      if (issue.expected === "object") return `must be an object${got}`;
      if (issue.expected === "array") return `must be a list${got}`;
      if (issue.expected === "string") return `must be text${got}`;
      return `must be a ${issue.expected}${got}`;
    case "too_small": {
      const min = Number(issue.minimum);
      if (issue.origin === "array") return `needs at least ${min} item${min === 1 ? "" : "s"}`;
      if (issue.origin === "string") return `needs at least ${min} character${min === 1 ? "" : "s"}`;
      return `must be ${issue.inclusive ? "at least" : "above"} ${min}${got}`;
    }
    case "too_big": {
      const max = Number(issue.maximum);
      if (issue.origin === "array") return `allows at most ${max} item${max === 1 ? "" : "s"}`;
      if (issue.origin === "string") return `allows at most ${max} character${max === 1 ? "" : "s"}`;
      return `must be ${issue.inclusive ? "at most" : "below"} ${max}${got}`;
    }
    case "not_multiple_of":
      return Number(issue.divisor) === 1 ? `must be a whole number${got}` : `must be a multiple of ${String(issue.divisor)}${got}`;
    case "unrecognized_keys":
      return `unknown setting${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => String(v)).join(", ")}${got}`;
    case "invalid_union":
      return `is not valid${got}`;
    default:
      return undefined;
  }
}

/** One problem with a field path, as tRPC's error formatter reads them (`cause.issues`). */
export class InputIssues extends Error {
  constructor(readonly issues: { message: string; path: (string | number)[] }[]) {
    super(issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; "));
    this.name = "InputIssues";
  }
}

/**
 * A tRPC input parser from a zod schema with plain-words messages. Thrown issues become BAD_REQUEST with domainCode
 * VALIDATION and `zodError.fieldErrors` keyed by field path.
 */
export function plainParser<S extends z.ZodType>(schema: S): ((input: unknown) => z.output<S>) & { schema: S } {
  const parse = (input: unknown) => {
    const parsed = schema.safeParse(input, { error: plainIssue });
    if (parsed.success) return parsed.data;
    throw new InputIssues(parsed.error.issues.map((i) => ({ message: i.message, path: i.path.map((p) => (typeof p === "number" ? p : String(p))) })));
  };
  // The schema stays reachable (the property-based fuzz of every procedure generates inputs from it).
  return Object.assign(parse, { schema });
}

export const riskLimitsInput = plainParser(riskLimitsSchema);
export const breakerConfigInput = plainParser(breakerConfigSchema);
export const symbolSettingsInput = plainParser(
  z
    .object({
      symbol: text("symbol", { min: 1, max: 50, person: true }),
      settings: symbolSettingsSchema,
    })
    .strict(),
);

// ---------------------------------------------------------------------------------------------------------------
// Reads

export interface SymbolSettingsRow {
  symbol: string;
  /** True when the symbol has its own stored settings; false: the defaults apply. */
  stored: boolean;
  settings: SymbolSettings;
  updatedAt: number | null;
  updatedBy: string | null;
  priceTick: string;
  qtyStep: string;
}

/** Everything the settings panels show: limits, per-symbol settings for every traded symbol, the breaker config. */
export async function settingsSnapshot() {
  const engine = requireEngine();
  const current = engine.riskSettings();
  const rows = await symbolSettingChanges();
  const meta = new Map(rows.map((r) => [r.symbol, r]));
  const stored = new Set(current.stored);
  const symbols: SymbolSettingsRow[] = engine
    .instrumentList()
    .map(instrumentDto)
    .sort((a, b) => a.symbol.localeCompare(b.symbol))
    .map((i) => ({
      symbol: i.symbol,
      stored: stored.has(i.symbol),
      settings: current.symbolSettings[i.symbol] ?? current.defaults,
      updatedAt: stored.has(i.symbol) ? (meta.get(i.symbol)?.updatedAt ?? null) : null,
      updatedBy: stored.has(i.symbol) ? (meta.get(i.symbol)?.updatedBy ?? null) : null,
      priceTick: i.priceTick,
      qtyStep: i.qtyStep,
    }));
  return {
    limits: current.limits,
    limitsDefaults: DEFAULT_RISK_LIMITS,
    symbols,
    symbolDefaults: current.defaults,
    breakerConfig: current.breakerConfig,
    breakerDefaults: DEFAULT_BREAKER_CONFIG,
    /** False in a mode without a breaker: its config cannot be changed. */
    breakerEnabled: current.breakerConfig !== null,
  };
}

export type SettingsSnapshot = Awaited<ReturnType<typeof settingsSnapshot>>;

// ---------------------------------------------------------------------------------------------------------------
// Changes (through the engine: validated again there, applied in its queue, audited)

function refusal(what: string, e: unknown): never {
  if (e instanceof DomainError && e.code === "VALIDATION") throw new DomainError("VALIDATION", `${what} refused: ${e.message}`, e.details);
  throw e;
}

export async function setRiskLimits(limits: RiskLimitsSettings, actor: Actor) {
  const engine = requireEngine();
  try {
    return commandValue(await engine.execute({ kind: "setRiskLimits", limits, actor }));
  } catch (e) {
    refusal("Risk limits", e);
  }
}

export async function setSymbolSettings(symbol: string, settings: SymbolSettings, actor: Actor) {
  const engine = requireEngine();
  try {
    return commandValue(await engine.execute({ kind: "setSymbolSettings", symbol, settings, actor }));
  } catch (e) {
    if (e instanceof DomainError && e.code === "UNKNOWN_SYMBOL") {
      const known = engine
        .instrumentList()
        .map((i) => i.symbol)
        .sort();
      throw new DomainError("VALIDATION", `symbol: ${symbol} is not traded on ${engine.venueId()} (traded: ${known.join(", ") || "none"}).`, {
        field: "symbol",
        symbol,
      });
    }
    refusal(`Settings of ${symbol}`, e);
  }
}

export async function setBreakerConfig(config: z.output<typeof breakerConfigSchema>, actor: Actor) {
  const engine = requireEngine();
  try {
    return commandValue(await engine.execute({ kind: "setBreakerConfig", config, actor }));
  } catch (e) {
    refusal("Breaker configuration", e);
  }
}

/**
 * The desk file (config/desk.yaml, or BASTION_CONFIG): venues, symbols with their settings, strategies, risk limits
 * and the breaker, in YAML. This module turns its text into a checked DeskFile, or into sentences that name the file,
 * the line, the key path and what is wrong. It never reads a file or the environment (config.ts does) and it refuses
 * secrets: the desk file is meant to be shared, API keys go to the environment or the secrets file.
 *
 * Units, as in the seed's user_settings.yaml: keys without a unit are shares of one (0.02 = 2 %), keys ending in
 * `_pct` (and the `pct` of a take-profit level) are percentages (2 = 2 %), `_bps` basis points.
 *
 * Every section is a patch: a key the file names is put in force, a key it leaves out stays as it is (stored on the
 * Risk page, or the default); `null` removes a limit. Settings the engine does not act upon yet are parsed, checked
 * and kept, and listed by `notActedUpon` so nobody believes they work.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from "yaml";
import { z } from "zod";
import { type BreakerConfig, breakerConfigSchema, MAX_BREAKER_MINUTES, TRIP_ACTIONS } from "../core/breaker/config";
import { D, parseDecimal } from "../core/money";
import { createStrategy, STRATEGY_NAMES } from "../core/strategies";
import { riskLimitsSchema, symbolSettingsSchema, type RiskLimitsSettings, type SymbolSettings } from "./settings";

/** A desk file larger than this is refused (the import box and the start alike). */
export const DESK_FILE_MAX_BYTES = 64 * 1024;

export const DESK_MODES = ["replay", "paper", "live", "backtest"] as const;

/**
 * Who puts the desk file's settings in force at start. A person wrote the file, so the change is audited (the engine
 * leaves system actions out of the audit log); whoever can write the desk's files has an admin's reach, hence the role.
 */
export const DESK_FILE_ACTOR = { username: "desk-file", role: "admin" as const };

// ---------------------------------------------------------------------------------------------------------------
// Field types, each with its range in words (the key path is put in front by the formatter)

function got(input: unknown): string {
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
    ],
    { error: (issue) => `method must be one of fixed_fraction, all_in, fixed_risk, confidence (got ${got((issue.input as { method?: unknown })?.method)})` },
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
    })
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
});

const strategyEntry = z.strictObject({
  id: idName(),
  kind: oneOf(STRATEGY_NAMES),
  params: z.record(z.string(), z.unknown(), { error: (issue) => `must be a map of parameters (got ${got(issue.input)})` }).optional(),
  symbols: list(symbolName(), 200).min(1, { error: "needs at least one symbol" }),
  venue: idName().optional(),
  enabled: bool().optional(),
});

const symbolEntry = z.strictObject({
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
});

const riskSection = z.strictObject({
  max_open_positions: wholeIn(1, 10_000).nullable().optional(),
  max_portfolio_exposure: share(0.0001, 100, "equity").nullable().optional(),
  max_portfolio_exposure_amount: money().nullable().optional(),
  max_symbol_exposure: share(0.0001, 100, "equity").nullable().optional(),
  min_notional: decimalIn("0.01", "1000000", 8, " (quote currency)").nullable().optional(),
  max_notional_per_order: money().nullable().optional(),
  max_slippage_bps: numberIn(0.1, 10_000, " bp").nullable().optional(),
  max_orders_per_minute: wholeIn(1, 10_000).nullable().optional(),
  min_confidence: numberIn(0, 1).nullable().optional(),
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
const breakerSection = z.strictObject({
  max_daily_loss_pct: pctLimit(),
  max_daily_loss_abs: amountLimit(),
  max_drawdown_pct: pctLimit(),
  max_drawdown_abs: amountLimit(),
  max_consecutive_losses: countLimit(1_000),
  max_orders_per_minute: countLimit(10_000),
  max_orders_per_hour: countLimit(100_000),
  max_consecutive_errors: countLimit(1_000),
  auto_reset_after_minutes: numberIn(1, MAX_BREAKER_MINUTES, " minutes").nullable().optional(),
  require_manual_reset: bool().optional(),
  cooldown_minutes: numberIn(0, MAX_BREAKER_MINUTES, " minutes").optional(),
  trip_action: oneOf(TRIP_ACTIONS).optional(),
});

export const deskFileSchema = z.strictObject({
  version: z.literal(1, { error: (issue) => `must be 1 (got ${got(issue.input)})` }).optional(),
  desk: deskSection.optional(),
  venues: list(venueEntry, 50).optional(),
  symbols: z.record(symbolName(), symbolEntry, { error: (issue) => `must be a map of symbols (got ${got(issue.input)})` }).optional(),
  strategies: list(strategyEntry, 100).optional(),
  risk: riskSection.optional(),
  breaker: breakerSection.optional(),
});
export type DeskFileInput = z.output<typeof deskFileSchema>;

// ---------------------------------------------------------------------------------------------------------------
// The checked desk, in the engine's units

export interface DeskVenue {
  id: string;
  exchange: string;
  mode: "sim" | "ccxt";
  testnet: boolean;
  enabled: boolean;
  fees: { makerBps: number; takerBps: number } | null;
  symbols: string[];
}

export interface DeskStrategy {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  symbols: string[];
  venue: string | null;
  enabled: boolean;
}

/** A patch of the portfolio limits: a value puts the limit in force, null removes it. */
export type RiskLimitsPatch = { [K in keyof RiskLimitsSettings]?: RiskLimitsSettings[K] | null };

export interface DeskFile {
  /** Where it came from, for messages ("config/desk.yaml", "the imported file"). */
  source: string;
  desk: {
    mode?: (typeof DESK_MODES)[number];
    capital?: string;
    symbols?: string[];
    seed?: number;
    replay?: { file?: string; speed?: number };
  };
  venues: DeskVenue[];
  strategies: DeskStrategy[];
  /** Per-symbol patches over each symbol's settings in force. */
  symbols: Record<string, Partial<SymbolSettings>>;
  /** A patch of the defaults for symbols without settings of their own (from risk.default_stop_loss …). */
  symbolDefaults: Partial<SymbolSettings>;
  risk: RiskLimitsPatch;
  breaker: Partial<BreakerConfig>;
  /** Retries of a venue request known not to have run (ResilientVenue maxAttempts − 1); null: the runtime default (4). */
  retryAttempts: number | null;
  orderTimeoutSeconds: number | null;
  /** Key paths the file sets that the engine does not act upon yet (said at start and in the import preview). */
  notActedUpon: string[];
}

export class DeskFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`The desk file is refused:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "DeskFileError";
  }
}

const pctOf = (shareValue: number) => D(shareValue).times(100).toNumber();

/** Keys that name a secret: refused anywhere in the desk file (its value is never shown). */
const SECRET_KEY = /(api[_-]?key|secret|passw(or)?d|passphrase|private[_-]?key|token|^key$|^uid$)/i;

/** Breaker keys in snake_case → the engine's names. */
const BREAKER_KEYS: Record<keyof z.output<typeof breakerSection>, keyof BreakerConfig> = {
  max_daily_loss_pct: "maxDailyLossPct",
  max_daily_loss_abs: "maxDailyLossAbs",
  max_drawdown_pct: "maxDrawdownPct",
  max_drawdown_abs: "maxDrawdownAbs",
  max_consecutive_losses: "maxConsecutiveLosses",
  max_orders_per_minute: "maxOrdersPerMinute",
  max_orders_per_hour: "maxOrdersPerHour",
  max_consecutive_errors: "maxConsecutiveErrors",
  auto_reset_after_minutes: "autoResetAfterMinutes",
  require_manual_reset: "requireManualReset",
  cooldown_minutes: "cooldownMinutes",
  trip_action: "tripAction",
};
export const BREAKER_FILE_KEYS = Object.fromEntries(Object.entries(BREAKER_KEYS).map(([file, engine]) => [engine, file])) as Record<
  keyof BreakerConfig,
  string
>;

/** Risk limit keys that map one to one (the shares are converted below). */
export const RISK_FILE_KEYS: Record<keyof RiskLimitsSettings, string> = {
  maxOpenPositions: "max_open_positions",
  maxPortfolioExposure: "max_portfolio_exposure_amount",
  maxPortfolioExposurePct: "max_portfolio_exposure",
  minNotional: "min_notional",
  maxNotionalPerOrder: "max_notional_per_order",
  maxSlippageBps: "max_slippage_bps",
  maxOrdersPerMinute: "max_orders_per_minute",
  minConfidence: "min_confidence",
  maxSymbolExposurePct: "max_symbol_exposure",
};
/** Risk limits written as shares in the file and as percentages in the engine. */
export const RISK_SHARE_KEYS: ReadonlySet<keyof RiskLimitsSettings> = new Set(["maxPortfolioExposurePct", "maxSymbolExposurePct"]);

export const SYMBOL_FILE_KEYS: Record<keyof SymbolSettings, string> = {
  enabled: "enabled",
  minConfidence: "min_confidence",
  maxPositionQty: "max_position_size",
  maxPositionNotional: "max_position_notional",
  sizing: "sizing",
  stopLossPct: "stop_loss_pct",
  takeProfitLevels: "take_profit_levels",
  trailing: "trailing",
  maxAgeMinutes: "max_age_minutes",
};

function sizingOf(input: NonNullable<z.output<typeof symbolEntry>["sizing"]>): SymbolSettings["sizing"] {
  if (input.method === "fixed_risk") return { method: "fixed_risk", riskFraction: input.risk_fraction };
  return input;
}

function levelsOf(levels: { pct: number; close_fraction: number }[]): SymbolSettings["takeProfitLevels"] {
  return levels.map((l) => ({ pct: l.pct, closeFraction: l.close_fraction }));
}

function symbolPatchOf(entry: z.output<typeof symbolEntry>): Partial<SymbolSettings> {
  const patch: Partial<SymbolSettings> = {};
  if (entry.enabled !== undefined) patch.enabled = entry.enabled;
  if (entry.min_confidence !== undefined) patch.minConfidence = entry.min_confidence;
  // A null removes the limit: the engine's settings then have no such key.
  if (entry.max_position_size !== undefined) patch.maxPositionQty = entry.max_position_size ?? undefined;
  if (entry.max_position_notional !== undefined) patch.maxPositionNotional = entry.max_position_notional ?? undefined;
  if (entry.sizing !== undefined) patch.sizing = sizingOf(entry.sizing);
  if (entry.stop_loss_pct !== undefined) patch.stopLossPct = entry.stop_loss_pct;
  if (entry.take_profit_levels !== undefined) patch.takeProfitLevels = levelsOf(entry.take_profit_levels);
  if (entry.trailing !== undefined)
    patch.trailing = entry.trailing && { activationPct: entry.trailing.activation_pct, distancePct: entry.trailing.distance_pct };
  if (entry.max_age_minutes !== undefined) patch.maxAgeMinutes = entry.max_age_minutes;
  return patch;
}

/** Settings with a patch over them; keys patched to undefined are removed. */
export function patched<T extends object>(current: T, patch: Partial<T> | { [K in keyof T]?: T[K] | null }, nullRemoves = false): T {
  const next = { ...current } as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || (nullRemoves && value === null)) delete next[key];
    else next[key] = value;
  }
  return next as T;
}

// ---------------------------------------------------------------------------------------------------------------
// Text → DeskFile

/** "did you mean" among `known`, for a key a few typos away. */
export function closestKey(key: string, known: readonly string[]): string | null {
  let best: { key: string; distance: number } | null = null;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  if (!best) return null;
  return best.distance <= Math.max(2, Math.floor(key.length / 4)) ? best.key : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The keys a strict object of the schema knows at `path` (records and lists are stepped through). */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = schema;
  const unwrap = (t: z.ZodType): z.ZodType => {
    const def = (t as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
    if ((def.type === "optional" || def.type === "nullable" || def.type === "default") && def.innerType) return unwrap(def.innerType);
    if (def.type === "pipe" && def.in) return unwrap(def.in);
    return t;
  };
  for (const step of path) {
    if (!node) return [];
    const current = unwrap(node);
    if (current instanceof z.ZodObject) node = (current.shape as Record<string, z.ZodType>)[String(step)];
    else if (current instanceof z.ZodRecord) node = current._zod.def.valueType as z.ZodType;
    else if (current instanceof z.ZodArray) node = current._zod.def.element as z.ZodType;
    else return [];
  }
  if (!node) return [];
  const last = unwrap(node);
  if (last instanceof z.ZodObject) return Object.keys(last.shape);
  if (last instanceof z.ZodDiscriminatedUnion) {
    return [...new Set(last.options.flatMap((o) => (o instanceof z.ZodObject ? Object.keys(o.shape as object) : [])))];
  }
  return [];
}

/** `risk.max_portfolio_exposure`, `strategies[1].kind`. */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const step of path) out += typeof step === "number" ? `[${step}]` : out === "" ? String(step) : `.${String(step)}`;
  return out || "(the whole file)";
}

/** Where the problems of one parse are placed: the document, its line counter, the file's name. */
class Locator {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    private readonly source: string,
  ) {}

  private lineOf(node: YamlNode | null | undefined): number | null {
    const offset = node?.range?.[0];
    return offset === undefined ? null : this.lines.linePos(offset).line;
  }

  /** The node at `path`, or the nearest ancestor that exists. */
  nodeAt(path: readonly PropertyKey[]): YamlNode | null {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n) as unknown[], true);
      if (node && typeof node === "object" && "range" in node) return node as YamlNode;
    }
    return null;
  }

  /** The key node of `key` in the map at `path`. */
  keyNode(path: readonly PropertyKey[], key: string): YamlNode | null {
    const map = this.nodeAt(path);
    if (!isMap(map)) return null;
    const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    return pair && isScalar(pair.key) ? pair.key : null;
  }

  say(node: YamlNode | null, path: readonly PropertyKey[], message: string): string {
    const line = this.lineOf(node);
    return `${this.source}${line === null ? "" : ` line ${line}`}, ${keyPath(path)}: ${message}`;
  }
}

/** The document as plain data; numbers keep their exact text when a float would round them. */
function plain(node: unknown, locator: Locator, path: PropertyKey[], problems: string[]): unknown {
  if (isAlias(node)) {
    problems.push(locator.say(node, path, "anchors and aliases (*name) are not used in a desk file; write the value out"));
    return undefined;
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      if (!isScalar(pair.key) || (typeof pair.key.value !== "string" && typeof pair.key.value !== "number")) {
        problems.push(locator.say((pair.key as YamlNode | null) ?? node, path, "keys must be plain names"));
        continue;
      }
      const key = String(pair.key.value);
      if (key === "<<") {
        problems.push(locator.say(pair.key, path, "merge keys (<<) are not used in a desk file; write the values out"));
        continue;
      }
      out[key] = plain(pair.value, locator, [...path, key], problems);
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item, i) => plain(item, locator, [...path, i], problems));
  if (isScalar(node)) {
    const value = node.value;
    if (typeof value === "number" && typeof node.source === "string" && /^[+-]?\d+(\.\d+)?$/.test(node.source.trim())) {
      const source = node.source.trim().replace(/^\+/, "");
      // A YAML float rounds long decimals; the exact text is kept for the decimal fields (number fields refuse it).
      if (String(value) !== source && String(value) !== source.replace(/\.?0+$/, "")) return source;
    }
    return typeof value === "bigint" ? Number(value) : value;
  }
  return node == null ? null : undefined;
}

/** Every key anywhere that names a secret, with its path. */
function secretKeys(value: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => secretKeys(item, [...path, i]));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, inner]) => (SECRET_KEY.test(key) ? [[...path, key]] : secretKeys(inner, [...path, key])));
  }
  return [];
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const step of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[step];
  }
  return value;
}

function messageOf(issue: z.core.$ZodIssue, data: unknown): string {
  // Issues do not carry their input: a key that is absent is said as such, not as a type problem.
  if (issue.code === "invalid_type" && valueAt(data, issue.path) === undefined) return "is required";
  if (issue.code === "invalid_key") return issue.issues[0]?.message ?? issue.message;
  if (issue.code === "invalid_union") return `is not valid (got ${got(issue.input)})`;
  return issue.message;
}

export interface ParseDeskOptions {
  /** The name said in messages: the file path, or "the imported file". */
  source: string;
}

/** Parses and checks a desk file's text; throws DeskFileError with every problem in words. */
export function parseDeskFile(text: string, options: ParseDeskOptions): DeskFile {
  const { source } = options;
  if (Buffer.byteLength(text, "utf8") > DESK_FILE_MAX_BYTES) {
    throw new DeskFileError([
      `${source}: the desk file is ${Math.ceil(Buffer.byteLength(text, "utf8") / 1024)} KB; at most ${DESK_FILE_MAX_BYTES / 1024} KB is accepted`,
    ]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  if (doc.errors.length > 0) {
    throw new DeskFileError(
      doc.errors.slice(0, 10).map((e) => {
        const line = e.linePos?.[0]?.line ?? (e.pos?.[0] === undefined ? undefined : lines.linePos(e.pos[0]).line);
        return `${source}${line ? ` line ${line}` : ""}: this is not valid YAML: ${e.message.split("\n")[0]}`;
      }),
    );
  }
  const locator = new Locator(doc, lines, source);
  const problems: string[] = [];
  const data = doc.contents === null ? {} : plain(doc.contents, locator, [], problems);
  if (problems.length > 0) throw new DeskFileError(problems);
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new DeskFileError([`${source} line 1: the desk file must be a map of sections (desk, venues, symbols, strategies, risk, breaker)`]);
  }

  const secrets = secretKeys(data);
  if (secrets.length > 0) {
    throw new DeskFileError(
      secrets.map((path) =>
        locator.say(
          locator.keyNode(path.slice(0, -1), String(path[path.length - 1])),
          path,
          "secrets are refused in the desk file (it is shared and its example is committed); put API keys in the environment (BASTION_API_KEY, BASTION_API_SECRET, BASTION_API_PASSWORD) or in the git-ignored secrets file config/secrets.yaml (BASTION_SECRETS_FILE)",
        ),
      ),
    );
  }

  const parsed = deskFileSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") {
        const known = knownKeysAt(deskFileSchema, issue.path);
        for (const key of issue.keys) {
          // A key known to a sibling shape (another sizing method) is not a typo.
          const suggestion = known.includes(key) ? null : closestKey(key, known);
          problems.push(
            locator.say(
              locator.keyNode(issue.path, key),
              [...issue.path, key],
              known.includes(key)
                ? "is not a setting of this kind (see the example desk file)"
                : `unknown setting${suggestion ? `; did you mean ${suggestion}?` : `; the settings here are ${known.join(", ")}`}`,
            ),
          );
        }
      } else if (issue.code === "invalid_key") {
        const key = issue.path[issue.path.length - 1];
        problems.push(locator.say(locator.keyNode(issue.path.slice(0, -1), String(key)), issue.path, messageOf(issue, data)));
      } else {
        problems.push(locator.say(locator.nodeAt(issue.path), issue.path, messageOf(issue, data)));
      }
    }
    throw new DeskFileError([...new Set(problems)]);
  }
  const desk = toDesk(parsed.data, source, locator, problems);
  if (problems.length > 0) throw new DeskFileError(problems);
  return desk;
}

/** The checked file in the engine's units, with the checks that span sections (ids, references, the strategy params). */
function toDesk(input: DeskFileInput, source: string, locator: Locator, problems: string[]): DeskFile {
  const refuse = (path: PropertyKey[], message: string) => problems.push(locator.say(locator.nodeAt(path), path, message));
  const notActedUpon: string[] = [];

  const venues: DeskVenue[] = (input.venues ?? []).map((v) => ({
    id: v.id,
    exchange: v.exchange,
    mode: v.mode,
    testnet: v.testnet ?? false,
    enabled: v.enabled ?? true,
    fees: v.fees ? { makerBps: v.fees.maker_bps, takerBps: v.fees.taker_bps } : null,
    symbols: v.symbols ?? [],
  }));
  const venueIds = venues.map((v) => v.id);
  venues.forEach((v, i) => {
    if (venueIds.indexOf(v.id) !== i) refuse(["venues", i, "id"], `the venue id ${v.id} is used twice`);
    if (v.mode === "sim" && v.testnet) refuse(["venues", i, "testnet"], "a simulated venue has no testnet; remove testnet or use mode: ccxt");
    if (v.fees) notActedUpon.push(`venues[${i}].fees`);
    if (v.symbols.length > 0) notActedUpon.push(`venues[${i}].symbols`);
  });
  if (venues.length > 0) notActedUpon.push("venues[].id (the running venue keeps its built-in id until several venues come with issue 11)");
  if (venues.filter((v) => v.enabled).length > 1) notActedUpon.push("venues (one venue runs today; several in one engine come with issue 11)");

  const symbolNames = new Set([...(input.desk?.symbols ?? []), ...Object.keys(input.symbols ?? {})]);
  const strategies: DeskStrategy[] = (input.strategies ?? []).map((s) => ({
    id: s.id,
    kind: s.kind,
    params: s.params ?? {},
    symbols: s.symbols,
    venue: s.venue ?? null,
    enabled: s.enabled ?? true,
  }));
  const strategyIds = strategies.map((s) => s.id);
  strategies.forEach((s, i) => {
    if (strategyIds.indexOf(s.id) !== i) refuse(["strategies", i, "id"], `the strategy id ${s.id} is used twice`);
    const created = createStrategy(s.kind, s.params);
    if (!created.ok) refuse(["strategies", i, "params"], created.error.message);
    if (s.venue !== null && !venueIds.includes(s.venue)) {
      const suggestion = closestKey(s.venue, venueIds);
      refuse(
        ["strategies", i, "venue"],
        `there is no venue ${s.venue} in venues${suggestion ? `; did you mean ${suggestion}?` : venueIds.length ? ` (the venues are ${venueIds.join(", ")})` : ""}`,
      );
    }
    s.symbols.forEach((symbol, j) => {
      if (symbolNames.size > 0 && !symbolNames.has(symbol)) {
        const suggestion = closestKey(symbol, [...symbolNames]);
        refuse(
          ["strategies", i, "symbols", j],
          `${symbol} is neither in desk.symbols nor in symbols${suggestion ? `; did you mean ${suggestion}?` : ` (they are ${[...symbolNames].join(", ")})`}`,
        );
      }
    });
  });
  if (strategies.filter((s) => s.enabled).length > 1) notActedUpon.push("strategies (one built-in strategy runs today; several come with issue 11)");
  if (strategies.some((s) => s.venue !== null)) notActedUpon.push("strategies[].venue");
  if (strategies.some((s) => s.symbols.length > 1)) notActedUpon.push("strategies[].symbols beyond the first traded symbol");

  const symbols: Record<string, Partial<SymbolSettings>> = {};
  for (const [symbol, entry] of Object.entries(input.symbols ?? {})) {
    symbols[symbol] = symbolPatchOf(entry);
    // The engine's own schema is the last word (e.g. a take-profit ladder's order).
    const check = symbolSettingsSchema.safeParse(patched(symbolSettingsSchema.parse({}), symbols[symbol]));
    if (!check.success) for (const issue of check.error.issues) refuse(["symbols", symbol], issue.message);
  }

  const riskInput = input.risk ?? {};
  const risk: RiskLimitsPatch = {};
  for (const [engineKey, fileKey] of Object.entries(RISK_FILE_KEYS) as [keyof RiskLimitsSettings, string][]) {
    const value = (riskInput as Record<string, unknown>)[fileKey];
    if (value === undefined) continue;
    (risk as Record<string, unknown>)[engineKey] = value === null ? null : RISK_SHARE_KEYS.has(engineKey) ? pctOf(value as number) : value;
  }
  const riskCheck = riskLimitsSchema.safeParse(patched({}, risk, true));
  if (!riskCheck.success) for (const issue of riskCheck.error.issues) refuse(["risk"], issue.message);

  const symbolDefaults: Partial<SymbolSettings> = {};
  if (riskInput.default_stop_loss !== undefined) symbolDefaults.stopLossPct = riskInput.default_stop_loss === null ? null : pctOf(riskInput.default_stop_loss);
  if (riskInput.trailing_stop_activation !== undefined) {
    symbolDefaults.trailing =
      riskInput.trailing_stop_activation === null
        ? null
        : { activationPct: pctOf(riskInput.trailing_stop_activation), distancePct: pctOf(riskInput.trailing_stop_distance ?? 0.01) };
  } else if (riskInput.trailing_stop_distance !== undefined) {
    refuse(["risk", "trailing_stop_distance"], "needs risk.trailing_stop_activation too (the trailing stop starts at that profit)");
  }
  if (riskInput.partial_close_thresholds !== undefined) symbolDefaults.takeProfitLevels = levelsOf(riskInput.partial_close_thresholds);
  if (riskInput.order_timeout_seconds !== undefined) notActedUpon.push("risk.order_timeout_seconds");

  const breaker: Partial<BreakerConfig> = {};
  for (const [fileKey, engineKey] of Object.entries(BREAKER_KEYS) as [keyof typeof BREAKER_KEYS, keyof BreakerConfig][]) {
    const value = input.breaker?.[fileKey];
    if (value !== undefined) (breaker as Record<string, unknown>)[engineKey] = value;
  }
  if (riskInput.emergency_stop_drawdown !== undefined) {
    if (input.breaker?.max_drawdown_pct !== undefined) {
      refuse(["risk", "emergency_stop_drawdown"], "sets the same limit as breaker.max_drawdown_pct; keep one of them");
    } else {
      breaker.maxDrawdownPct = riskInput.emergency_stop_drawdown === null ? null : pctOf(riskInput.emergency_stop_drawdown);
    }
  }
  const breakerCheck = breakerConfigSchema.safeParse(breaker);
  if (!breakerCheck.success) for (const issue of breakerCheck.error.issues) refuse(["breaker"], issue.message);

  return {
    source,
    desk: input.desk ?? {},
    venues,
    strategies,
    symbols,
    symbolDefaults,
    risk,
    breaker,
    retryAttempts: riskInput.retry_attempts ?? null,
    orderTimeoutSeconds: riskInput.order_timeout_seconds ?? null,
    notActedUpon,
  };
}

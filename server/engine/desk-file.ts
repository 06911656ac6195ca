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
 *
 * The schema is in desk-file-schema.ts, placing a problem in the YAML (line, key path, did you mean) in desk-file-yaml.ts.
 * Size (~630 lines): parsing (parseDeskFile), the checked input turned into the engine's settings (toDesk) and one
 * converter per section that needs one (symbols, arbitrage pairs, alerts, notification channels, protections); they
 * share the locator that names a problem's line.
 */
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { DEFAULT_ALERT_SETTINGS, type AlertSettings } from "../core/alerts";
import { type BreakerConfig, breakerConfigSchema } from "../core/breaker/config";
import type { ArbPairConfig } from "../core/algos/arbitrage";
import { D } from "../core/money";
import { createStrategy } from "../core/strategies";
import { channelSettingsSchema } from "../notify/settings";
import { protectionSettingsSchema, type ProtectionSettingsInput } from "../core/protection/settings";
import { type alertsSection, type breakerSection, DESK_MODES, deskFileSchema, type symbolEntry, type DeskFileInput } from "./desk-file-schema";
import { closestKey, knownKeysAt, Locator, messageOf, plain, secretKeys } from "./desk-file-yaml";
import {
  executionSettingsSchema,
  expectedReturnScalingSchema,
  riskLimitsSchema,
  sizingSchema,
  symbolSettingsSchema,
  type RiskLimitsSettings,
  type SymbolSettings,
} from "./settings";

/** A desk file larger than this is refused (the import box and the start alike). */
export const DESK_FILE_MAX_BYTES = 64 * 1024;

/**
 * Who puts the desk file's settings in force at start. A person wrote the file, so the change is audited (the engine
 * leaves system actions out of the audit log); whoever can write the desk's files has an admin's reach, hence the role.
 */
export const DESK_FILE_ACTOR = { username: "desk-file", role: "admin" as const };

export { closestKey, DESK_MODES };

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
  /** Replay: the recordings this simulated venue plays (one file per symbol); empty: the desk's replay file(s). */
  replay: string[];
  /** ccxt: the API base-URL override (live-config.ts checks it), or null. */
  apiUrl: string | null;
  /** Mode sim: starting balances per currency (decimal text); null: the desk's capital in its quote currency. */
  balances: Record<string, string> | null;
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
    replay?: { file?: string; speed?: number; start?: string };
  };
  /** desk.conversion_rates: fixed rates of pegged currencies into the desk's quote (accounting.ts); absent: none. */
  conversionRates?: Record<string, string>;
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
  /**
   * Notification channels as the file states them, in notify's camelCase and without their secrets (the desk file
   * refuses them): config.ts puts in the webhook secret, bot token and SMTP password from the environment or the
   * secrets file, and checks the whole with notifySettingsSchema.
   */
  notifications: DeskNotificationChannel[];
  /** The alert center's thresholds the file sets (the rest keep core/alerts' defaults). */
  alerts: Partial<AlertSettings>;
  /** The protections the file sets (core/protection's camelCase; what it leaves out takes the defaults); null: no section. */
  protections: ProtectionSettingsInput | null;
  /** Arbitrage pairs (engine/arbitrage.ts), checked against the venues; empty: no arbitrage executor. */
  arbitrage: ArbPairConfig[];
  /** Key paths the file sets that the engine does not act upon yet (said at start and in the import preview). */
  notActedUpon: string[];
  /** The line of each key, by key path, for messages about values checked later (config.ts's rules). */
  keyLines: Record<string, number>;
}

/** A notification channel of the desk file: notify's channel settings (camelCase) less its secret. */
export type DeskNotificationChannel = { name: string; type: "webhook" | "telegram" | "email" } & Record<string, unknown>;

export class DeskFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`The desk file is refused:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "DeskFileError";
  }
}

const pctOf = (shareValue: number) => D(shareValue).times(100).toNumber();

/** Breaker keys in snake_case → the engine's names. */
const BREAKER_KEYS: Record<keyof z.output<typeof breakerSection>, keyof BreakerConfig> = {
  max_daily_loss_pct: "maxDailyLossPct",
  max_daily_loss_abs: "maxDailyLossAbs",
  max_weekly_loss_pct: "maxWeeklyLossPct",
  max_drawdown_pct: "maxDrawdownPct",
  max_drawdown_abs: "maxDrawdownAbs",
  max_portfolio_var_pct: "maxPortfolioVarPct",
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
  maxOpenPositionsPerStrategy: "max_open_positions_per_strategy",
  maxStrategyExposurePct: "max_strategy_exposure",
  strategyConflict: "strategy_conflict",
  maxCorrelatedExposurePct: "max_correlated_exposure",
  correlationThreshold: "correlation_threshold",
  correlationWindowBars: "correlation_window_bars",
  correlationBarMinutes: "correlation_bar_minutes",
  maxVarPct: "max_var",
};
/** Risk limits written as shares in the file and as percentages in the engine. */
export const RISK_SHARE_KEYS: ReadonlySet<keyof RiskLimitsSettings> = new Set([
  "maxPortfolioExposurePct",
  "maxSymbolExposurePct",
  "maxStrategyExposurePct",
  "maxCorrelatedExposurePct",
  "maxVarPct",
]);

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
  expectedReturnScaling: "expected_return_scaling",
  execution: "execution",
};

function sizingOf(input: NonNullable<z.output<typeof symbolEntry>["sizing"]>): SymbolSettings["sizing"] {
  if (input.method === "fixed_risk") return { method: "fixed_risk", riskFraction: input.risk_fraction };
  // Parameters left out take the engine schema's defaults.
  if (input.method === "kelly") {
    return sizingSchema.parse({
      method: "kelly",
      multiplier: input.multiplier,
      maxFraction: input.max_fraction,
      minTrades: input.min_trades,
      fallbackFraction: input.fallback_fraction,
    });
  }
  if (input.method === "atr")
    return sizingSchema.parse({ method: "atr", riskFraction: input.risk_fraction, atrMultiple: input.atr_multiple, period: input.period });
  if (input.method === "target_weight") return { method: "target_weight", fraction: input.fraction, allocation: input.allocation ?? "risk_parity" };
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
  if (entry.expected_return_scaling !== undefined) {
    const scaling = entry.expected_return_scaling;
    patch.expectedReturnScaling =
      scaling === null ? undefined : expectedReturnScalingSchema.parse({ reference: scaling.reference, maxMultiplier: scaling.max_multiplier });
  }
  if (entry.execution !== undefined)
    patch.execution = entry.execution
      ? executionSettingsSchema.parse({
          orderTimeoutSeconds: entry.execution.order_timeout_seconds,
          retryAttempts: entry.execution.retry_attempts,
          chaserEnd: entry.execution.chaser_end,
        })
      : undefined;
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
          path[0] === "notifications"
            ? "secrets are refused in the desk file (it is shared and its example is committed); put a channel's secret in the environment (BASTION_NOTIFY_WEBHOOK_SECRET, BASTION_NOTIFY_TELEGRAM_BOT_TOKEN, BASTION_NOTIFY_SMTP_PASSWORD) or in the git-ignored secrets file config/secrets.yaml (BASTION_SECRETS_FILE)"
            : "secrets are refused in the desk file (it is shared and its example is committed); put API keys in the environment (BASTION_API_KEY, BASTION_API_SECRET, BASTION_API_PASSWORD; per venue BASTION_VENUE_<ID>_API_KEY …) or in the git-ignored secrets file config/secrets.yaml (BASTION_SECRETS_FILE), per venue under venues.<id>",
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
    replay: v.replay === undefined ? [] : typeof v.replay === "string" ? [v.replay] : v.replay,
    apiUrl: v.api_url ?? null,
    balances: v.balances ?? null,
  }));
  const venueIds = venues.map((v) => v.id);
  // Several enabled simulated venues run as such in replay and paper (desk-venues.ts): their ids, fees and symbols count.
  const severalSims = venues.filter((v) => v.enabled && v.mode === "sim").length > 1;
  // Several enabled ccxt venues each run live with the symbols they list (their fees come from the exchange's markets).
  const severalCcxt = venues.filter((v) => v.enabled && v.mode === "ccxt").length > 1;
  venues.forEach((v, i) => {
    if (venueIds.indexOf(v.id) !== i) refuse(["venues", i, "id"], `the venue id ${v.id} is used twice`);
    if (v.mode === "sim" && v.testnet) refuse(["venues", i, "testnet"], "a simulated venue has no testnet; remove testnet or use mode: ccxt");
    if (v.mode === "sim" && v.apiUrl !== null) refuse(["venues", i, "api_url"], "a simulated venue has no API; remove api_url or use mode: ccxt");
    // A paper desk simulates its several ccxt venues too: their fees count there.
    const actedUpon = v.enabled && ((severalSims && v.mode === "sim") || (severalCcxt && v.mode === "ccxt" && input.desk?.mode === "paper"));
    if (v.fees && !actedUpon) notActedUpon.push(`venues[${i}].fees`);
    if (v.symbols.length > 0 && !actedUpon && !(severalCcxt && v.enabled && v.mode === "ccxt")) notActedUpon.push(`venues[${i}].symbols`);
    if (v.replay.length > 0 && v.mode !== "sim") refuse(["venues", i, "replay"], "only a simulated venue (mode: sim) plays a recording");
    if (v.balances !== null && v.mode !== "sim")
      refuse(["venues", i, "balances"], "only a simulated venue (mode: sim) is given balances; an exchange reports its own");
  });
  if (venues.length > 0 && !severalSims && !severalCcxt) notActedUpon.push("venues[].id (a single venue keeps its built-in id)");
  if (severalSims && !venues.some((v) => v.replay.length > 0))
    notActedUpon.push("venues (the simulated venues all match the desk's one market feed: give a venue its own recording with replay:)");
  // Several enabled ccxt venues run each with its own keys in live mode (runtime.ts); in paper mode each is a simulator
  // fed by its own exchange's public data (runtime-paper-venues.ts).

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
  if (strategies.some((s) => s.venue !== null)) notActedUpon.push("strategies[].venue");

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

  const notifications = notificationChannelsOf(input.notifications?.channels ?? [], locator, problems);
  const alerts = alertSettingsOf(input.alerts ?? {});
  if ((alerts.slippageCriticalBps ?? DEFAULT_ALERT_SETTINGS.slippageCriticalBps) < (alerts.slippageWarnBps ?? DEFAULT_ALERT_SETTINGS.slippageWarnBps)) {
    refuse(["alerts", "slippage_critical_bps"], "must be at least alerts.slippage_warn_bps (a critical slippage is a larger one)");
  }
  const protections = input.protections === undefined ? null : protectionsOf(input.protections, locator, problems);
  const { conversion_rates: conversionRates, ...deskSettings } = input.desk ?? {};

  const arbitrage = arbitragePairsOf(input.arbitrage ?? [], venues, refuse);

  return {
    source,
    desk: deskSettings,
    ...(conversionRates && { conversionRates }),
    venues,
    strategies,
    symbols,
    symbolDefaults,
    risk,
    breaker,
    retryAttempts: riskInput.retry_attempts ?? null,
    orderTimeoutSeconds: riskInput.order_timeout_seconds ?? null,
    notifications,
    alerts,
    protections,
    arbitrage,
    notActedUpon,
    keyLines: locator.keyLines(),
  };
}

/** The arbitrage pairs in the engine's units, each market checked against the venues (and the symbols each lists). */
function arbitragePairsOf(
  input: NonNullable<DeskFileInput["arbitrage"]>,
  venues: readonly DeskVenue[],
  refuse: (path: PropertyKey[], message: string) => void,
): ArbPairConfig[] {
  const ids = input.map((p) => p.id);
  const enabledVenues = venues.filter((v) => v.enabled);
  return input.map((p, i) => {
    if (ids.indexOf(p.id) !== i) refuse(["arbitrage", i, "id"], `the pair id ${p.id} is used twice`);
    const [a, b] = p.markets as [{ venue: string; symbol: string }, { venue: string; symbol: string }];
    if (a.venue === b.venue && a.symbol === b.symbol) refuse(["arbitrage", i, "markets"], "names the same market twice; a pair needs two different markets");
    p.markets.forEach((m, j) => {
      const venue = enabledVenues.find((v) => v.id === m.venue);
      if (!venue) {
        const suggestion = closestKey(
          m.venue,
          enabledVenues.map((v) => v.id),
        );
        refuse(
          ["arbitrage", i, "markets", j, "venue"],
          `there is no enabled venue ${m.venue} in venues${suggestion ? `; did you mean ${suggestion}?` : enabledVenues.length ? ` (the venues are ${enabledVenues.map((v) => v.id).join(", ")})` : " (an arbitrage pair needs the venues listed under venues:)"}`,
        );
      } else if (venue.symbols.length > 0 && !venue.symbols.includes(m.symbol)) {
        refuse(["arbitrage", i, "markets", j, "symbol"], `${m.venue} does not list ${m.symbol} (its symbols are ${venue.symbols.join(", ")})`);
      }
    });
    if (a.symbol.split("/")[0] !== b.symbol.split("/")[0]) {
      refuse(["arbitrage", i, "markets"], `${a.symbol} and ${b.symbol} are not the same asset: both markets must trade one base currency`);
    }
    return {
      id: p.id,
      markets: [
        { venue: a.venue, symbol: a.symbol },
        { venue: b.venue, symbol: b.symbol },
      ],
      thresholdBps: p.threshold_bps,
      slippageBps: p.slippage_bps ?? 5,
      legs: p.legs ?? "taker-taker",
      maxQty: p.max_qty,
      legTimeoutMs: (p.leg_timeout_seconds ?? 30) * 1000,
      maxQuoteAgeMs: (p.max_quote_age_seconds ?? 10) * 1000,
      repair: p.repair ?? "unwind",
      enabled: p.enabled ?? true,
    };
  });
}

/** The file's alerts section in core/alerts' words and units. */
function alertSettingsOf(input: z.output<typeof alertsSection>): Partial<AlertSettings> {
  const out: Partial<AlertSettings> = {};
  if (input.slippage_warn_bps !== undefined) out.slippageWarnBps = input.slippage_warn_bps;
  if (input.slippage_critical_bps !== undefined) out.slippageCriticalBps = input.slippage_critical_bps;
  if (input.latency_ms !== undefined) out.latencyMs = input.latency_ms;
  if (input.limit_fill_timeout_seconds !== undefined) out.limitFillTimeoutMs = input.limit_fill_timeout_seconds * 1_000;
  if (input.fill_rate_window_minutes !== undefined) out.fillRateWindowMs = input.fill_rate_window_minutes * 60_000;
  if (input.fill_rate_min_orders !== undefined) out.fillRateMinOrders = input.fill_rate_min_orders;
  // A share (0–1) compared with a measured share, not money.
  if (input.fill_rate_floor_pct !== undefined) out.fillRateFloor = input.fill_rate_floor_pct / 100;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Notification channels: notify's schema is the one word on them; the file writes its keys in snake_case.

const camelOf = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const snakeOf = (key: PropertyKey) => (typeof key === "string" ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : key);

/** Map keys in camelCase, at every depth (list items that are maps too; values are left as they are). */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [camelOf(key), camelKeys(inner)]));
}

/**
 * Stand-ins for the secrets a channel needs but the desk file may not hold, so its shape can be checked here; they are
 * never kept (config.ts puts the real secret in and checks again).
 */
const SECRET_STAND_INS: Record<string, Record<string, string>> = {
  webhook: { secret: "desk-file-stand-in" },
  telegram: { botToken: "1:desk-file-stand-in-token" },
};

function notificationChannelsOf(channels: readonly Record<string, unknown>[], locator: Locator, problems: string[]): DeskNotificationChannel[] {
  const out: DeskNotificationChannel[] = [];
  const names = new Set<string>();
  channels.forEach((raw, i) => {
    const at: PropertyKey[] = ["notifications", "channels", i];
    const input = camelKeys(raw) as Record<string, unknown>;
    const check = channelSettingsSchema.safeParse({ ...input, ...(SECRET_STAND_INS[String(input.type)] ?? {}) });
    if (!check.success) {
      for (const issue of check.error.issues) {
        const path = [...at, ...issue.path.map(snakeOf)];
        if (issue.code === "unrecognized_keys") {
          for (const key of issue.keys.map((k) => String(snakeOf(k))))
            problems.push(locator.say(locator.keyNode(path, key), [...path, key], "unknown setting of a notification channel (see the example desk file)"));
        } else {
          problems.push(locator.say(locator.nodeAt(path), path, issue.message));
        }
      }
      return;
    }
    if (names.has(check.data.name))
      problems.push(locator.say(locator.nodeAt([...at, "name"]), [...at, "name"], `the channel name ${check.data.name} is used twice`));
    names.add(check.data.name);
    out.push({ ...input, name: check.data.name, type: check.data.type });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Protections: core/protection's schema is the one word on them; the file writes its keys in snake_case.

/** Keys in camelCase, except the symbol names under a rule's `symbols`. */
function camelProtectionKeys(value: unknown, underSymbols = false): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [underSymbols ? key : camelOf(key), camelProtectionKeys(inner, !underSymbols && key === "symbols")]),
  );
}

function protectionsOf(raw: Record<string, unknown>, locator: Locator, problems: string[]): ProtectionSettingsInput | null {
  const at: PropertyKey[] = ["protections"];
  const input = camelProtectionKeys(raw) as ProtectionSettingsInput;
  const check = protectionSettingsSchema.safeParse(input);
  if (check.success) return input;
  for (const issue of check.error.issues) {
    // Symbol names under `symbols` stay as written; rule and value keys go back to the file's snake_case.
    const path = [...at, ...issue.path.map((key, i) => (issue.path[i - 1] === "symbols" ? key : snakeOf(key)))];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys.map((k) => String(snakeOf(k))))
        problems.push(locator.say(locator.keyNode(path, key), [...path, key], "unknown protection setting (see config/desk.example.yaml)"));
    } else {
      // core's sentences start with the camelCase name ("flashMove.movePct must be …"): the path already says it.
      problems.push(locator.say(locator.nodeAt(path), path, issue.message.replace(/^[A-Za-z.]+ (?=must )/, "").replace(/\.$/, "")));
    }
  }
  return null;
}

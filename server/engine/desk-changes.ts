/**
 * The desk file against the settings in force: the difference field by field (the import preview), the settings to
 * put in force (at start and on import), and the live settings written back as a desk file (the export). Pure: the
 * caller hands in what is in force (Engine.riskSettings()) and applies the result through the engine's audited
 * commands, so nothing here changes a setting by itself.
 */
import { Document } from "yaml";
import { type BreakerConfig } from "../core/breaker/config";
import { D } from "../core/money";
import { BREAKER_FILE_KEYS, patched, RISK_FILE_KEYS, RISK_SHARE_KEYS, SYMBOL_FILE_KEYS, type DeskFile, type DeskStrategy, type DeskVenue } from "./desk-file";
import type { ArbPairConfig } from "../core/algos/arbitrage";
import type { RiskLimitsSettings, SymbolSettings } from "./settings";
import type { Actor, CommandResult, EngineCommand } from "./types";

/** What is in force, as Engine.riskSettings() gives it. */
export interface SettingsInForce {
  limits: RiskLimitsSettings;
  defaults: SymbolSettings;
  symbolSettings: Record<string, SymbolSettings>;
  breakerConfig: BreakerConfig | null;
}

/**
 * How a difference takes effect: `live` applied now (import) or at start; `start` only from the desk file when the
 * desk starts; `ignored` not applied here (a symbol this desk does not trade, a mode without a breaker).
 */
export type DeskChangeEffect = "live" | "start" | "ignored";

export interface DeskChangeRow {
  /** The key path in the desk file, e.g. `risk.max_portfolio_exposure`, `symbols.BTC/USDT.stop_loss_pct`. */
  key: string;
  /** Values in the file's units, as text (`none` for a limit that is off, `—` for not set). */
  current: string;
  proposed: string;
  effect: DeskChangeEffect;
  note?: string;
}

export interface DeskChanges {
  rows: DeskChangeRow[];
  /** The whole settings to put in force, or null where nothing changes. */
  riskLimits: RiskLimitsSettings | null;
  breakerConfig: BreakerConfig | null;
  symbols: { symbol: string; settings: SymbolSettings }[];
}

/** The desk as it runs, for the rows about things only a start changes. */
export interface RunningDesk {
  mode: string;
  symbols: readonly string[];
}

const shareOf = (pct: number) => D(pct).dividedBy(100).toNumber();

/** A decimal string as a YAML number when that number prints the same, else as text (exact either way). */
function decimalValue(value: string): number | string {
  return String(Number(value)) === value ? Number(value) : value;
}

export function riskToFile(limits: RiskLimitsSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [engineKey, fileKey] of Object.entries(RISK_FILE_KEYS) as [keyof RiskLimitsSettings, string][]) {
    const value = limits[engineKey];
    out[fileKey] =
      value === undefined ? null : RISK_SHARE_KEYS.has(engineKey) ? shareOf(value as number) : typeof value === "string" ? decimalValue(value) : value;
  }
  return out;
}

/** The defaults of symbols without settings of their own, as the risk section's default_* keys. */
export function defaultsToFile(defaults: SymbolSettings): Record<string, unknown> {
  return {
    default_stop_loss: defaults.stopLossPct === null ? null : shareOf(defaults.stopLossPct),
    trailing_stop_activation: defaults.trailing ? shareOf(defaults.trailing.activationPct) : null,
    ...(defaults.trailing ? { trailing_stop_distance: shareOf(defaults.trailing.distancePct) } : {}),
    partial_close_thresholds: defaults.takeProfitLevels.map((l) => ({ pct: l.pct, close_fraction: l.closeFraction })),
  };
}

export function symbolToFile(settings: SymbolSettings): Record<string, unknown> {
  // The file writes sizing parameters in snake_case (riskFraction → risk_fraction).
  const sizing = Object.fromEntries(Object.entries(settings.sizing).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]));
  return {
    [SYMBOL_FILE_KEYS.enabled]: settings.enabled,
    [SYMBOL_FILE_KEYS.minConfidence]: settings.minConfidence,
    [SYMBOL_FILE_KEYS.maxPositionQty]: settings.maxPositionQty === undefined ? null : decimalValue(settings.maxPositionQty),
    [SYMBOL_FILE_KEYS.maxPositionNotional]: settings.maxPositionNotional === undefined ? null : decimalValue(settings.maxPositionNotional),
    [SYMBOL_FILE_KEYS.sizing]: sizing,
    [SYMBOL_FILE_KEYS.stopLossPct]: settings.stopLossPct,
    [SYMBOL_FILE_KEYS.takeProfitLevels]: settings.takeProfitLevels.map((l) => ({ pct: l.pct, close_fraction: l.closeFraction })),
    [SYMBOL_FILE_KEYS.trailing]: settings.trailing && { activation_pct: settings.trailing.activationPct, distance_pct: settings.trailing.distancePct },
    [SYMBOL_FILE_KEYS.maxAgeMinutes]: settings.maxAgeMinutes,
    ...(settings.expectedReturnScaling && {
      [SYMBOL_FILE_KEYS.expectedReturnScaling]: {
        reference: settings.expectedReturnScaling.reference,
        max_multiplier: settings.expectedReturnScaling.maxMultiplier,
      },
    }),
    ...(settings.execution && {
      [SYMBOL_FILE_KEYS.execution]: {
        order_timeout_seconds: settings.execution.orderTimeoutSeconds,
        retry_attempts: settings.execution.retryAttempts,
        chaser_end: settings.execution.chaserEnd,
      },
    }),
  };
}

export function breakerToFile(config: BreakerConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [engineKey, fileKey] of Object.entries(BREAKER_FILE_KEYS) as [keyof BreakerConfig, string][]) out[fileKey] = config[engineKey];
  return out;
}

/** A value for a table cell: short, in the file's words. */
function cell(value: unknown): string {
  if (value === undefined) return "—";
  if (value === null) return "none";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.length === 0 ? "[]" : value.map((v) => cell(v)).join(", ");
  return `{ ${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${cell(v)}`)
    .join(", ")} }`;
}

/** Sorted-key JSON: two settings are equal when this text is. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

function compare(
  rows: DeskChangeRow[],
  prefix: string,
  current: Record<string, unknown>,
  next: Record<string, unknown>,
  effect: DeskChangeEffect,
  note?: string,
) {
  for (const key of Object.keys(next)) {
    if (canonical(current[key]) === canonical(next[key])) continue;
    rows.push({ key: `${prefix}.${key}`, current: cell(current[key]), proposed: cell(next[key]), effect, ...(note ? { note } : {}) });
  }
}

/**
 * The difference between a desk file and the settings in force, and what to put in force. The file's sections are
 * patches: keys it names change, keys it leaves out stay as they are.
 */
export function deskChanges(current: SettingsInForce, desk: DeskFile, running: RunningDesk): DeskChanges {
  const rows: DeskChangeRow[] = [];

  const limits = patched(current.limits, desk.risk, true);
  compare(rows, "risk", riskToFile(current.limits), riskToFile(limits), "live");
  const riskLimits = canonical(limits) === canonical(current.limits) ? null : limits;

  const defaults = patched(current.defaults, desk.symbolDefaults);
  compare(
    rows,
    "risk",
    defaultsToFile(current.defaults),
    defaultsToFile(defaults),
    "start",
    "defaults of symbols without settings of their own: read from the desk file at start",
  );

  let breakerConfig: BreakerConfig | null = null;
  if (Object.keys(desk.breaker).length > 0) {
    if (current.breakerConfig === null) {
      rows.push({ key: "breaker", current: "off", proposed: "set", effect: "ignored", note: "this mode runs without a circuit breaker" });
    } else {
      const next = patched(current.breakerConfig, desk.breaker);
      compare(rows, "breaker", breakerToFile(current.breakerConfig), breakerToFile(next), "live");
      if (canonical(next) !== canonical(current.breakerConfig)) breakerConfig = next;
    }
  }

  const symbols: DeskChanges["symbols"] = [];
  for (const [symbol, patch] of Object.entries(desk.symbols)) {
    const inForce = current.symbolSettings[symbol];
    if (!inForce) {
      rows.push({
        key: `symbols.${symbol}`,
        current: "not traded",
        proposed: "settings",
        effect: "ignored",
        note: `this desk does not trade ${symbol} (it trades ${Object.keys(current.symbolSettings).join(", ") || "nothing"})`,
      });
      continue;
    }
    const next = patched(inForce, patch);
    compare(rows, `symbols.${symbol}`, symbolToFile(inForce), symbolToFile(next), "live");
    if (canonical(next) !== canonical(inForce)) symbols.push({ symbol, settings: next });
  }

  if (desk.desk.mode !== undefined && desk.desk.mode !== running.mode) {
    rows.push({ key: "desk.mode", current: running.mode, proposed: desk.desk.mode, effect: "start", note: "read at start (BASTION_MODE wins)" });
  }
  if (desk.desk.symbols !== undefined && canonical(desk.desk.symbols) !== canonical(running.symbols)) {
    rows.push({
      key: "desk.symbols",
      current: cell(running.symbols),
      proposed: cell(desk.desk.symbols),
      effect: "start",
      note: "read at start (BASTION_SYMBOL wins)",
    });
  }
  return { rows, riskLimits, breakerConfig, symbols };
}

export interface DeskExportContext extends RunningDesk {
  /** The desk file the desk started with (its venues and strategies are written back), or null. */
  desk: DeskFile | null;
  /** Without a desk file: the built-in strategy as it runs. */
  strategy: { enabled: boolean; fast: number; slow: number };
  /** Without a desk file: the built-in strategies as they run (config.ts's plan); absent: `strategy` on the first symbol. */
  strategies?: readonly { id: string; kind: string; params: Readonly<Record<string, unknown>>; symbols: readonly string[] }[];
  venueId: string;
  /** When the export was made (a comment in the file). */
  at: Date;
}

function venueToFile(v: DeskVenue): Record<string, unknown> {
  return {
    id: v.id,
    exchange: v.exchange,
    mode: v.mode,
    ...(v.testnet ? { testnet: true } : {}),
    ...(v.enabled ? {} : { enabled: false }),
    ...(v.fees ? { fees: { maker_bps: v.fees.makerBps, taker_bps: v.fees.takerBps } } : {}),
    ...(v.symbols.length > 0 ? { symbols: v.symbols } : {}),
    ...(v.balances ? { balances: v.balances } : {}),
  };
}

/** An arbitrage pair as the desk file writes it (engine/arbitrage.ts reads it at start). */
function arbitragePairToFile(p: ArbPairConfig): Record<string, unknown> {
  return {
    id: p.id,
    markets: p.markets.map((m) => ({ venue: m.venue, symbol: m.symbol })),
    threshold_bps: p.thresholdBps,
    slippage_bps: p.slippageBps,
    legs: p.legs,
    max_qty: p.maxQty,
    leg_timeout_seconds: p.legTimeoutMs / 1000,
    max_quote_age_seconds: p.maxQuoteAgeMs / 1000,
    repair: p.repair,
    ...(p.enabled ? {} : { enabled: false }),
  };
}

function strategyToFile(s: DeskStrategy): Record<string, unknown> {
  return {
    id: s.id,
    kind: s.kind,
    ...(Object.keys(s.params).length > 0 ? { params: s.params } : {}),
    symbols: s.symbols,
    ...(s.venue ? { venue: s.venue } : {}),
    ...(s.enabled ? {} : { enabled: false }),
  };
}

/** The settings in force as a desk file (every key written out, so importing it again changes nothing). */
export function deskExportYaml(current: SettingsInForce, context: DeskExportContext): string {
  const symbols: Record<string, unknown> = {};
  for (const symbol of Object.keys(current.symbolSettings).sort()) symbols[symbol] = symbolToFile(current.symbolSettings[symbol]!);
  const first = context.symbols[0];
  const strategies = context.desk?.strategies.length
    ? context.desk.strategies.map(strategyToFile)
    : context.strategies
      ? context.strategies.map((s) => ({ id: s.id, kind: s.kind, params: { ...s.params }, symbols: [...s.symbols] }))
      : context.strategy.enabled && first
        ? [{ id: "sma-cross", kind: "sma-cross", params: { fast: context.strategy.fast, slow: context.strategy.slow }, symbols: [first] }]
        : [];
  const data: Record<string, unknown> = {
    version: 1,
    desk: { mode: context.mode, symbols: [...context.symbols] },
    ...(context.desk?.venues.length ? { venues: context.desk.venues.map(venueToFile) } : {}),
    symbols,
    ...(strategies.length > 0 ? { strategies } : {}),
    risk: { ...riskToFile(current.limits), ...defaultsToFile(current.defaults) },
    ...(current.breakerConfig ? { breaker: breakerToFile(current.breakerConfig) } : {}),
    ...(context.desk?.arbitrage.length ? { arbitrage: context.desk.arbitrage.map(arbitragePairToFile) } : {}),
  };
  const doc = new Document(data);
  doc.commentBefore = [
    ` Bastion desk file, exported from the live settings of ${context.venueId} at ${context.at.toISOString()}.`,
    " Save it as config/desk.yaml (or point BASTION_CONFIG at it), or import it on the Risk page.",
    " Shares are fractions (0.02 = 2 %), *_pct keys are percentages, null turns a limit off.",
  ].join("\n");
  return doc.toString({ lineWidth: 0 });
}

/** The engine's settings commands (the audited paths the Risk page uses too). */
export interface SettingsCommands {
  riskSettings(): SettingsInForce;
  execute(command: Extract<EngineCommand, { kind: "setRiskLimits" | "setBreakerConfig" | "setSymbolSettings" }>): Promise<CommandResult>;
}

/**
 * Puts a desk file's settings in force through the engine's audited commands, only where they differ (a start with
 * an unchanged file writes nothing). Returns the refusals, each in words (empty: all in force).
 */
export async function putDeskInForce(
  engine: SettingsCommands,
  desk: DeskFile,
  running: RunningDesk,
  actor: Actor,
): Promise<{ changed: number; refused: string[] }> {
  const changes = deskChanges(engine.riskSettings(), desk, running);
  const refused: string[] = [];
  let changed = 0;
  const run = async (what: string, command: () => Promise<CommandResult>) => {
    const result = await command();
    if (result.ok) changed++;
    else refused.push(`${what}: ${result.error.message}`);
  };
  const { riskLimits, breakerConfig } = changes;
  if (riskLimits) await run("risk", () => engine.execute({ kind: "setRiskLimits", limits: riskLimits, actor }));
  if (breakerConfig) await run("breaker", () => engine.execute({ kind: "setBreakerConfig", config: breakerConfig, actor }));
  for (const { symbol, settings } of changes.symbols)
    await run(`symbols.${symbol}`, () => engine.execute({ kind: "setSymbolSettings", symbol, settings, actor }));
  return { changed, refused };
}

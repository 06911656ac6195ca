/**
 * The process configuration: every BASTION_* variable (and HOST, PORT, DATABASE_URL) is parsed and checked
 * here, once, into one typed AppConfig. A bad value refuses the start with the variable's name and what is
 * wrong with it (all problems at once), instead of surfacing later as a NaN or a silently ignored setting.
 *
 * The LIVE exchange settings (BASTION_API_KEY, BASTION_API_SECRET, BASTION_API_PASSWORD, BASTION_SANDBOX,
 * BASTION_API_URL, BASTION_MARKET_TYPES, BASTION_LIVE_OPT_IN, BASTION_LIVE_CONFIG, and BASTION_EXCHANGE in
 * live mode) may also come from a git-ignored JSON file, so they are checked together with that file by
 * venues/ccxt/live-config.ts; this module only hands them over (`liveEnv`), and never shows them.
 *
 * The desk file (config/desk.yaml, or the path in BASTION_CONFIG; engine/desk-file.ts checks it) fills in what the
 * environment leaves unset. Precedence, highest first: an environment variable, the desk file, the secrets file (only
 * for the secrets), the built-in default. Without a desk file the desk is exactly the zero-config replay desk. Secrets
 * never come from the desk file: from the environment, or from the git-ignored secrets file (config/secrets.yaml, or
 * BASTION_SECRETS_FILE) with the keys of SECRETS_FILE_KEYS.
 *
 * Read it through `appConfig()`: it parses again only when one of the variables changed (tests set them); the files
 * are read when it parses (at start), not watched.
 *
 * Size (~680 lines): the schema of every variable (~200 lines) and the three sources merged into it (desk file, secrets
 * file, environment) with their precedence are one reading: a variable's bounds, its desk-file key and its default sit
 * side by side, which is the point of having one place that reads the configuration.
 */
import "server-only";
import { existsSync, readFileSync } from "node:fs";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { closestKey, DeskFileError, parseDeskFile, type DeskFile } from "./engine/desk-file";
import { notifySettingsSchema, webhookFromEnvironment, type ChannelSettings } from "./notify/settings";
import { PORTFOLIO_STRATEGIES, type StrategyAssignment } from "./engine/replay-desk";
import { RECORDED_FILES } from "./venues/replay/csv";
import { checkFileSymbol, RECORDED_SETS, symbolOfFile } from "./venues/replay/portfolio";
import { ReplayError } from "./venues/replay/replay-feed";
import { VENUE_SECRET_KEYS, VENUE_VARIABLE, venueVariable } from "./venues/ccxt/venue-credentials";

export const MODES = ["replay", "paper", "live", "backtest"] as const;
export type Mode = (typeof MODES)[number];

type Env = Readonly<Record<string, string | undefined>>;

/** Secrets: no value in messages, logs, JSON or util.inspect. */
const SECRET_VARIABLES = new Set([
  "BASTION_ADMIN_PASSWORD",
  "BASTION_SIGNAL_SECRET",
  "BASTION_API_KEY",
  "BASTION_API_SECRET",
  "BASTION_API_PASSWORD",
  "BASTION_NOTIFY_WEBHOOK_SECRET",
  "BASTION_NOTIFY_TELEGRAM_BOT_TOKEN",
  "BASTION_NOTIFY_SMTP_PASSWORD",
  // Not a secret by name, but a receiver's URL often carries its token in the path (Slack, Discord): never echoed.
  "BASTION_NOTIFY_WEBHOOK_URL",
]);

/** Handed over unchecked to venues/ccxt/live-config.ts, which merges them with its settings file. */
export const LIVE_VARIABLES = [
  "BASTION_EXCHANGE",
  "BASTION_API_KEY",
  "BASTION_API_SECRET",
  "BASTION_API_PASSWORD",
  "BASTION_SANDBOX",
  "BASTION_API_URL",
  "BASTION_MARKET_TYPES",
  "BASTION_LIVE_OPT_IN",
  "BASTION_LIVE_CONFIG",
] as const;
/** The live settings, and each desk-file venue's credentials (BASTION_VENUE_<ID>_API_*, venue-credentials.ts). */
export type LiveEnv = Readonly<Partial<Record<(typeof LIVE_VARIABLES)[number], string>>> & Readonly<Record<string, string | undefined>>;

/** The recorded set the zero-config replay desk plays, and its symbols (from the files' names). */
const PORTFOLIO = RECORDED_SETS.portfolio;
const PORTFOLIO_FILES = PORTFOLIO.files.map((file) => ({ symbol: symbolOfFile(file)!, file }));

function wholeNumber(name: string, min: number, max: number, fallback: number, unit: string) {
  const message = `${name} must be a whole number of ${unit} from ${min} to ${max}`;
  return z
    .string()
    .regex(/^-?\d+$/, message)
    .transform(Number)
    .pipe(z.number().min(min, message).max(max, message))
    .optional()
    .transform((v) => v ?? fallback);
}

const ON = new Set(["1", "true", "yes", "on"]);
const OFF = new Set(["0", "false", "no", "off"]);

function onOff(name: string, fallback: boolean) {
  return z
    .string()
    .refine((v) => ON.has(v.toLowerCase()) || OFF.has(v.toLowerCase()), `${name} must be 1 or 0 (on/off, true/false)`)
    .transform((v) => ON.has(v.toLowerCase()))
    .optional()
    .transform((v) => v ?? fallback);
}

function list(name: string, itemPattern: RegExp, itemHint: string) {
  return z
    .string()
    .transform((v) =>
      v
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== ""),
    )
    .refine((items) => items.every((x) => itemPattern.test(x)), `${name} must be a comma-separated list of ${itemHint}`)
    .refine((items) => new Set(items).size === items.length, `${name} names the same entry twice`);
}

const SYMBOL = /^[A-Za-z0-9._-]{1,20}\/[A-Za-z0-9._-]{1,20}(:[A-Za-z0-9._-]{1,20})?$/;
const HOST_NAME = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$/;
/** Positive decimal money, at most 8 decimals: the capital is kept as exact text, never a float. */
const MONEY = /^\d{1,13}(\.\d{1,8})?$/;

const envFields = z
  .object({
    BASTION_MODE: z.enum(MODES, { error: `BASTION_MODE must be one of ${MODES.join(", ")}` }).default("replay"),
    DATABASE_URL: z
      .string()
      .regex(/^file:.+/, "DATABASE_URL must be a SQLite file URL such as file:./data/bastion.db")
      .default("file:./data/bastion.db"),
    HOST: z
      .string()
      .regex(/^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+|[A-Za-z0-9.-]{1,253})$/, "HOST must be a host name or an IP address to listen on")
      .optional(),
    PORT: wholeNumber("PORT", 1, 65_535, 3000, "a TCP port"),
    BASTION_ENGINE: onOff("BASTION_ENGINE", true),
    BASTION_ADMIN_PASSWORD: z.string().optional(),
    BASTION_SIGNAL_SECRET: z
      .string()
      .min(16, "BASTION_SIGNAL_SECRET must be at least 16 characters (it alone guards POST /api/signals); unset it to turn the webhook off")
      .max(512, "BASTION_SIGNAL_SECRET must be at most 512 characters")
      .optional(),
    /** Signals stamped longer ago than this are refused (SIGNAL_TOO_OLD). */
    BASTION_SIGNAL_MAX_AGE_SECONDS: wholeNumber("BASTION_SIGNAL_MAX_AGE_SECONDS", 5, 86_400, 300, "seconds"),
    /** Signals stamped further ahead of the desk's clock than this are refused (SIGNAL_FROM_FUTURE). */
    BASTION_SIGNAL_MAX_AHEAD_SECONDS: wholeNumber("BASTION_SIGNAL_MAX_AHEAD_SECONDS", 0, 600, 30, "seconds"),
    BASTION_COOKIE_SECURE: onOff("BASTION_COOKIE_SECURE", false),
    BASTION_TRUST_PROXY: onOff("BASTION_TRUST_PROXY", false),
    BASTION_ALLOWED_HOSTS: list("BASTION_ALLOWED_HOSTS", HOST_NAME, "host names, each optionally with :port (desk.example,desk.example:8443)")
      .transform((hosts) => hosts.map((h) => h.toLowerCase()))
      .optional()
      .transform((v) => v ?? []),
    BASTION_SYMBOL: list("BASTION_SYMBOL", SYMBOL, "ccxt symbols such as BTC/USDT")
      .refine((symbols) => symbols.length > 0, "BASTION_SYMBOL must name at least one symbol such as BTC/USDT")
      .optional()
      .transform((v) => v ?? ["BTC/USDT"]),
    BASTION_CAPITAL: z
      .string()
      .regex(MONEY, { message: "BASTION_CAPITAL must be an amount of the quote currency such as 10000 or 2500.50 (at most 8 decimals)", abort: true })
      .refine((v) => Number(v) >= 1 && Number(v) <= 1e12, "BASTION_CAPITAL must be from 1 to 1000000000000")
      .optional(),
    BASTION_SEED: wholeNumber("BASTION_SEED", 0, 2 ** 32 - 1, 7, "(a random seed)"),
    BASTION_SIM_STATE: z.string().optional(),
    BASTION_REPLAY_FILE: z.string().optional(),
    BASTION_REPLAY_SPEED: wholeNumber("BASTION_REPLAY_SPEED", 1, 100_000, 300, "recorded ms per real ms"),
    BASTION_STRATEGY: z.enum(["sma-cross", "off"], { error: "BASTION_STRATEGY must be sma-cross or off" }).optional(),
    BASTION_SMA_FAST: wholeNumber("BASTION_SMA_FAST", 1, 1000, 10, "candles"),
    BASTION_SMA_SLOW: wholeNumber("BASTION_SMA_SLOW", 2, 5000, 30, "candles"),
    BASTION_EXCHANGE: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.string().regex(/^[a-z0-9_]{1,40}$/, "BASTION_EXCHANGE must be a ccxt exchange id such as binance or bitget"))
      .optional()
      .transform((v) => v ?? "binance"),
    BASTION_WEBSOCKETS: onOff("BASTION_WEBSOCKETS", true),
    BASTION_POLL_MS: wholeNumber("BASTION_POLL_MS", 250, 60_000, 2000, "milliseconds"),
    BASTION_VENUE_POLL_MS: wholeNumber("BASTION_VENUE_POLL_MS", 250, 60_000, 2000, "milliseconds"),
    BASTION_LIVE_TIMEOUT_MS: wholeNumber("BASTION_LIVE_TIMEOUT_MS", 500, 120_000, 10_000, "milliseconds"),
    BASTION_RECONCILE_MS: wholeNumber("BASTION_RECONCILE_MS", 5_000, 3_600_000, 60_000, "milliseconds"),
    /** How often the portfolio figures and the allocation (target weights) are computed and recorded. */
    BASTION_PORTFOLIO_POINT_MINUTES: wholeNumber("BASTION_PORTFOLIO_POINT_MINUTES", 1, 1_440, 5, "minutes"),
    /** The desk file; unset: config/desk.yaml when it exists (a path that is set must exist). */
    BASTION_CONFIG: z.string().max(4096, "BASTION_CONFIG must be a file path").optional(),
    /** The secrets file; unset: config/secrets.yaml when it exists. */
    BASTION_SECRETS_FILE: z.string().max(4096, "BASTION_SECRETS_FILE must be a file path").optional(),
    /** A webhook channel ("webhook-env") on top of the desk file's channels; its deliveries are signed with the secret below. */
    BASTION_NOTIFY_WEBHOOK_URL: z
      .string()
      .max(2_000, "BASTION_NOTIFY_WEBHOOK_URL must be at most 2,000 characters")
      .refine(
        (v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol),
        "BASTION_NOTIFY_WEBHOOK_URL must be an http(s) URL such as https://hooks.example/bastion",
      )
      .optional(),
    /** Signs every webhook delivery (X-Bastion-Signature); also the secret of the desk file's webhook channels. */
    BASTION_NOTIFY_WEBHOOK_SECRET: z
      .string()
      .min(16, "BASTION_NOTIFY_WEBHOOK_SECRET must be at least 16 characters (receivers check the signature with it)")
      .max(512, "BASTION_NOTIFY_WEBHOOK_SECRET must be at most 512 characters")
      .optional(),
    /** The bot token of the desk file's Telegram channels. */
    BASTION_NOTIFY_TELEGRAM_BOT_TOKEN: z
      .string()
      .regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, "BASTION_NOTIFY_TELEGRAM_BOT_TOKEN must be a Telegram bot token (digits, a colon, then letters)")
      .optional(),
    /** The SMTP password of the desk file's email channels that name a user. */
    BASTION_NOTIFY_SMTP_PASSWORD: z.string().max(256, "BASTION_NOTIFY_SMTP_PASSWORD must be at most 256 characters").optional(),
  })
  .strip();

/** The environment's schema; `venueRecordings`: the desk file's simulated venues each name their recordings (several symbols replay then). */
const envSchemaFor = (venueRecordings: boolean) =>
  envFields.superRefine((env, ctx) => {
    if (env.BASTION_NOTIFY_WEBHOOK_URL !== undefined && env.BASTION_NOTIFY_WEBHOOK_SECRET === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["BASTION_NOTIFY_WEBHOOK_SECRET"],
        message:
          "BASTION_NOTIFY_WEBHOOK_SECRET must be set (at least 16 characters) when BASTION_NOTIFY_WEBHOOK_URL is: every delivery is signed; unset the URL to turn the webhook off",
      });
    }
    if (env.BASTION_SMA_FAST >= env.BASTION_SMA_SLOW) {
      ctx.addIssue({
        code: "custom",
        path: ["BASTION_SMA_FAST"],
        message: `BASTION_SMA_FAST (${env.BASTION_SMA_FAST}) must be below BASTION_SMA_SLOW (${env.BASTION_SMA_SLOW})`,
      });
    }
    // Replay plays several symbols only from files that say which symbol each holds (a recorded set, today the portfolio,
    // or the desk file's simulated venues each naming their recordings: loadConfig knows the file).
    const several = env.BASTION_SYMBOL.length > 1;
    if (
      env.BASTION_MODE === "replay" &&
      several &&
      !venueRecordings &&
      (env.BASTION_REPLAY_FILE !== undefined || !env.BASTION_SYMBOL.every((s) => portfolioFile(s)))
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["BASTION_SYMBOL"],
        message: `BASTION_SYMBOL lists ${env.BASTION_SYMBOL.length} symbols, but replay mode plays several symbols only from a recorded set with a file per symbol (the portfolio set: ${PORTFOLIO_FILES.map((f) => f.symbol).join(", ")}), without BASTION_REPLAY_FILE; set one symbol, such as BASTION_SYMBOL=${env.BASTION_SYMBOL[0]}, or symbols of the set`,
      });
    }
  });
const envSchema = envSchemaFor(false);

/** Every variable this module reads; anything else in the environment is not Bastion's. */
const VARIABLES = [...new Set([...Object.keys(envSchema.shape), ...LIVE_VARIABLES])];

export interface AppConfig {
  mode: Mode;
  databaseUrl: string;
  /** Where `npm start` listens (the npm script reads HOST/PORT itself; checked here so a typo is named). */
  listen: { host: string | undefined; port: number };
  /** BASTION_ENGINE=off: the dashboard without an engine. */
  engineOn: boolean;
  /** The first admin's password, read on the first start only (the policy is checked by auth/bootstrap.ts). */
  adminPassword: Secret | null;
  /** Shared secret of POST /api/signals; null: the webhook is off. */
  signalSecret: Secret | null;
  /** The window of signal timestamps the engine takes, around its clock. */
  signalWindow: { maxAgeMs: number; maxAheadMs: number };
  http: { secureCookies: boolean; trustProxy: boolean; allowedHosts: readonly string[] };
  /** The symbols traded (replay: one file per symbol, see `replay.files`). */
  symbols: readonly string[];
  /** Starting capital as exact decimal text; null: 10000 in simulation, the account's quote balance live. */
  capital: string | null;
  sim: { seed: number; statePath: string | null };
  /**
   * `files`: the file each replayed symbol plays (empty outside replay); `set`: the recorded set they come from, or null
   * (one file: BASTION_REPLAY_FILE, else the recorded BTC/USDT candles).
   */
  replay: { file: string | null; speed: number; set: "portfolio" | null; files: readonly ReplayFile[] };
  /** The built-in sma-cross strategy; `enabled` false with BASTION_STRATEGY=off (the default in live mode). */
  strategy: { enabled: boolean; fast: number; slow: number };
  /** The built-in strategies that run, each on its symbols (empty when the strategy is off). */
  strategies: readonly StrategyAssignment[];
  /** Paper: the ccxt exchange whose public data is played (live mode takes it from the live settings). */
  exchange: string;
  websockets: boolean;
  intervals: { pollMs: number; venuePollMs: number; liveTimeoutMs: number; reconcileMs: number; portfolioPointMinutes: number };
  /** The LIVE settings as given, for venues/ccxt/live-config.ts (hidden from JSON and inspect). */
  liveEnv: LiveEnv;
  /** The checked desk file (its settings are put in force at start), or null without one. */
  desk: DeskFile | null;
  /**
   * Outbound notification channels: the desk file's, with their secrets from the environment or the secrets file, then
   * the webhook of BASTION_NOTIFY_WEBHOOK_URL ("webhook-env"). Holds secrets: hidden from JSON and inspect like liveEnv.
   */
  notifications: readonly ChannelSettings[];
}

/** A secret value that does not print itself. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "[secret]";
  }
  toJSON(): string {
    return "[secret]";
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "[secret]";
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Bastion's configuration is refused:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** The variables Bastion reads, trimmed; an empty value counts as unset. */
function pick(env: Env): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of VARIABLES) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== "") out[name] = value;
  }
  return out;
}

function shown(name: string, raw: string | undefined): string {
  if (raw === undefined || SECRET_VARIABLES.has(name)) return "";
  return ` (got "${raw.length > 60 ? `${raw.slice(0, 60)}…` : raw}")`;
}

export const DEFAULT_DESK_FILE = "config/desk.yaml";
export const DEFAULT_SECRETS_FILE = "config/secrets.yaml";

/** The secrets file's keys and the variables they stand for (a variable that is set wins). */
export const SECRETS_FILE_KEYS = {
  api_key: "BASTION_API_KEY",
  api_secret: "BASTION_API_SECRET",
  api_password: "BASTION_API_PASSWORD",
  signal_secret: "BASTION_SIGNAL_SECRET",
  admin_password: "BASTION_ADMIN_PASSWORD",
  notify_webhook_secret: "BASTION_NOTIFY_WEBHOOK_SECRET",
  notify_telegram_bot_token: "BASTION_NOTIFY_TELEGRAM_BOT_TOKEN",
  notify_smtp_password: "BASTION_NOTIFY_SMTP_PASSWORD",
} as const;

/** Reads a named file, or the default one when it exists; a named file that is missing is a problem. */
function readNamed(named: string | undefined, fallback: string, variable: string): { path: string; text: string } | null {
  const path = named ?? fallback;
  if (!existsSync(path)) {
    if (named === undefined) return null;
    throw new ConfigError([`${variable} names ${named}, which does not exist; fix the path or unset ${variable}`]);
  }
  try {
    return { path, text: readFileSync(path, "utf8") };
  } catch (e) {
    throw new ConfigError([`${path} cannot be read (${e instanceof Error && "code" in e ? String(e.code) : "unreadable"})`]);
  }
}

/** The secrets file's `venues: { <id>: { api_key, api_secret, api_password? } }` as BASTION_VENUE_<ID>_API_* variables. */
function venueSecrets(path: string, node: unknown, at: (offset: number | undefined) => string, out: Record<string, string>, problems: string[]): void {
  if (node === null || (isScalar(node) && (node.value === null || node.value === ""))) return;
  if (!isMap(node)) {
    problems.push(`${path}, venues: must be a map of venue ids, such as binance-main: { api_key: …, api_secret: … }`);
    return;
  }
  const keys = Object.keys(VENUE_SECRET_KEYS);
  for (const venuePair of node.items) {
    const id = isScalar(venuePair.key) ? String(venuePair.key.value) : "";
    const venueLine = at(isScalar(venuePair.key) ? venuePair.key.range?.[0] : undefined);
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(id)) {
      problems.push(`${path}${venueLine}, venues: ${id === "" ? "a venue" : `"${id.slice(0, 40)}"`} is not a venue id (letters, digits, - and _)`);
      continue;
    }
    if (!isMap(venuePair.value)) {
      problems.push(`${path}${venueLine}, venues.${id}: must be a map such as { api_key: …, api_secret: … }`);
      continue;
    }
    for (const pair of venuePair.value.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      const line = at(isScalar(pair.key) ? pair.key.range?.[0] : undefined);
      const what = VENUE_SECRET_KEYS[key];
      if (what === undefined) {
        const suggestion = closestKey(key, keys);
        problems.push(
          `${path}${line}, venues.${id}.${key}: unknown secret${suggestion ? `; did you mean ${suggestion}?` : `; a venue's secrets are ${keys.join(", ")}`}`,
        );
        continue;
      }
      const value = isScalar(pair.value) ? pair.value.value : undefined;
      if (typeof value !== "string" && typeof value !== "number") {
        problems.push(`${path}${line}, venues.${id}.${key}: must be text`);
        continue;
      }
      if (String(value).trim() !== "") out[venueVariable(id, what)] = String(value).trim();
    }
  }
}

/** The secrets file as variables; its values never appear in a message. */
function secretsFromFile(path: string, text: string): Record<string, string> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined) => (offset === undefined ? "" : ` line ${lines.linePos(offset).line}`);
  if (doc.errors.length > 0) throw new ConfigError([`${path}${at(doc.errors[0]!.pos[0])}: this is not valid YAML`]);
  if (doc.contents === null) return {};
  if (!isMap(doc.contents)) throw new ConfigError([`${path}: the secrets file must be a map such as api_key: …`]);
  const known = [...Object.keys(SECRETS_FILE_KEYS), "venues"];
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    const line = at(isScalar(pair.key) ? pair.key.range?.[0] : undefined);
    if (key === "venues") {
      venueSecrets(path, pair.value, at, out, problems);
      continue;
    }
    if (!(key in SECRETS_FILE_KEYS)) {
      const suggestion = closestKey(key, known);
      problems.push(`${path}${line}, ${key}: unknown secret${suggestion ? `; did you mean ${suggestion}?` : `; the secrets are ${known.join(", ")}`}`);
      continue;
    }
    const value = isScalar(pair.value) ? pair.value.value : undefined;
    if (typeof value !== "string" && typeof value !== "number") {
      problems.push(`${path}${line}, ${key}: must be text`);
      continue;
    }
    // An empty value counts as unset, as in the environment (the example file lists every key empty).
    if (String(value).trim() !== "") out[SECRETS_FILE_KEYS[key as keyof typeof SECRETS_FILE_KEYS]] = String(value).trim();
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/** The desk file's settings as the variables they stand for, with where each came from (for messages). */
function variablesFromDesk(desk: DeskFile): { values: Record<string, string>; origin: Record<string, string> } {
  const values: Record<string, string> = {};
  const origin: Record<string, string> = {};
  const set = (name: string, value: string | number | undefined, key: string) => {
    if (value === undefined) return;
    values[name] = String(value);
    const line = desk.keyLines[key];
    origin[name] = `${desk.source}${line === undefined ? "" : ` line ${line}`}, ${key}`;
  };
  set("BASTION_MODE", desk.desk.mode, "desk.mode");
  set("BASTION_CAPITAL", desk.desk.capital, "desk.capital");
  set("BASTION_SEED", desk.desk.seed, "desk.seed");
  set("BASTION_REPLAY_FILE", desk.desk.replay?.file, "desk.replay.file");
  set("BASTION_REPLAY_SPEED", desk.desk.replay?.speed, "desk.replay.speed");
  // The traded symbols: desk.symbols, else the symbols the file has settings for.
  const symbols = desk.desk.symbols ?? Object.keys(desk.symbols);
  if (symbols.length > 0) set("BASTION_SYMBOL", symbols.join(","), desk.desk.symbols ? "desk.symbols" : "symbols");
  if (desk.strategies.length > 0) {
    // Every enabled strategy runs (strategyPlan); none enabled: the strategy is off. The moving averages of the first
    // enabled sma-cross stand for BASTION_SMA_FAST/SLOW (what the health page and the export show).
    const index = desk.strategies.findIndex((s) => s.enabled && s.kind === "sma-cross");
    const strategy = desk.strategies[index];
    if (!desk.strategies.some((s) => s.enabled)) set("BASTION_STRATEGY", "off", "strategies (none enabled)");
    if (strategy && typeof strategy.params.fast === "number") set("BASTION_SMA_FAST", strategy.params.fast, `strategies[${index}].params.fast`);
    if (strategy && typeof strategy.params.slow === "number") set("BASTION_SMA_SLOW", strategy.params.slow, `strategies[${index}].params.slow`);
  }
  // The first enabled ccxt venue is the single-exchange path (paper: its public data; live: its orders and testnet); with
  // several, live opens each with its own keys (runtime-live.ts) and paper plays each one's data (runtime-paper-venues.ts).
  const index = desk.venues.findIndex((v) => v.enabled && v.mode === "ccxt");
  const venue = desk.venues[index];
  if (venue) {
    set("BASTION_EXCHANGE", venue.exchange, `venues[${index}].exchange`);
    if (venue.testnet) set("BASTION_SANDBOX", "1", `venues[${index}].testnet`);
    if (venue.apiUrl !== null) set("BASTION_API_URL", venue.apiUrl, `venues[${index}].api_url`);
  }
  return { values, origin };
}

function portfolioFile(symbol: string): string | undefined {
  return PORTFOLIO_FILES.find((f) => f.symbol === symbol.toUpperCase())?.file;
}

/**
 * Which symbols replay plays from which files. No symbol and no file named anywhere: the portfolio set (the zero-config
 * desk). Symbols of the set without BASTION_REPLAY_FILE: their files from the set. Otherwise one symbol from
 * BASTION_REPLAY_FILE or the recorded BTC/USDT file, whose name must say that symbol.
 */
function replayPlan(
  mode: Mode,
  symbolsNamed: boolean,
  symbols: readonly string[],
  file: string | undefined,
): { symbols: readonly string[]; set: "portfolio" | null; files: { symbol: string; file: string }[] } {
  if (mode !== "replay") return { symbols, set: null, files: [] };
  if (!symbolsNamed && file === undefined) return { symbols: PORTFOLIO_FILES.map((f) => f.symbol), set: "portfolio", files: [...PORTFOLIO_FILES] };
  if (file === undefined && symbols.every((s) => portfolioFile(s))) {
    return { symbols, set: "portfolio", files: symbols.map((symbol) => ({ symbol, file: portfolioFile(symbol)! })) };
  }
  const path = file ?? RECORDED_BTC_USDT;
  return { symbols, set: null, files: [{ symbol: symbols[0]!, file: path }] };
}

const RECORDED_BTC_USDT = RECORDED_FILES.btcUsdt5m;

/** A recording replay plays: its symbol, and the venue it is played to (absent: every venue). */
export interface ReplayFile {
  symbol: string;
  file: string;
  venue?: string;
}

/**
 * The recordings per venue of a desk file whose simulated venues name their own (`venues[].replay`): each such venue
 * plays its files to itself only, a venue without one plays the desk's files to itself. Without any, the desk's files
 * go to every venue. A file whose name says no symbol the desk trades is refused by name.
 */
function venueReplayFiles(desk: DeskFile | null, symbols: readonly string[], files: readonly ReplayFile[]): { files: ReplayFile[]; problems: string[] } {
  const sims = (desk?.venues ?? []).filter((v) => v.enabled && v.mode === "sim");
  if (!sims.some((v) => v.replay.length > 0)) return { files: [...files], problems: [] };
  const problems: string[] = [];
  const out: ReplayFile[] = [];
  const several = sims.length > 1;
  for (const venue of sims) {
    if (venue.replay.length === 0) {
      out.push(...files.map((f) => ({ ...f, ...(several && { venue: venue.id }) })));
      continue;
    }
    for (const file of venue.replay) {
      const symbol = symbolOfFile(file);
      const listed = venue.symbols.length > 0 ? venue.symbols : symbols;
      const match = symbol === null ? undefined : listed.find((s) => s.split(":")[0]!.toUpperCase() === symbol);
      if (!match) {
        problems.push(
          `venues (${venue.id}).replay: ${file} ${symbol === null ? "does not say which symbol it holds (name it <base>-<quote>_<bar>_….csv)" : `holds ${symbol}, which ${venue.id} does not trade (${listed.join(", ")})`}`,
        );
        continue;
      }
      out.push({ symbol: match, file, ...(several && { venue: venue.id }) });
    }
  }
  return { files: out, problems };
}

/** The strategies that run: the desk file's enabled ones, else the replayed set's pair, else sma-cross on the first symbol. */
function strategyPlan(
  enabled: boolean,
  desk: DeskFile | null,
  symbols: readonly string[],
  set: "portfolio" | null,
  sma: { fast: number; slow: number },
): StrategyAssignment[] {
  if (!enabled) return [];
  const traded = new Set(symbols);
  if (desk && desk.strategies.length > 0) {
    return desk.strategies
      .filter((s) => s.enabled)
      .map((s) => ({ id: s.id, kind: s.kind, params: s.params, symbols: s.symbols.filter((x) => traded.has(x)) }))
      .filter((s) => s.symbols.length > 0);
  }
  if (set === "portfolio") {
    return PORTFOLIO_STRATEGIES.map((s) => ({
      ...s,
      params: s.kind === "sma-cross" ? { fast: sma.fast, slow: sma.slow } : s.params,
      symbols: s.symbols.filter((x) => traded.has(x)),
    })).filter((s) => s.symbols.length > 0);
  }
  return symbols.length > 0 ? [{ id: "sma-cross", kind: "sma-cross", params: { fast: sma.fast, slow: sma.slow }, symbols: [symbols[0]!] }] : [];
}

/** Parses the environment (and the desk and secrets files); throws ConfigError naming every bad variable or key. */
export function loadConfig(env: Env = process.env): AppConfig {
  const fromEnv = pick(env);
  const deskRead = readNamed(fromEnv.BASTION_CONFIG, DEFAULT_DESK_FILE, "BASTION_CONFIG");
  let desk: DeskFile | null = null;
  if (deskRead) {
    try {
      desk = parseDeskFile(deskRead.text, { source: deskRead.path });
    } catch (e) {
      if (e instanceof DeskFileError) throw new ConfigError(e.problems);
      throw e;
    }
  }
  const secretsRead = readNamed(fromEnv.BASTION_SECRETS_FILE, DEFAULT_SECRETS_FILE, "BASTION_SECRETS_FILE");
  const fromSecrets = secretsRead ? secretsFromFile(secretsRead.path, secretsRead.text) : {};
  const fromDesk = desk ? variablesFromDesk(desk) : { values: {}, origin: {} as Record<string, string> };
  // The environment wins over the desk file, which wins over the defaults.
  const raw: Record<string, string | undefined> = { ...fromSecrets, ...fromDesk.values, ...fromEnv };
  const origin = (name: string) => (fromEnv[name] === undefined && fromDesk.origin[name] ? ` (from ${fromDesk.origin[name]})` : "");
  // A desk file whose simulated venues each name their recordings (one file per symbol, named by it) replays several symbols.
  const sims = (desk?.venues ?? []).filter((v) => v.enabled && v.mode === "sim");
  const venueRecordings = sims.length > 1 && sims.every((v) => v.replay.length > 0) && raw.BASTION_REPLAY_FILE === undefined;
  const parsed = envSchemaFor(venueRecordings).safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = typeof issue.path[0] === "string" ? issue.path[0] : "";
      return `${issue.message}${shown(name, raw[name])}${origin(name)}`;
    });
    throw new ConfigError([...new Set(problems)]);
  }
  const e = parsed.data;
  const liveEnv: Record<string, string> = {};
  for (const name of LIVE_VARIABLES) if (raw[name] !== undefined) liveEnv[name] = raw[name];
  // Each desk-file venue's credentials: the secrets file's venues map, then the environment (which wins).
  for (const [name, value] of Object.entries(fromSecrets)) if (VENUE_VARIABLE.test(name)) liveEnv[name] = value;
  for (const [name, value] of Object.entries(env)) if (VENUE_VARIABLE.test(name) && value !== undefined && value.trim() !== "") liveEnv[name] = value.trim();
  const strategyName = e.BASTION_STRATEGY ?? (e.BASTION_MODE === "live" ? "off" : "sma-cross");
  const plan = replayPlan(e.BASTION_MODE, raw.BASTION_SYMBOL !== undefined, e.BASTION_SYMBOL, e.BASTION_REPLAY_FILE);
  // A file that holds another symbol than the one it would be traded as is refused by name.
  if (e.BASTION_REPLAY_FILE !== undefined && plan.files[0]) {
    try {
      checkFileSymbol(plan.files[0].file, plan.files[0].symbol);
    } catch (error) {
      if (!(error instanceof ReplayError)) throw error;
      throw new ConfigError([`BASTION_REPLAY_FILE: ${error.message}${shown("BASTION_REPLAY_FILE", raw.BASTION_REPLAY_FILE)}${origin("BASTION_REPLAY_FILE")}`]);
    }
  }
  // Simulated venues of the desk file may each play their own recording (replay only).
  const perVenue = e.BASTION_MODE === "replay" ? venueReplayFiles(desk, plan.symbols, plan.files) : { files: plan.files, problems: [] };
  if (perVenue.problems.length > 0) throw new ConfigError(perVenue.problems);
  const config: AppConfig = {
    mode: e.BASTION_MODE,
    databaseUrl: e.DATABASE_URL,
    listen: { host: e.HOST, port: e.PORT },
    engineOn: e.BASTION_ENGINE,
    adminPassword: e.BASTION_ADMIN_PASSWORD === undefined ? null : new Secret(e.BASTION_ADMIN_PASSWORD),
    signalSecret: e.BASTION_SIGNAL_SECRET === undefined ? null : new Secret(e.BASTION_SIGNAL_SECRET),
    signalWindow: { maxAgeMs: e.BASTION_SIGNAL_MAX_AGE_SECONDS * 1000, maxAheadMs: e.BASTION_SIGNAL_MAX_AHEAD_SECONDS * 1000 },
    http: { secureCookies: e.BASTION_COOKIE_SECURE, trustProxy: e.BASTION_TRUST_PROXY, allowedHosts: e.BASTION_ALLOWED_HOSTS },
    symbols: plan.symbols,
    capital: e.BASTION_CAPITAL ?? null,
    sim: { seed: e.BASTION_SEED, statePath: e.BASTION_SIM_STATE ?? null },
    replay: { file: e.BASTION_REPLAY_FILE ?? null, speed: e.BASTION_REPLAY_SPEED, set: plan.set, files: perVenue.files },
    strategy: { enabled: strategyName !== "off", fast: e.BASTION_SMA_FAST, slow: e.BASTION_SMA_SLOW },
    strategies: strategyPlan(strategyName !== "off", desk, plan.symbols, plan.set, { fast: e.BASTION_SMA_FAST, slow: e.BASTION_SMA_SLOW }),
    exchange: e.BASTION_EXCHANGE,
    websockets: e.BASTION_WEBSOCKETS,
    intervals: {
      pollMs: e.BASTION_POLL_MS,
      venuePollMs: e.BASTION_VENUE_POLL_MS,
      liveTimeoutMs: e.BASTION_LIVE_TIMEOUT_MS,
      reconcileMs: e.BASTION_RECONCILE_MS,
      portfolioPointMinutes: e.BASTION_PORTFOLIO_POINT_MINUTES,
    },
    liveEnv: Object.freeze(liveEnv),
    desk,
    notifications: notificationChannels(desk, e),
  };
  Object.defineProperty(config, "liveEnv", { enumerable: false });
  Object.defineProperty(config, "notifications", { enumerable: false });
  return config;
}

/** The desk file's channels with their secrets put in, and the environment's webhook; checked by notify's schema. */
function notificationChannels(desk: DeskFile | null, e: z.output<typeof envSchema>): ChannelSettings[] {
  const problems: string[] = [];
  const channels = (desk?.notifications ?? []).map((channel) => {
    const where = `${desk?.source ?? "the desk file"}, notification channel ${channel.name}`;
    switch (channel.type) {
      case "webhook":
        if (e.BASTION_NOTIFY_WEBHOOK_SECRET === undefined)
          problems.push(`${where}: needs BASTION_NOTIFY_WEBHOOK_SECRET (or notify_webhook_secret in the secrets file) to sign its deliveries`);
        return { ...channel, secret: e.BASTION_NOTIFY_WEBHOOK_SECRET ?? "" };
      case "telegram":
        if (e.BASTION_NOTIFY_TELEGRAM_BOT_TOKEN === undefined)
          problems.push(`${where}: needs BASTION_NOTIFY_TELEGRAM_BOT_TOKEN (or notify_telegram_bot_token in the secrets file)`);
        return { ...channel, botToken: e.BASTION_NOTIFY_TELEGRAM_BOT_TOKEN ?? "" };
      case "email":
        if (channel.user !== undefined && e.BASTION_NOTIFY_SMTP_PASSWORD === undefined)
          problems.push(`${where}: names a user, so it needs BASTION_NOTIFY_SMTP_PASSWORD (or notify_smtp_password in the secrets file)`);
        return channel.user !== undefined && e.BASTION_NOTIFY_SMTP_PASSWORD !== undefined ? { ...channel, pass: e.BASTION_NOTIFY_SMTP_PASSWORD } : channel;
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  const fromEnvironment = webhookFromEnvironment(e.BASTION_NOTIFY_WEBHOOK_URL, e.BASTION_NOTIFY_WEBHOOK_SECRET);
  const parsed = notifySettingsSchema.safeParse({ channels: fromEnvironment ? [...channels, fromEnvironment] : channels });
  if (!parsed.success) {
    // notify's messages never echo a secret; the path names the channel.
    throw new ConfigError(
      parsed.error.issues.map((issue) => `notification channels${issue.path.length ? ` (${issue.path.join(".")})` : ""}: ${issue.message}`),
    );
  }
  return parsed.data.channels;
}

let cached: { key: string; config: AppConfig } | undefined;

/** The configuration of this process; parsed again only when one of Bastion's variables changed. */
export function appConfig(env: Env = process.env): AppConfig {
  const venueCredentials = Object.keys(env)
    .filter((name) => VENUE_VARIABLE.test(name))
    .sort()
    .map((name) => `${name}=${env[name] ?? ""}`);
  const key = [...VARIABLES.map((name) => env[name] ?? "\u0001"), ...venueCredentials].join("\u0000");
  if (cached?.key !== key) cached = { key, config: loadConfig(env) };
  return cached.config;
}

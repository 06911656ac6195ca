/**
 * LIVE mode configuration: which exchange, which keys, testnet or not, an optional API base-URL
 * override, and the explicit opt-in to trade real money. Read from environment variables, or from
 * a git-ignored JSON file (`data/live.json`, or the path in BASTION_LIVE_CONFIG); a variable that is
 * set wins over the file.
 *
 * | variable | file key | meaning |
 * |---|---|---|
 * | BASTION_EXCHANGE | exchange | a ccxt exchange id (default binance; binance and bitget are first-class) |
 * | BASTION_API_KEY | apiKey | API key |
 * | BASTION_API_SECRET | secret | API secret |
 * | BASTION_API_PASSWORD | password | API passphrase (Bitget, OKX, …) |
 * | BASTION_SANDBOX | sandbox | 1 / true: the exchange's testnet |
 * | BASTION_API_URL | apiUrl | base URL replacing the exchange's API origin (a test server, a proxy); https, or http on loopback only |
 * | BASTION_MARKET_TYPES | marketTypes | market types to load, comma-separated (binance default "spot") |
 * | BASTION_LIVE_OPT_IN | optIn | must be I_UNDERSTAND_REAL_MONEY |
 *
 * A desk file with several enabled ccxt venues runs each with its own keys (loadLiveVenueConfigs): from
 * BASTION_VENUE_<ID>_API_KEY / _API_SECRET / _API_PASSWORD (ID upper-cased, - → _), which config.ts also fills from
 * the secrets file's `venues:` map; the exchange, testnet and api_url come from the venue's entry, the opt-in and
 * BASTION_MARKET_TYPES are shared. Never from the desk file.
 *
 * Secrets never leave this module except into the ccxt instances createLiveExchange builds: the
 * config object keeps them in a module-private WeakMap, and its toJSON / toString / util.inspect
 * show only the exchange, the switches and the last four characters of the API key. Error messages
 * name the missing setting, never a value. On the ccxt instances the key, secret and password are
 * made non-enumerable, so JSON.stringify(exchange) and util.inspect(exchange) do not show them
 * either (still: never log an exchange instance).
 */
import "server-only";
import { statSync, readFileSync } from "node:fs";
import path from "node:path";
import { inspect } from "node:util";
import ccxt, { type Exchange } from "ccxt";
import { err, ok, type Result } from "../../core/errors";
import { venueVariable } from "./venue-credentials";

export { venueVariable };

export const LIVE_OPT_IN_VALUE = "I_UNDERSTAND_REAL_MONEY";
export const DEFAULT_LIVE_CONFIG_FILE = path.join("data", "live.json");

export type LiveConfigErrorCode =
  "LIVE_NO_KEYS" | "LIVE_NO_PASSWORD" | "LIVE_NO_OPT_IN" | "LIVE_UNKNOWN_EXCHANGE" | "LIVE_NO_SANDBOX" | "LIVE_BAD_URL" | "LIVE_BAD_FILE" | "LIVE_BAD_SETTING";

export interface LiveConfig {
  readonly exchangeId: string;
  readonly sandbox: boolean;
  /** Base URL override without a trailing slash, or null. */
  readonly apiUrl: string | null;
  /** Market types ccxt loads (binance: options.fetchMarkets.types); empty = the exchange's default. */
  readonly marketTypes: readonly string[];
  /** "****abcd": enough to tell keys apart, nothing more. */
  readonly keyHint: string;
  readonly hasPassword: boolean;
  /** The file read, when one was. */
  readonly file: string | null;
  /** Things worth telling the operator (a config file others can read, …). */
  readonly warnings: readonly string[];
  toJSON(): Record<string, unknown>;
  toString(): string;
}

interface Credentials {
  apiKey: string;
  secret: string;
  password: string | undefined;
}

const secrets = new WeakMap<LiveConfig, Credentials>();

type Env = Record<string, string | undefined>;

export interface LoadLiveConfigOptions {
  /** Where a relative config path is resolved from (default process.cwd()). */
  cwd?: string;
  /** One venue of a desk file: no settings file, and messages name the venue and its variables. */
  venue?: string;
}

interface FileSettings {
  exchange?: string;
  apiKey?: string;
  secret?: string;
  password?: string;
  sandbox?: string;
  apiUrl?: string;
  marketTypes?: string;
  optIn?: string;
}

function fileValue(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(",");
  return undefined;
}

function readSettingsFile(file: string, warnings: string[]): Result<FileSettings | null, LiveConfigErrorCode> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return ok(null);
    return err("LIVE_BAD_FILE", `LIVE_BAD_FILE: the live configuration file ${file} cannot be read (${code ?? "unknown error"}).`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Never repeat the parser's message: it quotes the file, which holds the secret.
    return err("LIVE_BAD_FILE", `LIVE_BAD_FILE: the live configuration file ${file} is not valid JSON.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return err("LIVE_BAD_FILE", `LIVE_BAD_FILE: the live configuration file ${file} must hold one JSON object.`);
  }
  const raw = parsed as Record<string, unknown>;
  try {
    if ((statSync(file).mode & 0o077) !== 0 && process.platform !== "win32") {
      warnings.push(`${file} can be read by other users of this machine; run chmod 600 ${file}.`);
    }
  } catch {
    // stat failing after a successful read is not worth refusing over
  }
  return ok({
    exchange: fileValue(raw.exchange),
    apiKey: fileValue(raw.apiKey),
    secret: fileValue(raw.secret ?? raw.apiSecret),
    password: fileValue(raw.password ?? raw.passphrase),
    sandbox: fileValue(raw.sandbox),
    apiUrl: fileValue(raw.apiUrl),
    marketTypes: fileValue(raw.marketTypes),
    optIn: fileValue(raw.optIn),
  });
}

function parseBool(value: string | undefined, name: string): Result<boolean, LiveConfigErrorCode> {
  if (value === undefined) return ok(false);
  const v = value.trim().toLowerCase();
  if (v === "" || v === "0" || v === "false" || v === "no" || v === "off") return ok(false);
  if (v === "1" || v === "true" || v === "yes" || v === "on") return ok(true);
  return err("LIVE_BAD_SETTING", `LIVE_BAD_SETTING: ${name} must be 1 or 0 (true or false).`);
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

function parseApiUrl(value: string | undefined, name = "BASTION_API_URL"): Result<string | null, LiveConfigErrorCode> {
  if (value === undefined || value.trim() === "") return ok(null);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return err("LIVE_BAD_URL", `LIVE_BAD_URL: ${name} is not a valid URL.`);
  }
  if (url.username !== "" || url.password !== "") {
    return err("LIVE_BAD_URL", `LIVE_BAD_URL: ${name} must not carry credentials; use BASTION_API_KEY and BASTION_API_SECRET.`);
  }
  if (url.search !== "" || url.hash !== "") return err("LIVE_BAD_URL", `LIVE_BAD_URL: ${name} must be a base URL without a query or a fragment.`);
  if (url.protocol === "http:" && !LOOPBACK.has(url.hostname)) {
    return err("LIVE_BAD_URL", `LIVE_BAD_URL: ${name} must use https; plain http is allowed only for 127.0.0.1 and localhost.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return err("LIVE_BAD_URL", `LIVE_BAD_URL: ${name} must be an http(s) URL.`);
  return ok(url.toString().replace(/\/+$/, ""));
}

type ExchangeCtor = new (config?: Record<string, unknown>) => Exchange;

/** ccxt's websocket (pro) class for an id, when it has one. */
function proExchangeClass(id: string): ExchangeCtor | undefined {
  if (!ccxt.exchanges.includes(id)) return undefined;
  const ctor = (ccxt as unknown as { pro?: Record<string, unknown> }).pro?.[id];
  return typeof ctor === "function" ? (ctor as ExchangeCtor) : undefined;
}

function exchangeClass(id: string): ExchangeCtor | undefined {
  if (!ccxt.exchanges.includes(id)) return undefined;
  const ctor = (ccxt as unknown as Record<string, unknown>)[id];
  return typeof ctor === "function" ? (ctor as ExchangeCtor) : undefined;
}

function hasUrl(api: unknown): boolean {
  if (typeof api === "string") return /^https?:\/\//.test(api);
  if (typeof api === "object" && api !== null) return Object.values(api).some(hasUrl);
  return false;
}

function keyHint(apiKey: string): string {
  return apiKey.length <= 8 ? "****" : `****${apiKey.slice(-4)}`;
}

/**
 * Reads and checks the live configuration. Refuses (with every problem found, in plain words) when
 * the keys, a required passphrase or the opt-in are missing, the exchange id is unknown, the
 * exchange has no testnet but BASTION_SANDBOX asks for one, or the URL override is unsafe.
 */
export function loadLiveConfig(env: Env, options: LoadLiveConfigOptions = {}): Result<LiveConfig, LiveConfigErrorCode> {
  const cwd = options.cwd ?? process.cwd();
  const warnings: string[] = [];
  const venue = options.venue;
  const explicitFile = venue === undefined ? env.BASTION_LIVE_CONFIG?.trim() : undefined;
  const file = path.resolve(cwd, explicitFile || DEFAULT_LIVE_CONFIG_FILE);
  // A desk-file venue takes nothing from the single-exchange settings file.
  const read: Result<FileSettings | null, LiveConfigErrorCode> = venue === undefined ? readSettingsFile(file, warnings) : ok(null);
  if (!read.ok) return read;
  if (read.value === null && explicitFile) {
    return err("LIVE_BAD_FILE", `LIVE_BAD_FILE: BASTION_LIVE_CONFIG names ${file}, which does not exist.`);
  }
  const fromFile: FileSettings = read.value ?? {};
  const pick = (name: string, fileKey: keyof FileSettings): string | undefined => {
    const fromEnv = env[name];
    return fromEnv !== undefined && fromEnv !== "" ? fromEnv : fromFile[fileKey];
  };

  const exchangeId = (pick("BASTION_EXCHANGE", "exchange") ?? "binance").trim().toLowerCase();
  const Ctor = exchangeClass(exchangeId);
  if (!Ctor) {
    const shown = /^[a-z0-9_]{1,40}$/.test(exchangeId) ? `"${exchangeId}"` : "the value given";
    return err(
      "LIVE_UNKNOWN_EXCHANGE",
      `LIVE_UNKNOWN_EXCHANGE: ccxt ${ccxt.version} has no exchange ${shown}; set BASTION_EXCHANGE to a ccxt id such as binance or bitget.`,
    );
  }
  const probe = new Ctor();

  const sandbox = parseBool(pick("BASTION_SANDBOX", "sandbox"), "BASTION_SANDBOX");
  if (!sandbox.ok) return sandbox;
  const apiUrl = parseApiUrl(pick("BASTION_API_URL", "apiUrl"), venue === undefined ? "BASTION_API_URL" : `the api_url of venue ${venue}`);
  if (!apiUrl.ok) return apiUrl;
  if (sandbox.value) {
    let hasTestnet: boolean;
    try {
      probe.setSandboxMode(true);
      // some exchanges declare an empty `urls.test`: sandbox mode then leaves no API URL at all
      hasTestnet = hasUrl(probe.urls.api);
    } catch {
      hasTestnet = false;
    }
    if (!hasTestnet) {
      return err("LIVE_NO_SANDBOX", `LIVE_NO_SANDBOX: ccxt has no testnet for ${exchangeId}; unset BASTION_SANDBOX or use BASTION_API_URL.`);
    }
    if (apiUrl.value !== null) warnings.push("BASTION_API_URL replaces the testnet URLs that BASTION_SANDBOX selects.");
  }
  const typesRaw = pick("BASTION_MARKET_TYPES", "marketTypes");
  const marketTypes = typesRaw
    ? typesRaw
        .split(",")
        .map((t) => t.trim())
        .filter((t) => t !== "")
    : exchangeId === "binance"
      ? ["spot"]
      : [];
  if (marketTypes.some((t) => !/^[a-z]{2,12}$/.test(t)))
    return err("LIVE_BAD_SETTING", "LIVE_BAD_SETTING: BASTION_MARKET_TYPES must be a comma-separated list such as spot,linear.");

  const apiKey = pick("BASTION_API_KEY", "apiKey")?.trim() ?? "";
  const secret = pick("BASTION_API_SECRET", "secret")?.trim() ?? "";
  const password = pick("BASTION_API_PASSWORD", "password")?.trim() || undefined;
  const optIn = pick("BASTION_LIVE_OPT_IN", "optIn")?.trim();

  const problems: { code: LiveConfigErrorCode; message: string }[] = [];
  if (venue === undefined) {
    if (apiKey === "" || secret === "") problems.push({ code: "LIVE_NO_KEYS", message: "LIVE mode needs BASTION_API_KEY and BASTION_API_SECRET." });
  } else {
    const missing = [apiKey === "" ? "API_KEY" : null, secret === "" ? "API_SECRET" : null].filter((x): x is "API_KEY" | "API_SECRET" => x !== null);
    if (missing.length > 0) {
      const variables = missing.map((m) => venueVariable(venue, m)).join(" and ");
      const keys = missing.map((m) => m.toLowerCase()).join(" and ");
      problems.push({ code: "LIVE_NO_KEYS", message: `venue ${venue} needs ${variables} (or ${keys} under venues.${venue} in the secrets file).` });
    }
  }
  if (probe.requiredCredentials.password === true && password === undefined) {
    const message =
      venue === undefined
        ? `${exchangeId} also needs BASTION_API_PASSWORD (the API passphrase set when the key was created).`
        : `venue ${venue} (${exchangeId}) also needs ${venueVariable(venue, "API_PASSWORD")} (or api_password under venues.${venue} in the secrets file): the API passphrase set when the key was created.`;
    problems.push({ code: "LIVE_NO_PASSWORD", message });
  }
  if (optIn !== LIVE_OPT_IN_VALUE) problems.push({ code: "LIVE_NO_OPT_IN", message: `Set BASTION_LIVE_OPT_IN=${LIVE_OPT_IN_VALUE} to trade real money.` });
  if (problems.length > 0) {
    return err(problems[0]!.code, `${problems[0]!.code}: ${problems.map((p) => p.message).join(" ")}`, { problems: problems.map((p) => p.code) });
  }

  // What may be shown (logs, JSON, inspect): everything but the keys themselves.
  const shown = {
    exchangeId,
    sandbox: sandbox.value,
    apiUrl: apiUrl.value,
    marketTypes,
    keyHint: keyHint(apiKey),
    hasPassword: password !== undefined,
    file: read.value === null ? null : file,
  };
  const summary = (): Record<string, unknown> => ({ ...shown });
  const config: LiveConfig = {
    ...shown,
    warnings,
    toJSON: summary,
    toString: () => `LiveConfig(${exchangeId}${sandbox.value ? ", sandbox" : ""}${apiUrl.value ? `, ${apiUrl.value}` : ""}, key ${keyHint(apiKey)})`,
  };
  Object.defineProperty(config, inspect.custom, { value: () => summary(), enumerable: false });
  Object.freeze(config);
  secrets.set(config, { apiKey, secret, password });
  return ok(config);
}

/** A ccxt venue of the desk file, as loadLiveVenueConfigs needs it. */
export interface LiveVenueEntry {
  id: string;
  exchange: string;
  testnet: boolean;
  apiUrl: string | null;
}

/**
 * The live configuration of each ccxt venue of a desk file: its exchange, testnet and api_url from the entry, its keys
 * from BASTION_VENUE_<ID>_API_* (env or secrets file, merged by config.ts), the opt-in and market types shared. Refuses
 * with every venue's problems at once, each naming the venue and the variable.
 */
export function loadLiveVenueConfigs(env: Env, entries: readonly LiveVenueEntry[]): Result<{ id: string; config: LiveConfig }[], LiveConfigErrorCode> {
  const out: { id: string; config: LiveConfig }[] = [];
  const failures: { code: LiveConfigErrorCode; message: string; problems: string[] }[] = [];
  for (const entry of entries) {
    const loaded = loadLiveConfig(
      {
        BASTION_EXCHANGE: entry.exchange,
        BASTION_SANDBOX: entry.testnet ? "1" : "0",
        BASTION_API_URL: entry.apiUrl ?? undefined,
        BASTION_API_KEY: env[venueVariable(entry.id, "API_KEY")],
        BASTION_API_SECRET: env[venueVariable(entry.id, "API_SECRET")],
        BASTION_API_PASSWORD: env[venueVariable(entry.id, "API_PASSWORD")],
        BASTION_MARKET_TYPES: env.BASTION_MARKET_TYPES,
        BASTION_LIVE_OPT_IN: env.BASTION_LIVE_OPT_IN,
      },
      { venue: entry.id },
    );
    if (loaded.ok) out.push({ id: entry.id, config: loaded.value });
    else {
      const problems = (loaded.error.details as { problems?: string[] } | undefined)?.problems ?? [loaded.error.code];
      failures.push({ code: loaded.error.code, message: loaded.error.message.replace(/^[A-Z_]+: /, ""), problems });
    }
  }
  if (failures.length > 0) {
    // The opt-in is shared: said once, not once per venue.
    const optIn = `Set BASTION_LIVE_OPT_IN=${LIVE_OPT_IN_VALUE} to trade real money.`;
    const messages = [...new Set(failures.flatMap((f) => f.message.split(optIn).map((m) => m.trim())).filter((m) => m !== ""))];
    const anyOptIn = failures.some((f) => f.message.includes(optIn));
    const code = failures[0]!.code;
    return err(code, `${code}: ${[...messages, ...(anyOptIn ? [optIn] : [])].join(" ")}`, { problems: [...new Set(failures.flatMap((f) => f.problems))] });
  }
  return ok(out);
}

// ---------------------------------------------------------------------------------------------
// Building the ccxt instances

export interface LiveExchanges {
  /** Routine trading and polling. */
  exchange: Exchange;
  /** Reserved for the emergency path (cancel-all, flatten): its own rate limiter, never behind polling. */
  emergency: Exchange;
}

export interface CreateLiveExchangeOptions {
  /** Per-request timeout (ccxt `timeout`), default 10 000 ms. */
  timeoutMs?: number;
  /** Emergency instance timeout, default the same. */
  emergencyTimeoutMs?: number;
  /** Extra ccxt options merged over the defaults (never credentials). */
  options?: Record<string, unknown>;
  /**
   * ccxt's `fetchImplementation` (a WHATWG fetch returning a Response): recorded-response tests run
   * signing, error mapping and timeouts for real without a network. Both instances get it.
   */
  fetchImplementation?: (input: string, init?: Record<string, unknown>) => Promise<Response>;
}

/** Rewrites every URL in ccxt's `urls.api` (string or nested map) onto the override base. */
export function overrideApiUrls(api: unknown, base: string): unknown {
  if (typeof api === "string") return api.replace(/^https?:\/\/[^/]+/, base);
  if (typeof api === "object" && api !== null && !Array.isArray(api)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(api as Record<string, unknown>)) out[key] = overrideApiUrls(value, base);
    return out;
  }
  return api;
}

function exchangeOptions(config: LiveConfig): Record<string, unknown> {
  const options: Record<string, unknown> = {
    // ccxt's own retries would re-send a createOrder whose answer was lost: never.
    maxRetriesOnFailure: 0,
    maxRetriesOnFailureDelay: 0,
  };
  if (config.exchangeId === "binance") {
    options.fetchCurrencies = false; // /sapi/v1/capital/config/getall: not needed to trade, absent on testnets
    options.fetchMargins = false; // /sapi/v1/margin/*allPairs
    options.warnOnFetchOpenOrdersWithoutSymbol = false; // reconciliation lists every open order
    options.adjustForTimeDifference = true; // -1021 when the local clock drifts
  }
  if (config.marketTypes.length > 0) options.fetchMarkets = { types: [...config.marketTypes] };
  return options;
}

function hideCredentials(exchange: Exchange): void {
  for (const key of ["apiKey", "secret", "password"] as const) {
    const value: unknown = (exchange as unknown as Record<string, unknown>)[key];
    Object.defineProperty(exchange, key, { value, enumerable: false, writable: true, configurable: true });
  }
}

function build(
  config: LiveConfig,
  credentials: Credentials,
  timeoutMs: number,
  extra: Record<string, unknown>,
  fetchImplementation: CreateLiveExchangeOptions["fetchImplementation"],
  pro = false,
): Exchange {
  const Ctor = pro ? proExchangeClass(config.exchangeId) : exchangeClass(config.exchangeId);
  if (!Ctor) throw new Error(`LIVE_UNKNOWN_EXCHANGE: ccxt has no exchange "${config.exchangeId}".`);
  const params: Record<string, unknown> = {
    apiKey: credentials.apiKey,
    secret: credentials.secret,
    enableRateLimit: true,
    timeout: timeoutMs,
    options: { ...exchangeOptions(config), ...extra },
  };
  if (credentials.password !== undefined) params.password = credentials.password;
  const exchange = new Ctor(params);
  if (config.sandbox) exchange.setSandboxMode(true);
  if (config.apiUrl !== null) {
    exchange.urls = { ...exchange.urls, api: overrideApiUrls(exchange.urls.api, config.apiUrl) as Exchange["urls"]["api"] };
  }
  if (fetchImplementation) (exchange as unknown as { fetchImplementation: unknown }).fetchImplementation = fetchImplementation;
  hideCredentials(exchange);
  return exchange;
}

/**
 * The ccxt instances for a checked configuration: keys, testnet, URL override, rate limiter on,
 * no automatic retries, and a second instance for the emergency path. Throws only on a config
 * object that did not come from loadLiveConfig.
 */
export function createLiveExchange(config: LiveConfig, options: CreateLiveExchangeOptions = {}): LiveExchanges {
  const credentials = secrets.get(config);
  if (!credentials) throw new TypeError("createLiveExchange needs a configuration returned by loadLiveConfig.");
  const extra = options.options ?? {};
  for (const forbidden of ["apiKey", "secret", "password", "maxRetriesOnFailure"]) {
    if (forbidden in extra) throw new TypeError(`createLiveExchange: options.${forbidden} cannot be overridden.`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    exchange: build(config, credentials, timeoutMs, extra, options.fetchImplementation),
    emergency: build(config, credentials, options.emergencyTimeoutMs ?? timeoutMs, extra, options.fetchImplementation),
  };
}

/**
 * The websocket (ccxt pro) instance for market data, built exactly like the REST ones (keys, testnet,
 * rate limiter, no retries, extra options). Null when ccxt has no pro class for the exchange, or when
 * an API base-URL override is set: the override points REST at a test server or proxy, and where the
 * websockets would go cannot be derived from it, so the desk polls instead.
 */
export function createLiveStreamExchange(config: LiveConfig, options: Pick<CreateLiveExchangeOptions, "timeoutMs" | "options"> = {}): Exchange | null {
  const credentials = secrets.get(config);
  if (!credentials) throw new TypeError("createLiveStreamExchange needs a configuration returned by loadLiveConfig.");
  if (config.apiUrl !== null || !proExchangeClass(config.exchangeId)) return null;
  const extra = options.options ?? {};
  for (const forbidden of ["apiKey", "secret", "password", "maxRetriesOnFailure"]) {
    if (forbidden in extra) throw new TypeError(`createLiveStreamExchange: options.${forbidden} cannot be overridden.`);
  }
  return build(config, credentials, options.timeoutMs ?? 10_000, extra, undefined, true);
}

import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { appConfig, ConfigError, loadConfig, type AppConfig } from "./config";

const PORTFOLIO_SYMBOLS = ["ADA/BTC", "DASH/BTC", "ETC/BTC", "ETH/BTC", "LTC/BTC", "NXT/BTC", "POWR/BTC", "XLM/BTC", "XMR/BTC", "ZEC/BTC"];

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("loadConfig: defaults", () => {
  it("an empty environment is a working replay desk: the ten-symbol portfolio set", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      mode: "replay",
      databaseUrl: "file:./data/bastion.db",
      listen: { host: undefined, port: 3000 },
      engineOn: true,
      adminPassword: null,
      signalSecret: null,
      signalWindow: { maxAgeMs: 300_000, maxAheadMs: 30_000 },
      http: { secureCookies: false, trustProxy: false, allowedHosts: [] },
      symbols: PORTFOLIO_SYMBOLS,
      capital: null,
      sim: { seed: 7, statePath: null },
      replay: {
        file: null,
        speed: 300,
        set: "portfolio",
        files: PORTFOLIO_SYMBOLS.map((symbol) => ({
          symbol,
          file: `data/market/portfolio/${symbol.split("/")[0]!.toLowerCase()}-btc_5m_bittrex_2018-01-10_2018-01-30.csv`,
        })),
      },
      strategy: { enabled: true, fast: 10, slow: 30 },
      exchange: "binance",
      websockets: true,
      intervals: { pollMs: 2000, venuePollMs: 2000, liveTimeoutMs: 10_000, reconcileMs: 60_000, portfolioPointMinutes: 5 },
    } satisfies Partial<AppConfig>);
  });

  it("an empty or blank value counts as unset", () => {
    expect(loadConfig({ BASTION_POLL_MS: "", BASTION_SYMBOL: "  ", BASTION_MODE: "" })).toMatchObject({
      mode: "replay",
      symbols: PORTFOLIO_SYMBOLS,
      intervals: { pollMs: 2000 },
    });
  });
});

describe("loadConfig: values taken", () => {
  it.each<[string, Record<string, string>, (c: AppConfig) => unknown, unknown]>([
    ["the mode", { BASTION_MODE: "paper" }, (c) => c.mode, "paper"],
    [
      "several symbols in live mode, trimmed",
      { BASTION_MODE: "live", BASTION_SYMBOL: "BTC/USDT, ETH/USDT ,SOL/USDT:USDT" },
      (c) => c.symbols,
      ["BTC/USDT", "ETH/USDT", "SOL/USDT:USDT"],
    ],
    ["one symbol in replay", { BASTION_SYMBOL: "ETH/USDT" }, (c) => c.symbols, ["ETH/USDT"]],
    [
      "BTC/USDT alone: today's one-symbol desk, sma-cross on it",
      { BASTION_SYMBOL: "BTC/USDT" },
      (c) => [c.replay.set, c.replay.files, c.strategies],
      [
        null,
        [{ symbol: "BTC/USDT", file: "data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv" }],
        [{ id: "sma-cross", kind: "sma-cross", params: { fast: 10, slow: 30 }, symbols: ["BTC/USDT"] }],
      ],
    ],
    [
      "symbols of the portfolio set: each from its file, each with its strategy",
      { BASTION_SYMBOL: "ETH/BTC,ADA/BTC" },
      (c) => [c.replay.set, c.replay.files.map((f) => f.file), c.strategies.map((s) => [s.kind, s.symbols])],
      [
        "portfolio",
        ["data/market/portfolio/eth-btc_5m_bittrex_2018-01-10_2018-01-30.csv", "data/market/portfolio/ada-btc_5m_bittrex_2018-01-10_2018-01-30.csv"],
        [
          ["sma-cross", ["ETH/BTC"]],
          ["rsi-reversion", ["ADA/BTC"]],
        ],
      ],
    ],
    ["several symbols in paper", { BASTION_MODE: "paper", BASTION_SYMBOL: "BTC/USDT,ETH/USDT" }, (c) => c.symbols, ["BTC/USDT", "ETH/USDT"]],
    ["no strategies when the strategy is off", { BASTION_STRATEGY: "off" }, (c) => c.strategies, []],
    ["the capital as exact text", { BASTION_CAPITAL: "2500.12345678" }, (c) => c.capital, "2500.12345678"],
    [
      "on/off words",
      { BASTION_COOKIE_SECURE: "true", BASTION_TRUST_PROXY: "1", BASTION_WEBSOCKETS: "off", BASTION_ENGINE: "0" },
      (c) => [c.http.secureCookies, c.http.trustProxy, c.websockets, c.engineOn],
      [true, true, false, false],
    ],
    [
      "allowed hosts, lower-cased",
      { BASTION_ALLOWED_HOSTS: "Desk.Example, desk.example:8443" },
      (c) => c.http.allowedHosts,
      ["desk.example", "desk.example:8443"],
    ],
    ["the strategy off by default in live mode", { BASTION_MODE: "live" }, (c) => c.strategy.enabled, false],
    ["the strategy on in live mode when named", { BASTION_MODE: "live", BASTION_STRATEGY: "sma-cross" }, (c) => c.strategy.enabled, true],
    ["the strategy off when asked", { BASTION_STRATEGY: "off" }, (c) => c.strategy.enabled, false],
    ["the moving averages", { BASTION_SMA_FAST: "5", BASTION_SMA_SLOW: "50" }, (c) => [c.strategy.fast, c.strategy.slow], [5, 50]],
    [
      "the signal window in ms",
      { BASTION_SIGNAL_MAX_AGE_SECONDS: "60", BASTION_SIGNAL_MAX_AHEAD_SECONDS: "0" },
      (c) => c.signalWindow,
      { maxAgeMs: 60_000, maxAheadMs: 0 },
    ],
    ["the exchange id, lower-cased", { BASTION_EXCHANGE: "Bitget" }, (c) => c.exchange, "bitget"],
    ["an IPv6 bind address", { HOST: "::" }, (c) => c.listen.host, "::"],
    [
      "the live settings handed over as given",
      { BASTION_API_KEY: "k".repeat(20), BASTION_SANDBOX: "1" },
      (c) => c.liveEnv,
      { BASTION_API_KEY: "k".repeat(20), BASTION_SANDBOX: "1" },
    ],
  ])("%s", (_name, env, read, expected) => {
    expect(read(loadConfig(env))).toEqual(expected);
  });
});

describe("loadConfig: refusals name the variable and the problem", () => {
  it.each<[string, Record<string, string>, RegExp]>([
    ["an unknown mode", { BASTION_MODE: "demo" }, /^BASTION_MODE must be one of replay, paper, live, backtest \(got "demo"\)$/],
    [
      "two symbols in replay without a file for each",
      { BASTION_SYMBOL: "BTC/USDT,ETH/USDT" },
      /^BASTION_SYMBOL lists 2 symbols, but replay mode plays several symbols only from a recorded set with a file per symbol \(the portfolio set: ADA\/BTC, .*\), without BASTION_REPLAY_FILE; set one symbol, such as BASTION_SYMBOL=BTC\/USDT/,
    ],
    [
      "symbols of the set with one replay file",
      { BASTION_SYMBOL: "ETH/BTC,LTC/BTC", BASTION_REPLAY_FILE: "data/market/portfolio/eth-btc_5m_bittrex_2018-01-10_2018-01-30.csv" },
      /^BASTION_SYMBOL lists 2 symbols, but replay mode plays several symbols only from a recorded set/,
    ],
    [
      "a replay file named for another symbol",
      { BASTION_SYMBOL: "ETH/USDT", BASTION_REPLAY_FILE: "data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv" },
      /^BASTION_REPLAY_FILE: REPLAY_SYMBOL_MISMATCH: btc-usdt_5m_2023-01-02_2023-02-09.csv holds BTC\/USDT, not ETH\/USDT/,
    ],
    [
      "a symbol without a quote",
      { BASTION_SYMBOL: "BTCUSDT" },
      /^BASTION_SYMBOL must be a comma-separated list of ccxt symbols such as BTC\/USDT \(got "BTCUSDT"\)$/,
    ],
    ["a symbol twice", { BASTION_MODE: "live", BASTION_SYMBOL: "BTC/USDT,BTC/USDT" }, /^BASTION_SYMBOL names the same entry twice/],
    [
      "a poll interval that is not a number",
      { BASTION_POLL_MS: "2s" },
      /^BASTION_POLL_MS must be a whole number of milliseconds from 250 to 60000 \(got "2s"\)$/,
    ],
    ["a poll interval too short", { BASTION_POLL_MS: "10" }, /^BASTION_POLL_MS must be a whole number of milliseconds from 250 to 60000 \(got "10"\)$/],
    ["a fractional replay speed", { BASTION_REPLAY_SPEED: "1.5" }, /^BASTION_REPLAY_SPEED must be a whole number/],
    ["a reconcile interval too long", { BASTION_RECONCILE_MS: "7200000" }, /^BASTION_RECONCILE_MS must be a whole number of milliseconds from 5000 to 3600000/],
    ["a timeout too short", { BASTION_LIVE_TIMEOUT_MS: "100" }, /^BASTION_LIVE_TIMEOUT_MS must be/],
    ["a venue poll that is not a number", { BASTION_VENUE_POLL_MS: "fast" }, /^BASTION_VENUE_POLL_MS must be/],
    ["a port out of range", { PORT: "70000" }, /^PORT must be a whole number of a TCP port from 1 to 65535 \(got "70000"\)$/],
    ["a host with a space", { HOST: "my host" }, /^HOST must be a host name or an IP address/],
    ["a flag that is neither on nor off", { BASTION_TRUST_PROXY: "maybe" }, /^BASTION_TRUST_PROXY must be 1 or 0 \(on\/off, true\/false\) \(got "maybe"\)$/],
    ["an engine switch typo", { BASTION_ENGINE: "of" }, /^BASTION_ENGINE must be 1 or 0/],
    ["a capital with a comma", { BASTION_CAPITAL: "10,000" }, /^BASTION_CAPITAL must be an amount of the quote currency/],
    ["a capital of zero", { BASTION_CAPITAL: "0" }, /^BASTION_CAPITAL must be from 1 to 1000000000000/],
    ["an unknown strategy", { BASTION_STRATEGY: "rsi" }, /^BASTION_STRATEGY must be sma-cross or off \(got "rsi"\)$/],
    [
      "a fast average not below the slow one",
      { BASTION_SMA_FAST: "30", BASTION_SMA_SLOW: "30" },
      /^BASTION_SMA_FAST \(30\) must be below BASTION_SMA_SLOW \(30\)/,
    ],
    ["a negative seed", { BASTION_SEED: "-1" }, /^BASTION_SEED must be a whole number/],
    ["a database that is not a file URL", { DATABASE_URL: "postgres://db/bastion" }, /^DATABASE_URL must be a SQLite file URL/],
    [
      "a signal window too wide",
      { BASTION_SIGNAL_MAX_AGE_SECONDS: "100000" },
      /^BASTION_SIGNAL_MAX_AGE_SECONDS must be a whole number of seconds from 5 to 86400/,
    ],
    ["an allowed host with a path", { BASTION_ALLOWED_HOSTS: "desk.example/x" }, /^BASTION_ALLOWED_HOSTS must be a comma-separated list of host names/],
    ["an exchange id with a space", { BASTION_EXCHANGE: "binance us" }, /^BASTION_EXCHANGE must be a ccxt exchange id/],
  ])("%s", (_name, env, problem) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it("a short signal secret is refused without showing it", () => {
    const problems = problemsOf({ BASTION_SIGNAL_SECRET: "hunter2" });
    expect(problems).toEqual(["BASTION_SIGNAL_SECRET must be at least 16 characters (it alone guards POST /api/signals); unset it to turn the webhook off"]);
  });

  it("lists every bad variable at once, in one error that names them", () => {
    expect(() => loadConfig({ BASTION_MODE: "demo", BASTION_POLL_MS: "x", PORT: "0" })).toThrow(
      /^Bastion's configuration is refused:\n {2}- BASTION_MODE must be .*\n {2}- PORT must be .*\n {2}- BASTION_POLL_MS must be /,
    );
  });
});

describe("secrets", () => {
  it("never print: not in JSON, not in inspect, not as text", () => {
    const config = loadConfig({
      BASTION_SIGNAL_SECRET: "s3cret-s3cret-s3cret",
      BASTION_ADMIN_PASSWORD: "pw-pw-pw-pw-pw",
      BASTION_API_SECRET: "api-secret-api-secret",
    });
    expect(config.signalSecret?.reveal()).toBe("s3cret-s3cret-s3cret");
    for (const shown of [JSON.stringify(config), inspect(config, { depth: 5 }), `${String(config.signalSecret)} ${String(config.adminPassword)}`]) {
      expect(shown).not.toContain("s3cret");
      expect(shown).not.toContain("pw-pw");
      expect(shown).not.toContain("api-secret");
    }
  });
});

describe("appConfig", () => {
  it("parses again when a variable changes, and keeps the parse while none does", () => {
    const env: Record<string, string> = { BASTION_POLL_MS: "500" };
    const first = appConfig(env);
    expect(appConfig({ ...env })).toBe(first);
    env.BASTION_POLL_MS = "750";
    expect(appConfig(env).intervals.pollMs).toBe(750);
    env.BASTION_POLL_MS = "nope";
    expect(() => appConfig(env)).toThrow(ConfigError);
  });
});

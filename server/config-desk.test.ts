import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config";

const dir = mkdtempSync(join(tmpdir(), "bastion-desk-"));
let fileNo = 0;
function file(text: string, name = `desk-${++fileNo}.yaml`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const DESK = `
desk:
  mode: paper
  capital: 2500.5
  symbols: [ETH/USDT]
  seed: 11
  replay: { speed: 50 }
venues:
  - { id: sim-a, exchange: sim, mode: sim }
  - { id: bitget-1, exchange: bitget, mode: ccxt, testnet: true }
strategies:
  - { id: off-one, kind: sma-cross, params: { fast: 3, slow: 9 }, symbols: [ETH/USDT], enabled: false }
  - { id: eth, kind: sma-cross, params: { fast: 5, slow: 20 }, symbols: [ETH/USDT] }
risk:
  max_open_positions: 4
`;

describe("loadConfig with a desk file", () => {
  it("no file: exactly the zero-config desk (the default path is only read when it exists)", () => {
    const config = loadConfig({});
    expect(config.desk).toBeNull();
    expect(config).toMatchObject({ mode: "replay", capital: null, strategy: { enabled: true, fast: 10, slow: 30 }, replay: { set: "portfolio" } });
    expect(config.symbols).toHaveLength(10);
  });

  it("the file fills in what the environment leaves unset", () => {
    const config = loadConfig({ BASTION_CONFIG: file(DESK) });
    expect(config).toMatchObject({
      mode: "paper",
      capital: "2500.5",
      symbols: ["ETH/USDT"],
      sim: { seed: 11 },
      replay: { speed: 50 },
      // the first enabled strategy, the first enabled ccxt venue
      strategy: { enabled: true, fast: 5, slow: 20 },
      exchange: "bitget",
    });
    expect(config.liveEnv).toMatchObject({ BASTION_EXCHANGE: "bitget", BASTION_SANDBOX: "1" });
    expect(config.desk?.risk).toEqual({ maxOpenPositions: 4 });
  });

  it.each<[string, Record<string, string>, (c: ReturnType<typeof loadConfig>) => unknown, unknown]>([
    ["BASTION_MODE over desk.mode", { BASTION_MODE: "replay" }, (c) => c.mode, "replay"],
    ["BASTION_CAPITAL over desk.capital", { BASTION_CAPITAL: "99" }, (c) => c.capital, "99"],
    ["BASTION_SYMBOL over desk.symbols", { BASTION_SYMBOL: "BTC/USDT" }, (c) => c.symbols, ["BTC/USDT"]],
    ["BASTION_SEED over desk.seed", { BASTION_SEED: "3" }, (c) => c.sim.seed, 3],
    ["BASTION_REPLAY_SPEED over desk.replay.speed", { BASTION_REPLAY_SPEED: "7" }, (c) => c.replay.speed, 7],
    ["BASTION_STRATEGY over the strategies", { BASTION_STRATEGY: "off" }, (c) => c.strategy.enabled, false],
    ["BASTION_SMA_SLOW over the strategy's params", { BASTION_SMA_SLOW: "40" }, (c) => [c.strategy.fast, c.strategy.slow], [5, 40]],
    ["BASTION_EXCHANGE over the venue", { BASTION_EXCHANGE: "kraken" }, (c) => [c.exchange, c.liveEnv.BASTION_EXCHANGE], ["kraken", "kraken"]],
    ["BASTION_SANDBOX over the venue's testnet", { BASTION_SANDBOX: "0" }, (c) => c.liveEnv.BASTION_SANDBOX, "0"],
  ])("the environment wins: %s", (_name, env, read, expected) => {
    expect(read(loadConfig({ BASTION_CONFIG: file(DESK), ...env }))).toEqual(expected);
  });

  it("strategies listed but none enabled: the built-in strategy is off", () => {
    const config = loadConfig({
      BASTION_CONFIG: file("strategies:\n  - { id: a, kind: sma-cross, params: { fast: 10, slow: 30 }, symbols: [BTC/USDT], enabled: false }\n"),
    });
    expect(config.strategy.enabled).toBe(false);
  });

  it("the traded symbols default to the symbols the file has settings for", () => {
    expect(loadConfig({ BASTION_MODE: "live", BASTION_CONFIG: file("symbols:\n  SOL/USDT: {}\n  ETH/USDT: {}\n") }).symbols).toEqual(["SOL/USDT", "ETH/USDT"]);
  });

  it("a bad desk file stops the start with the path, the line, the key and the problem", () => {
    const path = file("risk:\n  max_open_positions: 3\n  max_portfolio_exposure: 300\n");
    expect(problemsOf({ BASTION_CONFIG: path })).toEqual([
      `${path} line 3, risk.max_portfolio_exposure: must be a number from 0.0001 to 100 (a share of equity: 0.02 = 2 %) (got 300)`,
    ]);
  });

  it("a value the file gives that the environment rules refuse says it came from the file", () => {
    const path = file("desk:\n  seed: 1\n  symbols: [BTC/USDT, ETH/USDT]\n");
    const problems = problemsOf({ BASTION_CONFIG: path });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^BASTION_SYMBOL lists 2 symbols, but replay mode plays several symbols only from a recorded set with a file per symbol/);
    expect(problems[0]).toContain(`(from ${path} line 3, desk.symbols)`);
  });

  it("the file's strategies run on the symbols they name", () => {
    const path = file(
      "desk:\n  symbols: [ETH/BTC, LTC/BTC, ADA/BTC]\nstrategies:\n  - { id: trend, kind: sma-cross, params: { fast: 5, slow: 20 }, symbols: [ETH/BTC, LTC/BTC] }\n  - { id: dip, kind: rsi-reversion, symbols: [ADA/BTC] }\n  - { id: idle, kind: sma-cross, params: { fast: 3, slow: 9 }, symbols: [ADA/BTC], enabled: false }\n",
    );
    const config = loadConfig({ BASTION_CONFIG: path });
    expect(config.replay.set).toBe("portfolio");
    expect(config.strategies).toEqual([
      { id: "trend", kind: "sma-cross", params: { fast: 5, slow: 20 }, symbols: ["ETH/BTC", "LTC/BTC"] },
      { id: "dip", kind: "rsi-reversion", params: {}, symbols: ["ADA/BTC"] },
    ]);
    // An rsi-reversion alone runs too (the strategy is on; BASTION_STRATEGY only turns it off).
    const rsiOnly = loadConfig({
      BASTION_CONFIG: file("desk:\n  symbols: [ADA/BTC]\nstrategies:\n  - { id: dip, kind: rsi-reversion, symbols: [ADA/BTC] }\n"),
    });
    expect(rsiOnly.strategies.map((s) => s.id)).toEqual(["dip"]);
  });

  it("the committed portfolio desk file starts the zero-config desk; the cross-venue one, each venue its own recording", () => {
    const portfolio = loadConfig({ BASTION_CONFIG: "config/desk.portfolio.example.yaml" });
    const zero = loadConfig({});
    expect(portfolio).toMatchObject({ mode: "replay", capital: "1", replay: { set: "portfolio", speed: 300, files: zero.replay.files } });
    expect([...portfolio.symbols].sort()).toEqual([...zero.symbols].sort());
    expect(portfolio.strategies).toEqual(zero.strategies);
    const crossVenue = loadConfig({ BASTION_CONFIG: "config/desk.cross-venue.example.yaml" });
    expect(crossVenue).toMatchObject({ symbols: ["BTC/USDT"], replay: { set: null } });
    // Each simulated venue plays its own recording, addressed to it (the desk's one feed for both was the known limit).
    expect(crossVenue.replay.files).toEqual([
      { symbol: "BTC/USDT", file: "data/market/cross-venue/btc-usdt_1m_binanceus_2023-03-01_2023-03-21.csv", venue: "sim-binanceus" },
      { symbol: "BTC/USDT", file: "data/market/cross-venue/btc-usdt_5m_kraken_2023-01-01_2023-03-31.csv", venue: "sim-kraken" },
    ]);
    expect(crossVenue.desk!.notActedUpon.join("; ")).not.toMatch(/venues/);
  });

  it("a venue's own replay file must say a symbol the venue trades; only a simulated venue plays one", () => {
    const dir = mkdtempSync(join(tmpdir(), "bastion-venue-replay-"));
    try {
      const write = (name: string, venues: string) => {
        const file = join(dir, name);
        writeFileSync(file, `version: 1\ndesk: { mode: replay, symbols: [BTC/USDT] }\nvenues:\n${venues}`);
        return file;
      };
      const wrongSymbol = write(
        "wrong.yaml",
        "  - { id: a, exchange: sim, mode: sim, replay: data/market/cross-venue/btc-usdt_1m_binanceus_2023-03-01_2023-03-21.csv }\n" +
          "  - { id: b, exchange: sim, mode: sim, replay: data/market/portfolio/eth-btc_5m_bittrex_2018-01-10_2018-01-30.csv }\n",
      );
      expect(() => loadConfig({ BASTION_CONFIG: wrongSymbol })).toThrow(
        /venues \(b\)\.replay: .*eth-btc_5m.* holds ETH\/BTC, which b does not trade \(BTC\/USDT\)/,
      );
      const live = write(
        "live.yaml",
        "  - { id: a, exchange: binance, mode: ccxt, replay: data/market/cross-venue/btc-usdt_1m_binanceus_2023-03-01_2023-03-21.csv }\n",
      );
      expect(() => loadConfig({ BASTION_CONFIG: live })).toThrow(/replay.*only a simulated venue \(mode: sim\) plays a recording/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("BASTION_CONFIG naming a missing file is refused", () => {
    expect(problemsOf({ BASTION_CONFIG: join(dir, "nope.yaml") })).toEqual([
      `BASTION_CONFIG names ${join(dir, "nope.yaml")}, which does not exist; fix the path or unset BASTION_CONFIG`,
    ]);
  });
});

describe("loadConfig with a secrets file", () => {
  it("fills the secrets the environment leaves unset (empty values count as unset) and never shows them", () => {
    const path = file(
      'api_key: "key-from-file"\napi_secret: "secret-from-file"\nsignal_secret: "signal-secret-from-file"\nadmin_password: ""\n',
      "secrets.yaml",
    );
    const config = loadConfig({ BASTION_SECRETS_FILE: path, BASTION_API_SECRET: "secret-from-env" });
    expect(config.liveEnv).toMatchObject({ BASTION_API_KEY: "key-from-file", BASTION_API_SECRET: "secret-from-env" });
    expect(config.signalSecret?.reveal()).toBe("signal-secret-from-file");
    expect(config.adminPassword).toBeNull();
    for (const shown of [JSON.stringify(config), inspect(config, { depth: 5 })]) expect(shown).not.toMatch(/from-file|from-env/);
  });

  it("refuses an unknown key with a did-you-mean, without showing any value", () => {
    const path = file("api_keey: hush-hush\n", "secrets-bad.yaml");
    const problems = problemsOf({ BASTION_SECRETS_FILE: path });
    expect(problems).toEqual([`${path} line 1, api_keey: unknown secret; did you mean api_key?`]);
  });

  it("a short signal secret from the file is refused like one from the environment, without its value", () => {
    const path = file("signal_secret: short\n", "secrets-short.yaml");
    const problems = problemsOf({ BASTION_SECRETS_FILE: path });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^BASTION_SIGNAL_SECRET must be at least 16 characters/);
    expect(problems[0]).not.toContain('short"');
  });
});

describe("per-venue credentials", () => {
  it("the secrets file's venues map and BASTION_VENUE_<ID>_API_* become each venue's keys (the environment wins), never shown", () => {
    const path = file(
      'venues:\n  binance-main: { api_key: "bkey-from-file", api_secret: "bsecret-from-file" }\n  bitget-1:\n    api_key: "gkey-from-file"\n    api_secret: "gsecret-from-file"\n    api_password: ""\n',
      "secrets-venues.yaml",
    );
    const config = loadConfig({
      BASTION_SECRETS_FILE: path,
      BASTION_VENUE_BINANCE_MAIN_API_SECRET: "bsecret-from-env",
      BASTION_VENUE_BITGET_1_API_PASSWORD: "gpass-from-env",
    });
    expect(config.liveEnv).toMatchObject({
      BASTION_VENUE_BINANCE_MAIN_API_KEY: "bkey-from-file",
      BASTION_VENUE_BINANCE_MAIN_API_SECRET: "bsecret-from-env",
      BASTION_VENUE_BITGET_1_API_KEY: "gkey-from-file",
      BASTION_VENUE_BITGET_1_API_SECRET: "gsecret-from-file",
      BASTION_VENUE_BITGET_1_API_PASSWORD: "gpass-from-env",
    });
    for (const shown of [JSON.stringify(config), inspect(config, { depth: 5 })]) expect(shown).not.toMatch(/from-file|from-env/);
  });

  it("the committed secrets example loads (every value empty, the venues map commented out)", () => {
    const config = loadConfig({ BASTION_SECRETS_FILE: "config/secrets.example.yaml" });
    expect(Object.keys(config.liveEnv).filter((k) => k.startsWith("BASTION_VENUE_"))).toEqual([]);
  });

  it("refuses a misspelt venue secret with a did-you-mean, and a venue that is not a map, without showing any value", () => {
    const path = file("venues:\n  binance-main:\n    api_secert: hush-hush\n  bitget-1: hush-hush-too\n", "secrets-venues-bad.yaml");
    const problems = problemsOf({ BASTION_SECRETS_FILE: path });
    expect(problems).toEqual([
      `${path} line 3, venues.binance-main.api_secert: unknown secret; did you mean api_secret?`,
      `${path} line 4, venues.bitget-1: must be a map such as { api_key: …, api_secret: … }`,
    ]);
    expect(problems.join(" ")).not.toContain("hush");
  });

  it("a desk file venue takes no keys, and a simulated venue no api_url", () => {
    const keyed = file("venues:\n  - { id: binance-main, exchange: binance, mode: ccxt, api_key: abc }\n");
    expect(problemsOf({ BASTION_CONFIG: keyed }).join("\n")).toMatch(
      /line 2, venues\[0\]\.api_key: secrets are refused in the desk file.*BASTION_VENUE_<ID>_API_KEY/,
    );
    const simUrl = file("venues:\n  - { id: sim-a, exchange: sim, mode: sim, api_url: http://127.0.0.1:1 }\n");
    expect(problemsOf({ BASTION_CONFIG: simUrl })).toEqual([expect.stringMatching(/line 2, venues\[0\]\.api_url: a simulated venue has no API/)]);
  });
});

describe("notification channels", () => {
  const SECRET = "notify-secret-0123456789abcdef";
  const CHANNELS = `notifications:
  channels:
    - { name: ops, type: webhook, url: https://hooks.example/bastion, min_severity: warning }
    - { name: phone, type: telegram, chat_id: "-100123" }
`;

  it("the environment's webhook joins the desk file's channels, each with its secret from the environment or the secrets file", () => {
    const secrets = file(`notify_telegram_bot_token: "123456:${"a".repeat(30)}"\n`, "secrets-notify.yaml");
    const config = loadConfig({
      BASTION_CONFIG: file(CHANNELS),
      BASTION_SECRETS_FILE: secrets,
      BASTION_NOTIFY_WEBHOOK_URL: "http://127.0.0.1:9/hook",
      BASTION_NOTIFY_WEBHOOK_SECRET: SECRET,
    });
    expect(config.notifications.map((c) => [c.name, c.type])).toEqual([
      ["ops", "webhook"],
      ["phone", "telegram"],
      ["webhook-env", "webhook"],
    ]);
    expect(config.notifications[0]).toMatchObject({ url: "https://hooks.example/bastion", secret: SECRET, minSeverity: "warning" });
    expect(config.notifications[1]).toMatchObject({ botToken: `123456:${"a".repeat(30)}`, chatId: "-100123" });
    expect(config.notifications[2]).toMatchObject({ url: "http://127.0.0.1:9/hook", secret: SECRET, kinds: null });
    // Secrets stay out of JSON and inspect.
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(inspect(config, { depth: 10 })).not.toContain(SECRET);
  });

  it.each<[string, Record<string, string>, string]>([
    [
      "a URL without its secret",
      { BASTION_NOTIFY_WEBHOOK_URL: "https://hooks.example/x" },
      "BASTION_NOTIFY_WEBHOOK_SECRET must be set (at least 16 characters) when BASTION_NOTIFY_WEBHOOK_URL is",
    ],
    [
      "a short secret",
      { BASTION_NOTIFY_WEBHOOK_URL: "https://hooks.example/x", BASTION_NOTIFY_WEBHOOK_SECRET: "short" },
      "BASTION_NOTIFY_WEBHOOK_SECRET must be at least 16 characters",
    ],
    [
      "a URL that is not http",
      { BASTION_NOTIFY_WEBHOOK_URL: "ftp://hooks.example/T0KEN", BASTION_NOTIFY_WEBHOOK_SECRET: SECRET },
      "BASTION_NOTIFY_WEBHOOK_URL must be an http(s) URL",
    ],
    ["a bad bot token", { BASTION_NOTIFY_TELEGRAM_BOT_TOKEN: "not-a-token" }, "BASTION_NOTIFY_TELEGRAM_BOT_TOKEN must be a Telegram bot token"],
  ])("refuses %s, never showing the value", (_, env, message) => {
    const problems = problemsOf(env).join("\n");
    expect(problems).toContain(message);
    for (const value of Object.values(env)) expect(problems).not.toContain(value);
  });

  it("refuses a desk file's channel whose secret is nowhere", () => {
    expect(problemsOf({ BASTION_CONFIG: file(CHANNELS) })).toEqual([
      expect.stringContaining("notification channel ops: needs BASTION_NOTIFY_WEBHOOK_SECRET (or notify_webhook_secret in the secrets file)"),
      expect.stringContaining("notification channel phone: needs BASTION_NOTIFY_TELEGRAM_BOT_TOKEN"),
    ]);
  });
});

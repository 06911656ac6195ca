import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_BREAKER_CONFIG } from "../core/breaker/config";
import { deskChanges, deskExportYaml, type SettingsInForce } from "./desk-changes";
import { DESK_FILE_MAX_BYTES, DeskFileError, parseDeskFile } from "./desk-file";
import { DEFAULT_RISK_LIMITS, DEFAULT_SYMBOL_SETTINGS } from "./settings";

const SOURCE = "config/desk.yaml";

function problemsOf(text: string): readonly string[] {
  try {
    parseDeskFile(text, { source: SOURCE });
  } catch (e) {
    if (e instanceof DeskFileError) return e.problems;
    throw e;
  }
  return [];
}

describe("parseDeskFile: a bad file names the file, the line, the key path and the problem", () => {
  it.each<[string, string, string[]]>([
    [
      "a share out of range",
      "risk:\n  max_portfolio_exposure: 300\n",
      ["config/desk.yaml line 2, risk.max_portfolio_exposure: must be a number from 0.0001 to 100"],
    ],
    [
      "an unknown key, with a did-you-mean",
      "version: 1\nrisk:\n  max_portfolo_exposure: 0.5\n",
      ["config/desk.yaml line 3, risk.max_portfolo_exposure: unknown setting; did you mean max_portfolio_exposure?"],
    ],
    ["an unknown section", "\nbreakr:\n  max_drawdown_pct: 10\n", ["config/desk.yaml line 2, breakr: unknown setting; did you mean breaker?"]],
    [
      "an unknown key far from any, with the list",
      "desk:\n  colour: blue\n",
      ["config/desk.yaml line 2, desk.colour: unknown setting; the settings here are mode, capital, symbols, seed, replay, conversion_rates"],
    ],
    [
      "several problems at once, each on its line",
      "breaker:\n  max_drawdown_pct: 200\n  trip_action: NOPE\n",
      [
        "config/desk.yaml line 2, breaker.max_drawdown_pct: must be a number from 0.01 to 100 % (got 200)",
        'config/desk.yaml line 3, breaker.trip_action: must be one of HALT, HALT_CANCEL, HALT_CANCEL_FLATTEN (got "NOPE")',
      ],
    ],
    [
      "a word where a number goes",
      "risk:\n  max_open_positions: ten\n",
      ['line 2, risk.max_open_positions: must be a whole number from 1 to 10,000 (got "ten")'],
    ],
    [
      "a fraction where a whole number goes",
      "risk:\n  max_open_positions: 2.5\n",
      ["line 2, risk.max_open_positions: must be a whole number from 1 to 10,000 (got 2.5)"],
    ],
    [
      "money with too many decimals (kept exact, not rounded by a float)",
      "risk:\n  max_notional_per_order: 1000000000.123456789\n",
      [
        'line 2, risk.max_notional_per_order: must be a number from 0.01 to 1,000,000,000,000 (quote currency) with at most 8 decimals (got "1000000000.123456789")',
      ],
    ],
    ["a bad symbol name", "symbols:\n  BTCUSDT:\n    stop_loss_pct: 2\n", ["line 2, symbols.BTCUSDT: must be a ccxt symbol such as BTC/USDT"]],
    [
      "a per-symbol setting out of range",
      "symbols:\n  BTC/USDT:\n    min_confidence: 1.5\n",
      ["line 3, symbols.BTC/USDT.min_confidence: must be a number from 0 to 1 (got 1.5)"],
    ],
    [
      "a take-profit ladder that falls",
      "symbols:\n  BTC/USDT:\n    take_profit_levels:\n      - { pct: 4, close_fraction: 0.5 }\n      - { pct: 2, close_fraction: 1 }\n",
      ["line 4, symbols.BTC/USDT.take_profit_levels: the levels must rise in pct"],
    ],
    [
      "a sizing key of another method",
      "symbols:\n  BTC/USDT:\n    sizing: { method: fixed_risk, fraction: 0.1 }\n",
      ["line 3, symbols.BTC/USDT.sizing.risk_fraction: is required", "line 3, symbols.BTC/USDT.sizing.fraction: is not a setting of this kind"],
    ],
    ["a required key missing", "venues:\n  - id: sim-a\n    mode: sim\n", ["line 2, venues[0].exchange: is required"]],
    [
      "a strategy's parameters, venue and symbol checked across sections",
      "symbols:\n  BTC/USDT: {}\nvenues:\n  - { id: sim-a, exchange: sim, mode: sim }\nstrategies:\n  - id: sma\n    kind: sma-cross\n    params: { fast: 40, slow: 30 }\n    symbols: [BTC/USDX]\n    venue: sim-b\n",
      [
        "line 8, strategies[0].params: sma-cross: slow must be a whole number of candles greater than fast (40)",
        "line 10, strategies[0].venue: there is no venue sim-b in venues; did you mean sim-a?",
        "line 9, strategies[0].symbols[0]: BTC/USDX is neither in desk.symbols nor in symbols; did you mean BTC/USDT?",
      ],
    ],
    [
      "an unknown strategy kind",
      "strategies:\n  - { id: x, kind: rsi-magic, symbols: [BTC/USDT] }\n",
      ['line 2, strategies[0].kind: must be one of sma-cross, rsi-reversion (got "rsi-magic")'],
    ],
    [
      "a venue id used twice",
      "venues:\n  - { id: sim-a, exchange: sim, mode: sim }\n  - { id: sim-a, exchange: binance, mode: ccxt }\n",
      ["line 3, venues[1].id: the venue id sim-a is used twice"],
    ],
    [
      "the drawdown limit set twice",
      "risk:\n  emergency_stop_drawdown: 0.1\nbreaker:\n  max_drawdown_pct: 12\n",
      ["line 2, risk.emergency_stop_drawdown: sets the same limit as breaker.max_drawdown_pct; keep one of them"],
    ],
    ["YAML that does not parse", "risk: [1, 2\n", ["config/desk.yaml line 2: this is not valid YAML: Flow sequence"]],
    [
      "YAML indented wrong",
      "desk:\n  mode: replay\n   seed: 3\n",
      ["config/desk.yaml line 2: this is not valid YAML: Nested mappings", "config/desk.yaml line 2: this is not valid YAML: Implicit keys"],
    ],
    ["a key written twice", "risk:\n  max_open_positions: 3\n  max_open_positions: 4\n", ["config/desk.yaml line 3: this is not valid YAML"]],
    [
      "an alias",
      "desk:\n  seed: &s 1\nrisk:\n  max_open_positions: *s\n",
      ["line 4, risk.max_open_positions: anchors and aliases (*name) are not used in a desk file"],
    ],
    ["a list instead of a map", "- 1\n- 2\n", ["config/desk.yaml line 1: the desk file must be a map of sections"]],
  ])("%s", (_name, text, expected) => {
    const problems = problemsOf(text);
    expect(problems).toHaveLength(expected.length);
    for (const [i, fragment] of expected.entries()) expect(problems[i]).toContain(fragment);
  });

  it("refuses secrets anywhere, says where they go, and never shows the value", () => {
    const problems = problemsOf("venues:\n  - id: binance-main\n    exchange: binance\n    mode: ccxt\n    api_secret: s3cr3t-value\n    apiKey: k3y-value\n");
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain("config/desk.yaml line 5, venues[0].api_secret: secrets are refused in the desk file");
    expect(problems[0]).toContain("BASTION_API_SECRET");
    expect(problems[0]).toContain("config/secrets.yaml (BASTION_SECRETS_FILE)");
    expect(problems[1]).toContain("line 6, venues[0].apiKey:");
    expect(problems.join(" ")).not.toMatch(/s3cr3t|k3y-value/);
  });

  it("refuses a file over 64 KB in words", () => {
    const text = `# ${"x".repeat(DESK_FILE_MAX_BYTES)}\n`;
    expect(problemsOf(text)).toEqual(["config/desk.yaml: the desk file is 65 KB; at most 64 KB is accepted"]);
  });
});

describe("parseDeskFile: values in the engine's units", () => {
  it("turns shares into percentages, keeps money exact, and null removes a limit", () => {
    const desk = parseDeskFile(
      [
        "risk:",
        "  max_portfolio_exposure: 0.07",
        "  max_symbol_exposure: 0.3",
        "  min_notional: 12.5",
        "  max_notional_per_order: '1000000000.12345678'",
        "  max_open_positions: null",
        "  emergency_stop_drawdown: 0.12",
        "  default_stop_loss: 0.015",
        "  trailing_stop_activation: 0.02",
        "  retry_attempts: 2",
        "symbols:",
        "  ETH/USDT:",
        "    max_position_size: 2.5",
        "    max_position_notional: null",
        "    sizing: { method: fixed_risk, risk_fraction: 0.01 }",
        "    trailing: null",
      ].join("\n"),
      { source: SOURCE },
    );
    expect(desk.risk).toEqual({
      maxPortfolioExposurePct: 7,
      maxSymbolExposurePct: 30,
      minNotional: "12.5",
      maxNotionalPerOrder: "1000000000.12345678",
      maxOpenPositions: null,
    });
    expect(desk.breaker).toEqual({ maxDrawdownPct: 12 });
    expect(desk.symbolDefaults).toEqual({ stopLossPct: 1.5, trailing: { activationPct: 2, distancePct: 1 } });
    expect(desk.symbols["ETH/USDT"]).toEqual({
      maxPositionQty: "2.5",
      maxPositionNotional: undefined,
      sizing: { method: "fixed_risk", riskFraction: 0.01 },
      trailing: null,
    });
    expect(desk.retryAttempts).toBe(2);
  });

  it("an empty file is an empty desk", () => {
    expect(parseDeskFile("# nothing yet\n", { source: SOURCE })).toMatchObject({ desk: {}, venues: [], strategies: [], symbols: {}, risk: {}, breaker: {} });
  });

  it("lists what it keeps but the engine does not act upon yet", () => {
    const desk = parseDeskFile(readFileSync(join(import.meta.dirname, "..", "..", "config", "desk.example.yaml"), "utf8"), {
      source: "config/desk.example.yaml",
    });
    expect(desk.notActedUpon).toEqual(expect.arrayContaining(["venues[1].fees", "risk.order_timeout_seconds", "strategies[].venue"]));
  });
});

const TODAY: SettingsInForce = {
  limits: DEFAULT_RISK_LIMITS,
  defaults: DEFAULT_SYMBOL_SETTINGS,
  symbolSettings: { "BTC/USDT": DEFAULT_SYMBOL_SETTINGS },
  breakerConfig: { ...DEFAULT_BREAKER_CONFIG, maxConsecutiveLosses: 12 },
};
const RUNNING = { mode: "replay", symbols: ["BTC/USDT"] };

describe("parseDeskFile: portfolio limits and the weekly loss", () => {
  it("reads the correlated-exposure, correlation, VaR and weekly-loss keys in the engine's units", () => {
    const desk = parseDeskFile(
      [
        "risk:",
        "  max_correlated_exposure: 0.4",
        "  correlation_threshold: 0.6",
        "  correlation_window_bars: 480",
        "  correlation_bar_minutes: 60",
        "  max_var: 0.05",
        "breaker:",
        "  max_weekly_loss_pct: 8",
      ].join("\n"),
      { source: SOURCE },
    );
    expect(desk.risk).toEqual({ maxCorrelatedExposurePct: 40, correlationThreshold: 0.6, correlationWindowBars: 480, correlationBarMinutes: 60, maxVarPct: 5 });
    expect(desk.breaker).toEqual({ maxWeeklyLossPct: 8 });
  });

  it("an export with them parses again and changes nothing", () => {
    const current: SettingsInForce = {
      ...TODAY,
      limits: { ...DEFAULT_RISK_LIMITS, maxCorrelatedExposurePct: 40, correlationThreshold: 0.55, correlationWindowBars: 480, maxVarPct: 4.5 },
      breakerConfig: { ...DEFAULT_BREAKER_CONFIG, maxWeeklyLossPct: 8 },
    };
    const running = { ...RUNNING, desk: null, strategy: { enabled: true, fast: 10, slow: 30 }, venueId: "sim", at: new Date(Date.UTC(2026, 0, 2)) };
    const desk = parseDeskFile(deskExportYaml(current, running), { source: "export" });
    expect(desk.risk).toMatchObject({ maxCorrelatedExposurePct: 40, correlationThreshold: 0.55, maxVarPct: 4.5 });
    expect(deskChanges(current, desk, RUNNING)).toMatchObject({ rows: [], riskLimits: null, breakerConfig: null });
  });

  it("reads target_weight sizing (risk parity by default), and an export with it changes nothing", () => {
    const desk = parseDeskFile(["symbols:", "  BTC/USDT:", "    sizing: { method: target_weight, fraction: 0.8 }"].join("\n"), { source: SOURCE });
    expect(desk.symbols["BTC/USDT"]?.sizing).toEqual({ method: "target_weight", fraction: 0.8, allocation: "risk_parity" });
    const current: SettingsInForce = {
      ...TODAY,
      symbolSettings: { "BTC/USDT": { ...DEFAULT_SYMBOL_SETTINGS, sizing: { method: "target_weight", fraction: 0.6, allocation: "max_sharpe" } } },
    };
    const running = { ...RUNNING, desk: null, strategy: { enabled: true, fast: 10, slow: 30 }, venueId: "sim", at: new Date(Date.UTC(2026, 0, 2)) };
    const exported = deskExportYaml(current, running);
    expect(deskChanges(current, parseDeskFile(exported, { source: "export" }), RUNNING)).toMatchObject({ rows: [], symbols: [] });
    expect(() => parseDeskFile("symbols:\n  BTC/USDT:\n    sizing: { method: target_weight, fraction: 0.5, allocation: magic }\n", { source: SOURCE })).toThrow(
      /allocation must be one of risk_parity, min_variance, max_sharpe, kelly/,
    );
  });

  it("reads the breaker's portfolio VaR bound, and an export with it changes nothing", () => {
    const desk = parseDeskFile(["breaker:", "  max_portfolio_var_pct: 6.5"].join("\n"), { source: SOURCE });
    expect(desk.breaker).toEqual({ maxPortfolioVarPct: 6.5 });
    const current: SettingsInForce = { ...TODAY, breakerConfig: { ...DEFAULT_BREAKER_CONFIG, maxPortfolioVarPct: 6.5 } };
    const running = { ...RUNNING, desk: null, strategy: { enabled: true, fast: 10, slow: 30 }, venueId: "sim", at: new Date(Date.UTC(2026, 0, 2)) };
    const exported = deskExportYaml(current, running);
    expect(exported).toContain("max_portfolio_var_pct: 6.5");
    expect(deskChanges(current, parseDeskFile(exported, { source: "export" }), RUNNING)).toMatchObject({ rows: [], breakerConfig: null });
  });

  it("refuses a correlation bar size the history cannot give", () => {
    expect(() => parseDeskFile("risk:\n  correlation_bar_minutes: 7\n", { source: SOURCE })).toThrow(
      /correlationBarMinutes must be one of 5, 15, 60, 240 or 1440/,
    );
  });
});

describe("parseDeskFile: notifications", () => {
  const CHANNELS = `notifications:
  channels:
    - name: ops-hook
      type: webhook
      url: https://hooks.example/bastion
      kinds: [emergency, breaker]
      min_severity: warning
      rate_limit: { capacity: 5, per_minute: 2 }
    - { name: phone, type: telegram, chat_id: "-1001234567890", base_url: "http://127.0.0.1:8081" }
    - { name: mail, type: email, host: smtp.example, user: bastion, from: bastion@desk.example, to: [ops@desk.example] }
`;

  it("keeps the channels in notify's words, without secrets", () => {
    expect(parseDeskFile(CHANNELS, { source: SOURCE }).notifications).toEqual([
      {
        name: "ops-hook",
        type: "webhook",
        url: "https://hooks.example/bastion",
        kinds: ["emergency", "breaker"],
        minSeverity: "warning",
        rateLimit: { capacity: 5, perMinute: 2 },
      },
      { name: "phone", type: "telegram", chatId: "-1001234567890", baseUrl: "http://127.0.0.1:8081" },
      { name: "mail", type: "email", host: "smtp.example", user: "bastion", from: "bastion@desk.example", to: ["ops@desk.example"] },
    ]);
  });

  it.each<[string, string, string]>([
    [
      "a secret in a channel",
      "notifications:\n  channels:\n    - { name: a, type: webhook, url: https://h.example, secret: abcdefabcdefabcdef }\n",
      "line 3, notifications.channels[0].secret: secrets are refused in the desk file",
    ],
    [
      "a bot token",
      "notifications:\n  channels:\n    - { name: a, type: telegram, chat_id: '1', bot_token: '1:abc' }\n",
      "notifications.channels[0].bot_token: secrets are refused in the desk file (it is shared and its example is committed); put a channel's secret in the environment (BASTION_NOTIFY_WEBHOOK_SECRET",
    ],
    [
      "an SMTP password",
      "notifications:\n  channels:\n    - { name: a, type: email, host: h, from: a@b.c, to: [a@b.c], pass: x }\n",
      "notifications.channels[0].pass: secrets are refused",
    ],
    [
      "a URL that is not http",
      "notifications:\n  channels:\n    - { name: a, type: webhook, url: ftp://h.example }\n",
      "line 3, notifications.channels[0].url: url must be an http(s) URL.",
    ],
    [
      "an unknown key",
      "notifications:\n  channels:\n    - { name: a, type: webhook, url: https://h.example, min_sevrity: info }\n",
      "notifications.channels[0].min_sevrity: unknown setting of a notification channel",
    ],
    [
      "a bad rate limit",
      "notifications:\n  channels:\n    - { name: a, type: webhook, url: https://h.example, rate_limit: { capacity: 0, per_minute: 1 } }\n",
      "notifications.channels[0].rate_limit.capacity: rateLimit.capacity must be a whole number from 1 to 1000.",
    ],
    [
      "a name used twice",
      "notifications:\n  channels:\n    - { name: a, type: webhook, url: https://h.example }\n    - { name: a, type: webhook, url: https://i.example }\n",
      "notifications.channels[1].name: the channel name a is used twice",
    ],
  ])("refuses %s", (_, text, message) => {
    expect(problemsOf(text).join("\n")).toContain(message);
  });
});

const ARB_VENUES =
  "venues:\n  - { id: sim-a, exchange: sim, mode: sim, symbols: [BTC/USDC] }\n  - { id: sim-b, exchange: sim, mode: sim, symbols: [BTC/USD], balances: { BTC: 1, USD: 1000 } }\n";
const arbPair = (extra: string) =>
  `${ARB_VENUES}arbitrage:\n  - id: p\n    markets: [{ venue: sim-a, symbol: BTC/USDC }, { venue: sim-b, symbol: BTC/USD }]\n    threshold_bps: 30\n    max_qty: 0.05\n${extra}`;

describe("the arbitrage section", () => {
  it("gives the pairs in the engine's units, with the defaults, and the venues' balances", () => {
    const desk = parseDeskFile(arbPair(""), { source: SOURCE });
    expect(desk.arbitrage).toEqual([
      {
        id: "p",
        markets: [
          { venue: "sim-a", symbol: "BTC/USDC" },
          { venue: "sim-b", symbol: "BTC/USD" },
        ],
        thresholdBps: 30,
        slippageBps: 5,
        legs: "taker-taker",
        maxQty: "0.05",
        legTimeoutMs: 30_000,
        maxQuoteAgeMs: 10_000,
        repair: "unwind",
        enabled: true,
      },
    ]);
    expect(desk.venues[1]!.balances).toEqual({ BTC: "1", USD: "1000" });
  });

  it("the export writes the pairs and the venues' balances back: re-read, they are the same", () => {
    const desk = parseDeskFile(arbPair("    legs: maker-taker\n    repair: hedge\n    enabled: false\n"), { source: SOURCE });
    const running = { ...RUNNING, desk, strategy: { enabled: false, fast: 10, slow: 30 }, venueId: "sim-a", at: new Date(Date.UTC(2026, 0, 2)) };
    const again = parseDeskFile(deskExportYaml(TODAY, running), { source: "export" });
    expect(again.arbitrage).toEqual(desk.arbitrage);
    expect(again.venues.map((v) => v.balances)).toEqual([null, { BTC: "1", USD: "1000" }]);
  });

  it.each<[string, string, string]>([
    [
      "an unknown venue, with a did-you-mean",
      arbPair("").replace("venue: sim-b, symbol", "venue: sim-c, symbol"),
      "arbitrage[0].markets[1].venue: there is no enabled venue sim-c in venues; did you mean sim-a?",
    ],
    [
      "a symbol the venue does not list",
      arbPair("").replace("venue: sim-b, symbol: BTC/USD }", "venue: sim-b, symbol: BTC/EUR }"),
      "arbitrage[0].markets[1].symbol: sim-b does not list BTC/EUR (its symbols are BTC/USD)",
    ],
    ["two different assets", arbPair("").replace("venue: sim-b, symbol: BTC/USD }", "venue: sim-b, symbol: ETH/USD }"), "ETH/USD are not the same asset"],
    [
      "one market only",
      arbPair("").replace(", { venue: sim-b, symbol: BTC/USD }", ""),
      "arbitrage[0].markets: must name exactly two markets, each { venue, symbol }",
    ],
    [
      "a threshold out of range",
      arbPair("").replace("threshold_bps: 30", "threshold_bps: -3"),
      "arbitrage[0].threshold_bps: must be a number from 0 to 10,000 bp (got -3)",
    ],
    ["an unknown leg style", arbPair("    legs: maker-maker\n"), 'arbitrage[0].legs: must be one of taker-taker, maker-taker (got "maker-maker")'],
    [
      "a time limit out of range",
      arbPair("    leg_timeout_seconds: 0\n"),
      "arbitrage[0].leg_timeout_seconds: must be a whole number from 1 to 3,600 s (got 0)",
    ],
    ["an unknown key, with a did-you-mean", arbPair("    max_qtty: 3\n"), "arbitrage[0].max_qtty: unknown setting; did you mean max_qty?"],
    [
      "balances on an exchange venue",
      "venues:\n  - { id: x, exchange: binance, mode: ccxt, balances: { BTC: 1 } }\n",
      "venues[0].balances: only a simulated venue (mode: sim) is given balances",
    ],
  ])("refuses %s", (_, text, message) => {
    expect(problemsOf(text).join("\n")).toContain(message);
  });
});

describe("the committed example desk files", () => {
  it.each(["desk.example.yaml", "desk.btc-usdt.example.yaml", "desk.portfolio.example.yaml", "desk.cross-venue.example.yaml", "desk.arbitrage.example.yaml"])(
    "%s parses",
    (name) => {
      expect(() => parseDeskFile(readFileSync(join(import.meta.dirname, "..", "..", "config", name), "utf8"), { source: name })).not.toThrow();
    },
  );

  it("today's BTC/USDT desk file changes nothing on today's zero-config replay desk", () => {
    const desk = parseDeskFile(readFileSync(join(import.meta.dirname, "..", "..", "config", "desk.btc-usdt.example.yaml"), "utf8"), { source: "x" });
    expect(deskChanges(TODAY, desk, RUNNING)).toEqual({ rows: [], riskLimits: null, breakerConfig: null, symbols: [] });
  });
});

describe("deskChanges and deskExportYaml", () => {
  it("names each difference in the file's units and what takes effect when", () => {
    const desk = parseDeskFile(
      "desk:\n  mode: paper\nrisk:\n  max_portfolio_exposure: 0.5\n  default_stop_loss: 0.03\nbreaker:\n  max_drawdown_pct: 8\nsymbols:\n  BTC/USDT:\n    stop_loss_pct: 1\n  SOL/USDT:\n    stop_loss_pct: 1\n",
      { source: SOURCE },
    );
    const changes = deskChanges(TODAY, desk, RUNNING);
    expect(changes.rows).toEqual([
      { key: "risk.max_portfolio_exposure", current: "1", proposed: "0.5", effect: "live" },
      expect.objectContaining({ key: "risk.default_stop_loss", current: "0.02", proposed: "0.03", effect: "start" }),
      { key: "breaker.max_drawdown_pct", current: "15", proposed: "8", effect: "live" },
      { key: "symbols.BTC/USDT.stop_loss_pct", current: "2", proposed: "1", effect: "live" },
      expect.objectContaining({ key: "symbols.SOL/USDT", effect: "ignored" }),
      expect.objectContaining({ key: "desk.mode", current: "replay", proposed: "paper", effect: "start" }),
    ]);
    expect(changes.riskLimits).toEqual({ ...DEFAULT_RISK_LIMITS, maxPortfolioExposurePct: 50 });
    expect(changes.breakerConfig).toMatchObject({ maxDrawdownPct: 8, maxConsecutiveLosses: 12 });
    expect(changes.symbols).toEqual([{ symbol: "BTC/USDT", settings: { ...DEFAULT_SYMBOL_SETTINGS, stopLossPct: 1 } }]);
  });

  it("an export parses again and, imported, changes nothing (values off the defaults too)", () => {
    const current: SettingsInForce = {
      ...TODAY,
      limits: { maxOpenPositions: 3, maxPortfolioExposure: "2500.12345678", maxPortfolioExposurePct: 150, maxSlippageBps: 12.5 },
      symbolSettings: {
        "BTC/USDT": { ...DEFAULT_SYMBOL_SETTINGS, maxPositionQty: "0.123456789012", sizing: { method: "fixed_risk", riskFraction: 0.01 }, trailing: null },
        "ETH/USDT": { ...DEFAULT_SYMBOL_SETTINGS, stopLossPct: null, maxAgeMinutes: null },
      },
      breakerConfig: { ...DEFAULT_BREAKER_CONFIG, maxDailyLossAbs: 400, autoResetAfterMinutes: 90.5, tripAction: "HALT_CANCEL_FLATTEN" },
    };
    const yaml = deskExportYaml(current, {
      ...RUNNING,
      symbols: ["BTC/USDT", "ETH/USDT"],
      desk: null,
      strategy: { enabled: true, fast: 10, slow: 30 },
      venueId: "sim",
      at: new Date(Date.UTC(2026, 0, 2)),
    });
    expect(yaml).toContain("# Bastion desk file, exported from the live settings of sim at 2026-01-02T00:00:00.000Z.");
    const desk = parseDeskFile(yaml, { source: "export" });
    expect(deskChanges(current, desk, { ...RUNNING, symbols: ["BTC/USDT", "ETH/USDT"] })).toEqual({
      rows: [],
      riskLimits: null,
      breakerConfig: null,
      symbols: [],
    });
    expect(desk.strategies).toEqual([
      { id: "sma-cross", kind: "sma-cross", params: { fast: 10, slow: 30 }, symbols: ["BTC/USDT"], venue: null, enabled: true },
    ]);
  });

  it("an export of the zero-config portfolio desk writes both strategies with their symbols", () => {
    const yaml = deskExportYaml(TODAY, {
      mode: "replay",
      symbols: ["ETH/BTC", "ADA/BTC"],
      desk: null,
      strategy: { enabled: true, fast: 10, slow: 30 },
      strategies: [
        { id: "sma-cross", kind: "sma-cross", params: { fast: 10, slow: 30 }, symbols: ["ETH/BTC"] },
        { id: "rsi-reversion", kind: "rsi-reversion", params: { period: 14, oversold: 30, exit: 55 }, symbols: ["ADA/BTC"] },
      ],
      venueId: "sim",
      at: new Date(Date.UTC(2026, 0, 2)),
    });
    expect(parseDeskFile(yaml, { source: "export" }).strategies).toEqual([
      { id: "sma-cross", kind: "sma-cross", params: { fast: 10, slow: 30 }, symbols: ["ETH/BTC"], venue: null, enabled: true },
      { id: "rsi-reversion", kind: "rsi-reversion", params: { period: 14, oversold: 30, exit: 55 }, symbols: ["ADA/BTC"], venue: null, enabled: true },
    ]);
  });
});

describe("per-strategy risk keys (issue 11)", () => {
  it("map to the engine's limits, shares as percentages", () => {
    const desk = parseDeskFile("risk:\n  max_open_positions_per_strategy: 2\n  max_strategy_exposure: 0.3\n  strategy_conflict: allow\n", { source: SOURCE });
    expect(desk.risk).toEqual({ maxOpenPositionsPerStrategy: 2, maxStrategyExposurePct: 30, strategyConflict: "allow" });
  });

  it("refuses a conflict rule it does not know, by line and key", () => {
    expect(() => parseDeskFile("risk:\n  strategy_conflict: merge\n", { source: SOURCE })).toThrow(
      "line 2, risk.strategy_conflict: strategy_conflict must be one of allow, net, refuse",
    );
  });
});

describe("parseDeskFile: the alert center's thresholds", () => {
  it("reads the alerts section in core/alerts' units; keys left out keep their defaults", () => {
    const desk = parseDeskFile(
      [
        "alerts:",
        "  slippage_warn_bps: 25",
        "  slippage_critical_bps: 120",
        "  latency_ms: 1500",
        "  limit_fill_timeout_seconds: 90",
        "  fill_rate_window_minutes: 30",
        "  fill_rate_min_orders: 8",
        "  fill_rate_floor_pct: 40",
      ].join("\n"),
      { source: SOURCE },
    );
    expect(desk.alerts).toEqual({
      slippageWarnBps: 25,
      slippageCriticalBps: 120,
      latencyMs: 1_500,
      limitFillTimeoutMs: 90_000,
      fillRateWindowMs: 1_800_000,
      fillRateMinOrders: 8,
      fillRateFloor: 0.4,
    });
    expect(parseDeskFile("# nothing yet\n", { source: SOURCE }).alerts).toEqual({});
  });

  it.each([
    { text: "alerts:\n  latency_ms: 0", problem: /alerts\.latency_ms.*must be a whole number from 1 to 600,?000 ms/ },
    { text: "alerts:\n  fill_rate_floor_pct: 150", problem: /alerts\.fill_rate_floor_pct.*must be a number from 0 to 100 %/ },
    {
      text: "alerts:\n  slippage_warn_bps: 80\n  slippage_critical_bps: 40",
      problem: /alerts\.slippage_critical_bps.*must be at least alerts\.slippage_warn_bps/,
    },
    { text: "alerts:\n  latency: 100", problem: /alerts\.latency/ },
  ])("refuses $text", ({ text, problem }) => {
    expect(problemsOf(text).join("\n")).toMatch(problem);
  });
});

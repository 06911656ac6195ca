/** The desk file's kelly and atr sizing methods and expected_return_scaling: parsed in the engine's words, checked, exported and read back. */
import { describe, expect, it } from "vitest";
import { DEFAULT_BREAKER_CONFIG } from "../core/breaker/config";
import { deskChanges, deskExportYaml, type SettingsInForce } from "./desk-changes";
import { DeskFileError, parseDeskFile } from "./desk-file";
import { DEFAULT_RISK_LIMITS, DEFAULT_SYMBOL_SETTINGS } from "./settings";

const SOURCE = "config/desk.yaml";

function problemsOf(text: string): readonly string[] {
  try {
    parseDeskFile(text, { source: SOURCE });
  } catch (e) {
    if (e instanceof DeskFileError) return e.problems.map((p) => p.replace(`${SOURCE} `, ""));
    throw e;
  }
  return [];
}

describe("desk file sizing: kelly, atr, expected_return_scaling", () => {
  it.each([
    {
      name: "kelly with what is left out at the defaults",
      yaml: "sizing: { method: kelly, max_fraction: 0.1 }",
      want: { sizing: { method: "kelly", multiplier: 0.5, maxFraction: 0.1, minTrades: 30, fallbackFraction: 0.1 } },
    },
    {
      name: "atr",
      yaml: "sizing: { method: atr, risk_fraction: 0.005, atr_multiple: 3, period: 20 }",
      want: { sizing: { method: "atr", riskFraction: 0.005, atrMultiple: 3, period: 20 } },
    },
    {
      name: "expected_return_scaling",
      yaml: "expected_return_scaling: { reference: 0.02, max_multiplier: 2 }",
      want: { expectedReturnScaling: { reference: 0.02, maxMultiplier: 2 } },
    },
    { name: "expected_return_scaling: null removes it", yaml: "expected_return_scaling: null", want: { expectedReturnScaling: undefined } },
  ])("$name", ({ yaml, want }) => {
    expect(parseDeskFile(`symbols:\n  BTC/USDT:\n    ${yaml}\n`, { source: SOURCE }).symbols["BTC/USDT"]).toEqual(want);
  });

  it.each([
    {
      name: "a kelly multiplier above full Kelly",
      yaml: "sizing: { method: kelly, multiplier: 2 }",
      problems: ["line 3, symbols.BTC/USDT.sizing.multiplier: must be a number from 0.01 to 1 (the share of full Kelly bet: 0.5 = half Kelly) (got 2)"],
    },
    {
      name: "atr without its risk",
      yaml: "sizing: { method: atr, period: 14 }",
      problems: ["line 3, symbols.BTC/USDT.sizing.risk_fraction: is required"],
    },
    {
      name: "an unknown method says what it got",
      yaml: "sizing: { method: martingale }",
      problems: ['line 3, symbols.BTC/USDT.sizing.method: is not valid (got "martingale")'],
    },
    {
      name: "a scaling key in camelCase",
      yaml: "expected_return_scaling: { reference: 0.02, maxMultiplier: 2 }",
      problems: ["line 3, symbols.BTC/USDT.expected_return_scaling.maxMultiplier: unknown setting; did you mean max_multiplier?"],
    },
  ])("refuses $name with its line and key", ({ yaml, problems }) => {
    expect(problemsOf(`symbols:\n  BTC/USDT:\n    ${yaml}\n`)).toEqual(problems);
  });

  it("an export with kelly, atr and scaling parses again and, imported, changes nothing", () => {
    const current: SettingsInForce = {
      limits: DEFAULT_RISK_LIMITS,
      defaults: DEFAULT_SYMBOL_SETTINGS,
      symbolSettings: {
        "BTC/USDT": {
          ...DEFAULT_SYMBOL_SETTINGS,
          sizing: { method: "kelly", multiplier: 0.25, maxFraction: 0.1, minTrades: 50, fallbackFraction: 0.02 },
          expectedReturnScaling: { reference: 0.03, maxMultiplier: 1.5 },
        },
        "ETH/USDT": { ...DEFAULT_SYMBOL_SETTINGS, sizing: { method: "atr", riskFraction: 0.01, atrMultiple: 2, period: 14 } },
      },
      breakerConfig: DEFAULT_BREAKER_CONFIG,
    };
    const running = { mode: "replay", symbols: ["BTC/USDT", "ETH/USDT"] };
    const yaml = deskExportYaml(current, { ...running, desk: null, strategy: { enabled: false, fast: 10, slow: 30 }, venueId: "sim", at: new Date(0) });
    expect(yaml).toContain("expected_return_scaling:");
    expect(yaml).toContain("fallback_fraction: 0.02");
    const changes = deskChanges(current, parseDeskFile(yaml, { source: "export" }), running);
    expect(changes.rows).toEqual([]);
    expect(changes.symbols).toEqual([]);
  });
});

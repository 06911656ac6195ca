/** The desk file's `protections:` section: snake_case keys into core/protection's settings, problems with their line and key. */
import { describe, expect, it } from "vitest";
import { protectionSettingsSchema } from "../core/protection/settings";
import { DeskFileError, parseDeskFile } from "./desk-file";

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

describe("desk file protections", () => {
  it("no section: null (the runtime's own protections apply)", () => {
    expect(parseDeskFile("risk:\n  max_open_positions: 3\n", { source: SOURCE }).protections).toBeNull();
  });

  it("reads desk-wide rules and per-symbol overrides, symbol names kept as written", () => {
    const desk = parseDeskFile(
      [
        "protections:",
        "  flash_move:",
        "    move_pct: 8",
        "    window_seconds: 300",
        "    action: LOCK_SYMBOL",
        "    lock_minutes: 60",
        "    symbols:",
        "      XLM/BTC: { move_pct: 12, action: HALT }",
        "  strategy_failure: { max_losing_streak: 4, min_accuracy_pct: 45 }",
        "  system_overload: { enabled: false }",
      ].join("\n"),
      { source: SOURCE },
    );
    expect(desk.protections).toEqual({
      flashMove: { movePct: 8, windowSeconds: 300, action: "LOCK_SYMBOL", lockMinutes: 60, symbols: { "XLM/BTC": { movePct: 12, action: "HALT" } } },
      strategyFailure: { maxLosingStreak: 4, minAccuracyPct: 45 },
      systemOverload: { enabled: false },
    });
    // What the engine builds from it: the defaults fill in the rest.
    const settings = protectionSettingsSchema.parse(desk.protections);
    expect(settings.flashMove.symbols["XLM/BTC"]).toEqual({ movePct: 12, action: "HALT" });
    expect(settings.staleData.maxSilenceSeconds).toBe(120);
  });

  it.each([
    {
      name: "a value out of range",
      yaml: "protections:\n  flash_move:\n    move_pct: 200\n",
      problems: ["line 3, protections.flash_move.move_pct: must be a number from 0.1 to 100 (got 200)"],
    },
    {
      name: "an action a rule cannot take",
      yaml: "protections:\n  venue_unreachable: { action: LOCK_SYMBOL }\n",
      problems: [
        'line 2, protections.venue_unreachable.action: must be one of ALERT, PAUSE_ENTRIES, HALT, HALT_CANCEL, HALT_CANCEL_FLATTEN (got "LOCK_SYMBOL")',
      ],
    },
    {
      name: "an unknown rule",
      yaml: "protections:\n  flash_crash: { move_pct: 5 }\n",
      problems: ["line 2, protections.flash_crash: unknown protection setting (see config/desk.example.yaml)"],
    },
    {
      name: "an unknown key in a symbol's override",
      yaml: "protections:\n  volatility:\n    symbols:\n      ETH/BTC: { max_vol: 3 }\n",
      problems: ["line 4, protections.volatility.symbols.ETH/BTC.max_vol: unknown protection setting (see config/desk.example.yaml)"],
    },
    {
      name: "not a map",
      yaml: "protections: 5\n",
      problems: ["line 1, protections: must be a map of protection rules such as { flash_move: { move_pct: 5 } } (got 5)"],
    },
  ])("refuses $name with its line and key", ({ yaml, problems }) => {
    expect(problemsOf(yaml)).toEqual(problems);
  });
});

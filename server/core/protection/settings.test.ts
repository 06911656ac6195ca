import { describe, expect, it, vi } from "vitest";
import { defaultProtectionSettings, formatProtectionSettingsErrors, protectionSettingsSchema, resolveSymbolRule } from "./settings";

function messagesFor(input: unknown): string[] {
  const parsed = protectionSettingsSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
}

describe("protectionSettingsSchema", () => {
  it("the defaults are the schema's own, parsed once and shared", () => {
    expect(defaultProtectionSettings()).toEqual(protectionSettingsSchema.parse({}));
    expect(defaultProtectionSettings()).toBe(defaultProtectionSettings());
  });

  it("defaults: 5% in one minute locks the symbol for 30 minutes; volatility is off until configured", () => {
    expect(defaultProtectionSettings().flashMove).toEqual({
      enabled: true,
      movePct: 5,
      windowSeconds: 60,
      action: "LOCK_SYMBOL",
      lockMinutes: 30,
      symbols: {},
    });
    expect(defaultProtectionSettings().volatility.enabled).toBe(false);
    expect(defaultProtectionSettings().staleData).toMatchObject({ maxSilenceSeconds: 120, action: "ALERT" });
    expect(defaultProtectionSettings().venueUnreachable).toMatchObject({ maxConsecutiveFailures: 5, maxSecondsWithoutSuccess: 120, action: "PAUSE_ENTRIES" });
    expect(defaultProtectionSettings().strategyFailure).toMatchObject({ maxLosingStreak: 5, maxDrawdownAbs: null, minAccuracyPct: null, lockMinutes: 240 });
    expect(defaultProtectionSettings().systemOverload).toMatchObject({ maxEventLoopLagMs: 2_000, maxQueueDepth: 5_000 });
  });

  it.each([
    { input: { flashMove: { movePct: 0 } }, message: "flashMove.movePct must be a number from 0.1 to 100 (got 0)." },
    { input: { flashMove: { windowSeconds: 1.5 } }, message: "flashMove.windowSeconds must be a whole number from 1 to 86,400 seconds (got 1.5)." },
    {
      input: { flashMove: { action: "PANIC" } },
      message: 'flashMove.action must be one of ALERT, LOCK_SYMBOL, PAUSE_ENTRIES, HALT, HALT_CANCEL, HALT_CANCEL_FLATTEN (got "PANIC").',
    },
    { input: { flashMove: { symbols: { "BTC/USDT": { movePct: 500 } } } }, message: "flashMove.movePct must be a number from 0.1 to 100 (got 500)." },
    { input: { flashMove: { symbols: { "BTC/USDT": { colour: "red" } } } }, message: "Unknown flashMove symbol setting: colour." },
    {
      input: { staleData: { maxSilenceSeconds: 1e9 } },
      message: "staleData.maxSilenceSeconds must be a whole number from 1 to 86,400 seconds (got 1000000000).",
    },
    {
      input: { venueUnreachable: { action: "LOCK_SYMBOL" } },
      message: 'venueUnreachable.action must be one of ALERT, PAUSE_ENTRIES, HALT, HALT_CANCEL, HALT_CANCEL_FLATTEN (got "LOCK_SYMBOL").',
    },
    { input: { systemOverload: { maxQueueDepth: 0 } }, message: "systemOverload.maxQueueDepth must be a whole number from 1 to 10,000,000 (got 0)." },
    { input: { strategyFailure: { minAccuracyPct: 101 } }, message: "strategyFailure.minAccuracyPct must be a number from 0 to 100 (got 101)." },
    {
      input: { volatility: { lockMinutes: 50_000 } },
      message: "volatility.lockMinutes must be a whole number from 1 to 43,200 minutes (30 days) (got 50000).",
    },
    { input: { killSwitch: true }, message: "Unknown protection setting: killSwitch." },
  ])("refuses $input with a sentence", ({ input, message }) => {
    expect(messagesFor(input)).toEqual([message]);
  });

  it("refuses a symbol key that is not a symbol", () => {
    expect(messagesFor({ flashMove: { symbols: { "BTC USDT": {} } } })[0]).toBe(
      'flashMove.symbols keys must be symbols of 1–40 letters, digits or . _ : / - (got "BTC USDT").',
    );
  });

  it("formats every problem as one line", () => {
    const parsed = protectionSettingsSchema.safeParse({ flashMove: { movePct: -1, lockMinutes: 0 } });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(formatProtectionSettingsErrors(parsed.error)).toMatch(/^flashMove\.movePct must .*\. flashMove\.lockMinutes must .*\.$/);
  });

  it("resolveSymbolRule lays a symbol's override over the desk-wide values; other symbols keep the desk's", () => {
    const settings = protectionSettingsSchema.parse({ flashMove: { movePct: 4, symbols: { "XLM/BTC": { movePct: 10, action: "HALT" } } } });
    expect(resolveSymbolRule(settings.flashMove, "XLM/BTC")).toEqual({ enabled: true, movePct: 10, windowSeconds: 60, action: "HALT", lockMinutes: 30 });
    expect(resolveSymbolRule(settings.flashMove, "ETH/BTC")).toEqual({ enabled: true, movePct: 4, windowSeconds: 60, action: "LOCK_SYMBOL", lockMinutes: 30 });
    // An inherited property name is not an override.
    expect(resolveSymbolRule(settings.flashMove, "constructor").movePct).toBe(4);
  });
});

describe("protection schemas at module load", () => {
  it("format no number until a value is refused (a process's first toLocaleString starts ICU, ~15 ms of every cold start)", async () => {
    vi.resetModules();
    const spy = vi.spyOn(Number.prototype, "toLocaleString");
    try {
      const fresh = await import("./settings");
      expect(spy).not.toHaveBeenCalled();
      const parsed = fresh.protectionSettingsSchema.safeParse({ flashMove: { windowSeconds: 1.5 } });
      expect(parsed.success ? [] : parsed.error.issues.map((i) => i.message)).toEqual([
        "flashMove.windowSeconds must be a whole number from 1 to 86,400 seconds (got 1.5).",
      ]);
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

import { describe, it, expect } from "vitest";
import { ManualClock } from "../clock";
import { CircuitBreaker } from "./breaker";
import { DEFAULT_BREAKER_CONFIG, breakerConfigSchema, formatConfigErrors } from "./config";

function messagesFor(input: unknown): string[] {
  const parsed = breakerConfigSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
}

describe("breakerConfigSchema", () => {
  it("fills sensible defaults", () => {
    expect(DEFAULT_BREAKER_CONFIG).toEqual({
      maxDailyLossPct: 5,
      maxDailyLossAbs: null,
      maxWeeklyLossPct: null,
      maxDrawdownPct: 15,
      maxDrawdownAbs: null,
      maxPortfolioVarPct: null,
      maxConsecutiveLosses: 5,
      maxOrdersPerMinute: 30,
      maxOrdersPerHour: 500,
      maxConsecutiveErrors: 5,
      autoResetAfterMinutes: null,
      requireManualReset: true,
      cooldownMinutes: 0,
      tripAction: "HALT_CANCEL",
    });
  });

  it.each([
    { input: { maxDailyLossPct: 100 }, field: "maxDailyLossPct", value: 100 },
    { input: { maxDrawdownPct: 0.01 }, field: "maxDrawdownPct", value: 0.01 },
    { input: { maxDrawdownPct: null }, field: "maxDrawdownPct", value: null },
    { input: { maxDailyLossAbs: 0.5 }, field: "maxDailyLossAbs", value: 0.5 },
    { input: { maxConsecutiveLosses: 1 }, field: "maxConsecutiveLosses", value: 1 },
    { input: { maxOrdersPerMinute: null }, field: "maxOrdersPerMinute", value: null },
    { input: { cooldownMinutes: 0 }, field: "cooldownMinutes", value: 0 },
    { input: { autoResetAfterMinutes: 1.5 }, field: "autoResetAfterMinutes", value: 1.5 },
    { input: { cooldownMinutes: 43_200 }, field: "cooldownMinutes", value: 43_200 },
    { input: { tripAction: "HALT_CANCEL_FLATTEN" }, field: "tripAction", value: "HALT_CANCEL_FLATTEN" },
    { input: { requireManualReset: false }, field: "requireManualReset", value: false },
  ])("accepts $field = $value", ({ input, field, value }) => {
    const parsed = breakerConfigSchema.parse(input);
    expect(parsed[field as keyof typeof parsed]).toBe(value);
  });

  it.each([
    { input: { maxDailyLossPct: Number.NaN }, message: "maxDailyLossPct must be a finite number, or null to disable it (got NaN)." },
    { input: { maxDrawdownAbs: Number.POSITIVE_INFINITY }, message: "maxDrawdownAbs must be a finite number, or null to disable it (got Infinity)." },
    { input: { maxDailyLossAbs: "500" }, message: 'maxDailyLossAbs must be a finite number, or null to disable it (got "500").' },
    { input: { maxDailyLossPct: 150 }, message: "maxDailyLossPct must be a percentage from 0.01 to 100 (got 150); use null to disable it." },
    { input: { maxDrawdownPct: 0 }, message: "maxDrawdownPct must be a percentage from 0.01 to 100 (got 0); use null to disable it." },
    { input: { maxDrawdownPct: -5 }, message: "maxDrawdownPct must be a percentage from 0.01 to 100 (got -5); use null to disable it." },
    { input: { maxDailyLossAbs: -1 }, message: "maxDailyLossAbs must be an amount from 0.01 to 1,000,000,000,000 (got -1); use null to disable it." },
    { input: { maxDrawdownAbs: 0 }, message: "maxDrawdownAbs must be an amount from 0.01 to 1,000,000,000,000 (got 0); use null to disable it." },
    { input: { maxConsecutiveLosses: 2.5 }, message: "maxConsecutiveLosses must be a whole number from 1 to 1,000 (got 2.5); use null to disable it." },
    { input: { maxOrdersPerMinute: 0 }, message: "maxOrdersPerMinute must be a whole number from 1 to 10,000 (got 0); use null to disable it." },
    { input: { maxOrdersPerHour: -3 }, message: "maxOrdersPerHour must be a whole number from 1 to 100,000 (got -3); use null to disable it." },
    { input: { maxConsecutiveErrors: Number.NaN }, message: "maxConsecutiveErrors must be a finite number, or null to disable it (got NaN)." },
    { input: { cooldownMinutes: -1 }, message: "cooldownMinutes must be from 0 to 43,200 minutes (30 days) (got -1)." },
    { input: { cooldownMinutes: null }, message: "cooldownMinutes must be a finite number (got null)." },
    {
      input: { autoResetAfterMinutes: 0 },
      message: "autoResetAfterMinutes must be from 1 to 43,200 minutes (30 days) (got 0); use null to never reset automatically.",
    },
    { input: { cooldownMinutes: 1e300 }, message: "cooldownMinutes must be from 0 to 43,200 minutes (30 days) (got 1e+300)." },
    { input: { maxDailyLossPct: 5e-324 }, message: "maxDailyLossPct must be a percentage from 0.01 to 100 (got 5e-324); use null to disable it." },
    { input: { requireManualReset: "yes" }, message: 'requireManualReset must be true or false (got "yes").' },
    { input: { tripAction: "FLATTEN" }, message: 'tripAction must be one of HALT, HALT_CANCEL, HALT_CANCEL_FLATTEN (got "FLATTEN").' },
    { input: { maxDailyLoss: 5 }, message: "Unknown breaker setting: maxDailyLoss." },
    { input: 42, message: "Breaker settings must be an object." },
  ])("refuses $input with a readable message", ({ input, message }) => {
    expect(messagesFor(input)).toEqual([message]);
  });

  it("lists every problem in one sentence per problem", () => {
    const parsed = breakerConfigSchema.safeParse({ maxDailyLossPct: 101, maxOrdersPerMinute: -1 });
    expect(parsed.success).toBe(false);
    expect(formatConfigErrors(parsed.error!)).toBe(
      "maxDailyLossPct must be a percentage from 0.01 to 100 (got 101); use null to disable it. " +
        "maxOrdersPerMinute must be a whole number from 1 to 10,000 (got -1); use null to disable it.",
    );
  });
});

describe("CircuitBreaker config handling", () => {
  it("create refuses invalid settings as a value", () => {
    const created = CircuitBreaker.create({ maxDrawdownPct: 200 }, new ManualClock(0));
    expect(created).toEqual({
      ok: false,
      error: { code: "INVALID_BREAKER_CONFIG", message: "maxDrawdownPct must be a percentage from 0.01 to 100 (got 200); use null to disable it." },
    });
  });

  it("the constructor throws on invalid settings (a programming error)", () => {
    expect(() => new CircuitBreaker({ maxOrdersPerHour: 0 }, new ManualClock(0))).toThrow(
      "maxOrdersPerHour must be a whole number from 1 to 100,000 (got 0); use null to disable it.",
    );
  });

  it("updateConfig validates and keeps the old settings on refusal", () => {
    const breaker = new CircuitBreaker({ maxConsecutiveErrors: 3 }, new ManualClock(0));
    const refused = breaker.updateConfig({ maxConsecutiveErrors: Number.NaN });
    expect(refused.ok).toBe(false);
    expect(breaker.currentConfig.maxConsecutiveErrors).toBe(3);

    const accepted = breaker.updateConfig({ maxConsecutiveErrors: 2, tripAction: "HALT" });
    expect(accepted.ok).toBe(true);
    expect(breaker.recordError()).toBeNull();
    const trip = breaker.recordError();
    expect(trip?.reason).toBe("CONSECUTIVE_ERRORS");
    expect(trip?.action).toBe("HALT");
  });
});

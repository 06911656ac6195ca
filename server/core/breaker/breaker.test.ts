import { describe, it, expect } from "vitest";
import { HOUR_MS, MINUTE_MS, ManualClock } from "../clock";
import { D } from "../money";
import { CircuitBreaker, HISTORY_LIMIT, formatDuration } from "./breaker";
import { type BreakerConfigInput } from "./config";
import { type BreakerTrip, LIMIT_REASONS, type LimitReason } from "./types";

/** Monday 2024-01-15 12:00:00 UTC. */
const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);

/** Every limit off: each test turns on what it exercises. */
const ALL_OFF = {
  maxDailyLossPct: null,
  maxDailyLossAbs: null,
  maxWeeklyLossPct: null,
  maxDrawdownPct: null,
  maxDrawdownAbs: null,
  maxPortfolioVarPct: null,
  maxConsecutiveLosses: null,
  maxOrdersPerMinute: null,
  maxOrdersPerHour: null,
  maxConsecutiveErrors: null,
} satisfies BreakerConfigInput;

function setup(config: BreakerConfigInput, start = T0) {
  const clock = new ManualClock(start);
  const breaker = new CircuitBreaker({ ...ALL_OFF, ...config }, clock);
  return { clock, breaker };
}

type Step = (b: CircuitBreaker, clock: ManualClock) => BreakerTrip | null;
const trade =
  (pnl: string): Step =>
  (b) =>
    b.recordTrade(D(pnl));
const equity =
  (value: string): Step =>
  (b) =>
    b.updateEquity(D(value));
const portfolioVar =
  (pct: number | null): Step =>
  (b) =>
    b.updatePortfolioVar(pct);
const order: Step = (b) => b.recordOrder();
const error: Step = (b) => b.recordError();
const wait =
  (ms: number): Step =>
  (_b, clock) => {
    clock.advance(ms);
    return null;
  };
const times = (n: number, step: Step): Step[] => Array.from({ length: n }, () => step);

/** Trips the breaker on consecutive errors (limit 1 when `errors` is 1). */
function tripOnErrors(breaker: CircuitBreaker): BreakerTrip {
  let trip: BreakerTrip | null = null;
  for (let i = 0; i < 100 && trip === null; i++) trip = breaker.recordError();
  if (trip === null) throw new Error("breaker did not trip");
  return trip;
}

describe("each limit trips at the limit, not below", () => {
  const cases: {
    reason: LimitReason;
    config: BreakerConfigInput;
    below: Step[];
    reach: Step;
    over: Step[];
    message: string;
  }[] = [
    {
      reason: "DAILY_LOSS_PCT",
      config: { maxDailyLossPct: 5 },
      below: [equity("10000"), trade("-499.99")],
      reach: trade("-0.01"),
      over: [equity("10000"), trade("-800")],
      message: "Daily loss of 5% (realized PnL -500 on day-start equity 10000) reached the 5% limit.",
    },
    {
      reason: "DAILY_LOSS_ABS",
      config: { maxDailyLossAbs: 500 },
      below: [trade("-300"), trade("100"), trade("-299.99")],
      reach: trade("-0.01"),
      over: [trade("-500.01")],
      message: "Daily loss of 500 (realized PnL -500) reached the 500 limit.",
    },
    {
      reason: "WEEKLY_LOSS_PCT",
      config: { maxWeeklyLossPct: 5 },
      below: [equity("10000"), trade("-499.99")],
      reach: trade("-0.01"),
      over: [equity("10000"), trade("-800")],
      message: "Weekly loss of 5% (realized PnL -500 on week-start equity 10000) reached the 5% limit.",
    },
    {
      reason: "DRAWDOWN_PCT",
      config: { maxDrawdownPct: 10 },
      below: [equity("12000"), equity("10800.01")],
      reach: equity("10800"),
      over: [equity("12000"), equity("6000")],
      message: "Drawdown of 10% from peak equity 12000 (equity 10800) reached the 10% limit.",
    },
    {
      reason: "DRAWDOWN_ABS",
      config: { maxDrawdownAbs: 1000 },
      below: [equity("12000"), equity("11000.01")],
      reach: equity("11000"),
      over: [equity("12000"), equity("10000")],
      message: "Drawdown of 1000 from peak equity 12000 (equity 11000) reached the 1000 limit.",
    },
    {
      reason: "PORTFOLIO_VAR_PCT",
      config: { maxPortfolioVarPct: 5 },
      below: [equity("10000"), portfolioVar(4.99), portfolioVar(null)],
      reach: portfolioVar(5),
      over: [equity("10000"), portfolioVar(null), portfolioVar(12.5)],
      message: "Portfolio 1-day 99% VaR of 5% of equity 10000 reached the 5% limit.",
    },
    {
      reason: "CONSECUTIVE_LOSSES",
      config: { maxConsecutiveLosses: 3 },
      below: [trade("-1"), trade("-1")],
      reach: trade("-0.5"),
      over: times(3, trade("-1")),
      message: "3 losing trades in a row reached the limit of 3.",
    },
    {
      reason: "ORDER_RATE_MINUTE",
      config: { maxOrdersPerMinute: 5 },
      below: [order, wait(10_000), order, order, order],
      reach: order,
      over: times(5, order),
      message: "5 orders in the last minute reached the limit of 5 per minute.",
    },
    {
      reason: "ORDER_RATE_HOUR",
      config: { maxOrdersPerHour: 10 },
      below: Array.from({ length: 9 }, () => [order, wait(2 * MINUTE_MS)]).flat(),
      reach: order,
      over: times(10, order),
      message: "10 orders in the last hour reached the limit of 10 per hour.",
    },
    {
      reason: "CONSECUTIVE_ERRORS",
      config: { maxConsecutiveErrors: 3 },
      below: [error, error],
      reach: error,
      over: times(3, error),
      message: "3 errors in a row reached the limit of 3.",
    },
  ];

  it("covers every limit", () => {
    expect(cases.map((c) => c.reason)).toEqual([...LIMIT_REASONS]);
  });

  it.each(cases)("$reason", ({ reason, config, below, reach, message }) => {
    const { clock, breaker } = setup({ ...config, tripAction: "HALT_CANCEL_FLATTEN" });
    for (const step of below) expect(step(breaker, clock)).toBeNull();
    expect(breaker.state).toBe("CLOSED");
    expect(breaker.tradingState).toBe("ACTIVE");
    expect(breaker.checkAndTrip()).toBeNull();

    const trip = reach(breaker, clock);
    expect(trip).toEqual({ reason, message, action: "HALT_CANCEL_FLATTEN", trippedAt: clock.now(), by: "system" });
    expect(breaker.state).toBe("OPEN");
    expect(breaker.tradingState).toBe("HALTED");
    const status = breaker.status();
    expect(status.reason).toBe(reason);
    expect(status.message).toBe(message);
    expect(status.trippedAt).toBe(clock.now());
    expect(status.trippedBy).toBe("system");
    expect(status.history).toEqual([{ kind: "TRIP", at: clock.now(), by: "system", reason, message, action: "HALT_CANCEL_FLATTEN" }]);
  });

  it.each(cases)("$reason also trips when jumped over", ({ reason, config, over }) => {
    const { clock, breaker } = setup(config);
    const trips = over.map((step) => step(breaker, clock)).filter((t) => t !== null);
    expect(trips.map((t) => t.reason)).toEqual([reason]);
  });

  it.each(cases)("$reason: a reset re-bases the counters so it does not re-trip at once", ({ config, below, reach }) => {
    const { clock, breaker } = setup(config);
    for (const step of below) step(breaker, clock);
    expect(reach(breaker, clock)).not.toBeNull();
    expect(breaker.reset({ manual: true, by: "alice", reason: "checked the strategy" }).ok).toBe(true);
    expect(breaker.checkAndTrip()).toBeNull();
    expect(breaker.tick()).toEqual({ reset: null, trip: null });
    expect(breaker.state).toBe("CLOSED");
  });
});

describe("priority when several limits are breached", () => {
  // Counters prepared with every limit off: daily PnL −200 on 10000 (2%), drawdown 200 (2%),
  // 1 loss, 1 order, 1 error. Then a subset of limits is switched on and checkAndTrip decides.
  const breachedLimits = {
    maxDailyLossPct: 2,
    maxDailyLossAbs: 200,
    maxWeeklyLossPct: 2,
    maxDrawdownPct: 2,
    maxDrawdownAbs: 200,
    maxPortfolioVarPct: 3,
    maxConsecutiveLosses: 1,
    maxOrdersPerMinute: 1,
    maxOrdersPerHour: 1,
    maxConsecutiveErrors: 1,
  };
  const configKeyFor: Record<LimitReason, keyof typeof breachedLimits> = {
    DAILY_LOSS_PCT: "maxDailyLossPct",
    DAILY_LOSS_ABS: "maxDailyLossAbs",
    WEEKLY_LOSS_PCT: "maxWeeklyLossPct",
    DRAWDOWN_PCT: "maxDrawdownPct",
    DRAWDOWN_ABS: "maxDrawdownAbs",
    PORTFOLIO_VAR_PCT: "maxPortfolioVarPct",
    CONSECUTIVE_LOSSES: "maxConsecutiveLosses",
    ORDER_RATE_MINUTE: "maxOrdersPerMinute",
    ORDER_RATE_HOUR: "maxOrdersPerHour",
    CONSECUTIVE_ERRORS: "maxConsecutiveErrors",
  };

  it("the documented order", () => {
    expect(LIMIT_REASONS).toEqual([
      "DAILY_LOSS_PCT",
      "DAILY_LOSS_ABS",
      "WEEKLY_LOSS_PCT",
      "DRAWDOWN_PCT",
      "DRAWDOWN_ABS",
      "PORTFOLIO_VAR_PCT",
      "CONSECUTIVE_LOSSES",
      "ORDER_RATE_MINUTE",
      "ORDER_RATE_HOUR",
      "CONSECUTIVE_ERRORS",
    ]);
  });

  it.each(LIMIT_REASONS.map((reason, index) => ({ reason, enabled: LIMIT_REASONS.slice(index) })))(
    "with $enabled.length limits breached, $reason wins",
    ({ reason, enabled }) => {
      const { breaker } = setup({});
      breaker.updateEquity(D("10000"));
      breaker.recordTrade(D("-200"));
      breaker.updateEquity(D("9800"));
      breaker.updatePortfolioVar(3);
      breaker.recordOrder();
      breaker.recordError();
      expect(breaker.state).toBe("CLOSED");

      const config: BreakerConfigInput = { ...ALL_OFF };
      for (const r of enabled) config[configKeyFor[r]] = breachedLimits[configKeyFor[r]];
      expect(breaker.updateConfig(config).ok).toBe(true);
      expect(breaker.state).toBe("CLOSED"); // updateConfig alone does not evaluate
      expect(breaker.checkAndTrip()?.reason).toBe(reason);
      expect(breaker.status().history).toHaveLength(1);
    },
  );
});

describe("weekly loss (UTC week from Monday)", () => {
  it("adds up the days of a week, trips on the week's loss while each day stays under the daily limit, and starts over on Monday", () => {
    // T0 is Monday 12:00 UTC.
    const { clock, breaker } = setup({ maxDailyLossPct: 3, maxWeeklyLossPct: 5 });
    breaker.updateEquity(D("10000"));
    expect(breaker.recordTrade(D("-250"))).toBeNull();
    clock.advance(24 * HOUR_MS); // Tuesday
    breaker.updateEquity(D("9750"));
    expect(breaker.status().dailyPnl.toString()).toBe("0");
    expect(breaker.status().weeklyPnl.toString()).toBe("-250");
    expect(breaker.recordTrade(D("-249.99"))).toBeNull();
    const trip = breaker.recordTrade(D("-0.01"));
    expect(trip?.reason).toBe("WEEKLY_LOSS_PCT");
    expect(trip?.message).toBe("Weekly loss of 5% (realized PnL -500 on week-start equity 10000) reached the 5% limit.");
    // The day rolled at Tuesday's first call, at the equity then known (10000).
    expect(breaker.status().dailyLossPct?.toString()).toBe("2.5");
  });

  it("a new week starts with no loss and the last known equity; a loss spread over two weeks does not trip", () => {
    // Sunday 23:00 UTC, then Monday 01:00.
    const { clock, breaker } = setup({ maxWeeklyLossPct: 5 }, Date.UTC(2024, 0, 21, 23, 0, 0));
    breaker.updateEquity(D("10000"));
    expect(breaker.recordTrade(D("-400"))).toBeNull();
    breaker.updateEquity(D("9600"));
    clock.advance(2 * HOUR_MS);
    expect(breaker.recordTrade(D("-400"))).toBeNull();
    const status = breaker.status();
    expect(status.weeklyPnl.toString()).toBe("-400");
    expect(status.weekStartEquity?.toString()).toBe("9600");
    expect(breaker.recordTrade(D("-80"))?.reason).toBe("WEEKLY_LOSS_PCT");
  });

  it("survives a snapshot, and reads one written before the weekly limit existed", () => {
    const { clock, breaker } = setup({ maxWeeklyLossPct: 5 });
    breaker.updateEquity(D("10000"));
    breaker.recordTrade(D("-300"));
    const snapshot = breaker.toSnapshot();
    const restored = CircuitBreaker.fromSnapshot(snapshot, { ...ALL_OFF, maxWeeklyLossPct: 5 }, clock);
    expect(restored.ok && restored.value.status().weeklyPnl.toString()).toBe("-300");
    const { weekStart: _w, weeklyPnl: _p, weekStartEquity: _e, ...old } = snapshot;
    const legacy = CircuitBreaker.fromSnapshot(old, { ...ALL_OFF, maxWeeklyLossPct: 5 }, clock);
    expect(legacy.ok && legacy.value.status().weeklyPnl.toString()).toBe("-300");
    expect(legacy.ok && legacy.value.recordTrade(D("-200"))?.reason).toBe("WEEKLY_LOSS_PCT");
  });
});

describe("portfolio VaR input", () => {
  it("keeps the last figure in the status and the snapshot, reads a snapshot written before it existed, and forgets it on reset", () => {
    const { clock, breaker } = setup({ maxPortfolioVarPct: 8 });
    breaker.updateEquity(D("10000"));
    expect(breaker.updatePortfolioVar(6.25)).toBeNull();
    expect(breaker.status().portfolioVarPct).toBe(6.25);
    const snapshot = breaker.toSnapshot();
    const restored = CircuitBreaker.fromSnapshot(snapshot, { ...ALL_OFF, maxPortfolioVarPct: 6 }, clock);
    expect(restored.ok && restored.value.checkAndTrip()?.reason).toBe("PORTFOLIO_VAR_PCT");
    const { portfolioVarPct: _v, ...old } = snapshot;
    const legacy = CircuitBreaker.fromSnapshot(old, { ...ALL_OFF, maxPortfolioVarPct: 6 }, clock);
    expect(legacy.ok && legacy.value.status().portfolioVarPct).toBeNull();
    expect(legacy.ok && legacy.value.checkAndTrip()).toBeNull();
    expect(breaker.updatePortfolioVar(9)?.reason).toBe("PORTFOLIO_VAR_PCT");
    expect(breaker.reset({ manual: true, by: "alice", reason: "halved the book" }).ok).toBe(true);
    expect(breaker.status().portfolioVarPct).toBeNull();
    expect(breaker.updatePortfolioVar(9)?.reason).toBe("PORTFOLIO_VAR_PCT"); // still above: the next figure trips again
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("refuses %s as a programming error", (value) => {
    const { breaker } = setup({ maxPortfolioVarPct: 8 });
    expect(() => breaker.updatePortfolioVar(value)).toThrow(TypeError);
  });
});

describe("no double trip", () => {
  it("further breaches, checks and a manual trip while OPEN add no trip", () => {
    const { breaker } = setup({ maxConsecutiveErrors: 1, maxConsecutiveLosses: 1 });
    const first = breaker.recordError();
    expect(first?.reason).toBe("CONSECUTIVE_ERRORS");

    expect(breaker.recordError()).toBeNull();
    expect(breaker.recordTrade(D("-5"))).toBeNull();
    expect(breaker.checkAndTrip()).toBeNull();
    expect(breaker.tick().trip).toBeNull();
    const manual = breaker.trip("stop everything", "alice");
    expect(manual.ok).toBe(false);
    if (!manual.ok) {
      expect(manual.error.code).toBe("ALREADY_TRIPPED");
      expect(manual.error.message).toBe("The circuit breaker is already tripped (CONSECUTIVE_ERRORS, by system at 2024-01-15T12:00:00.000Z).");
    }

    const status = breaker.status();
    expect(status.reason).toBe("CONSECUTIVE_ERRORS");
    expect(status.history.filter((e) => e.kind === "TRIP")).toHaveLength(1);
    // Counters keep counting while OPEN, for the status view.
    expect(status.consecutiveErrors).toBe(2);
    expect(status.consecutiveLosses).toBe(1);
  });
});

describe("daily PnL and the UTC day", () => {
  it("resets at UTC midnight; the new day starts from the last known equity", () => {
    const { clock, breaker } = setup({ maxDailyLossAbs: 500, maxDailyLossPct: 4.5 }, Date.UTC(2024, 0, 15, 23, 59, 0));
    breaker.updateEquity(D("10000"));
    expect(breaker.recordTrade(D("-400"))).toBeNull();
    breaker.updateEquity(D("9600"));
    clock.advance(59_999); // 23:59:59.999, still the same day
    expect(breaker.status().dailyPnl.toString()).toBe("-400");
    expect(breaker.status().dailyLossPct?.toString()).toBe("4");

    clock.advance(1); // 00:00:00.000
    const status = breaker.status();
    expect(status.dailyPnl.toString()).toBe("0");
    expect(status.dayStartEquity?.toString()).toBe("9600");
    expect(status.dailyLossPct?.toString()).toBe("0");

    expect(breaker.recordTrade(D("-400"))).toBeNull(); // −800 over two days, −400 today
    expect(breaker.status().dailyPnl.toString()).toBe("-400");
    // 432 of 9600 is exactly 4.5 %: the % limit uses the new day's start equity.
    const trip = breaker.recordTrade(D("-32"));
    expect(trip?.reason).toBe("DAILY_LOSS_PCT");
    expect(trip?.message).toBe("Daily loss of 4.5% (realized PnL -432 on day-start equity 9600) reached the 4.5% limit.");
  });

  it("a profitable day reports a 0 % loss and only a negative day PnL counts as loss", () => {
    const { breaker } = setup({ maxDailyLossAbs: 100 });
    breaker.updateEquity(D("1000"));
    breaker.recordTrade(D("250"));
    expect(breaker.recordTrade(D("-300"))).toBeNull(); // day PnL −50
    expect(breaker.status().dailyPnl.toString()).toBe("-50");
    expect(breaker.status().dailyLossPct?.toString()).toBe("5");
    breaker.recordTrade(D("80"));
    expect(breaker.status().dailyLossPct?.toString()).toBe("0");
  });

  it("without a reported equity the % limit cannot be measured and does not trip", () => {
    const { breaker } = setup({ maxDailyLossPct: 1 });
    expect(breaker.recordTrade(D("-1000000"))).toBeNull();
    expect(breaker.status().dailyLossPct).toBeNull();
  });
});

describe("consecutive losses", () => {
  it.each([
    { pnls: ["-1", "-1"], streak: 2 },
    { pnls: ["-1", "0", "-1"], streak: 2 }, // a scratch neither extends nor ends the streak
    { pnls: ["-1", "-1", "0.01"], streak: 0 },
    { pnls: ["-1", "5", "-1"], streak: 1 },
    { pnls: ["0", "0"], streak: 0 },
  ])("$pnls → streak $streak", ({ pnls, streak }) => {
    const { breaker } = setup({ maxConsecutiveLosses: 3 });
    for (const pnl of pnls) expect(breaker.recordTrade(D(pnl))).toBeNull();
    expect(breaker.status().consecutiveLosses).toBe(streak);
  });
});

describe("order-rate sliding windows", () => {
  it.each([
    { gapMs: 61_000, minute: 4, trips: false },
    { gapMs: 60_000, minute: 4, trips: false }, // exactly 60 s old: out of the window
    { gapMs: 59_999, minute: 5, trips: true },
  ])("an order $gapMs ms old (minute count $minute)", ({ gapMs, minute, trips }) => {
    const { clock, breaker } = setup({ maxOrdersPerMinute: 5 });
    expect(breaker.recordOrder()).toBeNull();
    clock.advance(gapMs);
    for (let i = 0; i < 3; i++) expect(breaker.recordOrder()).toBeNull();
    const last = breaker.recordOrder();
    expect(last?.reason ?? null).toBe(trips ? "ORDER_RATE_MINUTE" : null);
    expect(breaker.status().ordersLastMinute).toBe(minute);
    expect(breaker.status().ordersLastHour).toBe(5);
  });

  it("keeps only the last hour of timestamps", () => {
    const { clock, breaker } = setup({ maxOrdersPerHour: 3 });
    breaker.recordOrder();
    breaker.recordOrder();
    clock.advance(HOUR_MS - 1);
    expect(breaker.status().ordersLastHour).toBe(2);
    clock.advance(1);
    expect(breaker.status().ordersLastHour).toBe(0);
    expect(breaker.recordOrder()).toBeNull();
    expect(breaker.toSnapshot().orderTimes).toEqual([T0 + HOUR_MS]);
  });
});

describe("consecutive errors", () => {
  it("a success ends the error streak", () => {
    const { breaker } = setup({ maxConsecutiveErrors: 3 });
    expect(breaker.recordError()).toBeNull();
    expect(breaker.recordError()).toBeNull();
    expect(breaker.recordSuccess()).toBeNull();
    expect(breaker.status().consecutiveErrors).toBe(0);
    expect(breaker.recordError()).toBeNull();
    expect(breaker.recordError()).toBeNull();
    expect(breaker.recordError()?.reason).toBe("CONSECUTIVE_ERRORS");
  });
});

describe("drawdown from peak", () => {
  it("follows a new peak", () => {
    const { breaker } = setup({ maxDrawdownPct: 10 });
    expect(breaker.updateEquity(D("10000"))).toBeNull();
    expect(breaker.updateEquity(D("9500"))).toBeNull();
    expect(breaker.status().drawdownPct?.toString()).toBe("5");
    expect(breaker.updateEquity(D("11000"))).toBeNull(); // new peak
    let status = breaker.status();
    expect(status.peakEquity?.toString()).toBe("11000");
    expect(status.drawdownAbs.toString()).toBe("0");
    expect(breaker.updateEquity(D("10000"))).toBeNull(); // 1000 of 11000 ≈ 9.09 %
    status = breaker.status();
    expect(status.drawdownAbs.toString()).toBe("1000");
    expect(status.drawdownPct?.toDecimalPlaces(4).toString()).toBe("9.0909");
    const trip = breaker.updateEquity(D("9900"));
    expect(trip?.message).toBe("Drawdown of 10% from peak equity 11000 (equity 9900) reached the 10% limit.");
  });

  it("rounds the % in the message to 2 decimals but compares exactly", () => {
    const { breaker } = setup({ maxDrawdownPct: 33.33 });
    breaker.updateEquity(D("3"));
    expect(breaker.updateEquity(D("2.00011"))).toBeNull(); // 33.3296… %: just below
    expect(breaker.status().drawdownPct?.toDecimalPlaces(4).toString()).toBe("33.3297");
    const trip = breaker.updateEquity(D("2"));
    expect(trip?.message).toBe("Drawdown of 33.33% from peak equity 3 (equity 2) reached the 33.33% limit.");
  });
});

describe("manual trip", () => {
  it("trips with the person's reason and never resets by itself", () => {
    const { clock, breaker } = setup({ requireManualReset: false, autoResetAfterMinutes: 1 });
    const tripped = breaker.trip("  exchange outage  ", "alice");
    expect(tripped).toEqual({
      ok: true,
      value: { reason: "MANUAL", message: "Tripped manually by alice: exchange outage", action: "HALT_CANCEL", trippedAt: T0, by: "alice" },
    });
    expect(breaker.tradingState).toBe("HALTED");
    expect(breaker.status().resetsAt).toBeNull();
    clock.advance(HOUR_MS);
    expect(breaker.tick()).toEqual({ reset: null, trip: null });
    expect(breaker.state).toBe("OPEN");
    const auto = breaker.reset({ manual: false, by: "system", reason: "" });
    expect(!auto.ok && auto.error.code).toBe("MANUAL_RESET_REQUIRED");
  });

  it.each([
    { reason: "", by: "alice", code: "TRIP_REASON_REQUIRED" },
    { reason: "   ", by: "alice", code: "TRIP_REASON_REQUIRED" },
    { reason: "outage", by: " ", code: "TRIP_USER_REQUIRED" },
  ])("refuses reason=$reason by=$by", ({ reason, by, code }) => {
    const { breaker } = setup({});
    const result = breaker.trip(reason, by);
    expect(!result.ok && result.error.code).toBe(code);
    expect(breaker.state).toBe("CLOSED");
  });
});

describe("reset", () => {
  it("refuses when not tripped", () => {
    const { breaker } = setup({});
    const result = breaker.reset({ manual: true, by: "alice", reason: "why not" });
    expect(result).toEqual({ ok: false, error: { code: "NOT_TRIPPED", message: "The circuit breaker is not tripped; there is nothing to reset." } });
  });

  it.each([
    { by: "alice", reason: "", code: "RESET_REASON_REQUIRED" },
    { by: "alice", reason: "  ", code: "RESET_REASON_REQUIRED" },
    { by: "", reason: "checked", code: "RESET_USER_REQUIRED" },
  ])("a manual reset needs a person and a reason (by=$by reason=$reason)", ({ by, reason, code }) => {
    const { breaker } = setup({ maxConsecutiveErrors: 1 });
    tripOnErrors(breaker);
    const result = breaker.reset({ manual: true, by, reason });
    expect(!result.ok && result.error.code).toBe(code);
    expect(breaker.state).toBe("OPEN");
  });

  it("a manual reset closes the breaker and is recorded", () => {
    const { clock, breaker } = setup({ maxConsecutiveErrors: 1 });
    tripOnErrors(breaker);
    clock.advance(5 * MINUTE_MS);
    const result = breaker.reset({ manual: true, by: "alice", reason: " venue back up " });
    const entry = {
      kind: "RESET",
      at: T0 + 5 * MINUTE_MS,
      by: "alice",
      reason: "venue back up",
      manual: true,
      forced: false,
      trippedReason: "CONSECUTIVE_ERRORS",
    };
    expect(result).toEqual({ ok: true, value: entry });
    const status = breaker.status();
    expect(status.state).toBe("CLOSED");
    expect(status.tradingState).toBe("ACTIVE");
    expect(status.reason).toBeNull();
    expect(status.trippedAt).toBeNull();
    expect(status.history.map((e) => e.kind)).toEqual(["TRIP", "RESET"]);
    expect(status.history[1]).toEqual(entry);
  });

  it("re-bases daily PnL, peak equity and streaks to the moment of the reset", () => {
    const { breaker } = setup({ maxDrawdownAbs: 1000 });
    breaker.updateEquity(D("10000"));
    breaker.recordTrade(D("-600"));
    breaker.recordTrade(D("-600"));
    breaker.recordOrder();
    breaker.recordError();
    expect(breaker.updateEquity(D("8800"))?.reason).toBe("DRAWDOWN_ABS");
    expect(breaker.reset({ manual: true, by: "alice", reason: "reviewed" }).ok).toBe(true);
    const s = breaker.status();
    expect([s.dailyPnl, s.dayStartEquity, s.peakEquity, s.equity, s.drawdownAbs].map((d) => d?.toString())).toEqual(["0", "8800", "8800", "8800", "0"]);
    expect([s.consecutiveLosses, s.consecutiveErrors, s.ordersLastMinute, s.ordersLastHour]).toEqual([0, 0, 0, 0]);
    // The drawdown limit now counts from 8800.
    expect(breaker.updateEquity(D("7800.01"))).toBeNull();
    expect(breaker.updateEquity(D("7800"))?.reason).toBe("DRAWDOWN_ABS");
  });

  it("requireManualReset refuses an automatic reset", () => {
    const { clock, breaker } = setup({ maxConsecutiveErrors: 1, requireManualReset: true, autoResetAfterMinutes: 5 });
    tripOnErrors(breaker);
    expect(breaker.status().resetsAt).toBeNull();
    clock.advance(HOUR_MS);
    expect(breaker.tick()).toEqual({ reset: null, trip: null });
    expect(breaker.reset({ manual: false, by: "system", reason: "" })).toEqual({
      ok: false,
      error: {
        code: "MANUAL_RESET_REQUIRED",
        message: "The breaker is set to require a manual reset: an admin must reset it with a reason.",
      },
    });
    expect(breaker.state).toBe("OPEN");
  });

  it("an automatic reset needs autoResetAfterMinutes", () => {
    const { clock, breaker } = setup({ maxConsecutiveErrors: 1, requireManualReset: false, autoResetAfterMinutes: null });
    tripOnErrors(breaker);
    clock.advance(HOUR_MS);
    const result = breaker.reset({ manual: false, by: "system", reason: "" });
    expect(!result.ok && result.error.code).toBe("AUTO_RESET_DISABLED");
    expect(breaker.tick().reset).toBeNull();
  });

  it("only a person may force", () => {
    const { breaker } = setup({ maxConsecutiveErrors: 1, requireManualReset: false, autoResetAfterMinutes: 1 });
    tripOnErrors(breaker);
    const result = breaker.reset({ manual: false, by: "system", reason: "", force: true });
    expect(!result.ok && result.error.code).toBe("FORCE_REQUIRES_MANUAL");
  });
});

describe("automatic reset", () => {
  it("tick() resets N minutes after the trip, and reports it", () => {
    const { clock, breaker } = setup({ maxConsecutiveErrors: 2, requireManualReset: false, autoResetAfterMinutes: 5 });
    tripOnErrors(breaker);
    expect(breaker.status().resetsAt).toBe(T0 + 5 * MINUTE_MS);

    clock.advance(5 * MINUTE_MS - 1);
    expect(breaker.tick()).toEqual({ reset: null, trip: null });
    const early = breaker.reset({ manual: false, by: "system", reason: "" });
    expect(early).toEqual({
      ok: false,
      error: {
        code: "AUTO_RESET_NOT_DUE",
        message: "The automatic reset is due at 2024-01-15T12:05:00.000Z (1 s from now).",
        details: { resetsAt: T0 + 5 * MINUTE_MS },
      },
    });
    // Other mutating calls never reset: only tick() does, so the engine sees every change.
    clock.advance(1);
    expect(breaker.checkAndTrip()).toBeNull();
    expect(breaker.recordSuccess()).toBeNull();
    expect(breaker.state).toBe("OPEN");

    expect(breaker.tick()).toEqual({
      reset: {
        kind: "RESET",
        at: T0 + 5 * MINUTE_MS,
        by: "system",
        reason: "automatic reset 5 min after the trip",
        manual: false,
        forced: false,
        trippedReason: "CONSECUTIVE_ERRORS",
      },
      trip: null,
    });
    expect(breaker.state).toBe("CLOSED");
    expect(breaker.status().consecutiveErrors).toBe(0);
    expect(breaker.status().resetsAt).toBeNull();
    // A fresh streak is needed to trip again.
    expect(breaker.recordError()).toBeNull();
    expect(breaker.recordError()?.reason).toBe("CONSECUTIVE_ERRORS");
  });

  it("tick() after an auto reset does not re-trip on the drawdown seen while OPEN", () => {
    const { clock, breaker } = setup({ maxConsecutiveErrors: 1, maxDrawdownAbs: 100, requireManualReset: false, autoResetAfterMinutes: 1 });
    breaker.updateEquity(D("1000"));
    tripOnErrors(breaker);
    breaker.updateEquity(D("800")); // while OPEN: counted, no trip
    clock.advance(MINUTE_MS);
    // The reset re-bases the peak to 800, so the old drawdown does not re-trip.
    expect(breaker.tick().trip).toBeNull();
    expect(breaker.state).toBe("CLOSED");
  });
});

describe("cooldown", () => {
  it("refuses resets until cooldownMinutes after the trip, unless a person forces it", () => {
    const { clock, breaker } = setup({ maxConsecutiveErrors: 1, cooldownMinutes: 10 });
    tripOnErrors(breaker);
    clock.advance(5 * MINUTE_MS);
    expect(breaker.status().cooldownRemainingMs).toBe(5 * MINUTE_MS);
    const refused = breaker.reset({ manual: true, by: "alice", reason: "looks fine" });
    expect(refused).toEqual({
      ok: false,
      error: {
        code: "COOLDOWN_ACTIVE",
        message: "The breaker tripped 5 min ago and stays tripped for 10 min after a trip (5 min left). An admin can force the reset with a reason.",
        details: { cooldownRemainingMs: 5 * MINUTE_MS },
      },
    });
    const forcedWithoutReason = breaker.reset({ manual: true, by: "alice", reason: "", force: true });
    expect(!forcedWithoutReason.ok && forcedWithoutReason.error.code).toBe("RESET_REASON_REQUIRED");

    const forced = breaker.reset({ manual: true, by: "alice", reason: "false alarm", force: true });
    expect(forced.ok && forced.value.forced).toBe(true);
    expect(breaker.state).toBe("CLOSED");
    expect(breaker.status().cooldownRemainingMs).toBe(0);
  });

  it("allows a plain reset once the cooldown has elapsed; force is then not recorded as forced", () => {
    const { clock, breaker } = setup({ maxConsecutiveErrors: 1, cooldownMinutes: 10 });
    tripOnErrors(breaker);
    clock.advance(10 * MINUTE_MS);
    expect(breaker.status().cooldownRemainingMs).toBe(0);
    const result = breaker.reset({ manual: true, by: "alice", reason: "ok", force: true });
    expect(result.ok && result.value.forced).toBe(false);
  });

  it("delays the automatic reset to the end of the cooldown", () => {
    const { clock, breaker } = setup({ maxConsecutiveErrors: 1, cooldownMinutes: 10, requireManualReset: false, autoResetAfterMinutes: 5 });
    tripOnErrors(breaker);
    expect(breaker.status().resetsAt).toBe(T0 + 10 * MINUTE_MS);
    clock.advance(7 * MINUTE_MS);
    expect(breaker.tick().reset).toBeNull();
    const auto = breaker.reset({ manual: false, by: "system", reason: "" });
    expect(!auto.ok && auto.error.code).toBe("COOLDOWN_ACTIVE");
    clock.advance(3 * MINUTE_MS);
    expect(breaker.tick().reset?.manual).toBe(false);
  });

  it("applies to manual trips too", () => {
    const { clock, breaker } = setup({ cooldownMinutes: 1 });
    expect(breaker.trip("test", "bob").ok).toBe(true);
    clock.advance(30_000);
    const result = breaker.reset({ manual: true, by: "bob", reason: "done" });
    expect(!result.ok && result.error.message).toBe(
      "The breaker tripped 30 s ago and stays tripped for 1 min after a trip (30 s left). An admin can force the reset with a reason.",
    );
  });
});

describe("snapshot", () => {
  it("round-trips an OPEN breaker through JSON: still tripped after a restart", () => {
    const config = { maxConsecutiveLosses: 3, maxConsecutiveErrors: 2, tripAction: "HALT_CANCEL_FLATTEN" } as const;
    const { clock, breaker } = setup(config);
    breaker.updateEquity(D("10000.5"));
    breaker.recordTrade(D("-12.25"));
    breaker.recordOrder();
    const trip = tripOnErrors(breaker);
    clock.advance(MINUTE_MS);

    const json = JSON.stringify(breaker.toSnapshot());
    const restartedClock = new ManualClock(clock.now());
    const restored = CircuitBreaker.fromSnapshot(JSON.parse(json), { ...ALL_OFF, ...config }, restartedClock);
    expect(restored.ok).toBe(true);
    if (!restored.ok) return;
    const again = restored.value;
    expect(again.state).toBe("OPEN");
    expect(again.tradingState).toBe("HALTED");
    expect(again.toSnapshot()).toEqual(breaker.toSnapshot());

    const status = again.status();
    expect(status.reason).toBe("CONSECUTIVE_ERRORS");
    expect(status.message).toBe(trip.message);
    expect(status.action).toBe("HALT_CANCEL_FLATTEN");
    expect(status.trippedAt).toBe(T0);
    expect(status.dailyPnl.toString()).toBe("-12.25");
    expect(status.peakEquity?.toString()).toBe("10000.5");
    expect(status.consecutiveLosses).toBe(1);
    expect(status.ordersLastHour).toBe(1);
    expect(status.history).toEqual(breaker.status().history);

    expect(again.tick()).toEqual({ reset: null, trip: null });
    const noReason = again.reset({ manual: true, by: "alice", reason: "" });
    expect(!noReason.ok && noReason.error.code).toBe("RESET_REASON_REQUIRED");
    expect(again.reset({ manual: true, by: "alice", reason: "restarted and checked" }).ok).toBe(true);
  });

  it("keeps counting from where it was", () => {
    const { clock, breaker } = setup({ maxConsecutiveLosses: 3 });
    breaker.recordTrade(D("-1"));
    breaker.recordTrade(D("-1"));
    const restored = CircuitBreaker.fromSnapshot(breaker.toSnapshot(), { ...ALL_OFF, maxConsecutiveLosses: 3 }, clock);
    expect(restored.ok && restored.value.recordTrade(D("-1"))?.reason).toBe("CONSECUTIVE_LOSSES");
  });

  it.each([
    { name: "wrong version", patch: { version: 2 } },
    { name: "bad decimal", patch: { dailyPnl: "abc" } },
    { name: "OPEN without a trip", patch: { state: "OPEN" } },
    { name: "negative count", patch: { consecutiveErrors: -1 } },
  ])("refuses an unreadable snapshot: $name", ({ patch }) => {
    const { clock, breaker } = setup({});
    const result = CircuitBreaker.fromSnapshot({ ...breaker.toSnapshot(), ...patch }, {}, clock);
    expect(!result.ok && result.error.code).toBe("INVALID_SNAPSHOT");
  });

  it("refuses an invalid config on restore", () => {
    const { clock, breaker } = setup({});
    const result = CircuitBreaker.fromSnapshot(breaker.toSnapshot(), { maxDrawdownPct: 101 }, clock);
    expect(!result.ok && result.error.code).toBe("INVALID_BREAKER_CONFIG");
  });
});

describe("history", () => {
  it(`keeps the last ${HISTORY_LIMIT} trips and resets`, () => {
    const { clock, breaker } = setup({ maxConsecutiveErrors: 1 });
    for (let i = 0; i < 60; i++) {
      tripOnErrors(breaker);
      clock.advance(1000);
      expect(breaker.reset({ manual: true, by: "alice", reason: `cycle ${i}` }).ok).toBe(true);
    }
    const history = breaker.status().history;
    expect(history).toHaveLength(HISTORY_LIMIT);
    // 120 entries recorded; the first 20 (cycles 0–9) were dropped.
    expect(history[0]).toMatchObject({ kind: "TRIP", at: T0 + 10_000 });
    expect(history[1]).toMatchObject({ kind: "RESET", reason: "cycle 10" });
    expect(history.at(-1)).toMatchObject({ kind: "RESET", reason: "cycle 59" });
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0 s"],
    [999, "1 s"],
    [45_000, "45 s"],
    [270_000, "4 min 30 s"],
    [HOUR_MS + 5 * MINUTE_MS, "1 h 5 min"],
  ])("%i ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

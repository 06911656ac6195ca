import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { HOUR_MS, ManualClock } from "../clock";
import { D } from "../money";
import { CircuitBreaker } from "./breaker";
import { type BreakerConfig, breakerConfigSchema } from "./config";
import { type BreakerStatus, type BreakerTrip } from "./types";

const T0 = Date.UTC(2024, 0, 15, 20, 0, 0);

const configArb = fc
  .record({
    maxDailyLossPct: fc.option(fc.integer({ min: 1, max: 10 })),
    maxDailyLossAbs: fc.option(fc.integer({ min: 100, max: 2000 })),
    maxDrawdownPct: fc.option(fc.integer({ min: 1, max: 20 })),
    maxDrawdownAbs: fc.option(fc.integer({ min: 100, max: 2000 })),
    maxConsecutiveLosses: fc.option(fc.integer({ min: 1, max: 5 })),
    maxOrdersPerMinute: fc.option(fc.integer({ min: 1, max: 8 })),
    maxOrdersPerHour: fc.option(fc.integer({ min: 1, max: 30 })),
    maxConsecutiveErrors: fc.option(fc.integer({ min: 1, max: 5 })),
    autoResetAfterMinutes: fc.option(fc.integer({ min: 1, max: 60 })),
    requireManualReset: fc.boolean(),
    cooldownMinutes: fc.integer({ min: 0, max: 30 }),
  })
  .map((c) => breakerConfigSchema.parse(c));

const opArb = fc.oneof(
  fc.record({ kind: fc.constant("trade" as const), cents: fc.integer({ min: -60_000, max: 40_000 }) }),
  fc.record({ kind: fc.constant("equity" as const), cents: fc.integer({ min: 500_000, max: 1_500_000 }) }),
  fc.constant({ kind: "order" as const }),
  fc.constant({ kind: "error" as const }),
  fc.constant({ kind: "success" as const }),
  fc.constant({ kind: "tick" as const }),
  fc.constant({ kind: "reset" as const }),
  fc.constant({ kind: "manualTrip" as const }),
  fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 3 * HOUR_MS }) }),
);

/** Recomputes from the status whether any enabled limit is reached. */
function breached(config: BreakerConfig, s: BreakerStatus): boolean {
  return (
    (config.maxDailyLossPct !== null && s.dailyLossPct !== null && s.dailyLossPct.greaterThanOrEqualTo(config.maxDailyLossPct)) ||
    (config.maxDailyLossAbs !== null && s.dailyPnl.lessThanOrEqualTo(-config.maxDailyLossAbs)) ||
    (config.maxDrawdownPct !== null && s.drawdownPct !== null && s.drawdownPct.greaterThanOrEqualTo(config.maxDrawdownPct)) ||
    (config.maxDrawdownAbs !== null && s.drawdownAbs.greaterThanOrEqualTo(config.maxDrawdownAbs)) ||
    (config.maxConsecutiveLosses !== null && s.consecutiveLosses >= config.maxConsecutiveLosses) ||
    (config.maxOrdersPerMinute !== null && s.ordersLastMinute >= config.maxOrdersPerMinute) ||
    (config.maxOrdersPerHour !== null && s.ordersLastHour >= config.maxOrdersPerHour) ||
    (config.maxConsecutiveErrors !== null && s.consecutiveErrors >= config.maxConsecutiveErrors)
  );
}

describe("breaker properties", () => {
  it("never reports CLOSED after checkAndTrip while a limit is breached, and trips once per latch", () => {
    fc.assert(
      // At most 2 history entries per op, so 45 ops stay under HISTORY_LIMIT.
      fc.property(configArb, fc.array(opArb, { maxLength: 45 }), (config, ops) => {
        const clock = new ManualClock(T0);
        const breaker = new CircuitBreaker(config, clock);
        let trips = 0;
        let resets = 0;
        const count = (trip: BreakerTrip | null, wasOpen: boolean) => {
          if (trip === null) return;
          expect(wasOpen).toBe(false); // a trip only ever comes from a CLOSED breaker
          trips += 1;
        };

        for (const op of ops) {
          const wasOpen = breaker.state === "OPEN";
          switch (op.kind) {
            case "trade":
              count(breaker.recordTrade(D(op.cents).dividedBy(100)), wasOpen);
              break;
            case "equity":
              count(breaker.updateEquity(D(op.cents).dividedBy(100)), wasOpen);
              break;
            case "order":
              count(breaker.recordOrder(), wasOpen);
              break;
            case "error":
              count(breaker.recordError(), wasOpen);
              break;
            case "success":
              count(breaker.recordSuccess(), wasOpen);
              break;
            case "tick": {
              const outcome = breaker.tick();
              if (outcome.reset !== null) resets += 1;
              count(outcome.trip, wasOpen && outcome.reset === null);
              break;
            }
            case "reset":
              if (breaker.reset({ manual: true, by: "alice", reason: "property test", force: true }).ok) resets += 1;
              break;
            case "manualTrip": {
              const result = breaker.trip("property test", "bob");
              expect(result.ok).toBe(!wasOpen);
              if (result.ok) trips += 1;
              break;
            }
            case "wait":
              clock.advance(op.ms);
              break;
          }
          count(breaker.checkAndTrip(), breaker.state === "OPEN");

          const status = breaker.status();
          if (breached(config, status)) expect(status.state).toBe("OPEN");
          expect(status.tradingState).toBe(status.state === "OPEN" ? "HALTED" : "ACTIVE");
          expect(trips - resets).toBe(status.state === "OPEN" ? 1 : 0);
          expect(status.history.filter((e) => e.kind === "TRIP")).toHaveLength(trips);
          expect(status.drawdownAbs.isNegative()).toBe(false);
        }

        // The snapshot restores the same state.
        const restored = CircuitBreaker.fromSnapshot(JSON.parse(JSON.stringify(breaker.toSnapshot())), config, clock);
        expect(restored.ok && restored.value.toSnapshot()).toEqual(breaker.toSnapshot());
      }),
      { numRuns: 300, seed: 20240115 },
    );
  });
});

/**
 * What the in-process LIVE engine tests share (live, multi-venue live, emergency lane, orders in doubt): the engine as
 * they build it on the wall clock (the test exchanges and ccxt run on real time), ResilientVenue's options around a
 * CcxtVenue, and two ways to wait for what the exchange answers — on the engine's events, or by polling a condition.
 */
import { timeOrderedIds } from "../server/core/ids";
import { seededRng } from "../server/core/rng";
import { type Venue } from "../server/venues/venue";
import { Engine, type EngineOptions } from "../server/engine/engine";
import { ResilientVenue, type ResilienceOptions } from "../server/engine/resilient-venue";
import type { RiskLimitsSettings } from "../server/engine/settings";
import type { SymbolSettingsInput } from "../server/engine/settings";

/** The wall clock: the test servers and ccxt answer in real time. */
export const wallClock = { now: () => Date.now() };

/** Limits wide enough that the gate stays out of the way of what the tests place. */
export const LIVE_RISK_LIMITS: RiskLimitsSettings = {
  maxOpenPositions: 10,
  maxPortfolioExposurePct: 100,
  minNotional: "5",
  maxOrdersPerMinute: 1_000,
  maxSymbolExposurePct: 100,
};

/** Every symbol sized at `fraction` of equity, no exits. */
export function liveSymbolSettings(fraction: number): SymbolSettingsInput {
  return { minConfidence: 0.5, sizing: { method: "fixed_fraction", fraction }, stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null };
}

/** An engine on the wall clock with 100 000 of equity, a breaker that never trips on the tests' order rates, and the wide limits. */
export function liveEngine(options: Omit<EngineOptions, "clock" | "ids" | "initialEquity"> & Partial<Pick<EngineOptions, "ids">>): Engine {
  const rng = seededRng(2);
  return new Engine({
    clock: wallClock,
    ids: timeOrderedIds(
      () => Date.now(),
      () => rng.next(),
    ),
    initialEquity: "100000",
    breaker: { maxOrdersPerMinute: 1_000, maxOrdersPerHour: 10_000 },
    riskLimits: LIVE_RISK_LIMITS,
    ...options,
  });
}

/**
 * The chaos and crash desks' guards: a breaker that trips only on a 90 % loss and no order-rate limit (the faults and
 * the kills are under test, not the guards), each entry 0.4 % of equity.
 */
export const STRESS_DESK = {
  breaker: {
    maxOrdersPerMinute: null,
    maxOrdersPerHour: null,
    maxConsecutiveErrors: null,
    maxConsecutiveLosses: null,
    maxDailyLossPct: 90,
    maxDrawdownPct: 90,
  },
  riskLimits: { ...LIVE_RISK_LIMITS, maxOrdersPerMinute: 1_000_000 },
  defaultSymbolSettings: liveSymbolSettings(0.004),
} satisfies Partial<EngineOptions>;

/**
 * ResilientVenue around a live venue on the wall clock (real timers unless given), a seeded jitter, and — when `engine`
 * is given — the venue's errors and successes reported to that engine once it exists.
 */
export function liveResilient(
  venue: Venue,
  options: Pick<ResilienceOptions, "maxAttempts" | "baseDelayMs" | "maxDelayMs"> &
    Partial<Pick<ResilienceOptions, "ratePerSecond" | "burst" | "timers" | "rng">> & { engine?: () => Engine | null },
): ResilientVenue {
  const { engine, ...resilience } = options;
  return new ResilientVenue(venue, {
    ratePerSecond: 100,
    burst: 100,
    now: () => Date.now(),
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms) },
    rng: seededRng(1),
    ...resilience,
    ...(engine && { onError: () => engine()?.noteVenueError(), onSuccess: () => engine()?.noteVenueSuccess() }),
  });
}

/**
 * Waits re-checked on the engines' events (orders, fills, positions, the emergency, marks are when what a test waits
 * for changes): no deadline of their own (on a busy machine the exchange's answers are slow, not missing; the test
 * runner's timeout is the backstop). `waitingFor` names the wait still pending, for the failure message.
 */
export class EngineWaits {
  private readonly rechecks = new Set<() => void>();
  waitingFor: string | null = null;

  /** Re-checks the pending waits after each of the bus's events (on the next turn: once the event's command finished). */
  watch(bus: Engine["bus"]): void {
    bus.subscribe(() => setImmediate(() => this.rechecks.forEach((check) => check())));
  }

  /** Resolves with the probe's value once it is truthy. */
  waitFor<T>(what: string, probe: () => T | null | undefined | false): Promise<T> {
    const first = probe();
    if (first) return Promise.resolve(first);
    this.waitingFor = what;
    return new Promise((resolve) => {
      const check = () => {
        const value = probe();
        if (!value) return;
        this.rechecks.delete(check);
        this.waitingFor = null;
        resolve(value);
      };
      this.rechecks.add(check);
    });
  }

  /** Forgets every pending wait (after a test). */
  clear(): void {
    this.rechecks.clear();
    this.waitingFor = null;
  }
}

/** Polls the probe every 10 ms until it is truthy, or fails after `timeoutMs` naming what it waited for. */
export async function pollFor<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

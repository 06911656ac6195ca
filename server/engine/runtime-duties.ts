/**
 * The runtime's periodic duties once the desk runs: breaker ticks and venue time, scheduled reconciliation (LIVE),
 * equity snapshots, marks pushed to the dashboard, and connectivity and limit-order timeouts for the alert center.
 * The timers never keep the process alive (unref) and stop together.
 */
import "server-only";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Venue } from "../venues/venue";
import type { DeskAlerts } from "./alerts";
import type { EventBus } from "./bus";
import type { Engine } from "./engine";
import { log } from "./runtime-base";
import type { FeedStatusView } from "./runtime-feeds";

export interface DutiesOptions {
  engine: Engine;
  venue: Venue;
  bus: EventBus;
  alerts: DeskAlerts;
  feedStatus: () => FeedStatusView;
  /** LIVE: reconciliation on a schedule, every `reconcileMs`. */
  isLive: boolean;
  reconcileMs: number;
  /** True once the runtime is stopping: a scheduled reconciliation is not begun then. */
  stopped: () => boolean;
}

/** Starts the duties; `stop` clears every timer. */
export function startDuties(options: DutiesOptions): { stop: () => void } {
  const { engine, venue, bus, alerts, feedStatus } = options;
  const timers: ReturnType<typeof setInterval>[] = [];
  const every = (ms: number, fn: () => void) => {
    const t = setInterval(fn, ms);
    t.unref?.();
    timers.push(t);
  };
  // The system-overload protection's event-loop lag: the 99th percentile of the loop's delay since the last tick.
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  every(2_000, () => {
    const eventLoopLagMs = loopDelay.count > 0 ? loopDelay.percentile(99) / 1e6 : 0;
    loopDelay.reset();
    void engine.tick({ eventLoopLagMs }).catch((e: unknown) => log("error", `tick: ${String(e)}`));
  });
  if (options.isLive) {
    // Reconciliation on a schedule: missed fills booked, unknown orders shown, every drift recorded.
    let reconciling = false;
    every(options.reconcileMs, () => {
      if (reconciling || options.stopped()) return;
      reconciling = true;
      engine
        .reconcile({ graceMs: 30_000 })
        .then((n) => {
          if (n > 0) log("warn", `scheduled reconciliation with ${venue.id}: ${n} difference(s) recorded`);
        })
        .catch((e: unknown) => {
          const message = `scheduled reconciliation with ${venue.id} failed: ${e instanceof Error ? e.message : String(e)}`;
          log("error", message);
          bus.publish({ type: "alert", level: "warn", message: `Reconciliation: ${message}` });
        })
        .finally(() => {
          reconciling = false;
        });
    });
  }
  every(30_000, () => void engine.run(() => engine.recordEquity("schedule")).catch((e: unknown) => log("error", `equity: ${String(e)}`)));
  // Marks move every tick; the dashboard hears about them at most every 2 s (pushed, not polled).
  let lastMarks = "";
  every(2_000, () => {
    const marks = engine.lastPrices();
    const text = JSON.stringify(marks);
    if (text !== lastMarks) {
      lastMarks = text;
      bus.publish({ type: "marks", marks });
    }
  });
  // Connectivity and limit-order timeouts for the alert center.
  every(2_000, () => {
    const feed = feedStatus();
    alerts.connectivity("market data", feed.connected, feed.message);
    // Each venue on its own (a desk with several): one that is down raises its own alert while the others trade on.
    for (const v of engine.venueStatuses()) alerts.connectivity(`venue ${v.id}`, v.connected, v.lastError ?? (v.connected ? "connected" : "not connected"));
    alerts.tick();
  });
  return {
    stop: () => {
      loopDelay.disable();
      for (const t of timers) clearInterval(t);
    },
  };
}

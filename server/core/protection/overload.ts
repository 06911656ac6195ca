/**
 * System overload: the event loop lags or the engine's queue is deeper than a bound — orders and cancels then
 * wait behind work the desk cannot keep up with.
 *
 * The runtime samples both (its own timer for the lag, the engine's queue length) and reports each sample.
 * Fires once per episode; a sample back under both bounds re-arms it.
 */
import { type SystemOverloadSettings } from "./settings";
import { type ProtectionFiring } from "./types";

export interface LoadSample {
  /** How late a timer fired, in ms. */
  eventLoopLagMs: number;
  /** Commands waiting in the engine's queue. */
  queueDepth: number;
}

export class SystemOverloadDetector {
  private isFiring = false;

  constructor(private readonly settings: SystemOverloadSettings) {}

  observe(sample: LoadSample, ts: number): ProtectionFiring | null {
    const rule = this.settings;
    const isLagging = sample.eventLoopLagMs >= rule.maxEventLoopLagMs;
    const isQueueDeep = sample.queueDepth >= rule.maxQueueDepth;
    if (!isLagging && !isQueueDeep) {
      this.isFiring = false;
      return null;
    }
    if (!rule.enabled || this.isFiring) return null;
    this.isFiring = true;
    const base = { rule: "SYSTEM_OVERLOAD" as const, scope: { kind: "desk" as const }, ts, action: rule.action, lockMinutes: null };
    return isLagging
      ? {
          ...base,
          message: `The event loop lagged ${Math.round(sample.eventLoopLagMs)} ms, reaching the ${rule.maxEventLoopLagMs} ms limit (queue depth ${sample.queueDepth}).`,
          measured: sample.eventLoopLagMs,
          bound: rule.maxEventLoopLagMs,
        }
      : {
          ...base,
          message: `${sample.queueDepth} commands wait in the engine's queue, reaching the limit of ${rule.maxQueueDepth}.`,
          measured: sample.queueDepth,
          bound: rule.maxQueueDepth,
        };
  }
}

/**
 * The operator's on/off choice per arbitrage pair: stored as engine state (in the transaction of its audit row), it
 * outlives a restart; the desk file's `enabled` only sets a pair never touched (or one whose choice names a pair the
 * desk file no longer has). It sets `enabled` on the room's pair configs, which the room reads.
 */
import type { ArbPairConfig } from "../core/algos/arbitrage";
import { PAIR_CHOICES_KEY, type PairChoice } from "./arbitrage-types";
import { done, fail, type EngineContext } from "./context";
import type { Actor, CommandResult } from "./types";

export class PairChoices {
  /** The desk file's `enabled` per pair: what a pair the operator never touched starts with. */
  private readonly deskEnabled = new Map<string, boolean>();
  /** The operator's last choice per pair, as stored (restored at start and on reload). */
  private choices: Record<string, PairChoice> = {};

  constructor(
    private readonly cx: EngineContext,
    private readonly pairs: ReadonlyMap<string, ArbPairConfig>,
  ) {
    for (const pair of pairs.values()) this.deskEnabled.set(pair.id, pair.enabled);
  }

  get all(): Record<string, PairChoice> {
    return this.choices;
  }

  /** The stored choices applied (a reload undoes one that did not commit). */
  restore(): void {
    this.choices = this.cx.store.getState<Record<string, PairChoice>>(PAIR_CHOICES_KEY) ?? {};
    for (const pair of this.pairs.values()) pair.enabled = this.choices[pair.id]?.enabled ?? this.deskEnabled.get(pair.id) ?? pair.enabled;
  }

  /** Turns a pair on or off (no new round trip while off; an open one finishes). */
  set(pairId: string, enabled: boolean, actor: Actor, reason: string | null): CommandResult {
    const pair = this.pairs.get(pairId);
    if (!pair) return fail("NOT_FOUND", `There is no arbitrage pair ${pairId}; the pairs are ${[...this.pairs.keys()].join(", ") || "none"}.`);
    if (pair.enabled === enabled) return done(`Pair ${pairId} is already ${enabled ? "enabled" : "disabled"}.`);
    const choices = { ...this.choices, [pairId]: { enabled, by: actor.username, at: this.cx.clock.now(), reason } };
    // Stored first: memory follows only what committed.
    this.cx.durably(() => this.cx.store.setState(PAIR_CHOICES_KEY, choices));
    this.choices = choices;
    pair.enabled = enabled;
    this.cx.log("info", `arbitrage pair ${pairId} ${enabled ? "enabled" : "disabled"} by ${actor.username}`);
    return done(`Pair ${pairId} ${enabled ? "enabled: it takes opportunities again" : "disabled: no new round trip (an open one finishes)"}.`, {
      pairId,
      enabled,
    });
  }
}

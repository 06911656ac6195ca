/**
 * Protections room: runs the pure detectors of core/protection on what the engine sees (market data, venue request
 * outcomes, closed trades, its own queue depth on the engine's tick) and applies each firing: the bus event, an alert,
 * and its action — a symbol or strategy lock kept in the LockBook, the desk-wide pause, or the emergency halt family.
 *
 * The risk gate asks `entryRefusal` before every new order that is not reduce-only: a locked symbol or strategy refuses
 * the entry with PROTECTION_LOCK, while exits and reduce-only closes always pass. The lock book and the recent firings
 * are kept in the store's state (key "protections"), so locks survive a restart; an admin lifts one with a reason
 * (audited by the engine's command). Event-loop lag is not sampled here: it cannot be measured with the engine's
 * injected clock (the runtime may feed `onLoad` samples itself later).
 */
import { LockBook, Protections, scopeLabel, type HeldSeries, type LoadSample, type ProtectionFiring, type ProtectionLock } from "../core/protection";
import type { ProtectionSettingsInput } from "../core/protection/settings";
import type { TradeRecord } from "../db/store";
import { done, fail, type EngineContext } from "./context";
import type { Actor, CommandResult } from "./types";

/** The store state key of the lock book and the recent firings. */
export const PROTECTIONS_STATE_KEY = "protections";
/** Firings kept for the Protections panel (newest last). */
export const RECENT_FIRINGS_LIMIT = 50;

interface StoredProtections {
  locks: unknown;
  firings: ProtectionFiring[];
}

export interface ProtectionsView {
  locks: ProtectionLock[];
  firings: ProtectionFiring[];
}

export class ProtectionsRoom {
  /** Null: protections are off (a backtest without them). */
  private readonly detectors: Protections | null;
  private book: LockBook;
  private firings: ProtectionFiring[] = [];

  constructor(
    private readonly cx: EngineContext,
    settings: ProtectionSettingsInput | null | undefined,
  ) {
    // Off unless asked for (the runtime always passes its settings; tests and tools that build an engine opt in).
    this.detectors = settings == null ? null : new Protections(settings);
    this.book = new LockBook(cx.ids);
  }

  get enabled(): boolean {
    return this.detectors !== null;
  }

  /** Locks and recent firings from the store (start, and after a store failure reloaded the books). */
  restore(): void {
    const stored = this.cx.store.getState<StoredProtections>(PROTECTIONS_STATE_KEY);
    if (!stored) return;
    const restored = LockBook.restore(stored.locks, this.cx.ids);
    if (restored.ok) this.book = restored.value;
    else {
      // Unreadable locks must not silently open the desk: entries are paused until a person looks.
      this.cx.log("error", restored.error.message);
      this.book = new LockBook(this.cx.ids);
      this.book.lock({ rule: "MANUAL", scope: { kind: "desk" }, since: this.cx.clock.now(), until: null, reason: restored.error.message });
    }
    this.firings = Array.isArray(stored.firings) ? stored.firings.slice(-RECENT_FIRINGS_LIMIT) : [];
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs (each called from inside the engine's queue)

  /**
   * `venue`: the venue the price came from on a desk with several (absent: for every venue, or a desk with one);
   * `reference`: whether it is the symbol's reference series (books.isReferencePrice), which volatility keeps to.
   */
  onPrice(symbol: string, price: number, now: number, source: { venue?: string; reference?: boolean } = {}): void {
    if (this.detectors) this.applyAll(this.detectors.onPrice(symbol, price, now, source));
  }

  /** False while no lock is held: the gate then skips asking (and building the question) for every entry. */
  get mayRefuseEntries(): boolean {
    return !this.book.isEmpty;
  }

  onVenueSuccess(now: number): void {
    this.detectors?.onVenueSuccess(this.cx.venue.id, now);
  }

  onVenueFailure(now: number, error: string): void {
    if (this.detectors) this.applyAll(this.detectors.onVenueFailure(this.cx.venue.id, now, error));
  }

  /**
   * A trade closed, inside its fill's transaction: a lock is state only and applies now; a halt or a pause (which may
   * cancel orders at the venue) waits until the fill's job is done, like the breaker's trips.
   */
  onTradeClosed(trade: TradeRecord): void {
    if (!this.detectors || !trade.strategy) return;
    const firings = this.detectors.onTradeClosed(trade.strategy, trade.pnl, this.cx.clock.now());
    if (firings.length === 0) return;
    const now = firings.filter((f) => f.action === "ALERT" || f.action === "LOCK_SYMBOL");
    const later = firings.filter((f) => !now.includes(f));
    this.applyAll(now);
    if (later.length > 0) void this.cx.engine.run(() => this.applyAll(later)).catch((e: unknown) => this.cx.log("error", `protection: ${String(e)}`));
  }

  /** The clock-driven rules, on the engine's tick: locks that expired, stale data, venue silence, queue depth. */
  tick(now: number, load: LoadSample): void {
    if (this.book.expire(now).length > 0) this.save();
    if (!this.detectors) return;
    // Held per (venue, symbol) on a desk with several venues: a position is stale when its own venue is silent.
    const held = new Map<string, string | HeldSeries>();
    for (const record of this.cx.books.positions.values()) {
      const { position } = record;
      if (position.quantity.isZero()) continue;
      if (!this.cx.venues) held.set(position.symbol, position.symbol);
      else {
        const venue = this.cx.books.venueOfPosition(record);
        held.set(`${position.symbol}@${venue}`, { symbol: position.symbol, venue });
      }
    }
    this.applyAll([...this.detectors.check(now, held.values()), ...this.detectors.onLoad(load, now)]);
  }

  // ---------------------------------------------------------------------------------------------
  // The gate's question and the admin's lift

  /**
   * A refusal when a lock forbids a new entry on this symbol for this strategy; null when the entry may go.
   *
   * Stale data is per (venue, symbol) on a desk with several venues: a STALE_DATA lock on the symbol holds an entry
   * only when the venue it goes to is silent (`venue`), or, for an entry the desk routed (`routed`: a smart route's
   * child or the best quoted venue; no venue was asked for), only when every venue listing the symbol is. Another venue going silent says nothing about the
   * prices an entry here is sized and checked at. A desk with one venue keeps the lock as it is (its only venue is
   * the one that went silent; the lock's time or an admin lifts it).
   */
  entryRefusal(symbol: string, strategy: string | undefined, now: number, target: { venue?: string; routed?: boolean } = {}): CommandResult | null {
    if (this.book.isEmpty) return null;
    const set = this.cx.venues;
    const stale = this.detectors?.staleData;
    const waived =
      set && stale
        ? (lock: ProtectionLock) => {
            if (lock.rule !== "STALE_DATA" || lock.scope.kind !== "symbol") return false;
            if (target.routed || target.venue === undefined) return set.ids().some((v) => set.listing(v, symbol) && stale.freshAt(symbol, v, now));
            return stale.freshAt(symbol, target.venue, now);
          }
        : undefined;
    const lock = this.book.blockingLock({ symbol, ...(strategy !== undefined && { strategy }) }, now, waived);
    if (!lock) return null;
    return fail("PROTECTION_LOCK", `New entries refused: ${LockBook.describe(lock)} Exits and reduce-only orders still pass.`, {
      lockId: lock.id,
      rule: lock.rule,
      until: lock.until,
    });
  }

  lift(lockId: string, actor: Actor, reason: string): CommandResult {
    if (actor.role !== "admin") return fail("FORBIDDEN", "Only an admin can lift a protection lock.");
    const now = this.cx.clock.now();
    const lifted = this.book.lift(lockId, { by: actor.username, reason }, now);
    if (!lifted.ok) return fail(lifted.error.code, lifted.error.message);
    const lock = lifted.value;
    this.cx.durably(() => this.save(), `lock ${lock.id} lifted`);
    const message = `Protection lock ${lock.rule} on ${scopeLabel(lock.scope)} lifted by ${actor.username}: ${reason.trim()}`;
    this.cx.bus.publish({ type: "alert", level: "info", message });
    return done(message, { lockId: lock.id });
  }

  view(now: number): ProtectionsView {
    return { locks: this.book.active(now), firings: this.firings.map((f) => ({ ...f, scope: { ...f.scope } })).reverse() };
  }

  // ---------------------------------------------------------------------------------------------
  // Applying firings

  private applyAll(firings: ProtectionFiring[]): void {
    for (const firing of firings) this.apply(firing);
  }

  private apply(firing: ProtectionFiring): void {
    const what = `Protection ${firing.rule} on ${scopeLabel(firing.scope)}`;
    this.firings.push(firing);
    if (this.firings.length > RECENT_FIRINGS_LIMIT) this.firings.splice(0, this.firings.length - RECENT_FIRINGS_LIMIT);
    const lock = this.book.lockForFiring(firing);
    this.save();
    this.cx.bus.publish({ type: "protection", firing });
    const until = lock ? (lock.until === null ? ": entries locked until an admin lifts it" : `: locked until ${new Date(lock.until).toISOString()}`) : "";
    this.cx.bus.publish({
      type: "alert",
      level: firing.action === "ALERT" ? "warn" : "error",
      message: `${what} (${firing.action}): ${firing.message}${until}`,
    });
    this.cx.log("warn", `${what} fired (${firing.action}): ${firing.message}`);
    const reason = `protection ${firing.rule}: ${firing.message}`;
    switch (firing.action) {
      case "ALERT":
      case "LOCK_SYMBOL":
        return;
      case "PAUSE_ENTRIES":
        // The desk lock (lockForFiring) holds entries even after a resume; the trading state shows it on every screen.
        if (this.cx.tradingState === "ACTIVE") this.cx.emergency.setTradingState("REDUCING", reason, "protection");
        return;
      case "HALT":
        if (this.cx.tradingState !== "HALTED") this.cx.emergency.setTradingState("HALTED", reason, "protection");
        return;
      case "HALT_CANCEL":
      case "HALT_CANCEL_FLATTEN":
        if (this.cx.emergency.halt) return; // one halt at a time: the running one goes on
        this.cx.emergency.runHalt(firing.action === "HALT_CANCEL_FLATTEN", reason, "protection", "emergency_stop");
        return;
    }
  }

  private save(): void {
    const stored: StoredProtections = { locks: this.book.snapshot(), firings: this.firings };
    this.cx.store.setState(PROTECTIONS_STATE_KEY, stored);
  }
}

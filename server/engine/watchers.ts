/**
 * Watchers: market data updates the marks, lets the venue match, evaluates position exits (stop, take-profit,
 * ladder, trailing, max age) and releases emulated trigger orders; closing positions (manual, signal, exit) goes
 * through here, one working exit per position at a time.
 */
import { roundQty } from "../core/instrument";
import { add, cmp, D, Decimal, decimalText, isPositive, ZERO } from "../core/money";
import {
  applyOrderEvent,
  isTerminal,
  leavesQty,
  shouldTrigger,
  TRIGGERABLE_LIMIT_TYPES,
  updateTrailingStop,
  type OrderEvent,
  type OrderSide,
  type OrderSpec,
} from "../core/orders";
import { createExitState, evaluateExits, exitsWrongSide, markClosing, withExitConfig, type ExitConfig, type ExitIntent } from "../core/positions";
import { checkPreTrade } from "../core/risk";
import type { MarketUpdate } from "../core/market-data";
import type { VenueEvent } from "../core/orders/events";
import type { CommandResult, OrderRecord, PositionRecord, Mark } from "./types";
import { valuesOf, exitHasRules, markDecimal, fail, done, type EngineContext } from "./context";

/** A whole close (closePosition reads it, never keeps it). */
const NO_AMOUNT: { fraction?: number; quantity?: string } = Object.freeze({});

export class Watchers {
  constructor(private readonly cx: EngineContext) {}

  // ---------------------------------------------------------------------------------------------
  // Market data: venue matching, marks, exits, equity for the breaker.

  onMarketData(update: MarketUpdate, options?: { evaluateExits?: boolean }): void {
    if (this.cx.stopInfo) return; // a simulated venue would match and book: nothing more happens in this process
    const now = this.cx.clock.now();
    const events = this.cx.venue.onMarketData(update, now);
    if (events.length > 0) this.cx.ledger.ingest(events, "venue");
    const mark = this.cx.books.updateMark(update, now);
    if (!mark) return;
    // Every venue's prices feed the per-(venue, symbol) rules (stale data, flash move); volatility keeps to the reference.
    // (Protections are on or off for the engine's life: off, nothing reads the reference series.)
    if (this.cx.protections.enabled) {
      const venue = update.venue !== undefined && this.cx.venues?.has(update.venue) ? update.venue : undefined;
      const reference = this.cx.books.isReferencePrice(update);
      this.cx.protections.onPrice(update.symbol, mark.last, now, { ...(venue !== undefined && { venue }), reference });
    }
    if (this.cx.books.emulated.size > 0) this.watchEmulated(update.symbol, mark, now, update.venue);
    if (options?.evaluateExits !== false) this.evaluateExitsFor(update.symbol, mark, now, update.venue);
    if (this.cx.algos.hasLive) this.cx.algos.onMarket(update, mark, now);
    if (this.cx.arbitrage.hasPairs) this.cx.arbitrage.onMarket(update, now);
    if (this.cx.breaker && this.cx.books.positions.size > 0) this.cx.emergency.updateBreakerEquity();
  }

  /** `venue`: the venue the data came from — a position on another venue with its own quote is not moved by it. */
  private evaluateExitsFor(symbol: string, deskMark: Mark, now: number, venue?: string): void {
    const books = this.cx.books;
    // Most updates meet no position with rules on the symbol: no copy of the positions for them (the copy below is for
    // exits that close positions while the loop runs).
    let watched = false;
    for (const record of books.positions.values()) {
      if (record.position.symbol === symbol && exitHasRules(record.exit)) {
        watched = true;
        break;
      }
    }
    if (!watched) return;
    for (const record of valuesOf(books.positions)) {
      if (record.position.symbol !== symbol || !exitHasRules(record.exit) || record.position.quantity.isZero()) continue;
      if (record.exitOrderId !== null) continue; // an exit is already working
      if (record.pendingClose?.quantity === null) continue; // a full close waits for the working exits to end
      let mark = deskMark;
      if (this.cx.venues) {
        const own = books.venueOfPosition(record);
        const ownMark = books.venueMarks.get(own)?.get(symbol);
        if (ownMark && venue !== undefined && own !== venue) continue; // its venue's price did not move
        mark = ownMark ?? books.marks.get(symbol) ?? deskMark;
      }
      const result = evaluateExits(record.position, record.exit, {
        price: mark.last,
        ts: now,
        ...(mark.bid !== undefined && { bid: mark.bid }),
        ...(mark.ask !== undefined && { ask: mark.ask }),
      });
      const changed = result.state !== record.exit;
      record.exit = result.state;
      const intent = result.intents[0];
      if (intent) this.placeExit(record, intent);
      else if (changed && (result.state.trailingStop !== null || result.state.firedLevels.length > 0)) {
        this.cx.books.persistPosition(record, record.position, record.exit);
      }
    }
  }

  private placeExit(record: PositionRecord, intent: ExitIntent): void {
    const quantity = cmp(intent.qty, record.position.quantity) > 0 ? record.position.quantity : intent.qty;
    const result = this.closeWhenFree(record, quantity, cmp(quantity, record.position.quantity) >= 0, intent.reason, D(intent.marketPrice));
    this.cx.books.persistPosition(record, record.position, record.exit);
    if (!result.ok) this.cx.log("warn", `exit ${intent.reason} for ${record.position.id} refused: ${result.error.code} ${result.error.message}`);
  }

  private closeRefPrice(record: PositionRecord): Decimal {
    const mark = this.cx.books.markOfPosition(record);
    return mark ? markDecimal(mark) : (record.position.avgEntryPrice ?? ZERO);
  }

  /**
   * One exit at a time: a close (button, close-all, CLOSE signal, exit rule, flatten) never sends a second exit
   * while others work for the position — on a venue that confirms later both would execute and sell coins the
   * desk does not hold. Market exits already on their way that cover the close are awaited; other working exits
   * (resting limits, stops, a smaller market exit) are canceled, and the close goes out when the venue confirms
   * the last of them ended (`pendingClose`, sent from onOrderDone). A full close waits for the rest in any case,
   * so an exit that ends short of flat is followed by one for what is left.
   */
  closeWhenFree(record: PositionRecord, quantity: Decimal, full: boolean, reason: string, refPrice: Decimal): CommandResult {
    const positionId = record.position.id;
    let working = this.cx.books.workingExitsFor(positionId);
    if (working.length === 0) {
      record.exitOrderId = null;
      return this.placeReduceOnly(record, quantity, reason, refPrice);
    }
    // A close already waiting is merged into this one (below), never sent on its own while this one decides.
    const previous = record.pendingClose;
    record.pendingClose = null;
    const waitFor = (verb: string): CommandResult => {
      // A close already waiting merges with this one: the larger wins (all of it beats a part).
      const quantityLeft = full || previous?.quantity === null ? null : previous && cmp(previous.quantity, quantity) > 0 ? previous.quantity : quantity;
      record.pendingClose = { quantity: quantityLeft, reason };
      this.cx.books.persistPosition(record); // a restart still sends it when the exits end
      const ids = working.map((w) => w.order.clientOrderId);
      const what = quantityLeft === null ? "the rest of the position" : `${quantityLeft.toString()} of it`;
      return done(
        `Position ${positionId} has ${ids.length} exit order(s) working (${ids.join(", ")}): no second exit sent; ${verb}, then ${what} is closed if anything is left.`,
        {
          pending: true,
          waitingFor: ids,
        },
      );
    };
    let covering = ZERO;
    for (const w of working) if (w.order.type === "MARKET" && w.order.status !== "PENDING_CANCEL") covering = add(covering, leavesQty(w.order));
    if (cmp(covering, quantity) >= 0) {
      if (!full) {
        record.pendingClose = previous ?? null;
        return done(`Position ${positionId} is already being closed by ${working.map((w) => w.order.clientOrderId).join(", ")}: no second exit sent.`, {
          pending: true,
          waitingFor: working.map((w) => w.order.clientOrderId),
        });
      }
      return waitFor("the close waits for them to end");
    }
    for (const w of working) if (w.order.status !== "PENDING_CANCEL") this.cx.ledger.requestCancel(w);
    working = this.cx.books.workingExitsFor(positionId);
    if (working.length === 0) {
      // The venue confirmed the cancels at once (the simulator): the close goes out now.
      record.exitOrderId = null;
      if (!this.cx.books.positions.has(positionId) || record.position.quantity.isZero())
        return done(`Position ${positionId} was closed by its working exit orders.`);
      const left = cmp(quantity, record.position.quantity) > 0 ? record.position.quantity : quantity;
      const all = full || previous?.quantity === null;
      return this.placeReduceOnly(record, all ? record.position.quantity : left, reason, refPrice);
    }
    return waitFor(`their cancel was requested and the close goes out once ${this.cx.venue.id} confirms it`);
  }

  /** The position's last working exit ended: a close that waited for it goes out now, for what is left. */
  sendPendingClose(record: PositionRecord): void {
    const pending = record.pendingClose;
    if (!pending) return;
    record.pendingClose = null;
    const held = record.position.quantity;
    if (!this.cx.books.positions.has(record.position.id) || held.isZero()) return;
    const quantity = pending.quantity === null || cmp(pending.quantity, held) > 0 ? held : pending.quantity;
    const result = this.placeReduceOnly(record, quantity, pending.reason, this.closeRefPrice(record));
    if (this.cx.books.positions.has(record.position.id)) this.cx.books.persistPosition(record);
    if (!result.ok) {
      this.cx.log("warn", `close of ${record.position.id} after its working exits ended refused: ${result.error.code} ${result.error.message}`);
      this.cx.bus.publish({
        type: "alert",
        level: "error",
        message: `The close of position ${record.position.id} was refused after its working exits ended: ${result.error.message}`,
      });
    }
  }

  private placeReduceOnly(record: PositionRecord, quantity: Decimal, reason: string, refPrice: Decimal): CommandResult {
    const position = record.position;
    const side: OrderSide = position.side === "LONG" ? "SELL" : "BUY";
    const closing = cmp(quantity, position.quantity) >= 0;
    if (closing) {
      const marked = markClosing(position);
      if (marked.ok) record.position = marked.value;
    }
    const clientOrderId = this.cx.ids.next("bst");
    // Every key in the literal (a key added later takes a property array, and so does each copy of the tags).
    const strategy = record.meta.strategy;
    const tags: Record<string, string> = strategy ? { positionId: position.id, reason, strategy } : { positionId: position.id, reason };
    const result = this.cx.gate.placeOrder(
      {
        clientOrderId,
        symbol: position.symbol,
        side,
        type: "MARKET",
        quantity,
        reduceOnly: true,
        timeInForce: "GTC",
        tags,
        venue: this.cx.venueRoom.venueOfPosition(record),
      },
      { refPrice },
    );
    if (result.ok && this.cx.books.orders.has(clientOrderId)) record.exitOrderId = clientOrderId;
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Emulated orders: trigger orders the venue cannot hold, watched here and released as market or limit orders.

  /** Applies an engine-side event (journaled, like every event) to an order that never reached the venue. */
  ingestLocal(record: OrderRecord, event: OrderEvent): boolean {
    const result = applyOrderEvent(record.order, event);
    const ts = event.ts ?? this.cx.clock.now();
    if (!result.ok) {
      this.cx.store.appendJournal({
        clientOrderId: record.order.clientOrderId,
        type: event.type,
        source: "engine",
        payload: event,
        applied: false,
        refusal: `${result.error.code}: ${result.error.message}`,
        ts,
      });
      return false;
    }
    this.cx.transaction(() => {
      this.cx.store.appendJournal({ clientOrderId: record.order.clientOrderId, type: event.type, source: "engine", payload: event, applied: true, ts });
      this.cx.books.orders.replaceOrder(record, result.order);
      this.cx.store.saveOrder(record.order, record.meta);
    });
    this.cx.ledger.settleOrder(record);
    return true;
  }

  /** `venue`: the venue the data came from — an order held for another venue with its own quote is not moved by it. */
  private watchEmulated(symbol: string, deskMark: Mark, now: number, venue?: string): void {
    const observe = (m: Mark) => ({ last: m.last, ...(m.bid !== undefined && { bid: m.bid }), ...(m.ask !== undefined && { ask: m.ask }) });
    const deskObservation = observe(deskMark);
    const tick = this.cx.books.instruments.get(symbol)?.priceTick;
    for (const clientOrderId of [...this.cx.books.emulated]) {
      const record = this.cx.books.orders.get(clientOrderId);
      const order = record?.order;
      if (!record || !order || order.status !== "EMULATED" || order.symbol !== symbol) continue;
      let mark = deskMark;
      let observation = deskObservation;
      if (this.cx.venues) {
        // Triggered at the price of the venue the order goes to.
        const ownMark = this.cx.books.venueMarks.get(record.meta.venue)?.get(symbol);
        if (ownMark && venue !== undefined && record.meta.venue !== venue) continue;
        mark = ownMark ?? this.cx.books.marks.get(symbol) ?? deskMark;
        observation = observe(mark);
      }
      if (order.trailing) {
        const moved = updateTrailingStop(order.trailing, order.side, observation, {
          source: order.triggerSource,
          ...(tick ? { tick } : {}),
          currentTriggerPrice: order.triggerPrice,
        });
        if (moved.changed) {
          // The emulator's own state (the ratcheting trigger) is saved with the order; it is not a venue event.
          this.cx.books.orders.replaceOrder(record, {
            ...order,
            trailing: moved.trailing,
            triggerPrice: moved.triggerPrice ?? order.triggerPrice,
            ...(moved.limitPrice ? { price: moved.limitPrice } : {}),
          });
          this.cx.store.saveOrder(record.order, record.meta);
        }
      }
      const current = record.order;
      if (current.triggerPrice === null) continue;
      if (
        !shouldTrigger(
          { type: current.type, side: current.side, triggerPrice: current.triggerPrice.toNumber(), triggerSource: current.triggerSource },
          observation,
        )
      )
        continue;
      this.release(record, mark, now);
    }
  }

  /** The trigger fired: trigger → release → the risk gate again → submit as a market or limit order with the same clientOrderId. */
  private release(record: OrderRecord, mark: Mark, now: number): void {
    if (this.cx.stopInfo) return;
    // An order-list leg goes out only once its siblings are gone (never two alternatives live at the venue).
    if (record.order.listId !== null && !this.cx.lists.mayRelease(record)) return;
    if (!this.ingestLocal(record, { type: "trigger", ts: now })) return;
    if (!this.ingestLocal(record, { type: "release", ts: now })) return;
    const order = record.order;
    const asLimit = TRIGGERABLE_LIMIT_TYPES.has(order.type) && order.price !== null;
    const refPrice = asLimit ? order.price! : new Decimal(order.side === "BUY" ? (mark.ask ?? mark.last) : (mark.bid ?? mark.last));
    const gate = checkPreTrade({
      order: { symbol: order.symbol, side: order.side, quantity: leavesQty(order), price: refPrice, reduceOnly: order.reduceOnly },
      tradingState: this.cx.tradingState,
      portfolio: this.cx.gate.riskPortfolio(undefined, order.clientOrderId),
      recentOrderTimestamps: this.cx.gate.recentOrderTimes,
      now,
      limits: this.cx.gate.coreRiskLimits(),
      collectAll: false,
    });
    if (!gate.ok) {
      this.ingestLocal(record, { type: "deny", reason: `${gate.error.code}: ${gate.error.message}`, ts: now });
      return;
    }
    if (!this.ingestLocal(record, { type: "submit", ts: now })) return;
    const child: OrderSpec = {
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      type: asLimit ? "LIMIT" : "MARKET",
      quantity: leavesQty(order),
      ...(asLimit ? { price: order.price! } : {}),
      // A GTD the engine expires is sent as GTC (expiries.ts).
      timeInForce: asLimit && order.tags.gtd !== "engine" ? order.timeInForce : "GTC",
      ...(asLimit && order.expireAt !== null && order.tags.gtd !== "engine" && { expireAt: order.expireAt }),
      reduceOnly: order.reduceOnly,
      tags: order.tags,
      venue: this.cx.venue.id,
      ts: now,
    };
    let events: VenueEvent[];
    try {
      events = this.cx.venue.submit(child, now);
    } catch (e) {
      events = [{ clientOrderId: order.clientOrderId, event: { type: "reject", reason: e instanceof Error ? e.message : String(e), ts: now } }];
      this.cx.gate.onVenueError();
    }
    this.cx.ledger.ingest(events, "venue");
  }

  /** `worded: false`: the caller answers in its own words (closePositions), so this close's sentence is not built. */
  closePosition(positionId: string, amount: { fraction?: number; quantity?: string }, reason: string, worded = true): CommandResult {
    const record = this.cx.books.positions.get(positionId);
    if (!record || record.position.state === "CLOSED") return fail("NOT_FOUND", `Position ${positionId} is not open.`);
    if (record.position.quantity.isZero()) return fail("NOTHING_TO_CLOSE", `Position ${positionId} has no filled quantity yet.`);
    let quantity = record.position.quantity;
    if (amount.quantity !== undefined) {
      const q = D(amount.quantity);
      if (q.greaterThan(quantity)) return fail("QUANTITY_TOO_LARGE", `Position ${positionId} holds ${quantity.toString()}; ${q.toString()} cannot be closed.`);
      quantity = q;
    } else if (amount.fraction !== undefined && amount.fraction < 1) {
      const instrument = this.cx.books.instruments.get(record.position.symbol);
      quantity = instrument ? roundQty(instrument, quantity.times(amount.fraction), "down") : quantity.times(amount.fraction);
      if (quantity.isZero()) return fail("ZERO_SIZE", `${amount.fraction * 100}% of ${record.position.quantity.toString()} rounds to nothing.`);
    }
    // Working orders that reduce this position (an exit, a resting take-profit limit) would race the close and
    // hold the coins it needs: the close waits for them (canceled first, unless a market exit already covers it).
    const full = cmp(quantity, record.position.quantity) >= 0;
    const result = this.closeWhenFree(record, quantity, full, reason, this.closeRefPrice(record));
    if (!result.ok || result.data?.pending === true || !worded) return result;
    return done(`Closing ${decimalText(quantity)} of ${record.position.symbol} position ${positionId}.`, result.data);
  }

  closePositions(records: readonly PositionRecord[], reason: string): CommandResult {
    // A position whose entry has not filled yet is closed by canceling that entry (a close means "be flat").
    let entriesCanceled = 0;
    for (const record of records) {
      // Its own orders only (not a walk over every open order), copied: a cancel request changes the book.
      for (const working of [...this.cx.books.orders.heldFor(record.position.id)]) {
        if (!working.order.reduceOnly && !isTerminal(working.order)) {
          this.cx.ledger.requestCancel(working);
          entriesCanceled++;
        }
      }
    }
    // The filled ones, chosen before any is closed, then closed in order; the first refusal is the answer (after every
    // close was tried). One record (a signal's close, the usual case) is its own list.
    const filled = records.length === 1 && isPositive(records[0]!.position.quantity) ? records : records.filter((r) => isPositive(r.position.quantity));
    const results: CommandResult[] = [];
    let refused: CommandResult | null = null;
    for (const r of filled) {
      // Only its success, refusal and data are read below: the answer is worded here.
      const result = this.closePosition(r.position.id, NO_AMOUNT, reason, false);
      results.push(result);
      if (!result.ok) refused ??= result;
    }
    if (refused) return refused;
    if (results.length === 0 && entriesCanceled === 0) return fail("NOTHING_TO_CLOSE", "There is no filled position and no pending entry to close.");
    const first = results[0];
    const canceled = entriesCanceled > 0 ? ` ${entriesCanceled} pending entry order(s) canceled.` : "";
    return done(`Closing ${results.length} position(s).${canceled}`, first?.ok ? first.data : undefined);
  }

  closeAll(reason: string): CommandResult {
    const open = [...this.cx.books.positions.values()].filter((r) => isPositive(r.position.quantity));
    if (open.length === 0) return done("No open positions.");
    return this.closePositions(open, reason);
  }

  setExits(positionId: string, stopLoss: number | null | undefined, takeProfit: number | null | undefined): CommandResult {
    const record = this.cx.books.positions.get(positionId);
    if (!record || record.position.state === "CLOSED") return fail("NOT_FOUND", `Position ${positionId} is not open.`);
    const current: ExitConfig = record.exit?.config ?? {};
    const next: { -readonly [K in keyof ExitConfig]: ExitConfig[K] } = { ...current };
    if (stopLoss !== undefined) {
      if (stopLoss === null) delete next.stopLoss;
      else next.stopLoss = { price: stopLoss };
    }
    if (takeProfit !== undefined) {
      if (takeProfit === null) delete next.takeProfit;
      else {
        next.takeProfit = { price: takeProfit };
        delete next.takeProfitLadder;
      }
    }
    const mark = this.cx.books.markOfPosition(record);
    if (mark) {
      const wrong = exitsWrongSide(
        record.position.side,
        {
          stopLoss: next.stopLoss && "price" in next.stopLoss ? next.stopLoss.price : null,
          takeProfit: next.takeProfit && "price" in next.takeProfit ? next.takeProfit.price : null,
        },
        mark.last,
      );
      if (wrong) return fail(wrong.code, wrong.message);
    }
    record.exit = record.exit ? withExitConfig(record.exit, next) : createExitState(next);
    record.meta = { ...record.meta, stopLoss: stopLoss ?? record.meta.stopLoss ?? null, takeProfit: takeProfit ?? record.meta.takeProfit ?? null };
    this.cx.books.persistPosition(record, record.position, record.exit);
    this.cx.bus.publish({ type: "position", position: record.position });
    return done(`Exit rules of ${positionId} updated.`);
  }
}

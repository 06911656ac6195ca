/**
 * The simulator's trigger book: stops, take-profits and trailing stops that wait for the market (a symbol's
 * `triggers` list). It moves trailing stops with each observation and finds the orders an observation (or a
 * candle's path of them) triggers; what a triggered order then does is the matching engine's business.
 * The trigger rules themselves are orders/triggers.ts, shared with the engine's emulated triggers.
 */
import { shouldTrigger, updateTrailingStop, type MarketObservation } from "../orders/triggers";
import type { SimOrder, SymbolState } from "./sim-order";

/** What a symbol's state shows the trigger rules. */
export function marketObservation(state: SymbolState): MarketObservation {
  return { last: state.last, bid: state.bid, ask: state.ask, mark: state.mark };
}

/** Moves a trailing stop (trigger, and limit for TRAILING_STOP_LIMIT) with the market; true when it moved. */
export function followTrailingStop(order: SimOrder, observation: MarketObservation): boolean {
  const update = updateTrailingStop(order.trailing!, order.side, observation, {
    source: order.triggerSource,
    tick: order.instrument.priceTick,
    currentTriggerPrice: order.triggerPrice,
  });
  if (!update.changed) return false;
  order.trailing = update.trailing;
  order.triggerPrice = update.triggerPrice;
  order.triggerNum = update.triggerPrice === null ? Number.NaN : update.triggerPrice.toNumber();
  if (order.type === "TRAILING_STOP_LIMIT") {
    order.limitPrice = update.limitPrice;
    order.limitNum = update.limitPrice === null ? Number.NaN : update.limitPrice.toNumber();
  }
  return true;
}

export function triggersOn(order: SimOrder, observation: MarketObservation): boolean {
  if (order.triggerPrice === null) return false;
  return shouldTrigger({ type: order.type, side: order.side, triggerPrice: order.triggerNum, triggerSource: order.triggerSource }, observation);
}

/**
 * Runs a symbol's trigger orders over a sequence of observations (one, or a candle's path), in arrival order.
 * Trailing stops follow each observation first (`follow`); an order that triggers leaves the book and goes to
 * `fire` with the index of the observation that triggered it. Orders `fire` adds to the book stay after the
 * ones still waiting.
 */
export function sweepTriggers(
  state: SymbolState,
  observations: readonly MarketObservation[],
  follow: (order: SimOrder, observation: MarketObservation) => void,
  fire: (order: SimOrder, firedAt: number) => void,
): void {
  if (state.triggers.length === 0) return;
  const watching = state.triggers;
  state.triggers = [];
  const keep: SimOrder[] = [];
  for (const order of watching) {
    let firedAt = -1;
    for (let i = 0; i < observations.length; i++) {
      const observation = observations[i]!;
      if (order.trailing) follow(order, observation);
      if (triggersOn(order, observation)) {
        firedAt = i;
        break;
      }
    }
    if (firedAt < 0) keep.push(order);
    else fire(order, firedAt);
  }
  state.triggers = keep.concat(state.triggers);
}

/**
 * The arbitrage room's view: the pairs with their quotes, counters and the operator's last choice, the opportunity log
 * (the runs of skips not yet written first, then the stored rows), the newest round trips and the totals, all with
 * Decimals as strings (the view goes out as JSON).
 */
import type { ArbPairConfig } from "../core/algos/arbitrage";
import { quoteOfSymbol } from "../core/instrument";
import { D, type Decimal, ZERO } from "../core/money";
import type { OrderSide } from "../core/orders";
import type { ArbOpportunityRow } from "../db/store";
import type { EngineContext } from "./context";
import { skipRow, type PendingSkip } from "./arbitrage-skips";
import { type LegRole, type LegStatus, OPEN, type PairChoice, type RoundTrip, type RoundTripStatus } from "./arbitrage-types";

export interface ArbitrageView {
  pairs: {
    id: string;
    enabled: boolean;
    /** The operator's last on/off choice (null: the desk file's setting, never changed). */
    changedBy: { by: string; at: number; reason: string | null } | null;
    legs: string;
    repair: string;
    thresholdBps: number;
    slippageBps: number;
    maxQty: string;
    legTimeoutSeconds: number;
    maxQuoteAgeSeconds: number;
    quotes: { venue: string; symbol: string; bid: number | null; ask: number | null; ts: number | null }[];
    openRoundTrip: string | null;
    lastSkip: { code: string; reason: string; count: number; lastTs: number } | null;
    taken: number;
    skipped: number;
    seenSinceStart: number;
  }[];
  /** The stored rows with their Decimals as strings (the view goes out as JSON). */
  opportunities: (Omit<ArbOpportunityRow, "id" | "bestNetBps" | "qty"> & { id: number | null; bestNetBps: string | null; qty: string | null })[];
  roundTrips: RoundTripView[];
  totals: {
    seen: number;
    taken: number;
    skipped: number;
    skippedByCode: { code: string; count: number }[];
    roundTrips: number;
    open: number;
    /** Over every currency; with more than one in pnlByCurrency it adds amounts in different currencies. */
    pnl: string;
    pnlByCurrency: { currency: string; pnl: string }[];
  };
}

export interface RoundTripView {
  id: string;
  pairId: string;
  status: RoundTripStatus;
  openedAt: number;
  updatedAt: number;
  buyVenue: string;
  buySymbol: string;
  sellVenue: string;
  sellSymbol: string;
  qty: string;
  netBps: string;
  expectedProfit: string;
  boughtQty: string;
  soldQty: string;
  pnl: string | null;
  /** A halted round trip once its legs ended: the open quantity left to the emergency stop, and whether it flattens. */
  halt: { openQty: string; flattened: boolean } | null;
  fees: string;
  /** Repairs sent, in order (hedge, unwind). */
  repairs: string[];
  legs: {
    role: LegRole;
    venue: string;
    symbol: string;
    side: OrderSide;
    clientOrderId: string;
    type: string;
    qty: string;
    price: string | null;
    status: LegStatus;
    filledQty: string;
    avgPrice: string | null;
    fees: string;
    reason: string | null;
  }[];
  events: { ts: number; text: string }[];
}

/** What the room holds in memory that the view reads (the rest comes from the store and the venue set). */
export interface ArbitrageState {
  pairs: Iterable<ArbPairConfig>;
  choices: Record<string, PairChoice>;
  trips: ReadonlyMap<string, RoundTrip>;
  skips: ReadonlyMap<string, PendingSkip>;
  seen: ReadonlyMap<string, number>;
}

export function arbitrageView(cx: EngineContext, state: ArbitrageState, limits: { opportunities: number; roundTrips: number }): ArbitrageView {
  const counts = cx.store.arbOpportunityCounts();
  // A live round trip is newer than its stored row (a step may not have persisted yet).
  const trips = cx.store.loadArbRoundTrips({ onlyOpen: false, limit: limits.roundTrips }).map((row) => state.trips.get(row.id) ?? (row.data as RoundTrip));
  const sum = (outcome: ArbOpportunityRow["outcome"], pairId?: string) =>
    counts.filter((c) => c.outcome === outcome && (pairId === undefined || c.pairId === pairId)).reduce((s, c) => s + c.count, 0);
  const pairs = [...state.pairs].map((pair) => {
    const pending = state.skips.get(pair.id);
    const quotes = pair.markets.map((m) => {
      const q = cx.venues?.quotes.get(m.venue)?.get(m.symbol);
      return { venue: m.venue, symbol: m.symbol, bid: q?.bid ?? null, ask: q?.ask ?? null, ts: q?.ts ?? null };
    });
    const open = [...state.trips.values()].find((t) => t.pairId === pair.id && OPEN.has(t.status));
    const choice = state.choices[pair.id];
    return {
      id: pair.id,
      enabled: pair.enabled,
      changedBy: choice ? { by: choice.by, at: choice.at, reason: choice.reason } : null,
      legs: pair.legs,
      repair: pair.repair,
      thresholdBps: pair.thresholdBps,
      slippageBps: pair.slippageBps,
      maxQty: pair.maxQty,
      legTimeoutSeconds: pair.legTimeoutMs / 1000,
      maxQuoteAgeSeconds: pair.maxQuoteAgeMs / 1000,
      quotes,
      openRoundTrip: open?.id ?? null,
      lastSkip: pending ? { code: pending.code, reason: pending.reason, count: pending.count, lastTs: pending.lastTs } : null,
      taken: sum("taken", pair.id),
      skipped: sum("skipped", pair.id) + (pending?.count ?? 0),
      seenSinceStart: state.seen.get(pair.id) ?? 0,
    };
  });
  const pendingRows = [...state.skips.entries()].map(([pairId, p]) => skipRow(pairId, p));
  const stored = cx.store.loadArbOpportunities(limits.opportunities);
  const skipCodes = new Map<string, number>();
  for (const c of counts) if (c.outcome === "skipped") skipCodes.set(c.code, (skipCodes.get(c.code) ?? 0) + c.count);
  for (const p of state.skips.values()) skipCodes.set(p.code, (skipCodes.get(p.code) ?? 0) + p.count);
  const pendingCount = [...state.skips.values()].reduce((s, p) => s + p.count, 0);
  return {
    pairs,
    opportunities: [...pendingRows, ...stored].slice(0, limits.opportunities).map(opportunityView),
    roundTrips: trips.map(roundTripView),
    totals: {
      // Every look at a pair is taken or skipped (with the reason): seen = taken + skipped.
      seen: counts.reduce((s, c) => s + c.count, 0) + pendingCount,
      taken: sum("taken"),
      skipped: [...skipCodes.values()].reduce((s, n) => s + n, 0),
      skippedByCode: [...skipCodes.entries()].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count),
      roundTrips: trips.length,
      open: trips.filter((t) => OPEN.has(t.status)).length,
      // Over the round trips listed (the newest `roundTrips`).
      pnl: trips.reduce((total, t) => (t.pnl === null ? total : total.plus(t.pnl)), ZERO).toString(),
      pnlByCurrency: pnlByCurrency(trips),
    },
  };
}

/** The round trips' PnL per quote currency (a trip's PnL is in its buy market's quote: core/algos/arbitrage.ts), sorted. */
function pnlByCurrency(trips: readonly RoundTrip[]): { currency: string; pnl: string }[] {
  const sums = new Map<string, Decimal>();
  for (const t of trips) {
    if (t.pnl === null) continue;
    const currency = quoteOfSymbol(t.buy.symbol);
    sums.set(currency, (sums.get(currency) ?? ZERO).plus(t.pnl));
  }
  return [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([currency, pnl]) => ({ currency, pnl: pnl.toString() }));
}

function opportunityView(row: ArbOpportunityRow): ArbitrageView["opportunities"][number] {
  return {
    id: row.id ?? null,
    pairId: row.pairId,
    outcome: row.outcome,
    code: row.code,
    reason: row.reason,
    count: row.count,
    firstTs: row.firstTs,
    lastTs: row.lastTs,
    bestNetBps: row.bestNetBps?.toString() ?? null,
    buyVenue: row.buyVenue,
    sellVenue: row.sellVenue,
    qty: row.qty?.toString() ?? null,
    roundTripId: row.roundTripId,
  };
}

/** A stored round trip comes back from JSON with its Decimals as strings: each is read through D(). */
function roundTripView(trip: RoundTrip): RoundTripView {
  const d = (x: Decimal | string | null | undefined) => (x === null || x === undefined ? null : D(x).toString());
  return {
    id: trip.id,
    pairId: trip.pairId,
    status: trip.status,
    openedAt: trip.openedAt,
    updatedAt: trip.updatedAt,
    buyVenue: trip.buy.venue,
    buySymbol: trip.buy.symbol,
    sellVenue: trip.sell.venue,
    sellSymbol: trip.sell.symbol,
    qty: d(trip.qty)!,
    netBps: d(trip.netBps)!,
    expectedProfit: d(trip.expectedProfit)!,
    boughtQty: d(trip.boughtQty)!,
    soldQty: d(trip.soldQty)!,
    pnl: d(trip.pnl),
    halt: trip.halt ? { openQty: d(trip.halt.openQty)!, flattened: trip.halt.flattened } : null,
    fees: trip.legs.reduce((sum, leg) => sum.plus(leg.fees), ZERO).toString(),
    repairs: [...trip.attempted],
    legs: trip.legs.map((leg) => ({
      role: leg.role,
      venue: leg.venue,
      symbol: leg.symbol,
      side: leg.side,
      clientOrderId: leg.clientOrderId,
      type: leg.type,
      qty: d(leg.qty)!,
      price: d(leg.price),
      status: leg.status,
      filledQty: d(leg.filledQty)!,
      avgPrice: d(leg.avgPrice),
      fees: d(leg.fees)!,
      reason: leg.reason,
    })),
    events: trip.events.slice(-20),
  };
}

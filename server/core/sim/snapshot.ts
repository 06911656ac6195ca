/**
 * Snapshots of the simulated venue: plain JSON-able data (Decimals as strings, non-finite floats as
 * strings), enough to rebuild a MatchingEngine that behaves exactly like the original from that point.
 * The shapes only, and the number encoding they use: snapshot-codec.ts turns the matching engine's records into
 * them and back. The small stateful helpers (RollingVolume in commission.ts, RollingVolatility, seededRng)
 * export and import their own state; RollingVolume's shape lives beside it, so this file only imports from
 * commission.ts and never the other way round.
 */
import { D, Decimal, type DecimalInput } from "../money";
import { type OrderSide, type OrderStatus, type OrderType, type TimeInForce, type TrailingOffsetType, type TriggerSource } from "../orders/types";
import { type Liquidity, type VolumeSnapshot } from "./commission";
import type { VenueFill } from "../venue-records";

export const SIM_SNAPSHOT_VERSION = 1;

/** A float that may be non-finite (JSON has no NaN/Infinity) or absent. */
export type SnapNum = number | "NaN" | "Infinity" | "-Infinity" | null;

export function encodeNum(value: number | undefined): SnapNum {
  if (value === undefined) return null;
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}

export function decodeNum(value: SnapNum): number | undefined {
  if (value === null) return undefined;
  if (typeof value === "number") return value;
  return value === "NaN" ? Number.NaN : value === "Infinity" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/**
 * A DecimalInput as the caller gave it (requests still in flight keep their raw inputs: the venue
 * validates them on arrival). Decimals become strings, which parse to the same value.
 */
export type SnapInput = string | number | { num: "NaN" | "Infinity" | "-Infinity" } | { other: string };

export function encodeInput(value: unknown): SnapInput | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : { num: encodeNum(value) as "NaN" | "Infinity" | "-Infinity" };
  if (Decimal.isDecimal(value)) return value.toString();
  // Not a valid input: kept as the text the venue's refusal message shows (it calls String() too).
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return { other: String(value) };
}

export function decodeInput(value: SnapInput | undefined): DecimalInput | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" || typeof value === "number") return value;
  if ("num" in value) return decodeNum(value.num);
  // Not a number the venue accepts; it refuses it on arrival either way.
  return value.other;
}

// ---------------------------------------------------------------------------------------------
// Snapshot shapes

export interface TrailingSnapshot {
  offset: string;
  offsetType: TrailingOffsetType;
  activationPrice: string | null;
  activated: boolean;
  extremePrice: string | null;
  limitOffset: string | null;
}

export type OrderPhase = "LIVE" | "TRIGGER" | "WAITING" | "RESTING" | "DONE";

/** One order as the venue holds it (open or finished). */
export interface SimOrderRecord {
  seq: number;
  clientOrderId: string;
  venueOrderId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  tif: TimeInForce;
  postOnly: boolean;
  quantity: string;
  filled: string;
  limitPrice: string | null;
  triggerPrice: string | null;
  triggerSource: TriggerSource;
  trailing: TrailingSnapshot | null;
  expireAt: number | null;
  triggered: boolean;
  phase: OrderPhase;
  status: OrderStatus;
  reserveCurrency: string;
  reservePerUnit: string;
  reserved: string;
  filledNotional: string;
  fees: string;
  sentAt: number;
  acceptedAt: number | null;
  reason: string | null;
  /** When it entered its list and the open set (a venue-wide counter); absent in snapshots from before ranks. */
  listRank?: number;
  openRank?: number;
  /** Book fidelity: the quantity queued ahead of a resting limit; absent when not tracked. */
  queueAhead?: string;
}

/** The fields of an OrderSpec the venue reads, with raw inputs. */
export interface SpecSnapshot {
  clientOrderId: string;
  symbol: string;
  side: string;
  type: string;
  quantity?: SnapInput;
  price?: SnapInput;
  triggerPrice?: SnapInput;
  triggerSource?: TriggerSource;
  trailingOffset?: SnapInput;
  trailingOffsetType?: TrailingOffsetType;
  activationPrice?: SnapInput;
  limitOffset?: SnapInput;
  timeInForce?: string;
  expireAt?: SnapNum;
  postOnly?: boolean;
}

export interface ChangesSnapshot {
  quantity?: SnapInput;
  price?: SnapInput;
  triggerPrice?: SnapInput;
}

/** A request sent but not yet arrived (latency). */
export type RequestSnapshot =
  | { kind: "submit"; arrival: number; spec: SpecSnapshot; sentAt: number }
  | { kind: "cancel"; arrival: number; clientOrderId: string }
  | { kind: "cancelAll"; arrival: number; symbol: string | null }
  | { kind: "modify"; arrival: number; clientOrderId: string; changes: ChangesSnapshot };

export interface VolatilitySnapshot {
  returns: SnapNum[];
  index: number;
  count: number;
  sum: SnapNum;
  sumSq: SnapNum;
  previous: SnapNum;
}

export interface SymbolSnapshot {
  symbol: string;
  bid: SnapNum;
  ask: SnapNum;
  bidSize: SnapNum;
  askSize: SnapNum;
  last: SnapNum;
  mark: SnapNum;
  /** [price, remaining size] of the last book snapshot, or null when the touch came from a quote. */
  bookBids: [SnapNum, string][] | null;
  bookAsks: [SnapNum, string][] | null;
  /** clientOrderIds, in list order (price-time priority for resting limits). */
  buys: string[];
  sells: string[];
  triggers: string[];
  waiting: string[];
  volatility: VolatilitySnapshot | null;
  /** Book fidelity only: the last snapshot as recorded, and what our fills took per level ([price, qty]). */
  rawBids?: [SnapNum, SnapNum][];
  rawAsks?: [SnapNum, SnapNum][];
  consumedBids?: [SnapNum, string][];
  consumedAsks?: [SnapNum, string][];
}

/** One fill the venue made, with its order's symbol and side: a venue fill whose liquidity the simulator always knows. */
export interface SimFill extends Omit<VenueFill, "liquidity"> {
  liquidity: Liquidity;
}

export interface SimFillRecord {
  tradeId: string;
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  qty: string;
  price: string;
  fee: string;
  feeCurrency: string;
  liquidity: Liquidity;
  ts: number;
}

export function fillToRecord(fill: SimFill): SimFillRecord {
  return { ...fill, qty: fill.qty.toString(), price: fill.price.toString(), fee: fill.fee.toString() };
}

export function fillFromRecord(record: SimFillRecord): SimFill {
  return { ...record, qty: D(record.qty), price: D(record.price), fee: D(record.fee) };
}

export interface SimVenueSnapshot {
  version: typeof SIM_SNAPSHOT_VERSION;
  idPrefix: string;
  tradeSeq: number;
  orderSeq: number;
  /** Arrival time of the last request (requests arrive in the order sent); null before the first. */
  lastArrival: SnapNum;
  /** State of the venue's Rng when it is capturable, else null. */
  rng: number | null;
  balances: Record<string, { free: string; reserved: string }>;
  /** The 30-day traded volume for fee tiers (null when no tiers are configured). */
  volume30d: VolumeSnapshot | null;
  /** Open orders, plus finished ones when the snapshot was taken with history. */
  orders: SimOrderRecord[];
  /** clientOrderIds of the open (working) orders, in acceptance order. */
  open: string[];
  /** The rank counter (absent before ranks: a restore then numbers the lists in their saved order). */
  rankSeq?: number;
  symbols: SymbolSnapshot[];
  /** Requests in flight, in arrival order. */
  requests: RequestSnapshot[];
  /** The recent-fills log (oldest first); empty when taken without history. */
  fills: SimFillRecord[];
}

const byRank = (key: "listRank" | "openRank") => (a: SimOrderRecord, b: SimOrderRecord) => (a[key] ?? 0) - (b[key] ?? 0);

/**
 * A full snapshot (without history) from a head taken with `ordersElsewhere` (no orders, no lists) and the
 * latest records of the open orders (any others are ignored). The open set is in openRank order; each symbol's
 * lists follow from the orders' phases: resting limits by price (best first) then listRank (time priority, as
 * the venue inserts them), triggers and waiting orders by listRank — the order the venue itself kept.
 */
export function snapshotFromParts(head: SimVenueSnapshot, records: readonly SimOrderRecord[]): SimVenueSnapshot {
  const open = records.filter((record) => record.phase !== "DONE").sort(byRank("openRank"));
  const lists = new Map<string, { buys: SimOrderRecord[]; sells: SimOrderRecord[]; triggers: SimOrderRecord[]; waiting: SimOrderRecord[] }>();
  for (const record of open) {
    let forSymbol = lists.get(record.symbol);
    if (!forSymbol) lists.set(record.symbol, (forSymbol = { buys: [], sells: [], triggers: [], waiting: [] }));
    if (record.phase === "RESTING") (record.side === "BUY" ? forSymbol.buys : forSymbol.sells).push(record);
    else if (record.phase === "TRIGGER") forSymbol.triggers.push(record);
    else if (record.phase === "WAITING") forSymbol.waiting.push(record);
  }
  const ids = (list: SimOrderRecord[]) => list.map((record) => record.clientOrderId);
  const listed = new Set<string>();
  const symbols = head.symbols.map((symbol) => {
    const forSymbol = lists.get(symbol.symbol);
    if (!forSymbol) return symbol;
    listed.add(symbol.symbol);
    const rank = byRank("listRank");
    forSymbol.buys.sort((a, b) => Number(b.limitPrice) - Number(a.limitPrice) || rank(a, b));
    forSymbol.sells.sort((a, b) => Number(a.limitPrice) - Number(b.limitPrice) || rank(a, b));
    return {
      ...symbol,
      buys: ids(forSymbol.buys),
      sells: ids(forSymbol.sells),
      triggers: ids(forSymbol.triggers.sort(rank)),
      waiting: ids(forSymbol.waiting.sort(rank)),
    };
  });
  for (const symbol of lists.keys()) {
    if (!listed.has(symbol)) throw new RangeError(`SNAPSHOT_CORRUPT: open orders on ${symbol}, which the saved state does not list.`);
  }
  return { ...head, orders: open, open: ids(open), symbols, fills: [] };
}

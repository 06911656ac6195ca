/**
 * `npm run sim`: replays recorded books (and trades) through the matching engine with book fidelity on
 * (core/sim/book-fidelity.ts) and a list of orders, and reports each order's arrival and fills, so anyone can check the
 * simulator against the recording.
 *
 * Time line: books and trades in time order (a trade before a book of the same millisecond: the snapshot already shows
 * it). An order is sent at its ts after every update of that ts or earlier; it reaches the venue after the latency
 * and executes against the market as last seen before its arrival. After the recording ends, orders still in flight
 * arrive against the last book; what is still open is reported as open.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { makeInstrument } from "../core/instrument";
import type { MarketUpdate } from "../core/market-data";
import { D } from "../core/money";
import type { VenueEvent } from "../core/orders/events";
import { type Result, err, ok } from "../core/errors";
import { seededRng } from "../core/rng";
import { MatchingEngine } from "../core/sim/matching-engine";
import { loadBookSnapshotsCsv, loadTradesCsv, type RecordedBook, type RecordedTrade } from "../venues/replay/csv";
import { parseSimOrders, type SimOrderInput, type SimOrdersErrorCode, type SimRunArgs } from "./sim-args";

export interface SimFillOut {
  ts: number;
  price: string;
  qty: string;
  liquidity: "MAKER" | "TAKER";
}

export interface SimOrderOut {
  id: string;
  /** When the order was sent (the file's ts) and when it reached the venue (null: never, e.g. after the recording). */
  ts: number;
  arrivalTs: number | null;
  latencyMs: number | null;
  side: "BUY" | "SELL";
  type: "MARKET" | "LIMIT";
  qty: string;
  price: string | null;
  /** The venue's status at the end: FILLED, PARTIALLY_FILLED, ACCEPTED (still working), CANCELED, REJECTED, … */
  status: string;
  filledQty: string;
  avgPrice: string | null;
  /** Why it was refused or canceled, when it was. */
  reason: string | null;
  fills: SimFillOut[];
}

export interface SimReport {
  params: { book: string; trades: string | null; symbol: string; latencyMs: number; jitterMs: number; seed: number; impactBps: number | null };
  data: { books: number; trades: number; from: number; to: number };
  orders: SimOrderOut[];
}

/** What the simulation itself takes of the CLI's arguments (the files are read by runSim). */
export type SimulateOptions = Pick<SimRunArgs, "symbol" | "priceTick" | "qtyStep" | "latencyMs" | "jitterMs" | "seed" | "impactBps">;

/** Plenty of both currencies: the simulation is about prices and fills, not about the account. */
const BALANCE = "1000000000000";

/** Replays the recording with the orders; pure (no files), deterministic for the same inputs and seed. */
export function simulateRecorded(
  books: readonly RecordedBook[],
  trades: readonly RecordedTrade[],
  orders: readonly SimOrderInput[],
  options: SimulateOptions,
): SimOrderOut[] {
  const instrument = makeInstrument({ symbol: options.symbol, priceTick: options.priceTick, qtyStep: options.qtyStep });
  const venue = new MatchingEngine({
    instruments: [instrument],
    initialBalances: { [instrument.base]: BALANCE, [instrument.quote]: BALANCE },
    latencyMs: { fixedMs: options.latencyMs, jitterMs: options.jitterMs },
    rng: seededRng(options.seed),
    bookFidelity: options.impactBps === null ? {} : { impactBps: options.impactBps },
  });
  const symbol = instrument.symbol;
  const arrivals = new Map<string, number>();
  /** Refusals: a rejected order is not kept by the venue, so its reason is only in the event. */
  const rejections = new Map<string, string>();
  const fills = new Map<string, SimFillOut[]>();
  const record = (events: VenueEvent[]): void => {
    for (const { clientOrderId, event } of events) {
      if (event.type === "accept" || event.type === "reject") arrivals.set(clientOrderId, event.ts ?? Number.NaN);
      if (event.type === "reject") rejections.set(clientOrderId, event.reason);
      if (event.type === "fill") {
        const list = fills.get(clientOrderId) ?? [];
        list.push({ ts: event.ts ?? Number.NaN, price: D(event.price).toString(), qty: D(event.qty).toString(), liquidity: event.liquidity ?? "TAKER" });
        fills.set(clientOrderId, list);
      }
    }
  };

  const pending = [...orders].sort((a, b) => a.ts - b.ts || a.index - b.index);
  let next = 0;
  const sendUntil = (before: number): void => {
    while (next < pending.length && pending[next]!.ts < before) {
      const order = pending[next++]!;
      const spec = {
        clientOrderId: order.id,
        symbol,
        side: order.side,
        type: order.type,
        quantity: order.qty,
        timeInForce: order.timeInForce,
        ...(order.price === null ? {} : { price: order.price }),
      };
      record(venue.submit(spec, order.ts));
    }
  };

  let b = 0;
  let t = 0;
  while (b < books.length || t < trades.length) {
    const book = books[b];
    const trade = trades[t];
    const tradeFirst = trade !== undefined && (book === undefined || trade.ts <= book.ts);
    const ts = tradeFirst ? trade.ts : book!.ts;
    sendUntil(ts);
    let update: MarketUpdate;
    if (tradeFirst) {
      update = { kind: "trade", symbol, price: trade.price, qty: trade.qty, aggressor: trade.aggressor };
      t++;
    } else {
      update = { kind: "book", symbol, bids: book!.bids, asks: book!.asks };
      b++;
    }
    record(venue.onMarketData(update, ts));
  }
  sendUntil(Number.POSITIVE_INFINITY);
  const lastSent = pending.length === 0 ? 0 : pending[pending.length - 1]!.ts;
  record(venue.advanceTo(lastSent + options.latencyMs + options.jitterMs));

  return orders.map((order) => {
    const view = venue.order(order.id);
    const arrivalTs = arrivals.get(order.id) ?? null;
    return {
      id: order.id,
      ts: order.ts,
      arrivalTs,
      latencyMs: arrivalTs === null ? null : arrivalTs - order.ts,
      side: order.side,
      type: order.type,
      qty: order.qty.toString(),
      price: order.price === null ? null : order.price.toString(),
      status: view?.status ?? (rejections.has(order.id) ? "REJECTED" : "NOT_ARRIVED"),
      filledQty: view ? view.filledQty.toString() : "0",
      avgPrice: view?.avgFillPrice ? view.avgFillPrice.toDecimalPlaces(8).toString() : null,
      reason: view?.reason ?? rejections.get(order.id) ?? null,
      fills: fills.get(order.id) ?? [],
    };
  });
}

/** Loads the files named by the arguments and runs the simulation; a bad orders file is a refusal, not a crash. */
export function runSim(args: SimRunArgs): Result<SimReport, SimOrdersErrorCode> {
  const orders = parseSimOrders(readFileSync(args.orders, "utf8"), args.orders);
  if (!orders.ok) return orders;
  const books = loadBookSnapshotsCsv(args.book);
  const trades = args.trades === null ? [] : loadTradesCsv(args.trades);
  if (books.length === 0) return err("SIM_ORDERS_INVALID", "the book file holds no snapshots.");
  const results = simulateRecorded(books, trades, orders.value, args);
  const first = Math.min(books[0]!.ts, trades[0]?.ts ?? Number.POSITIVE_INFINITY);
  const last = Math.max(books[books.length - 1]!.ts, trades[trades.length - 1]?.ts ?? 0);
  return ok({
    params: {
      book: basename(args.book),
      trades: args.trades === null ? null : basename(args.trades),
      symbol: args.symbol,
      latencyMs: args.latencyMs,
      jitterMs: args.jitterMs,
      seed: args.seed,
      impactBps: args.impactBps,
    },
    data: { books: books.length, trades: trades.length, from: first, to: last },
    orders: results,
  });
}

/** The human table: one line per order, then one indented line per fill. */
export function formatSimTable(report: SimReport): string {
  const rows: string[][] = [["id", "sent (UTC)", "arrival", "side", "type", "qty", "price", "status", "filled", "avg price", "fills"]];
  const time = (ts: number): string => new Date(ts).toISOString().slice(11, 23);
  for (const order of report.orders) {
    rows.push([
      order.id,
      time(order.ts),
      order.latencyMs === null ? "-" : `+${order.latencyMs} ms`,
      order.side,
      order.type,
      order.qty,
      order.price ?? "-",
      order.status,
      order.filledQty,
      order.avgPrice ?? "-",
      String(order.fills.length),
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]): string =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  const out = [line(rows[0]!)];
  report.orders.forEach((order, i) => {
    out.push(line(rows[i + 1]!));
    for (const fill of order.fills) out.push(`    ${time(fill.ts)}  ${fill.qty} @ ${fill.price}  ${fill.liquidity}`);
    if (order.reason !== null) out.push(`    ${order.reason}`);
  });
  const { data, params } = report;
  out.push(
    "",
    `${params.book}${params.trades === null ? "" : ` + ${params.trades}`}: ${data.books} books, ${data.trades} trades, ${time(data.from)} → ${time(data.to)} UTC`,
  );
  return out.join("\n");
}

/**
 * The Store contract: one suite that every Store implementation must pass (run by sqlite-store.test.ts
 * and memory-store.test.ts). Read-backs that the port lacks (trades, equity history, logs) go through
 * StoreHistory, which both stores implement.
 */
import { afterEach, describe, expect, it } from "vitest";
import { makeInstrument } from "../server/core/instrument";
import { D, type Decimal } from "../server/core/money";
import { applyOrderEvent, createOrder } from "../server/core/orders/fsm";
import type { Order, OrderSpec, OrderStatus } from "../server/core/orders/types";
import { type FillInput, applyFill, openPosition, type Position } from "../server/core/positions/book";
import { StoreError, type StoreHistory } from "../server/db/store";
import type {
  AuditRecord,
  BreakerEventRecord,
  DriftRecord,
  EquityRecord,
  FillRecord,
  JournalEntry,
  OrderMeta,
  ParentOrderRecord,
  SignalRecord,
  Store,
  TradeRecord,
} from "../server/db/store";

export type ContractStore = Store & StoreHistory;

// ── fixtures ───────────────────────────────────────────────────────────────────────────────────────
export function makeOrder(id: string, overrides: Partial<OrderSpec> = {}, status?: OrderStatus): Order {
  const order = createOrder({
    clientOrderId: id,
    symbol: "BTC/USDT",
    side: "SELL",
    type: "LIMIT",
    quantity: "0.5",
    price: "65000.1",
    ts: 1_000,
    venue: "sim",
    ...overrides,
  });
  return status === undefined ? order : { ...order, status };
}

/** A working manual TWAP parent for 1.5 BTC, saved whole at 10, changed by `over`. */
export function twapParent(over: Partial<ParentOrderRecord> = {}): ParentOrderRecord {
  return {
    id: "par-1",
    symbol: "BTC/USDT",
    side: "BUY",
    algo: "twap",
    status: "working",
    targetQty: D("1.5"),
    filledQty: D("0"),
    state: '{"version":1}',
    meta: { owner: "manual" },
    createdAt: 10,
    updatedAt: 10,
    ...over,
  };
}

/** A trailing-stop order with tags, links and one partial fill: Decimals everywhere, nested state. */
export function richOrder(): Order {
  const base = createOrder({
    clientOrderId: "o-rich",
    symbol: "ETH/USDT",
    side: "SELL",
    type: "TRAILING_STOP_LIMIT",
    quantity: "1.234567890123456789012345",
    trailingOffset: "12.5",
    trailingOffsetType: "PRICE",
    activationPrice: "3100.01",
    limitOffset: "0.75",
    reduceOnly: true,
    tags: { signalId: "sig-1", strategy: "momentum", reason: "stop_loss", positionId: "pos-1", note: 'ünïcødé "quoted"' },
    listId: "L1",
    contingency: "OCO",
    linkedClientOrderIds: ["o-tp", "o-entry"],
    parentClientOrderId: "o-entry",
    ts: 1_700_000_000_123,
    venue: "sim",
  });
  let order: Order = {
    ...base,
    trailing: base.trailing && { ...base.trailing, activated: true, extremePrice: D("3120.000000000000000001") },
    triggerPrice: D("3107.5"),
  };
  for (const event of [
    { type: "submit", ts: 1_700_000_000_200 },
    { type: "accept", venueOrderId: "V-9", ts: 1_700_000_000_300 },
    { type: "trigger", ts: 1_700_000_000_400 },
    { type: "fill", tradeId: "t-1", qty: "0.2", price: "3106.75", fee: "0.000123", liquidity: "MAKER", ts: 1_700_000_000_500 },
  ] as const) {
    const result = applyOrderEvent(order, event);
    if (!result.ok) throw new Error(`fixture: ${result.error.message}`);
    order = result.order;
  }
  return order;
}

export function makePosition(id: string, openedAt: number, close = false): Position {
  let position = openPosition({ id, symbol: "BTC/USDT", side: "LONG", ts: openedAt });
  const fills: FillInput[] = [{ tradeId: `${id}-a`, side: "BUY", qty: "0.3", price: "60000.5", fee: "0.1", ts: openedAt + 1 }];
  if (close) fills.push({ tradeId: `${id}-b`, side: "SELL", qty: "0.3", price: "61000.25", fee: "0.11", ts: openedAt + 2 });
  for (const fill of fills) {
    const result = applyFill(position, fill);
    if (!result.ok) throw new Error(`fixture: ${result.error.message}`);
    position = result.value.position;
  }
  return position;
}

export function makeFill(tradeId: string, overrides: Partial<FillRecord> = {}): FillRecord {
  return {
    venue: "sim",
    tradeId,
    clientOrderId: "o-1",
    symbol: "BTC/USDT",
    side: "BUY",
    qty: D("0.1"),
    price: D("60000.01"),
    fee: D("-0.0001"),
    feeCurrency: "USDT",
    liquidity: "TAKER",
    positionId: "pos-1",
    late: false,
    ts: 5_000,
    ...overrides,
  };
}

export function makeTrade(id: string, positionId: string): TradeRecord {
  return {
    id,
    positionId,
    symbol: "BTC/USDT",
    side: "LONG",
    quantity: D("0.3"),
    entryPrice: D("60000.5"),
    exitPrice: D("61000.25"),
    entryTime: 1_000,
    exitTime: 61_000,
    fees: D("0.21"),
    grossPnl: D("299.925"),
    pnl: D("299.715"),
    pnlPct: 1.665,
    outcome: "WIN",
    exitReason: "take_profit",
    requestedPrice: D("60000"),
    entrySlippageBps: 0.083,
    exitSlippageBps: null,
    strategy: "momentum",
    signalId: "sig-1",
    venue: "binance",
  };
}

export function makeSignal(id: string, overrides: Partial<SignalRecord> = {}): SignalRecord {
  return {
    id,
    symbol: "BTC/USDT",
    action: "BUY",
    confidence: 0.82,
    expectedReturn: 0.015,
    stopLoss: D("58000.5"),
    takeProfit: null,
    strategy: "momentum",
    ts: 10_000,
    receivedAt: 10_005,
    source: "webhook",
    status: "ACCEPTED",
    denyCode: null,
    denyReason: null,
    clientOrderId: "o-1",
    ...overrides,
  };
}

export function makeEquity(ts: number, equity: string): EquityRecord {
  return {
    ts,
    equity: D(equity),
    cash: D("9000.123456789"),
    unrealized: D("-12.5"),
    realized: D("3.25"),
    fees: D("0.75"),
    exposure: D("1500"),
    cause: "fill",
  };
}

const breakerEvent: BreakerEventRecord = {
  ts: 7_000,
  kind: "TRIP",
  reason: "DAILY_LOSS",
  message: "Daily loss 5.2% exceeded the 5% limit.",
  by: "breaker",
  action: "cancel_all",
  detail: { loss: D("520.01"), limitPct: 5 },
};

const auditRecord: AuditRecord = {
  ts: 8_000,
  actor: "alice",
  role: "admin",
  action: "order.cancel",
  target: "o-1",
  reason: "fat finger",
  params: { clientOrderId: "o-1", qty: D("0.5") },
  result: "OK",
  detail: null,
};

const driftRecord: DriftRecord = {
  ts: 9_000,
  venue: "sim",
  kind: "MISSED_FILL",
  subject: "o-1",
  detail: { tradeId: "t-9", qty: D("0.01") },
  resolved: true,
  resolution: "booked",
};

const meta: OrderMeta = { venue: "sim", positionId: "pos-1", requestedPrice: D("3107.49") };

function journalEntry(clientOrderId: string, type: string, payload: unknown, ts: number): JournalEntry {
  return { clientOrderId, type, source: "engine", payload, applied: true, ts };
}

/** Decimals compared by value and printed form, so "1.50" vs "1.5" or a float detour shows up. */
function expectDecimal(actual: Decimal | null | undefined, expected: string): void {
  expect(actual?.toString()).toBe(expected);
}

// ── the suite ──────────────────────────────────────────────────────────────────────────────────────
export function runStoreContract(name: string, makeStore: () => ContractStore): void {
  describe(`Store contract: ${name}`, () => {
    const open: ContractStore[] = [];
    const fresh = (): ContractStore => {
      const store = makeStore();
      open.push(store);
      return store;
    };
    afterEach(() => {
      for (const store of open.splice(0)) store.close();
    });

    describe("orders", () => {
      it("round-trips an order exactly: Decimals, trailing state, tags, links, trade ids", () => {
        const store = fresh();
        const order = richOrder();
        store.saveOrder(order, meta);
        const loaded = store.getOrder(order.clientOrderId);
        expect(loaded).toEqual({ order, meta });
        expectDecimal(loaded?.order.quantity, "1.234567890123456789012345");
        expectDecimal(loaded?.order.trailing?.extremePrice, "3120.000000000000000001");
        expectDecimal(loaded?.order.feesPaid, "0.000123");
        expectDecimal(loaded?.meta.requestedPrice, "3107.49");
        expect(loaded?.order.tags.note).toBe('ünïcødé "quoted"');
        expect(loaded?.order.tradeIds).toEqual(["t-1"]);
        expect(loaded?.order.status).toBe("PARTIALLY_FILLED");
      });

      it("upserts: a second save replaces the order and its meta", () => {
        const store = fresh();
        const order = makeOrder("o-1");
        store.saveOrder(order, { venue: "sim", positionId: null, requestedPrice: null });
        const canceled: Order = { ...order, status: "CANCELED", reason: "user", updatedAt: 2_000 };
        store.saveOrder(canceled, meta);
        expect(store.getOrder("o-1")).toEqual({ order: canceled, meta });
        expect(store.loadOrders({ onlyOpen: false })).toHaveLength(1);
      });

      it("returns null for an unknown order", () => {
        expect(fresh().getOrder("nope")).toBeNull();
      });

      it.each([
        ["every order", false, ["a", "b", "c", "d", "e", "f"]],
        ["open orders only (not DENIED/FILLED/CANCELED/EXPIRED/REJECTED)", true, ["a", "c", "e"]],
      ])("loads %s, ordered by createdAt", (_label, onlyOpen, expected) => {
        const store = fresh();
        const rows: [string, number, OrderStatus][] = [
          ["e", 5, "INITIALIZED"],
          ["b", 2, "FILLED"],
          ["a", 1, "ACCEPTED"],
          ["d", 4, "CANCELED"],
          ["c", 3, "PENDING_CANCEL"],
          ["f", 6, "REJECTED"],
        ];
        for (const [id, ts, status] of rows) store.saveOrder(makeOrder(id, { ts }, status), meta);
        expect(store.loadOrders({ onlyOpen }).map((s) => s.order.clientOrderId)).toEqual(expected);
      });
    });

    describe("journal", () => {
      it("assigns strictly increasing seqs and reads back per order and since a seq", () => {
        const store = fresh();
        const seqs = [
          store.appendJournal(journalEntry("o-1", "intent", { qty: D("0.5") }, 1)),
          store.appendJournal(journalEntry("o-2", "intent", { qty: D("1") }, 2)),
          store.appendJournal({ ...journalEntry("o-1", "fill", { tradeId: "t-1", price: D("60000.01") }, 3), source: "venue" }),
          store.appendJournal({ ...journalEntry("o-1", "cancel", {}, 4), applied: false, refusal: "TERMINAL" }),
        ];
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);

        const forOrder = store.journalFor("o-1");
        expect(forOrder.map((e) => [e.seq, e.type, e.source, e.applied, e.refusal])).toEqual([
          [seqs[0], "intent", "engine", true, null],
          [seqs[2], "fill", "venue", true, null],
          [seqs[3], "cancel", "engine", false, "TERMINAL"],
        ]);
        expect(forOrder[1]!.payload).toEqual({ tradeId: "t-1", price: D("60000.01") });
        expectDecimal((forOrder[1]!.payload as { price: Decimal }).price, "60000.01");
        expect(store.journalFor("o-9")).toEqual([]);

        expect(store.journalSince(seqs[0]!, 2).map((e) => e.seq)).toEqual([seqs[1], seqs[2]]);
        expect(store.journalSince(0, 100).map((e) => e.seq)).toEqual(seqs);
        expect(store.journalSince(seqs[3]!, 100)).toEqual([]);
      });
    });

    describe("fills", () => {
      it("books a fill once per (venue, tradeId) and refuses duplicates without throwing", () => {
        const store = fresh();
        expect(store.insertFill(makeFill("t-1"))).toBe(true);
        expect(store.insertFill(makeFill("t-1", { qty: D("9"), ts: 9_999 }))).toBe(false);
        expect(store.insertFill(makeFill("t-1", { venue: "binance" }))).toBe(true);
        expect(store.hasFill("sim", "t-1")).toBe(true);
        expect(store.hasFill("sim", "t-2")).toBe(false);
        expect(store.fillsForOrder("o-1")).toEqual([makeFill("t-1"), makeFill("t-1", { venue: "binance" })]);
        expectDecimal(store.fillsForOrder("o-1")[0]!.fee, "-0.0001");
      });

      it("keeps late fills and nulls, and reports the last fill time per venue", () => {
        const store = fresh();
        expect(store.lastFillTs("sim")).toBeNull();
        const late = makeFill("t-2", { late: true, liquidity: null, positionId: null, ts: 7_000, clientOrderId: "o-2" });
        store.insertFill(makeFill("t-1", { ts: 8_000 }));
        store.insertFill(late);
        store.insertFill(makeFill("t-3", { venue: "binance", ts: 9_000 }));
        expect(store.fillsForOrder("o-2")).toEqual([late]);
        expect(store.lastFillTs("sim")).toBe(8_000);
        expect(store.lastFillTs("binance")).toBe(9_000);
        expect(store.listFills().map((f) => f.tradeId)).toEqual(["t-1", "t-2", "t-3"]);
      });
    });

    describe("positions and trades", () => {
      it("upserts positions and loads the open ones (state not CLOSED) with their exit state", () => {
        const store = fresh();
        const exit = { stopLoss: D("58000.5"), ladder: [{ price: D("62000"), pct: 50, done: false }], trailing: null };
        const p1 = makePosition("p1", 2_000);
        const p2 = makePosition("p2", 1_000);
        store.savePosition(p1, exit, { strategy: "momentum", signalId: "sig-1" });
        store.savePosition(p2, null, { strategy: null, signalId: null });
        store.savePosition(makePosition("p3", 500, true), null, { strategy: null, signalId: null });

        const open = store.loadOpenPositions();
        expect(open.map((s) => s.position.id)).toEqual(["p2", "p1"]);
        expect(open[1]).toEqual({ position: p1, exit, meta: { strategy: "momentum", signalId: "sig-1" } });
        expectDecimal(open[1]!.position.costBasis, p1.costBasis.toString());

        store.savePosition(makePosition("p1", 2_000, true), exit, { strategy: "momentum", signalId: "sig-1" });
        expect(store.loadOpenPositions().map((s) => s.position.id)).toEqual(["p2"]);
        expect(store.listPositions().map((s) => [s.position.id, s.position.state])).toEqual([
          ["p3", "CLOSED"],
          ["p2", "OPEN"],
          ["p1", "CLOSED"],
        ]);
      });

      it("records trades exactly and refuses a second trade for the same id or position", () => {
        const store = fresh();
        const trade = makeTrade("tr-1", "p1");
        store.insertTrade(trade);
        store.insertTrade({ ...makeTrade("tr-2", "p2"), requestedPrice: null, entrySlippageBps: null, strategy: null, signalId: null, venue: "kraken" });
        expect(store.listTrades()[0]).toEqual(trade);
        expect(store.listTrades()[1]?.venue).toBe("kraken");
        expect(store.listTrades().map((t) => t.id)).toEqual(["tr-1", "tr-2"]);
        expect(() => store.insertTrade(makeTrade("tr-1", "p9"))).toThrow(StoreError);
        expect(() => store.insertTrade(makeTrade("tr-9", "p1"))).toThrow(expect.objectContaining({ code: "DUPLICATE_TRADE" }));
        expect(store.listTrades()).toHaveLength(2);
      });
    });

    describe("signals, balances, equity, state", () => {
      it("saves, updates and reads signals", () => {
        const store = fresh();
        expect(store.getSignal("s-1")).toBeNull();
        store.saveSignal(makeSignal("s-1"));
        expect(store.getSignal("s-1")).toEqual(makeSignal("s-1"));
        const denied = makeSignal("s-1", {
          status: "DENIED",
          denyCode: "LOW_CONFIDENCE",
          denyReason: "Confidence 0.2 is below 0.5.",
          clientOrderId: null,
          stopLoss: null,
          expectedReturn: null,
        });
        store.saveSignal(denied);
        expect(store.getSignal("s-1")).toEqual(denied);
        expect(store.listSignals()).toEqual([denied]);
      });

      it("replaces a venue's balances and leaves other venues alone", () => {
        const store = fresh();
        const btc = { currency: "BTC", free: D("0.5"), reserved: D("0.1"), total: D("0.6") };
        const usdt = { currency: "USDT", free: D("1000.000001"), reserved: D("0"), total: D("1000.000001") };
        store.saveBalances("sim", [btc, usdt], 1_000);
        store.saveBalances("binance", [btc], 1_000);
        expect(store.loadBalances("sim")).toEqual([btc, usdt]);
        const usdt2 = { ...usdt, free: D("900"), total: D("900") };
        store.saveBalances("sim", [usdt2], 2_000);
        expect(store.loadBalances("sim")).toEqual([usdt2]);
        expect(store.loadBalances("binance")).toEqual([btc]);
        store.saveBalances("sim", [], 3_000);
        expect(store.loadBalances("sim")).toEqual([]);
        expect(store.loadBalances("kraken")).toEqual([]);
      });

      it("appends equity snapshots and returns the last one", () => {
        const store = fresh();
        expect(store.lastEquity()).toBeNull();
        store.appendEquity(makeEquity(1_000, "10000"));
        store.appendEquity({ ...makeEquity(2_000, "10012.123456789012345678"), cause: "schedule" });
        expect(store.lastEquity()).toEqual({ ...makeEquity(2_000, "10012.123456789012345678"), cause: "schedule" });
        expectDecimal(store.lastEquity()?.equity, "10012.123456789012345678");
        expect(store.listEquity().map((e) => e.ts)).toEqual([1_000, 2_000]);
      });

      it.each([
        ["a string", "tradingState", "HALTED"],
        ["an object with Decimals", "breaker", { peak: D("10500.25"), losses: 3, trippedAt: null, reasons: ["A", "B"] }],
        ["a number", "counter", 42],
        ["a boolean", "flag", false],
      ])("gets and sets %s", (_label, key, value) => {
        const store = fresh();
        expect(store.getState(key)).toBeNull();
        store.setState(key, value);
        expect(store.getState(key)).toEqual(value);
        store.setState(key, "replaced");
        expect(store.getState(key)).toBe("replaced");
      });
    });

    describe("logs and settings", () => {
      it("appends breaker events, audit records and drifts in order", () => {
        const store = fresh();
        store.appendBreakerEvent(breakerEvent);
        store.appendBreakerEvent({ ...breakerEvent, kind: "RESET", action: null, detail: null, by: "alice", ts: 7_500 });
        store.appendAudit(auditRecord);
        store.appendAudit({ ...auditRecord, target: null, reason: null, params: null, result: "REFUSED", detail: "Not allowed." });
        store.appendDrift(driftRecord);
        store.appendDrift({ ...driftRecord, resolved: false, resolution: null, detail: null });

        expect(store.listBreakerEvents()).toEqual([breakerEvent, { ...breakerEvent, kind: "RESET", action: null, detail: null, by: "alice", ts: 7_500 }]);
        expectDecimal((store.listBreakerEvents()[0]!.detail as { loss: Decimal }).loss, "520.01");
        expect(store.listAudit()).toEqual([
          auditRecord,
          { ...auditRecord, target: null, reason: null, params: null, result: "REFUSED", detail: "Not allowed." },
        ]);
        expect(store.listDrifts()).toEqual([driftRecord, { ...driftRecord, resolved: false, resolution: null, detail: null }]);
      });

      it("upserts symbol settings and lists them by symbol", () => {
        const store = fresh();
        const eth = { symbol: "ETH/USDT", enabled: true, settings: { maxPositionSize: D("2.5"), minConfidence: 0.6 }, updatedAt: 1, updatedBy: "alice" };
        const btc = { symbol: "BTC/USDT", enabled: true, settings: { maxPositionSize: D("0.1") }, updatedAt: 2, updatedBy: "bob" };
        store.saveSymbolSetting(eth);
        store.saveSymbolSetting(btc);
        const ethOff = { ...eth, enabled: false, updatedAt: 3 };
        store.saveSymbolSetting(ethOff);
        expect(store.loadSymbolSettings()).toEqual([btc, ethOff]);
      });

      it("upserts instrument listings by symbol, deletes one, and lists symbol and venue by symbol", () => {
        const store = fresh();
        const eth = makeInstrument({ symbol: "ETH/USDT", priceTick: "0.01", qtyStep: "0.0001" });
        const btc = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", maxQty: "9000" });
        store.saveInstrument("sim-a", eth, 1);
        store.saveInstrument("sim-a", btc, 1);
        store.saveInstrument("sim-b", btc, 2); // moved venue: the same row
        expect(store.listInstrumentVenues()).toEqual([
          { symbol: "BTC/USDT", venue: "sim-b" },
          { symbol: "ETH/USDT", venue: "sim-a" },
        ]);
        store.deleteInstrument("ETH/USDT");
        store.deleteInstrument("SOL/USDT"); // none: nothing to do
        expect(store.listInstrumentVenues()).toEqual([{ symbol: "BTC/USDT", venue: "sim-b" }]);
      });

      it("upserts order lists by id, loads the working ones or all, and reads one back exactly", () => {
        const store = fresh();
        const bracket = {
          listId: "lst-1",
          kind: "BRACKET",
          symbol: "BTC/USDT",
          status: "WORKING",
          data: { legs: [{ role: "entry", qty: D("0.1") }] },
          createdAt: 1,
          updatedAt: 1,
        };
        const oco = { listId: "lst-2", kind: "OCO", symbol: "BTC/USDT", status: "WORKING", data: { legs: [] }, createdAt: 2, updatedAt: 2 };
        store.saveOrderList(bracket);
        store.saveOrderList(oco);
        const done = { ...bracket, status: "DONE", data: { legs: [], endReason: "executed" }, updatedAt: 5 };
        store.saveOrderList(done);
        expect(store.loadOrderLists({ onlyOpen: true })).toEqual([oco]);
        expect(store.loadOrderLists({ onlyOpen: false })).toEqual([done, oco]);
        expect(store.getOrderList("lst-1")).toEqual(done);
        expect(store.getOrderList("lst-9")).toBeNull();
      });

      it("upserts parent orders by id, keeps the first createdAt, and lists open ones apart", () => {
        const store = fresh();
        const twap = twapParent({ meta: { owner: "manual", positionId: null } });
        const ice = { ...twap, id: "par-2", algo: "iceberg", createdAt: 20, updatedAt: 20 };
        store.saveParentOrder(ice);
        store.saveParentOrder(twap);
        store.saveParentOrder({ ...twap, status: "done", filledQty: D("1.5"), state: '{"version":1,"x":2}', createdAt: 99, updatedAt: 30 });
        const done = { ...twap, status: "done", filledQty: D("1.5"), state: '{"version":1,"x":2}', updatedAt: 30 };
        expect(store.getParentOrder("par-1")).toEqual(done);
        expect(store.getParentOrder("nope")).toBeNull();
        expect(store.loadParentOrders({ onlyOpen: false })).toEqual([done, ice]);
        expect(store.loadParentOrders({ onlyOpen: true })).toEqual([ice]);
      });

      it("upserts routing decisions by id and keeps the first createdAt", () => {
        const store = fresh();
        const route = {
          id: "rte-1",
          symbol: "BTC/USDT",
          side: "BUY" as const,
          mode: "split",
          requestedQty: D("2"),
          routedQty: D("2"),
          status: "ROUTED",
          data: { rounds: [{ summary: "split over 2 venues", children: [{ clientOrderId: "rte-1.1", venue: "a" }] }] },
          createdAt: 10,
          updatedAt: 10,
        };
        store.saveOrderRoute(route);
        store.saveOrderRoute({ ...route, routedQty: D("1.5"), status: "PARTIAL", data: { rounds: [] }, createdAt: 99, updatedAt: 20 });
        expect(store.getOrderRoute("rte-1")).toEqual({ ...route, routedQty: D("1.5"), status: "PARTIAL", data: { rounds: [] }, updatedAt: 20 });
        expect(store.getOrderRoute("rte-9")).toBeNull();
      });

      it("loads the routes still ROUTING (a restart finishes them), oldest first", () => {
        const store = fresh();
        const route = (id: string, status: string, createdAt: number) => ({
          id,
          symbol: "BTC/USDT",
          side: "BUY" as const,
          mode: "split",
          requestedQty: D("2"),
          routedQty: D("0"),
          status,
          data: { rounds: [] },
          createdAt,
          updatedAt: createdAt,
        });
        store.saveOrderRoute(route("rte-2", "ROUTING", 20));
        store.saveOrderRoute(route("rte-1", "ROUTING", 10));
        store.saveOrderRoute(route("rte-3", "ROUTED", 5));
        expect(store.loadOpenOrderRoutes().map((r) => r.id)).toEqual(["rte-1", "rte-2"]);
        store.saveOrderRoute({ ...route("rte-1", "PARTIAL", 10), updatedAt: 30 });
        expect(store.loadOpenOrderRoutes()).toEqual([route("rte-2", "ROUTING", 20)]);
      });

      it("saves a parent's steps in parts: its progress and new or changed children; a whole save replaces them", () => {
        const store = fresh();
        const twap = twapParent();
        store.saveParentOrder(twap);
        store.saveParentOrder({ ...twap, id: "par-2", createdAt: 20 });
        const child = (id: string, slice: number, state: string) => ({ parentId: "par-1", clientOrderId: id, slice, state, updatedAt: 11 });
        store.saveParentProgress({ id: "par-1", status: "working", filledQty: D("0.5"), progress: '{"p":1}', updatedAt: 11 }, [
          child("par-1.2", 2, '{"c":2}'),
          child("par-1.1", 1, '{"c":1}'),
        ]);
        store.saveParentProgress({ id: "par-1", status: "completing", filledQty: D("1"), progress: '{"p":2}', updatedAt: 12 }, [
          child("par-1.2", 2, '{"c":"2b"}'),
        ]);
        const stepped = { ...twap, status: "completing", filledQty: D("1"), progress: '{"p":2}', children: ['{"c":1}', '{"c":"2b"}'], updatedAt: 12 };
        expect(store.getParentOrder("par-1")).toEqual(stepped);
        expect(store.loadParentOrders({ onlyOpen: true })).toEqual([stepped, { ...twap, id: "par-2", createdAt: 20 }]);
        // Finished: no longer open, still listed with its parts.
        store.saveParentProgress({ id: "par-1", status: "done", filledQty: D("1.5"), progress: '{"p":3}', updatedAt: 13 }, []);
        expect(store.loadParentOrders({ onlyOpen: true }).map((r) => r.id)).toEqual(["par-2"]);
        expect(store.loadParentOrders({ onlyOpen: false })[0]).toMatchObject({ status: "done", progress: '{"p":3}', children: ['{"c":1}', '{"c":"2b"}'] });
        // A whole save is the truth again: the parts are gone.
        store.saveParentOrder({ ...twap, state: '{"version":1,"whole":true}', updatedAt: 14 });
        expect(store.getParentOrder("par-1")).toEqual({ ...twap, state: '{"version":1,"whole":true}', updatedAt: 14 });
        // Parts of a parent never saved whole are refused, and nothing is written.
        expect(() => store.saveParentProgress({ id: "par-9", status: "working", filledQty: D("0"), progress: "{}", updatedAt: 1 }, [])).toThrow(
          /never saved whole/,
        );
        expect(store.getParentOrder("par-9")).toBeNull();
      });

      it("a parent's step is all or nothing inside a transaction", () => {
        const store = fresh();
        const twap = twapParent({ targetQty: D("1"), state: "{}", meta: null, createdAt: 1, updatedAt: 1 });
        store.saveParentOrder(twap);
        expect(() =>
          store.transaction(() => {
            store.saveParentProgress({ id: "par-1", status: "done", filledQty: D("1"), progress: '{"p":1}', updatedAt: 2 }, [
              { parentId: "par-1", clientOrderId: "par-1.1", slice: 1, state: "{}", updatedAt: 2 },
            ]);
            throw new Error("crash before commit");
          }),
        ).toThrow("crash before commit");
        expect(store.getParentOrder("par-1")).toEqual(twap);
      });
    });

    describe("transactions", () => {
      /** Writes something to every table the store has. */
      function writeEverything(store: ContractStore, tag: string): void {
        store.appendJournal(journalEntry(`o-${tag}`, "intent", { tag }, 1));
        store.saveOrder(makeOrder(`o-${tag}`), meta);
        store.insertFill(makeFill(`t-${tag}`));
        store.savePosition(makePosition(`p-${tag}`, 1), null, { strategy: null, signalId: null });
        store.insertTrade(makeTrade(`tr-${tag}`, `p-${tag}`));
        store.saveSignal(makeSignal(`s-${tag}`));
        store.saveBalances("sim", [{ currency: tag, free: D(1), reserved: D(0), total: D(1) }], 1);
        store.appendEquity(makeEquity(1, "1"));
        store.setState(`k-${tag}`, tag);
        store.saveParentOrder({
          id: `par-${tag}`,
          symbol: "BTC/USDT",
          side: "BUY",
          algo: "twap",
          status: "working",
          targetQty: D(1),
          filledQty: D(0),
          state: "{}",
          meta: null,
          createdAt: 1,
          updatedAt: 1,
        });
        store.appendAudit(auditRecord);
        store.appendBreakerEvent(breakerEvent);
        store.appendDrift(driftRecord);
        store.saveSymbolSetting({ symbol: `S-${tag}`, enabled: true, settings: {}, updatedAt: 1, updatedBy: "x" });
        store.acquireLease({ ownerId: `owner-${tag}`, pid: 1, host: "h", now: 1, staleAfterMs: 10 });
      }

      function counts(store: ContractStore) {
        return {
          journal: store.journalSince(0, 1_000).length,
          orders: store.loadOrders({ onlyOpen: false }).length,
          fills: store.listFills().length,
          positions: store.listPositions().length,
          trades: store.listTrades().length,
          signals: store.listSignals().length,
          balances: store.loadBalances("sim").map((b) => b.currency),
          equity: store.listEquity().length,
          audit: store.listAudit().length,
          breaker: store.listBreakerEvents().length,
          drifts: store.listDrifts().length,
          settings: store.loadSymbolSettings().length,
          parents: store.loadParentOrders({ onlyOpen: false }).length,
        };
      }

      it("commits everything written in a transaction and returns its value", () => {
        const store = fresh();
        const result = store.transaction(() => {
          writeEverything(store, "A");
          return 42;
        });
        expect(result).toBe(42);
        expect(counts(store)).toEqual({
          journal: 1,
          orders: 1,
          fills: 1,
          positions: 1,
          trades: 1,
          signals: 1,
          balances: ["A"],
          equity: 1,
          audit: 1,
          breaker: 1,
          drifts: 1,
          settings: 1,
          parents: 1,
        });
        expect(store.getState("k-A")).toBe("A");
      });

      it("rolls back every write when the function throws, and rethrows", () => {
        const store = fresh();
        writeEverything(store, "A");
        store.releaseLease("owner-A");
        const before = counts(store);
        const boom = new Error("boom");
        expect(() =>
          store.transaction(() => {
            writeEverything(store, "B");
            store.saveOrder({ ...makeOrder("o-A"), status: "FILLED" }, meta);
            store.setState("k-A", "changed");
            throw boom;
          }),
        ).toThrow(boom);
        expect(counts(store)).toEqual(before);
        expect(store.getState("k-B")).toBeNull();
        expect(store.getState("k-A")).toBe("A");
        expect(store.getOrder("o-A")?.order.status).toBe("INITIALIZED");
        expect(store.hasFill("sim", "t-B")).toBe(false);
        // the lease taken inside the rolled-back transaction is free again
        expect(store.acquireLease({ ownerId: "someone", pid: 2, host: "h", now: 2, staleAfterMs: 1_000 })).toEqual({ ok: true });
        // the journal carries on after the last committed entry
        const committed = store.journalSince(0, 10).map((e) => e.seq);
        expect(committed).toHaveLength(1);
        const seq = store.appendJournal(journalEntry("o-C", "intent", {}, 5));
        expect(seq).toBeGreaterThan(committed[0]!);
        expect(store.journalSince(0, 10).map((e) => e.seq)).toEqual([...committed, seq]);
        expect(store.journalFor("o-B")).toEqual([]);
      });

      it("joins nested transactions: inner commits are kept with the outer one", () => {
        const store = fresh();
        store.transaction(() => {
          store.setState("outer", 1);
          const inner = store.transaction(() => {
            store.setState("inner", 2);
            return store.transaction(() => store.getState<number>("outer"));
          });
          expect(inner).toBe(1);
        });
        expect([store.getState("outer"), store.getState("inner")]).toEqual([1, 2]);
      });

      it("undoes only a nested transaction whose throw the outer one catches", () => {
        const store = fresh();
        store.transaction(() => {
          store.setState("outer", 1);
          store.appendJournal(journalEntry("o-1", "intent", {}, 1));
          expect(() =>
            store.transaction(() => {
              store.setState("inner", 2);
              store.setState("outer", 99);
              store.appendJournal(journalEntry("o-1", "submit", {}, 2));
              throw new Error("inner fails");
            }),
          ).toThrow("inner fails");
          expect(store.getState("outer")).toBe(1);
          store.appendJournal(journalEntry("o-1", "accept", {}, 3));
        });
        expect([store.getState("outer"), store.getState("inner")]).toEqual([1, null]);
        expect(store.journalFor("o-1").map((e) => e.type)).toEqual(["intent", "accept"]);
      });

      it("rolls back everything when a nested throw is not caught", () => {
        const store = fresh();
        expect(() =>
          store.transaction(() => {
            store.setState("outer", 1);
            store.transaction(() => {
              store.setState("inner", 2);
              throw new Error("deep");
            });
          }),
        ).toThrow("deep");
        expect([store.getState("outer"), store.getState("inner")]).toEqual([null, null]);
      });

      it("refuses an async function and writes nothing", () => {
        const store = fresh();
        expect(() =>
          store.transaction(() => {
            store.setState("k", 1);
            return Promise.resolve(1);
          }),
        ).toThrow(/promise/);
        expect(store.getState("k")).toBeNull();
      });
    });

    describe("arbitrage", () => {
      it("upserts round trips (open ones oldest first, the newest of all), appends opportunities and sums them per reason", () => {
        const store = fresh();
        const trip = (id: string, status: string, openedAt: number) => ({
          id,
          pairId: "p",
          status,
          pnl: status === "done" ? D("1.25") : null,
          data: { id, qty: D("0.1") },
          openedAt,
          updatedAt: openedAt,
        });
        store.saveArbRoundTrip(trip("a", "open", 1));
        store.saveArbRoundTrip(trip("b", "open", 2));
        store.saveArbRoundTrip(trip("a", "done", 1));
        expect(store.loadArbRoundTrips({ onlyOpen: true }).map((r) => r.id)).toEqual(["b"]);
        const all = store.loadArbRoundTrips({ onlyOpen: false, limit: 10 });
        expect(all.map((r) => [r.id, r.status, r.pnl?.toString() ?? null])).toEqual([
          ["b", "open", null],
          ["a", "done", "1.25"],
        ]);
        expect((all[1]!.data as { qty: Decimal }).qty.equals(D("0.1"))).toBe(true);
        const row = { pairId: "p", reason: "r", firstTs: 1, bestNetBps: null, buyVenue: null, sellVenue: null, qty: null, roundTripId: null };
        store.appendArbOpportunity({ ...row, outcome: "skipped", code: "BELOW_THRESHOLD", count: 40, lastTs: 5 });
        store.appendArbOpportunity({ ...row, outcome: "taken", code: "TAKEN", count: 1, lastTs: 6, bestNetBps: D("450.5"), qty: D("0.1"), roundTripId: "a" });
        store.appendArbOpportunity({ ...row, outcome: "skipped", code: "BELOW_THRESHOLD", count: 2, lastTs: 7 });
        expect(store.loadArbOpportunities(2).map((r) => [r.code, r.count, r.bestNetBps?.toString() ?? null])).toEqual([
          ["BELOW_THRESHOLD", 2, null],
          ["TAKEN", 1, "450.5"],
        ]);
        expect(
          store
            .arbOpportunityCounts()
            .map((c) => [c.outcome, c.code, c.count])
            .sort(),
        ).toEqual([
          ["skipped", "BELOW_THRESHOLD", 42],
          ["taken", "TAKEN", 1],
        ]);
      });
    });

    describe("engine lease", () => {
      const req = (ownerId: string, now: number) => ({ ownerId, pid: ownerId.length, host: `host-${ownerId}`, now, staleAfterMs: 10_000 });

      it("acquires, refuses a second owner, takes over when stale, and fences the old owner", () => {
        const store = fresh();
        expect(store.acquireLease(req("A", 1_000))).toEqual({ ok: true });
        expect(store.acquireLease(req("A", 2_000))).toEqual({ ok: true }); // re-entrant for the holder
        expect(store.acquireLease(req("B", 5_000))).toEqual({
          ok: false,
          holder: { ownerId: "A", pid: 1, host: "host-A", heartbeatAt: 2_000 },
        });
        expect(store.heartbeat("A", 9_000)).toBe(true);
        expect(store.acquireLease(req("B", 19_000))).toEqual({ ok: false, holder: { ownerId: "A", pid: 1, host: "host-A", heartbeatAt: 9_000 } });
        expect(store.acquireLease(req("B", 19_001))).toEqual({ ok: true }); // heartbeat older than staleAfterMs
        expect(store.heartbeat("A", 19_002)).toBe(false);
        expect(store.heartbeat("B", 19_003)).toBe(true);
        store.releaseLease("A"); // not ours: no effect
        expect(store.acquireLease(req("C", 20_000)).ok).toBe(false);
        store.releaseLease("B");
        expect(store.heartbeat("B", 20_001)).toBe(false);
        expect(store.acquireLease(req("C", 20_002))).toEqual({ ok: true });
      });
    });
  });
}

import { describe, expect, it } from "vitest";
import { sequentialIds } from "../ids";
import { D } from "../money";
import {
  AlertBook,
  AlertRules,
  arrivalPrice,
  DEFAULT_ALERT_SETTINGS,
  slippageBps,
  summarize,
  type AlertInput,
  type AlertSettings,
  type AlertSignal,
} from "./index";

const settings: AlertSettings = {
  ...DEFAULT_ALERT_SETTINGS,
  slippageWarnBps: 50,
  slippageCriticalBps: 200,
  latencyMs: 1_000,
  limitFillTimeoutMs: 60_000,
  fillRateWindowMs: 600_000,
  fillRateMinOrders: 4,
  fillRateFloor: 0.5,
};

const order = (clientOrderId: string, status: string, updatedAt: number, orderType = "LIMIT"): AlertInput => ({
  type: "order",
  clientOrderId,
  symbol: "BTC/USDT",
  orderType,
  status,
  venue: "binance",
  createdAt: 0,
  updatedAt,
});

/** The signals, reduced to what the cases compare: op, key and severity. */
function run(inputs: AlertInput[]): string[] {
  const rules = new AlertRules(settings);
  return inputs.flatMap((input) => rules.observe(input)).map((s) => (s.op === "raise" ? `raise ${s.key} ${s.severity}` : `resolve ${s.key}`));
}

/** A limit order acknowledged at `at`, then filled `after` ms later (or canceled when after is null). */
function limitOrder(id: string, at: number, after: number | null): AlertInput[] {
  return [order(id, "SUBMITTED", at), order(id, "ACCEPTED", at), after === null ? order(id, "CANCELED", at + 1_000) : order(id, "FILLED", at + after)];
}

describe("AlertRules", () => {
  const cases: { name: string; inputs: AlertInput[]; expected: string[] }[] = [
    {
      name: "a fill 30 bps worse than asked: under the bound, nothing",
      inputs: [{ type: "fill", clientOrderId: "o1", symbol: "BTC/USDT", side: "BUY", price: "100.3", requestedPrice: "100", ts: 1 }],
      expected: [],
    },
    {
      name: "a buy 100 bps above the price asked: a warning",
      inputs: [{ type: "fill", clientOrderId: "o1", symbol: "BTC/USDT", side: "BUY", price: "101", requestedPrice: "100", ts: 1 }],
      expected: ["raise SLIPPAGE:BTC/USDT warning"],
    },
    {
      name: "a sell 250 bps below the price asked: critical",
      inputs: [{ type: "fill", clientOrderId: "o1", symbol: "ETH/BTC", side: "SELL", price: "97.5", requestedPrice: "100", ts: 1 }],
      expected: ["raise SLIPPAGE:ETH/BTC critical"],
    },
    {
      name: "a sell above the price asked is price improvement, not slippage",
      inputs: [{ type: "fill", clientOrderId: "o1", symbol: "BTC/USDT", side: "SELL", price: "103", requestedPrice: "100", ts: 1 }],
      expected: [],
    },
    {
      // Placed with the market at 20000, the stop waited for 19000: the 10 below its trigger is its slippage (5.3 bps), not the 1010 below the market at placement.
      name: "a sell stop is measured against its trigger, not the market when it was placed",
      inputs: [
        {
          type: "fill",
          clientOrderId: "s1",
          symbol: "BTC/USDT",
          side: "SELL",
          price: "18990",
          requestedPrice: "20000",
          orderType: "STOP_MARKET",
          triggerPrice: "19000",
          ts: 1,
        },
      ],
      expected: [],
    },
    {
      name: "a sell stop that gaps 150 bps through its trigger: a warning",
      inputs: [
        {
          type: "fill",
          clientOrderId: "s1",
          symbol: "BTC/USDT",
          side: "SELL",
          price: "18715",
          requestedPrice: "20000",
          orderType: "STOP_MARKET",
          triggerPrice: "19000",
          ts: 1,
        },
      ],
      expected: ["raise SLIPPAGE:BTC/USDT warning"],
    },
    {
      name: "a buy take-profit below the market is measured against its trigger",
      inputs: [
        {
          type: "fill",
          clientOrderId: "t1",
          symbol: "BTC/USDT",
          side: "BUY",
          price: "18005",
          requestedPrice: "20000",
          orderType: "TAKE_PROFIT_MARKET",
          triggerPrice: "18000",
          ts: 1,
        },
      ],
      expected: [],
    },
    {
      name: "a trigger order without its trigger level cannot be measured",
      inputs: [
        {
          type: "fill",
          clientOrderId: "s1",
          symbol: "BTC/USDT",
          side: "SELL",
          price: "18990",
          requestedPrice: "20000",
          orderType: "STOP_MARKET",
          triggerPrice: null,
          ts: 1,
        },
      ],
      expected: [],
    },
    {
      name: "a market order is measured against its requested price (the touch when it was sent), whatever else it carries",
      inputs: [
        {
          type: "fill",
          clientOrderId: "m1",
          symbol: "BTC/USDT",
          side: "BUY",
          price: "101",
          requestedPrice: "100",
          orderType: "MARKET",
          triggerPrice: null,
          ts: 1,
        },
      ],
      expected: ["raise SLIPPAGE:BTC/USDT warning"],
    },
    {
      name: "a fill without a requested price cannot be measured",
      inputs: [{ type: "fill", clientOrderId: "o1", symbol: "BTC/USDT", side: "BUY", price: "150", requestedPrice: null, ts: 1 }],
      expected: [],
    },
    {
      name: "submit → ack in 400 ms: nothing",
      inputs: [order("o1", "SUBMITTED", 1_000, "MARKET"), order("o1", "ACCEPTED", 1_400, "MARKET")],
      expected: [],
    },
    {
      name: "submit → ack in 2 s: a warning; a later quick answer resolves it",
      inputs: [order("o1", "SUBMITTED", 0), order("o1", "ACCEPTED", 2_000), order("o2", "SUBMITTED", 3_000), order("o2", "REJECTED", 3_100)],
      expected: ["raise LATENCY:binance warning", "resolve LATENCY:binance"],
    },
    {
      name: "submit → fill in 6 s (over five times the bound): critical",
      inputs: [order("o1", "SUBMITTED", 0, "MARKET"), order("o1", "FILLED", 6_000, "MARKET")],
      expected: ["raise LATENCY:binance critical"],
    },
    {
      name: "a quick answer without a slow one before resolves nothing",
      inputs: [order("o1", "SUBMITTED", 0), order("o1", "ACCEPTED", 10)],
      expected: [],
    },
    {
      name: "fill rate: 1 of 4 limit orders filled in time (25 % < 50 %): a warning",
      inputs: [...limitOrder("a", 0, 5_000), ...limitOrder("b", 10_000, null), ...limitOrder("c", 20_000, 90_000), ...limitOrder("d", 30_000, null)],
      expected: ["raise FILL_RATE warning"],
    },
    {
      name: "fill rate: 3 of 4 in time: fine; too few orders measure nothing",
      inputs: [...limitOrder("a", 0, 5_000), ...limitOrder("b", 10_000, null), ...limitOrder("c", 20_000, 1_000), ...limitOrder("d", 30_000, 2_000)],
      expected: ["resolve FILL_RATE"],
    },
    {
      name: "fill rate: orders still resting past their timeout count as misses at the next tick",
      inputs: [
        ...[0, 1, 2, 3].flatMap((i) => [order(`r${i}`, "SUBMITTED", i), order(`r${i}`, "ACCEPTED", i)]),
        { type: "tick", ts: 30_000 },
        { type: "tick", ts: 61_000 },
      ],
      expected: ["raise FILL_RATE warning"],
    },
    {
      name: "market orders do not count in the fill rate",
      inputs: [0, 1, 2, 3, 4].flatMap((i) => [order(`m${i}`, "SUBMITTED", i, "MARKET"), order(`m${i}`, "CANCELED", i + 1, "MARKET")]),
      expected: [],
    },
    {
      name: "balance and position mismatches from reconciliation are critical; other drifts are not alerts here",
      inputs: [
        { type: "drift", kind: "QUOTE_BALANCE_MISMATCH", subject: "USDT", message: "m", ts: 1 },
        { type: "drift", kind: "POSITION_MISMATCH", subject: "BTC/USDT:USDT", message: "m", ts: 2 },
        { type: "drift", kind: "BALANCE_SHORTFALL", subject: "BTC", message: "m", ts: 3 },
        { type: "drift", kind: "FEE_CURRENCY", subject: "o1", message: "m", ts: 4 },
      ],
      expected: [
        "raise BALANCE:QUOTE_BALANCE_MISMATCH:USDT critical",
        "raise BALANCE:POSITION_MISMATCH:BTC/USDT:USDT critical",
        "raise BALANCE:BALANCE_SHORTFALL:BTC critical",
      ],
    },
    {
      name: "an order in doubt warns until it is resolved",
      inputs: [
        { type: "drift", kind: "ORDER_IN_DOUBT", subject: "bst-1", message: "m", ts: 1 },
        { type: "drift", kind: "IN_DOUBT_RESOLVED", subject: "bst-1", message: "found FILLED", ts: 2 },
      ],
      expected: ["raise IN_DOUBT:bst-1 warning", "resolve IN_DOUBT:bst-1"],
    },
    {
      name: "a protection that only alerts warns; one that locks or halts is critical",
      inputs: [
        { type: "protection", rule: "FLASH_MOVE", scope: "XLM/BTC", action: "ALERT", message: "m", ts: 1 },
        { type: "protection", rule: "VENUE_UNREACHABLE", scope: "venue binance", action: "HALT", message: "m", ts: 2 },
      ],
      expected: ["raise PROTECTION:FLASH_MOVE:XLM/BTC warning", "raise PROTECTION:VENUE_UNREACHABLE:venue binance critical"],
    },
    {
      name: "the breaker trips (critical) and resets (resolved)",
      inputs: [
        { type: "breaker", state: "OPEN", reason: "DAILY_LOSS", message: "m", ts: 1 },
        { type: "breaker", state: "CLOSED", reason: "", message: "reset", ts: 2 },
      ],
      expected: ["raise BREAKER critical", "resolve BREAKER"],
    },
    {
      name: "connectivity: raised once when lost, resolved once when regained, silent while unchanged",
      inputs: [
        { type: "connectivity", target: "market data", connected: true, message: "ok", ts: 1 },
        { type: "connectivity", target: "market data", connected: false, message: "down", ts: 2 },
        { type: "connectivity", target: "market data", connected: false, message: "down", ts: 3 },
        { type: "connectivity", target: "market data", connected: true, message: "up", ts: 4 },
        { type: "connectivity", target: "market data", connected: true, message: "up", ts: 5 },
      ],
      expected: ["raise CONNECTIVITY:market data critical", "resolve CONNECTIVITY:market data"],
    },
  ];
  it.each(cases)("$name", ({ inputs, expected }) => {
    expect(run(inputs)).toEqual(expected);
  });

  it("says the numbers in its messages", () => {
    const rules = new AlertRules(settings);
    const [signal] = rules.observe({ type: "fill", clientOrderId: "o9", symbol: "BTC/USDT", side: "BUY", price: "101", requestedPrice: "100", ts: 5 });
    expect(signal).toMatchObject({ op: "raise", ts: 5 });
    expect(signal && signal.op === "raise" ? signal.message : "").toBe(
      "Order o9 (BUY) filled at 101, 100 bps worse than the 100 asked for (the bound is 50 bps).",
    );
  });

  it.each([
    ["market", { orderType: "MARKET", requestedPrice: "100", triggerPrice: null }, { price: "100", basis: "requested" }],
    ["limit", { orderType: "LIMIT", requestedPrice: "99", triggerPrice: null }, { price: "99", basis: "requested" }],
    ["no type given (older callers)", { requestedPrice: "100" }, { price: "100", basis: "requested" }],
    ["stop market", { orderType: "STOP_MARKET", requestedPrice: "100", triggerPrice: "95" }, { price: "95", basis: "trigger" }],
    ["stop limit", { orderType: "STOP_LIMIT", requestedPrice: "94", triggerPrice: "95" }, { price: "95", basis: "trigger" }],
    ["trailing stop", { orderType: "TRAILING_STOP_MARKET", requestedPrice: "100", triggerPrice: "97.5" }, { price: "97.5", basis: "trigger" }],
    ["stop without its trigger", { orderType: "STOP_MARKET", requestedPrice: "100", triggerPrice: null }, null],
    ["market without a requested price", { orderType: "MARKET", requestedPrice: null }, null],
  ] as const)("the arrival price of a %s order", (_name, fill, expected) => {
    expect(arrivalPrice(fill)).toEqual(expected);
  });

  it("says a stop's slippage against its trigger price", () => {
    const rules = new AlertRules(settings);
    const [signal] = rules.observe({
      type: "fill",
      clientOrderId: "s9",
      symbol: "BTC/USDT",
      side: "SELL",
      price: "18715",
      requestedPrice: "20000",
      orderType: "STOP_MARKET",
      triggerPrice: "19000",
      ts: 5,
    });
    expect(signal).toMatchObject({
      op: "raise",
      message: "Order s9 (SELL) filled at 18715, 150 bps worse than its trigger price 19000 (the bound is 50 bps).",
    });
  });

  it("measures slippage in basis points, worse is positive", () => {
    expect(slippageBps("BUY", D("20000"), D("20010"))).toBe(5);
    expect(slippageBps("SELL", D("20000"), D("20010"))).toBe(-5);
    expect(slippageBps("BUY", D("0"), D("1"))).toBeNull();
  });
});

const raise = (key: string, severity: "info" | "warning" | "critical", ts: number): AlertSignal => ({
  op: "raise",
  key,
  kind: "PROTECTION",
  severity,
  subject: key,
  title: `title ${ts}`,
  message: `message ${ts}`,
  ts,
});

describe("AlertBook", () => {
  it("dedupes raises of one key: first and last seen, count, the worst severity, the latest message", () => {
    const book = new AlertBook(sequentialIds());
    expect(book.apply(raise("K", "warning", 10))?.change).toBe("RAISED");
    expect(book.apply(raise("K", "critical", 20))?.change).toBe("REPEATED");
    expect(book.apply(raise("K", "info", 30))?.change).toBe("REPEATED");
    const [alert] = book.unacknowledged();
    expect(alert).toMatchObject({
      id: "alr-1",
      key: "K",
      firstSeen: 10,
      lastSeen: 30,
      count: 3,
      severity: "critical",
      message: "message 30",
      status: "ACTIVE",
    });
  });

  it("resolves the active occurrence; a raise after that reopens it (still unacknowledged)", () => {
    const book = new AlertBook(sequentialIds());
    book.apply(raise("K", "warning", 10));
    expect(book.apply({ op: "resolve", key: "K", message: "ok", ts: 15 })).toMatchObject({ change: "RESOLVED", alert: { status: "RESOLVED", resolvedAt: 15 } });
    expect(book.apply({ op: "resolve", key: "K", message: "ok", ts: 16 })).toBeNull();
    expect(book.apply(raise("K", "warning", 20))).toMatchObject({ change: "REPEATED", alert: { id: "alr-1", status: "ACTIVE", resolvedAt: null, count: 2 } });
  });

  it("a resolve of a key never raised changes nothing", () => {
    expect(new AlertBook(sequentialIds()).apply({ op: "resolve", key: "K", message: "", ts: 1 })).toBeNull();
  });

  it("acknowledges once, with who and why; the next raise opens a new occurrence", () => {
    const book = new AlertBook(sequentialIds());
    book.apply(raise("K", "critical", 10));
    const acked = book.acknowledge("alr-1", "alice", "looked at the venue", 12);
    expect(acked).toMatchObject({ ok: true, change: { change: "ACKNOWLEDGED", actor: "alice", message: "looked at the venue" } });
    expect(book.acknowledge("alr-1", "bob", "again", 13)).toMatchObject({ ok: false, error: { code: "ALREADY_ACKNOWLEDGED" } });
    expect(book.acknowledge("alr-9", "bob", "x", 13)).toMatchObject({ ok: false, error: { code: "UNKNOWN_ALERT" } });
    expect(book.summary().total).toBe(0);
    expect(book.apply(raise("K", "warning", 20))).toMatchObject({ change: "RAISED", alert: { id: "alr-2", count: 1, firstSeen: 20 } });
    // An acknowledged occurrence that is still active still resolves when its condition ends.
    book.apply(raise("B", "critical", 30));
    const id = book.unacknowledged().find((a) => a.key === "B")!.id;
    book.acknowledge(id, "alice", "known", 31);
    expect(book.apply({ op: "resolve", key: "B", message: "reset", ts: 40 })).toMatchObject({ change: "RESOLVED", alert: { id, acknowledgedBy: "alice" } });
  });

  it("restores stored occurrences and goes on counting on them", () => {
    const book = new AlertBook(sequentialIds("r"));
    book.restore([
      {
        id: "alr-x",
        key: "K",
        kind: "BREAKER",
        severity: "critical",
        subject: "desk",
        title: "t",
        message: "m",
        firstSeen: 1,
        lastSeen: 2,
        count: 2,
        status: "ACTIVE",
        resolvedAt: null,
        acknowledgedAt: null,
        acknowledgedBy: null,
        acknowledgeReason: null,
      },
    ]);
    expect(book.apply(raise("K", "warning", 5))).toMatchObject({ change: "REPEATED", alert: { id: "alr-x", count: 3, severity: "critical" } });
  });

  it("summarizes unacknowledged alerts by severity for the badge", () => {
    const cases = [
      { alerts: [], expected: { total: 0, highest: null } },
      {
        alerts: [
          { severity: "warning" as const, acknowledgedAt: null },
          { severity: "critical" as const, acknowledgedAt: null },
          { severity: "critical" as const, acknowledgedAt: 5 },
          { severity: "info" as const, acknowledgedAt: null },
        ],
        expected: { total: 3, highest: "critical", bySeverity: { info: 1, warning: 1, critical: 1 } },
      },
    ];
    for (const { alerts, expected } of cases) expect(summarize(alerts)).toMatchObject(expected);
  });
});

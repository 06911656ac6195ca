import { describe, it, expect } from "vitest";
import { sequentialIds } from "../ids";
import {
  type FillInput,
  type Position,
  type PositionSide,
  abandonPosition,
  applyFill,
  applyFillToPosition,
  bookFrom,
  emptyBook,
  getPosition,
  markClosing,
  markOpen,
  markScaling,
  netQuantity,
  openPosition,
  openPositionInBook,
  openPositions,
  positionValue,
  positionsForSymbol,
  totalPnl,
  unrealizedPnl,
  unrealizedPnlPct,
  updatePositionInBook,
} from "./book";

function fill(tradeId: string, side: "BUY" | "SELL", qty: string, price: string, fee = "0", ts = 1_000): FillInput {
  return { tradeId, side, qty, price, fee, ts };
}

function mustApply(position: Position, f: FillInput): Position {
  const r = applyFill(position, f);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value.position;
}

function positionWith(side: PositionSide, fills: FillInput[], id = "pos-1"): Position {
  return fills.reduce(mustApply, openPosition({ id, symbol: "BTC/USDT", side, ts: 0 }));
}

interface Step {
  fill: FillInput;
  state: Position["state"];
  quantity: string;
  avgEntry: string;
  realizedThisFill: string;
  realized: string;
  fees: string;
  net: string;
}

const longSteps: Step[] = [
  {
    fill: fill("t1", "BUY", "1", "100", "0.1", 10),
    state: "OPEN",
    quantity: "1",
    avgEntry: "100",
    realizedThisFill: "0",
    realized: "0",
    fees: "0.1",
    net: "-0.1",
  },
  {
    fill: fill("t2", "BUY", "1", "110", "0.11", 20),
    state: "OPEN",
    quantity: "2",
    avgEntry: "105",
    realizedThisFill: "0",
    realized: "0",
    fees: "0.21",
    net: "-0.21",
  },
  {
    fill: fill("t3", "SELL", "0.5", "120", "0.06", 30),
    state: "OPEN",
    quantity: "1.5",
    avgEntry: "105",
    realizedThisFill: "7.5",
    realized: "7.5",
    fees: "0.27",
    net: "7.23",
  },
  {
    fill: fill("t4", "SELL", "1.5", "90", "0.135", 40),
    state: "CLOSED",
    quantity: "0",
    avgEntry: "105",
    realizedThisFill: "-22.5",
    realized: "-15",
    fees: "0.405",
    net: "-15.405",
  },
];

const shortSteps: Step[] = [
  {
    fill: fill("t1", "SELL", "1", "100", "0.1", 10),
    state: "OPEN",
    quantity: "1",
    avgEntry: "100",
    realizedThisFill: "0",
    realized: "0",
    fees: "0.1",
    net: "-0.1",
  },
  {
    fill: fill("t2", "SELL", "1", "110", "0.11", 20),
    state: "OPEN",
    quantity: "2",
    avgEntry: "105",
    realizedThisFill: "0",
    realized: "0",
    fees: "0.21",
    net: "-0.21",
  },
  {
    fill: fill("t3", "BUY", "0.5", "90", "0.06", 30),
    state: "OPEN",
    quantity: "1.5",
    avgEntry: "105",
    realizedThisFill: "7.5",
    realized: "7.5",
    fees: "0.27",
    net: "7.23",
  },
  {
    fill: fill("t4", "BUY", "1.5", "120", "0.135", 40),
    state: "CLOSED",
    quantity: "0",
    avgEntry: "105",
    realizedThisFill: "-22.5",
    realized: "-15",
    fees: "0.405",
    net: "-15.405",
  },
];

describe("applyFill: open, scale in, scale out, close", () => {
  for (const [side, steps] of [
    ["LONG", longSteps],
    ["SHORT", shortSteps],
  ] as const) {
    it(`${side}: each step updates quantity, average entry, PnL and fees exactly`, () => {
      let position = openPosition({ id: "pos-1", symbol: "BTC/USDT", side, ts: 5 });
      expect(position.state).toBe("OPENING");
      expect(position.quantity.toString()).toBe("0");
      expect(position.avgEntryPrice).toBeNull();
      for (const step of steps) {
        const r = applyFill(position, step.fill);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        position = r.value.position;
        expect(position.state).toBe(step.state);
        expect(position.quantity.toString()).toBe(step.quantity);
        expect(position.avgEntryPrice?.toString()).toBe(step.avgEntry);
        expect(r.value.realizedPnl.toString()).toBe(step.realizedThisFill);
        expect(position.realizedPnl.toString()).toBe(step.realized);
        expect(position.fees.toString()).toBe(step.fees);
        expect(position.realizedPnlNet.toString()).toBe(step.net);
        expect(position.lastFillAt).toBe(step.fill.ts);
        expect(r.value.excess.toString()).toBe("0");
      }
      expect(position.closedAt).toBe(40);
      expect(position.openedAt).toBe(5);
      expect(position.peakQuantity.toString()).toBe("2");
      expect(position.entryQuantity.toString()).toBe("2");
      expect(position.entryNotional.toString()).toBe("210");
      expect(position.exitQuantity.toString()).toBe("2");
      expect(position.exitNotional.toString()).toBe(side === "LONG" ? "195" : "225");
      expect(position.avgExitPrice?.toString()).toBe(side === "LONG" ? "97.5" : "112.5");
      expect(position.costBasis.toString()).toBe("0");
      expect(position.fills.map((f) => f.tradeId)).toEqual(["t1", "t2", "t3", "t4"]);
      expect(position.fills.map((f) => f.role)).toEqual(["entry", "entry", "exit", "exit"]);
    });
  }

  it("net realized PnL of a closed long equals sell notional − buy notional − fees", () => {
    const p = positionWith(
      "LONG",
      longSteps.map((s) => s.fill),
    );
    // sells 60 + 135, buys 100 + 110, fees 0.405
    expect(p.realizedPnlNet.toString()).toBe("-15.405");
  });

  it("keeps average cost exact when it does not terminate; the full close releases the exact remainder", () => {
    let p = positionWith("LONG", [fill("a", "BUY", "1", "100"), fill("b", "BUY", "2", "101")]);
    expect(p.costBasis.toString()).toBe("302");
    expect(p.avgEntryPrice?.toString()).toBe("100.6666666666666666666666666666666666667");
    const first = applyFill(p, fill("c", "SELL", "1", "110"));
    expect(first.ok && first.value.realizedPnl.toString()).toBe("9.33333333333333333333");
    p = first.ok ? first.value.position : p;
    expect(p.costBasis.toString()).toBe("201.33333333333333333333");
    const last = applyFill(p, fill("d", "SELL", "2", "100"));
    expect(last.ok && last.value.realizedPnl.toString()).toBe("-1.33333333333333333333");
    expect(last.ok && last.value.position.realizedPnl.toString()).toBe("8"); // 110 + 200 − 302
  });

  it("returns new objects and leaves the input position unchanged", () => {
    const before = positionWith("LONG", [fill("a", "BUY", "1", "100")]);
    const r = applyFill(before, fill("b", "BUY", "1", "200"));
    expect(r.ok).toBe(true);
    expect(before.quantity.toString()).toBe("1");
    expect(before.fills).toHaveLength(1);
  });

  it("a negative fee is a rebate", () => {
    const p = positionWith("LONG", [fill("a", "BUY", "1", "100", "-0.02"), fill("b", "SELL", "1", "101", "-0.02")]);
    expect(p.fees.toString()).toBe("-0.04");
    expect(p.realizedPnlNet.toString()).toBe("1.04");
  });
});

describe("applyFill: over-close reports the excess and never flips", () => {
  const cases = [
    { side: "LONG" as const, entry: fill("a", "BUY", "1", "100"), exit: fill("b", "SELL", "3", "110", "0.3"), realized: "10" },
    { side: "SHORT" as const, entry: fill("a", "SELL", "1", "100"), exit: fill("b", "BUY", "3", "110", "0.3"), realized: "-10" },
  ];
  for (const c of cases) {
    it(`${c.side}: closes 1, reports excess 2 with its share of the fee`, () => {
      const r = applyFill(positionWith(c.side, [c.entry]), c.exit);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value.closedQty.toString()).toBe("1");
      expect(r.value.excess.toString()).toBe("2");
      expect(r.value.excessFee.toString()).toBe("0.2");
      expect(r.value.realizedPnl.toString()).toBe(c.realized);
      expect(r.value.position.state).toBe("CLOSED");
      expect(r.value.position.side).toBe(c.side);
      expect(r.value.position.quantity.toString()).toBe("0");
      expect(r.value.position.fees.toString()).toBe("0.1");
      expect(r.value.position.fills[1]?.qty.toString()).toBe("1");
    });
  }
});

describe("applyFill: refusals", () => {
  const open = positionWith("LONG", [fill("t1", "BUY", "1", "100")]);
  const cases: { name: string; position: Position; fill: FillInput; code: string }[] = [
    { name: "duplicate tradeId", position: open, fill: fill("t1", "BUY", "1", "100"), code: "DUPLICATE_FILL" },
    { name: "zero quantity", position: open, fill: fill("x", "BUY", "0", "100"), code: "INVALID_FILL" },
    { name: "negative quantity", position: open, fill: fill("x", "BUY", "-1", "100"), code: "INVALID_FILL" },
    { name: "NaN quantity", position: open, fill: { tradeId: "x", side: "BUY", qty: NaN, price: 100, ts: 1 }, code: "INVALID_FILL" },
    { name: "infinite quantity", position: open, fill: { tradeId: "x", side: "BUY", qty: Infinity, price: 100, ts: 1 }, code: "INVALID_FILL" },
    { name: "malformed quantity", position: open, fill: fill("x", "BUY", "abc", "100"), code: "INVALID_FILL" },
    { name: "zero price", position: open, fill: fill("x", "BUY", "1", "0"), code: "INVALID_FILL" },
    { name: "negative price", position: open, fill: fill("x", "BUY", "1", "-5"), code: "INVALID_FILL" },
    { name: "infinite price", position: open, fill: { tradeId: "x", side: "BUY", qty: 1, price: -Infinity, ts: 1 }, code: "INVALID_FILL" },
    { name: "NaN fee", position: open, fill: { tradeId: "x", side: "BUY", qty: 1, price: 1, fee: NaN, ts: 1 }, code: "INVALID_FILL" },
    { name: "NaN time", position: open, fill: { tradeId: "x", side: "BUY", qty: 1, price: 1, ts: NaN }, code: "INVALID_FILL" },
    { name: "empty tradeId", position: open, fill: fill("", "BUY", "1", "100"), code: "INVALID_FILL" },
    { name: "bad side", position: open, fill: { tradeId: "x", side: "HOLD" as "BUY", qty: 1, price: 1, ts: 1 }, code: "INVALID_FILL" },
    {
      name: "closed position",
      position: positionWith("LONG", [fill("t1", "BUY", "1", "100"), fill("t2", "SELL", "1", "100")]),
      fill: fill("t3", "BUY", "1", "100"),
      code: "POSITION_CLOSED",
    },
    { name: "exit on a position with no quantity", position: positionWith("LONG", []), fill: fill("x", "SELL", "1", "100"), code: "NOTHING_TO_CLOSE" },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.code}`, () => {
      const r = applyFill(c.position, c.fill);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.code).toBe(c.code);
      expect(r.error.message.length).toBeGreaterThan(10);
    });
  }
});

describe("unrealized PnL, value and total", () => {
  const long = positionWith("LONG", [fill("a", "BUY", "2", "100", "0.5")]);
  const short = positionWith("SHORT", [fill("a", "SELL", "2", "100", "0.5")]);
  const cases = [
    { name: "long up", p: long, mark: "110", pnl: "20", pct: "10", value: "220", total: "19.5" },
    { name: "long down", p: long, mark: "90", pnl: "-20", pct: "-10", value: "180", total: "-20.5" },
    { name: "long flat", p: long, mark: "100", pnl: "0", pct: "0", value: "200", total: "-0.5" },
    { name: "short down", p: short, mark: "90", pnl: "20", pct: "10", value: "180", total: "19.5" },
    { name: "short up", p: short, mark: "125", pnl: "-50", pct: "-25", value: "250", total: "-50.5" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(unrealizedPnl(c.p, c.mark).toString()).toBe(c.pnl);
      expect(unrealizedPnlPct(c.p, c.mark).toString()).toBe(c.pct);
      expect(positionValue(c.p, c.mark).toString()).toBe(c.value);
      expect(totalPnl(c.p, c.mark).toString()).toBe(c.total);
    });
  }

  it("is zero for an empty or closed position", () => {
    const closed = positionWith("LONG", [fill("a", "BUY", "1", "100"), fill("b", "SELL", "1", "120")]);
    expect(unrealizedPnl(closed, "500").toString()).toBe("0");
    expect(unrealizedPnlPct(closed, "500").toString()).toBe("0");
    expect(totalPnl(closed, "500").toString()).toBe("20");
    expect(unrealizedPnlPct(positionWith("SHORT", []), "5").toString()).toBe("0");
  });

  it("uses the cost of the open quantity after a partial exit", () => {
    const p = positionWith("LONG", [fill("a", "BUY", "2", "100"), fill("b", "SELL", "1", "150")]);
    expect(unrealizedPnl(p, "110").toString()).toBe("10");
    expect(totalPnl(p, "110").toString()).toBe("60");
  });
});

describe("state helpers", () => {
  const open = positionWith("LONG", [fill("a", "BUY", "2", "100")]);

  it("SCALING returns to OPEN on the next fill", () => {
    const scaling = markScaling(open);
    expect(scaling.ok && scaling.value.state).toBe("SCALING");
    if (!scaling.ok) return;
    expect(mustApply(scaling.value, fill("b", "BUY", "1", "100")).state).toBe("OPEN");
    expect(mustApply(scaling.value, fill("c", "SELL", "1", "100")).state).toBe("OPEN");
  });

  it("CLOSING stays CLOSING through partial exits and ends CLOSED", () => {
    const closing = markClosing(open);
    expect(closing.ok && closing.value.state).toBe("CLOSING");
    if (!closing.ok) return;
    const partial = mustApply(closing.value, fill("b", "SELL", "1", "100"));
    expect(partial.state).toBe("CLOSING");
    expect(mustApply(partial, fill("c", "SELL", "1", "100")).state).toBe("CLOSED");
  });

  it("markOpen restores OPEN after a canceled scale or close order", () => {
    const closing = markClosing(open);
    const back = closing.ok ? markOpen(closing.value) : closing;
    expect(back.ok && back.value.state).toBe("OPEN");
  });

  const refusals = [
    { name: "markScaling on OPENING", run: () => markScaling(positionWith("LONG", [])), code: "INVALID_TRANSITION" },
    { name: "markScaling on CLOSING", run: () => markScaling({ ...open, state: "CLOSING" }), code: "INVALID_TRANSITION" },
    { name: "markClosing on CLOSED", run: () => markClosing({ ...open, state: "CLOSED" }), code: "POSITION_CLOSED" },
    { name: "markOpen on CLOSED", run: () => markOpen({ ...open, state: "CLOSED" }), code: "POSITION_CLOSED" },
    { name: "abandon with quantity", run: () => abandonPosition(open, 9), code: "NOT_FLAT" },
  ];
  for (const c of refusals) {
    it(`${c.name} → ${c.code}`, () => {
      const r = c.run();
      expect(r.ok ? "ok" : r.error.code).toBe(c.code);
    });
  }

  it("abandonPosition closes a position that never filled", () => {
    const r = abandonPosition(positionWith("SHORT", []), 77);
    expect(r.ok && r.value.state).toBe("CLOSED");
    expect(r.ok && r.value.closedAt).toBe(77);
  });

  it("a CLOSING position with no fill goes back to OPENING", () => {
    const closing = markClosing(positionWith("LONG", []));
    const back = closing.ok ? markOpen(closing.value) : closing;
    expect(back.ok && back.value.state).toBe("OPENING");
  });
});

describe("PositionBook", () => {
  function sampleBook() {
    const ids = sequentialIds();
    let book = emptyBook();
    const a = openPositionInBook(book, { symbol: "BTC/USDT", side: "LONG", ts: 1 }, ids);
    if (!a.ok) throw new Error(a.error.message);
    book = a.value.book;
    const b = openPositionInBook(book, { symbol: "BTC/USDT", side: "SHORT", ts: 2 }, ids);
    if (!b.ok) throw new Error(b.error.message);
    book = b.value.book;
    const c = openPositionInBook(book, { symbol: "ETH/USDT", side: "LONG", ts: 3, id: "eth-long" });
    if (!c.ok) throw new Error(c.error.message);
    return c.value.book;
  }

  it("gives ids from the generator or takes the one passed in", () => {
    const book = sampleBook();
    expect([...book.positions.keys()]).toEqual(["pos-1", "pos-2", "eth-long"]);
  });

  it("applies fills by id, nets long against short per symbol, and stays immutable", () => {
    const book0 = sampleBook();
    const r1 = applyFillToPosition(book0, "pos-1", fill("t1", "BUY", "3", "100"));
    expect(r1.ok).toBe(true);
    if (!r1.ok) return;
    const r2 = applyFillToPosition(r1.value.book, "pos-2", fill("t2", "SELL", "1.25", "101"));
    expect(r2.ok).toBe(true);
    if (!r2.ok) return;
    const book = r2.value.book;
    expect(netQuantity(book, "BTC/USDT").toString()).toBe("1.75");
    expect(netQuantity(book, "ETH/USDT").toString()).toBe("0");
    expect(netQuantity(book0, "BTC/USDT").toString()).toBe("0");
    expect(getPosition(book0, "pos-1")?.quantity.toString()).toBe("0");
    expect(positionsForSymbol(book, "BTC/USDT").map((p) => p.id)).toEqual(["pos-1", "pos-2"]);

    const closed = applyFillToPosition(book, "pos-2", fill("t3", "BUY", "1.25", "99"));
    if (!closed.ok) throw new Error(closed.error.message);
    expect(closed.value.realizedPnl.toString()).toBe("2.5");
    expect(positionsForSymbol(closed.value.book, "BTC/USDT").map((p) => p.id)).toEqual(["pos-1"]);
    expect(positionsForSymbol(closed.value.book, "BTC/USDT", { includeClosed: true }).map((p) => p.id)).toEqual(["pos-1", "pos-2"]);
    expect(openPositions(closed.value.book).map((p) => p.id)).toEqual(["pos-1", "eth-long"]);
  });

  it("refuses unknown and duplicate ids, and a position without id", () => {
    const book = sampleBook();
    const unknown = applyFillToPosition(book, "nope", fill("t1", "BUY", "1", "1"));
    expect(unknown.ok ? "ok" : unknown.error.code).toBe("UNKNOWN_POSITION");
    const dup = openPositionInBook(book, { symbol: "X/USDT", side: "LONG", ts: 1, id: "pos-1" });
    expect(dup.ok ? "ok" : dup.error.code).toBe("DUPLICATE_POSITION");
    const noId = openPositionInBook(book, { symbol: "X/USDT", side: "LONG", ts: 1 });
    expect(noId.ok ? "ok" : noId.error.code).toBe("INVALID_POSITION");
    const twice = bookFrom([openPosition({ id: "a", symbol: "S", side: "LONG", ts: 0 }), openPosition({ id: "a", symbol: "S", side: "SHORT", ts: 0 })]);
    expect(twice.ok ? "ok" : twice.error.code).toBe("DUPLICATE_POSITION");
  });

  it("updatePositionInBook applies state helpers", () => {
    const r1 = applyFillToPosition(sampleBook(), "pos-1", fill("t1", "BUY", "1", "100"));
    if (!r1.ok) throw new Error(r1.error.message);
    const r = updatePositionInBook(r1.value.book, "pos-1", markClosing);
    expect(r.ok && getPosition(r.value.book, "pos-1")?.state).toBe("CLOSING");
    const refused = updatePositionInBook(r1.value.book, "pos-2", markScaling);
    expect(refused.ok ? "ok" : refused.error.code).toBe("INVALID_TRANSITION");
  });
});

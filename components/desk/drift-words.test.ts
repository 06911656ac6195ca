import { describe, expect, it } from "vitest";
import { driftSentence } from "./drift-words";

describe("driftSentence", () => {
  const cases: { kind: string; subject: string; detail: unknown; expected: string | null }[] = [
    {
      kind: "LATE_FILL",
      subject: "bst-1",
      detail: { tradeId: "t1", status: "REJECTED", qty: "0.002", price: "20000.5", positionId: "pos-3" },
      expected: "The venue filled 0.002 at 20000.5 after the books had the order REJECTED; booked to position pos-3.",
    },
    { kind: "LATE_FILL", subject: "bst-1", detail: { tradeId: "t1" }, expected: null }, // recorded before the detail said more
    {
      kind: "ENDED_ORDER_OPEN_AT_VENUE",
      subject: "bst-2",
      detail: { ours: "CANCELED", venue: "PARTIALLY_FILLED", symbol: "BTC/USDT", side: "BUY", qty: "0.01", filled: "0.004" },
      expected: "The books had BUY 0.01 BTC/USDT as CANCELED, but the venue still works it (PARTIALLY_FILLED, 0.004 filled): tracked again.",
    },
    {
      kind: "ENDED_ORDER_OPEN_AT_VENUE",
      subject: "bst-3",
      detail: { ours: "FILLED", venue: "ACCEPTED", symbol: "BTC/USDT", side: "SELL", qty: "0.5", filled: "0" },
      expected: "The books have SELL 0.5 BTC/USDT as FILLED, but the venue still lists it open (ACCEPTED): left as it is in the books; check it at the venue.",
    },
    {
      kind: "QUOTE_BALANCE_MISMATCH",
      subject: "USDT",
      detail: { expected: "9800.12", actual: "9550.12", difference: "-250", tolerance: "0.01" },
      expected: "The venue holds 9550.12 USDT; the books expected 9800.12 (−250, more than the 0.01 allowed for fees and dust).",
    },
    {
      kind: "POSITION_MISMATCH",
      subject: "BTC/USDT:USDT",
      detail: { books: "LONG 0.01", venue: "flat", difference: "-0.01" },
      expected: "BTC/USDT:USDT: the venue's position is flat, the books' LONG 0.01. Nothing was traded to fix it.",
    },
    {
      kind: "ORDER_IN_DOUBT",
      subject: "bst-5",
      detail: { symbol: "BTC/USDT", reason: "TIMEOUT: binance did not answer in time.", fenceMs: null },
      expected: "BTC/USDT order bst-5: the venue did not say whether it was placed. It is not re-sent; it is looked up by its id.",
    },
    {
      kind: "ORDER_IN_DOUBT",
      subject: "bst-6",
      detail: { symbol: "ETH/USDT", reason: "HTTP 503", fenceMs: 10_000 },
      expected:
        "ETH/USDT order bst-6: the venue did not say whether it was placed. It is not re-sent; it is looked up by its id. Not found after 10 s (the venue's receive window) it counts as never placed.",
    },
    {
      kind: "IN_DOUBT_RESOLVED",
      subject: "bst-5",
      detail: { resolves: { kind: "ORDER_IN_DOUBT" } },
      expected: "Order bst-5 is no longer in doubt (see the resolution).",
    },
    { kind: "IN_DOUBT_RESOLVED", subject: "bst-5", detail: {}, expected: null },
    {
      kind: "OVERFILL",
      subject: "bst-4",
      detail: { event: { type: "fill", tradeId: "t-extra", qty: "0.001", price: "20000" }, status: "FILLED", quantity: "0.002", filled: "0.002" },
      expected:
        "A fill of 0.001 at 20000 (trade t-extra) came for an order of 0.002 already 0.002 filled (FILLED): not booked — it may be a fill already booked, reported again.",
    },
    { kind: "MISSED_FILL", subject: "bst-5", detail: { tradeId: "t" }, expected: null },
    { kind: "POSITION_MISMATCH", subject: "X", detail: ["not", "an", "object"], expected: null },
    { kind: "POSITION_MISMATCH", subject: "X", detail: null, expected: null },
  ];
  it.each(cases)("$kind $subject", ({ kind, subject, detail, expected }) => {
    expect(driftSentence(kind, subject, detail)).toBe(expected);
  });
});

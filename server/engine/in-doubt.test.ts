import { describe, expect, it } from "vitest";
import { D } from "../core/money";
import type { VenueFill, VenueOrderSnapshot } from "../venues/venue";
import { DEFAULT_IN_DOUBT_POLICY, eventsFromSnapshot, fenceVerdict, nextLookupDelayMs } from "./in-doubt";

describe("nextLookupDelayMs: growing delays, capped", () => {
  it.each([
    [0, 1_000],
    [1, 2_000],
    [2, 4_000],
    [5, 32_000],
    [6, 60_000],
    [50, 60_000],
  ])("after %i lookups: %i ms", (lookups, ms) => {
    expect(nextLookupDelayMs(lookups, DEFAULT_IN_DOUBT_POLICY)).toBe(ms);
  });
});

describe("fenceVerdict: never placed only after the fence and the clock-skew margin", () => {
  const policy = { clockSkewMarginMs: 5_000 };
  it.each<[string, number | null, number, ReturnType<typeof fenceVerdict>]>([
    ["no fence: a person decides", null, 1_000_000, "no-fence"],
    ["lookup sent inside the window", 10_000, 9_999, "wait"],
    ["window passed, margin not", 10_000, 14_999, "wait"],
    ["window + margin passed", 10_000, 15_000, "never-placed"],
    ["long after", 10_000, 600_000, "never-placed"],
  ])("%s", (_name, fenceMs, lookupSentAfterSend, verdict) => {
    expect(fenceVerdict({ fenceMs, sentAt: 1_000 }, 1_000 + lookupSentAfterSend, policy)).toBe(verdict);
  });
});

describe("eventsFromSnapshot: the books brought to what the venue shows", () => {
  const snapshot = (status: VenueOrderSnapshot["status"]): VenueOrderSnapshot => ({
    clientOrderId: "o-1",
    venueOrderId: "v-9",
    symbol: "BTC/USDT",
    side: "BUY",
    type: "LIMIT",
    status,
    quantity: D("1"),
    filledQty: D("0.4"),
    price: D("100"),
    triggerPrice: null,
    avgFillPrice: D("100"),
    reason: null,
  });
  const fill = (tradeId: string, clientOrderId = "o-1"): VenueFill => ({
    tradeId,
    clientOrderId,
    symbol: "BTC/USDT",
    side: "BUY",
    qty: D("0.2"),
    price: D("100"),
    fee: D("0.02"),
    feeCurrency: "USDT",
    liquidity: "MAKER",
    ts: 5,
  });
  const types = (events: ReturnType<typeof eventsFromSnapshot>) => events.map((e) => `${e.event.type}${e.event.type === "fill" ? `:${e.event.tradeId}` : ""}`);

  it.each<[string, boolean, VenueOrderSnapshot["status"], string[], string[]]>([
    ["working, two fills, one booked", true, "PARTIALLY_FILLED", ["t1", "t2"], ["accept", "fill:t2"]],
    ["canceled after a fill", true, "CANCELED", ["t1"], ["accept", "fill:t1", "cancel"]],
    ["expired", true, "EXPIRED", [], ["accept", "expire"]],
    ["rejected by the venue", true, "REJECTED", [], ["reject"]],
    ["already acknowledged", false, "ACCEPTED", [], []],
  ])("%s", (_name, needsAccept, status, fills, expected) => {
    const events = eventsFromSnapshot(
      needsAccept,
      snapshot(status),
      [...fills.map((t) => fill(t)), fill("other", "o-2")],
      7,
      (t) => t === "t1" && fills.length > 1,
      (f) => f.fee,
    );
    expect(types(events)).toEqual(expected);
    if (needsAccept && status !== "REJECTED") expect(events[0]).toMatchObject({ clientOrderId: "o-1", event: { type: "accept", venueOrderId: "v-9", ts: 7 } });
  });
});

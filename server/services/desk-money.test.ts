import { describe, expect, it } from "vitest";
import type { Runtime } from "../engine/runtime";
import { deskMoney, shownTime } from "./desk-money";

/** Just what deskMoney reads: the instruments' quote, the engine's clock and the feed's status. */
function fakeRuntime(quote: string, feed: ReturnType<Runtime["feedStatus"]>, now = Date.UTC(2026, 11, 7)) {
  return {
    engine: { instrumentList: () => [{ quote }], now: () => now } as unknown as Runtime["engine"],
    feedStatus: () => feed,
  };
}

const replaying = (recorded: (number | null)[]) => ({
  kind: "replay" as const,
  connected: true,
  message: "replaying",
  lastUpdateAt: null,
  detail: { feeds: recorded.map((lastRecordedTs) => ({ lastRecordedTs })) },
});

describe("the desk's money for display", () => {
  it("shows a replay at the recorded time it plays, not the wall clock", () => {
    const jan = Date.UTC(2018, 0, 20);
    expect(shownTime(fakeRuntime("BTC", replaying([jan - 300_000, jan, null])))).toBe(jan);
    const live = { kind: "live" as const, connected: true, message: "", lastUpdateAt: null };
    expect(shownTime(fakeRuntime("USDT", live, 42))).toBe(42);
  });

  it("converts a BTC desk's equity to USDT at the recorded mark, exactly, and says the mark stands in", () => {
    const money = deskMoney(fakeRuntime("BTC", replaying([Date.UTC(2018, 0, 20)])), "1.5");
    expect(money.currency).toBe("BTC");
    // 1.5 × 16,726.1 (the first recorded BTC/USDT close): no recording covers January 2018.
    expect(money.equityUsdt).toBe("25089.15");
    expect(money.mark).toMatchObject({ pair: "BTC/USDT", price: 16726.1, covers: false, at: Date.UTC(2018, 0, 20) });
  });

  it("leaves a USDT desk alone", () => {
    expect(deskMoney(fakeRuntime("USDT", replaying([1])), "1000")).toEqual({ currency: "USDT", equityUsdt: null, mark: null });
  });
});

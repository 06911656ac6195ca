import { describe, it, expect } from "vitest";
import { DAY_MS } from "../clock";
import { D } from "../money";
import { commissionFor, commissionSchedule, feeRatesFor, fillCommission, RollingVolume } from "./commission";

const schedule = commissionSchedule({
  maker: "0.001",
  taker: "0.001",
  tiers: [
    { minVolume30d: 5_000_000, maker: "-0.0001", taker: "0.0004" },
    { minVolume30d: 1_000_000, maker: "0.0008", taker: "0.0009" },
  ],
});

describe("commission", () => {
  it.each<[string, string, string]>([
    ["0", "0.001", "0.001"],
    ["999999.99", "0.001", "0.001"],
    ["1000000", "0.0008", "0.0009"],
    ["4999999", "0.0008", "0.0009"],
    ["5000000", "-0.0001", "0.0004"],
    ["90000000", "-0.0001", "0.0004"],
  ])("30-day volume %s → maker %s, taker %s", (volume, maker, taker) => {
    const rates = feeRatesFor(schedule, volume);
    expect(rates.maker.toString()).toBe(maker);
    expect(rates.taker.toString()).toBe(taker);
  });

  it.each<[string, string, "MAKER" | "TAKER", string, string]>([
    ["0.5", "30000.1", "TAKER", "0", "15.00005"],
    ["0.5", "30000.1", "MAKER", "0", "15.00005"],
    ["0.5", "30000.1", "TAKER", "1000000", "13.500045"],
    ["0.5", "30000.1", "MAKER", "5000000", "-1.500005"],
  ])("fee for %s @ %s as %s at volume %s = %s", (qty, price, liquidity, volume, fee) => {
    expect(fillCommission(schedule, D(qty), D(price), liquidity, volume).toString()).toBe(fee);
  });

  it("commissionFor is qty × price × rate exactly", () => {
    expect(commissionFor(D("0.003"), D("0.1"), D("0.00075")).toString()).toBe("0.000000225");
  });

  it("refuses nonsense rates", () => {
    expect(() => commissionSchedule({ maker: 1, taker: 0 })).toThrow(RangeError);
    expect(() => commissionSchedule({ maker: 0, taker: 0, tiers: [{ minVolume30d: -1, maker: 0, taker: 0 }] })).toThrow(RangeError);
  });

  it("RollingVolume forgets fills older than 30 days but keeps the initial volume", () => {
    const volume = new RollingVolume("100");
    volume.add(0, D("1000.5"));
    volume.add(DAY_MS, D("20"));
    expect(volume.total(DAY_MS).toString()).toBe("1120.5");
    expect(volume.total(30 * DAY_MS - 1).toString()).toBe("1120.5");
    expect(volume.total(30 * DAY_MS).toString()).toBe("120");
    expect(volume.total(31 * DAY_MS).toString()).toBe("100");
  });
});

import { describe, expect, it } from "vitest";
import binanceTick from "./fixtures/markets/binance.ticksize.json";
import binanceDecimals from "./fixtures/markets/binance.json";
import bitget from "./fixtures/markets/bitget.json";
import { instrumentFromCcxtMarket, type CcxtMarketLike } from "./markets";

const market = (snapshot: Record<string, unknown>, symbol: string) => snapshot[symbol] as CcxtMarketLike;

describe("instrumentFromCcxtMarket (real ccxt snapshots)", () => {
  it("reads Binance BTC/USDT in tick-size mode", () => {
    const i = instrumentFromCcxtMarket(market(binanceTick, "BTC/USDT"), "TICK_SIZE");
    expect(i).toMatchObject({ symbol: "BTC/USDT", base: "BTC", quote: "USDT", venueSymbol: "BTCUSDT", kind: "spot" });
    expect(i.priceTick.toString()).toBe("0.01");
    expect(i.qtyStep.toString()).toBe("0.00001");
    expect(i.minQty.toString()).toBe("0.00001");
    expect(i.maxQty?.toString()).toBe("9000");
    expect(i.minNotional.toString()).toBe("5");
    expect(i.takerFee.toString()).toBe("0.001");
  });

  it("reads the decimal-places snapshot to the same steps", () => {
    const a = instrumentFromCcxtMarket(market(binanceTick, "ETH/USDT"), "TICK_SIZE");
    const b = instrumentFromCcxtMarket(market(binanceDecimals, "ETH/USDT"), "DECIMAL_PLACES");
    expect(b.priceTick.toString()).toBe(a.priceTick.toString());
    expect(b.qtyStep.toString()).toBe(a.qtyStep.toString());
  });

  it("refuses a tick size read as decimal places", () => {
    expect(() => instrumentFromCcxtMarket(market(binanceTick, "BTC/USDT"), "DECIMAL_PLACES")).toThrow(/decimal places/);
  });

  it("reads Bitget markets and derivative kinds", () => {
    const spot = instrumentFromCcxtMarket(market(bitget, "BTC/USDT"));
    expect(spot.priceTick.toString()).toBe("0.01");
    expect(spot.qtyStep.toString()).toBe("0.000001");
    expect(spot.minNotional.toString()).toBe("1");
    expect(spot.makerFee.toString()).toBe("0.002");
    expect(instrumentFromCcxtMarket(market(bitget, "BTC/USDT:USDT")).kind).toBe("swap");
  });

  it("builds every market of every snapshot, or says which precision is missing", () => {
    let built = 0;
    const refused: string[] = [];
    for (const snapshot of [binanceTick, bitget]) {
      for (const m of Object.values(snapshot) as CcxtMarketLike[]) {
        if (!m.precision?.price) {
          expect(() => instrumentFromCcxtMarket(m)).toThrow(`${m.symbol}: market has no price precision`);
          refused.push(m.symbol);
          continue;
        }
        const i = instrumentFromCcxtMarket(m);
        expect(i.priceTick.greaterThan(0)).toBe(true);
        expect(i.qtyStep.greaterThan(0)).toBe(true);
        built++;
      }
    }
    expect(built).toBe(31);
    expect(refused).toEqual(["BTC/USDT:USDT-231229", "ETH/USDT:USDT-231229-800-C"]);
  });
});

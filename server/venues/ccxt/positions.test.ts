/**
 * Derivatives positions: Binance USD-M through ccxt 4.5.84's fetchPositions (positionRisk v3, after
 * its leverage-bracket load), answered by the recorded real response in fixtures/response, parsed
 * into Bastion's VenuePosition; and the parser alone on the v2 shape (with a leverage field) and shorts.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../core/clock";
import { CcxtVenue } from "./ccxt-venue";
import { toVenuePosition, type CcxtPositionLike } from "./positions";
import { FakeBinance, ccxtExchange, recorded } from "../../../test/ccxt/fake-exchange";

const T0 = 1_700_000_000_000;

function binanceSwapDesk(symbols: string[]) {
  const fake = new FakeBinance();
  fake.http.route("GET", "/fapi/v1/leverageBracket", () => ({
    status: 200,
    body: [{ symbol: "BTCUSDT", brackets: [{ bracket: 1, initialLeverage: 125, notionalCap: 50_000, notionalFloor: 0, maintMarginRatio: 0.004, cum: 0 }] }],
  }));
  const venue = new CcxtVenue({
    exchange: ccxtExchange("binance", fake.http),
    emergencyExchange: ccxtExchange("binance", fake.http),
    symbols,
    clock: new ManualClock(T0),
    pollIntervalMs: 0,
  });
  return { fake, venue };
}

const text = (p: ReturnType<typeof toVenuePosition>) =>
  p && {
    symbol: p.symbol,
    side: p.side,
    contracts: p.contracts.toString(),
    quantity: p.quantity.toString(),
    entryPrice: p.entryPrice?.toString() ?? null,
    markPrice: p.markPrice?.toString() ?? null,
    unrealizedPnl: p.unrealizedPnl?.toString() ?? null,
    leverage: p.leverage?.toString() ?? null,
    liquidationPrice: p.liquidationPrice?.toString() ?? null,
    marginMode: p.marginMode,
  };

describe("CcxtVenue.fetchPositions (Binance USD-M, recorded positionRisk)", () => {
  it("reads the recorded long through ccxt and gives Bastion's shape, decimals from the exchange's strings", async () => {
    const { fake, venue } = binanceSwapDesk(["BTC/USDT", "BTC/USDT:USDT"]);
    fake.http.route("GET", "/fapi/v3/positionRisk", () => ({
      status: 200,
      body: recorded("binance", "fetchPositions", "Fetch linear positions with symbols"),
    }));
    const positions = await venue.fetchPositions();
    expect(positions.map(text)).toEqual([
      {
        symbol: "BTC/USDT:USDT",
        side: "LONG",
        contracts: "0.009",
        quantity: "0.009",
        entryPrice: "67445.9",
        markPrice: "67582.2",
        unrealizedPnl: "1.2267",
        leverage: "80", // v3 has no leverage field: notional ÷ initial margin
        liquidationPrice: "64846.78939917",
        marginMode: "cross",
      },
    ]);
    expect(fake.http.count("GET", "/fapi/v3/positionRisk")).toBe(1);
    const signed = fake.http.requests.find((r) => r.path === "/fapi/v3/positionRisk")!;
    expect(signed.params.signature).toMatch(/^[0-9a-f]{64}$/);
  });

  it("leaves out flat positions and symbols Bastion does not trade; spot-only venues do not ask", async () => {
    const { fake, venue } = binanceSwapDesk(["BTC/USDT:USDT"]);
    const [long] = recorded("binance", "fetchPositions", "Fetch linear positions without symbols") as Record<string, string>[];
    fake.http.route("GET", "/fapi/v3/positionRisk", () => ({
      status: 200,
      body: [
        { ...long, positionAmt: "0.000", notional: "0", unRealizedProfit: "0", entryPrice: "0.0" },
        { ...long, symbol: "ETHUSDT", positionAmt: "-1.5", notional: "-3000" },
      ],
    }));
    expect(await venue.fetchPositions()).toEqual([]);
    const spot = binanceSwapDesk(["BTC/USDT"]);
    expect(await spot.venue.fetchPositions()).toEqual([]);
    expect(spot.fake.http.requests).toHaveLength(0);
  });
});

describe("toVenuePosition", () => {
  const cases: { name: string; position: CcxtPositionLike; expected: ReturnType<typeof text> }[] = [
    {
      name: "Binance v2 short (leverage and margin type given, isolated)",
      position: {
        symbol: "ETH/USDT:USDT",
        side: "short",
        contracts: 1.5,
        contractSize: 1,
        info: {
          positionAmt: "-1.500",
          entryPrice: "2000.10",
          markPrice: "1990.00",
          unRealizedProfit: "15.15",
          liquidationPrice: "2300.5",
          leverage: "10",
          marginType: "isolated",
          notional: "-2985",
        },
      },
      expected: {
        symbol: "ETH/USDT:USDT",
        side: "SHORT",
        contracts: "1.5",
        quantity: "1.5",
        entryPrice: "2000.1",
        markPrice: "1990",
        unrealizedPnl: "15.15",
        leverage: "10",
        liquidationPrice: "2300.5",
        marginMode: "isolated",
      },
    },
    {
      name: "no liquidation price (0) and contracts of 0.01 base (numbers from ccxt only)",
      position: {
        symbol: "BTC/USD:BTC",
        side: "long",
        contracts: 3,
        contractSize: 0.01,
        entryPrice: 60000,
        unrealizedPnl: -2.5,
        leverage: 5,
        liquidationPrice: 0,
        marginMode: "cross",
      },
      expected: {
        symbol: "BTC/USD:BTC",
        side: "LONG",
        contracts: "3",
        quantity: "0.03",
        entryPrice: "60000",
        markPrice: null,
        unrealizedPnl: "-2.5",
        leverage: "5",
        liquidationPrice: null,
        marginMode: "cross",
      },
    },
    { name: "flat", position: { symbol: "BTC/USDT:USDT", contracts: 0, info: { positionAmt: "0.000" } }, expected: null },
  ];
  it.each(cases)("$name", ({ position, expected }) => {
    expect(text(toVenuePosition(position))).toEqual(expected);
  });
});

/**
 * What a person reads when a cancel-all fails at the exchange (issue 9, "found while checking"): a cancel-all does
 * not look orders up by clientOrderId, so its error must not say so; it says what is known and what happens next.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../core/clock";
import type { OrderSpec } from "../../core/orders/types";
import type { FinalVenueError, TransientVenueError, VenueEvent } from "../venue";
import { CcxtVenue, type VenueRequest } from "./ccxt-venue";
import { FakeBinance, ccxtExchange, type Scripted } from "../../../test/ccxt/fake-exchange";

const T0 = 1_700_000_000_000;

function binanceDesk() {
  const fake = new FakeBinance();
  const venue = new CcxtVenue({
    exchange: ccxtExchange("binance", fake.http),
    emergencyExchange: ccxtExchange("binance", fake.http),
    symbols: ["BTC/USDT"],
    clock: new ManualClock(T0),
    pollIntervalMs: 0,
  });
  const events: VenueEvent[] = [];
  const failures: { request: VenueRequest; error: TransientVenueError | FinalVenueError }[] = [];
  venue.setEventSink((e) => events.push(...e));
  venue.setFailureSink((request, error) => failures.push({ request, error }));
  return { fake, venue, events, failures };
}

const limit: OrderSpec = { clientOrderId: "bst-1", symbol: "BTC/USDT", type: "LIMIT", side: "BUY", quantity: "0.001", price: "25000" };

describe("a failed cancel-all, in plain words", () => {
  it.each<[string, Scripted, RegExp]>([
    [
      "a server error",
      { status: 503, body: { code: -1001, msg: "Internal error; unable to process your request." } },
      /binance sent an unreadable answer|server error/,
    ],
    ["a dropped connection", "reset", /connection .* failed/],
  ])("%s: says it is not known which orders were canceled, and nothing about clientOrderId lookups", async (_name, answer, what) => {
    const { fake, venue, events, failures } = binanceDesk();
    venue.submit(limit, T0);
    await venue.idle();
    events.length = 0;
    fake.http.next("DELETE", "/api/v3/openOrders", answer);
    venue.cancelAll(undefined, T0);
    await venue.idle();

    expect(failures).toHaveLength(1);
    expect(failures[0]!.request).toEqual({ kind: "cancelAll", symbol: undefined });
    const message = failures[0]!.error.message;
    expect(message).toMatch(what);
    expect(message).not.toMatch(/clientOrderId|looked up/i);
    expect(message).toMatch(/canceling every BTC\/USDT order/);
    expect(message).toMatch(/not known which orders binance canceled/);
    expect(message).toMatch(/pending cancel/);
    expect(venue.status().lastError).toBe(message);
    expect(events).toEqual([]); // nothing is reported canceled on a guess
  });
});

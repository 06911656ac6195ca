/**
 * Test support for the order-list tests on the wire (OCO, OTO): one BTC/USDT test server a test, closed after it, a
 * quote and a trade on the book, and signed requests answered with the fields those tests read.
 */
import { createHmac } from "node:crypto";
import { afterEach } from "vitest";
import { BinanceTestServer, TEST_API_KEY, TEST_API_SECRET } from "./index";

/** The fields of Binance's answers these tests read. */
export interface Body {
  status?: string;
  orderListId?: number;
  orderReports?: { clientOrderId: string; type: string; status: string }[];
  [field: string]: unknown;
}

/** Registers the close of every server it starts after each test; returns the start (USDT 100 000 and `btc` BTC). */
export function serversWithBtc(btc: string): () => Promise<BinanceTestServer> {
  const open: BinanceTestServer[] = [];
  afterEach(async () => {
    while (open.length > 0) await open.pop()!.close();
  });
  return async () => {
    const server = await BinanceTestServer.start({ symbols: ["BTC/USDT"], balances: { USDT: "100000", BTC: btc } });
    open.push(server);
    server.pushQuote("BTCUSDT", 30_000, 30_001, 5, 5);
    server.pushTrade("BTCUSDT", 30_000, 0.01);
    return server;
  };
}

/** A signed request (parameters in the body for POST, in the query otherwise). */
export async function call(server: BinanceTestServer, method: string, path: string, params: Record<string, string>): Promise<{ status: number; body: Body }> {
  let query = new URLSearchParams({ ...params, timestamp: String(Date.now()), recvWindow: "10000" }).toString();
  query += `&signature=${createHmac("sha256", TEST_API_SECRET).update(query).digest("hex")}`;
  const inBody = method === "POST";
  const headers: Record<string, string> = { "X-MBX-APIKEY": TEST_API_KEY };
  if (inBody) headers["Content-Type"] = "application/x-www-form-urlencoded";
  const response = await fetch(`${server.url}${path}${inBody ? "" : `?${query}`}`, { method, headers, body: inBody ? query : undefined });
  return { status: response.status, body: (await response.json()) as Body };
}

export const statusOf = async (server: BinanceTestServer, id: string): Promise<string> =>
  (await call(server, "GET", "/api/v3/order", { symbol: "BTCUSDT", origClientOrderId: id })).body.status ?? "";

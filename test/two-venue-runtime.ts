/**
 * Test support: the runtime's two-venue desk on the Binance- and Bitget-compatible test servers (BTC/USDT and ETH/USDT
 * quoted on both), a migrated database and a desk file, with the process environment set for it and restored after.
 * Call inside a `describe`: it registers the beforeAll/afterAll that start and stop everything.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { runtimeState } from "../server/engine/runtime";
import { BinanceTestServer } from "./binance-test-server";
import { BitgetTestServer } from "./bitget-test-server";
import { createMigratedDb } from "./db";

export interface TwoVenueRuntimeOptions {
  /** The temporary folder's name prefix. */
  tmpPrefix: string;
  /** Bitget's BTC/USDT bid (the ask half a dollar above); Binance quotes 30 000. */
  bitgetBtcBid: number;
  deskFile: (binanceUrl: string, bitgetUrl: string) => string;
  /** The BASTION_* variables besides BASTION_CONFIG; `work` is the temporary folder (for more files). */
  env: (work: string) => Record<string, string>;
}

export interface TwoVenueServers {
  readonly binance: BinanceTestServer;
  readonly bitget: BitgetTestServer;
}

export function twoVenueRuntime(options: TwoVenueRuntimeOptions): TwoVenueServers {
  const saved = { ...process.env };
  let dir = "";
  let work = "";
  let binance: BinanceTestServer | null = null;
  let bitget: BitgetTestServer | null = null;

  beforeAll(async () => {
    const dbPath = createMigratedDb();
    dir = dirname(dbPath);
    work = mkdtempSync(join(tmpdir(), options.tmpPrefix));
    binance = await BinanceTestServer.start({ symbols: ["BTC/USDT", "ETH/USDT"] });
    bitget = await BitgetTestServer.start({ symbols: ["BTC/USDT", "ETH/USDT"] });
    binance.pushQuote("BTCUSDT", 30_000, 30_000.5, 50, 50);
    binance.pushQuote("ETHUSDT", 2_000, 2_000.1, 500, 500);
    bitget.pushQuote("BTCUSDT", options.bitgetBtcBid, options.bitgetBtcBid + 0.5, 50, 50);
    bitget.pushQuote("ETHUSDT", 2_000, 2_000.1, 500, 500);
    const desk = join(work, "desk.yaml");
    writeFileSync(desk, options.deskFile(binance.url, bitget.url));
    const env = options.env(work);
    for (const key of Object.keys(process.env)) if (key.startsWith("BASTION_")) delete process.env[key];
    Object.assign(process.env, { DATABASE_URL: `file:${dbPath}`, BASTION_CONFIG: desk, ...env });
  });

  afterAll(async () => {
    await runtimeState().runtime?.stop();
    await Promise.allSettled([binance?.close(), bitget?.close()]);
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  return {
    get binance() {
      if (!binance) throw new Error("the test servers start in beforeAll");
      return binance;
    },
    get bitget() {
      if (!bitget) throw new Error("the test servers start in beforeAll");
      return bitget;
    },
  };
}

/** The desk file both runtime tests start from: binance-main and bitget-1 on the test servers, BTC sized at `fraction`. */
export const twoVenueDeskFile =
  (desk: string, fraction: string) =>
  (binanceUrl: string, bitgetUrl: string): string => `desk:
${desk}
  symbols: [BTC/USDT, ETH/USDT]
venues:
  - { id: binance-main, exchange: binance, mode: ccxt, api_url: "${binanceUrl}" }
  - { id: bitget-1, exchange: bitget, mode: ccxt, api_url: "${bitgetUrl}" }
risk:
  max_open_positions: 10
  max_portfolio_exposure: 1.0
symbols:
  BTC/USDT: { min_confidence: 0.5, max_position_size: 0.05, sizing: { method: fixed_fraction, fraction: ${fraction} } }
`;

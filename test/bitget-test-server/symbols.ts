/**
 * What the Bitget test server trades: Bitget's own `GET /api/v2/spot/public/symbols` entries, taken from the
 * recorded ccxt market snapshot (`server/venues/ccxt/fixtures/markets/bitget.json`, a copy of
 * ../shared/data/ccxt/markets/bitget.json; each spot market's `info` is the exchange's raw entry), and the
 * limits the server enforces from them: price and quantity decimals, min / max quantity, the minimum order
 * value in USDT.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { type Instrument } from "../../server/core/instrument";
import { instrumentFor } from "../binance-test-server/exchange-info";
import { D, type Decimal } from "../../server/core/money";

/** One raw entry of GET /api/v2/spot/public/symbols. */
export interface RawBitgetSymbol {
  symbol: string;
  baseCoin: string;
  quoteCoin: string;
  minTradeAmount: string;
  maxTradeAmount: string;
  takerFeeRate: string;
  makerFeeRate: string;
  pricePrecision: string;
  quantityPrecision: string;
  quotePrecision: string;
  status: string;
  minTradeUSDT: string;
  [key: string]: unknown;
}

/** The limits, parsed. Shaped like the Binance server's spec (`filters.tickSize`) so its replay drives either server. */
export interface BitgetFilters {
  tickSize: Decimal;
  stepSize: Decimal;
  pricePrecision: number;
  quantityPrecision: number;
  quotePrecision: number;
  minQty: Decimal;
  /** Zero: no limit. */
  maxQty: Decimal;
  /** Smallest order value (price × size) in USDT; zero for non-USDT quotes, where Bitget checks no value. */
  minNotional: Decimal;
}

export interface BitgetSymbolSpec {
  /** Bitget id, e.g. "BTCUSDT". */
  id: string;
  /** Unified symbol, e.g. "BTC/USDT". */
  symbol: string;
  base: string;
  quote: string;
  info: RawBitgetSymbol;
  filters: BitgetFilters;
}

export const DEFAULT_BITGET_MARKETS_FILE = path.join("server", "venues", "ccxt", "fixtures", "markets", "bitget.json");

function decimals(value: string, what: string, id: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 18) throw new RangeError(`${id}: ${what} ${value} is not a number of decimals`);
  return n;
}

export interface LoadBitgetSymbolsOptions {
  /** A ccxt Bitget markets snapshot; default the recorded one. */
  file?: string;
  /** Only these (unified or Bitget ids); default every spot market in the file. */
  only?: readonly string[];
}

/** Reads the spot symbols of a ccxt Bitget markets snapshot. */
export function loadBitgetSymbols(options: LoadBitgetSymbolsOptions = {}): BitgetSymbolSpec[] {
  const file = options.file ?? path.resolve(process.cwd(), DEFAULT_BITGET_MARKETS_FILE);
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Record<string, { spot?: unknown; info?: unknown }>;
  const out: BitgetSymbolSpec[] = [];
  for (const [symbol, market] of Object.entries(parsed)) {
    if (market.spot !== true || typeof market.info !== "object" || market.info === null) continue;
    const raw = structuredClone(market.info) as RawBitgetSymbol;
    if (options.only && !options.only.includes(symbol) && !options.only.includes(raw.symbol)) continue;
    const pricePrecision = decimals(raw.pricePrecision, "pricePrecision", raw.symbol);
    const quantityPrecision = decimals(raw.quantityPrecision, "quantityPrecision", raw.symbol);
    out.push({
      id: raw.symbol,
      symbol,
      base: raw.baseCoin,
      quote: raw.quoteCoin,
      info: raw,
      filters: {
        tickSize: D(1).dividedBy(D(10).pow(pricePrecision)),
        stepSize: D(1).dividedBy(D(10).pow(quantityPrecision)),
        pricePrecision,
        quantityPrecision,
        quotePrecision: decimals(raw.quotePrecision, "quotePrecision", raw.symbol),
        minQty: D(raw.minTradeAmount || "0"),
        maxQty: D(raw.maxTradeAmount || "0"),
        minNotional: raw.quoteCoin === "USDT" ? D(raw.minTradeUSDT || "0") : D(0),
      },
    });
  }
  if (out.length === 0) throw new Error(`no spot markets found in ${file}`);
  return out;
}

/** The simulator's instrument: Bitget's decimals as tick and step; value limits stay with the server's own checks. */
export function bitgetInstrument(spec: BitgetSymbolSpec, fees: { maker: string; taker: string }): Instrument {
  return instrumentFor(spec, fees);
}

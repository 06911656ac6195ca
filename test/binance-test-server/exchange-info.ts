/**
 * What the test server trades: Binance's own `exchangeInfo` symbol entries, taken from the recorded
 * market snapshot (`server/venues/ccxt/fixtures/markets/binance.json`, each spot market's `info` is
 * the exchange's raw entry), and the filters the server enforces the way Binance does.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { makeInstrument, type Instrument } from "../../server/core/instrument";
import { D, type Decimal } from "../../server/core/money";

/** One raw `symbols[]` entry of GET /api/v3/exchangeInfo. */
export interface RawSymbolInfo {
  symbol: string;
  status: string;
  baseAsset: string;
  quoteAsset: string;
  orderTypes: string[];
  filters: Record<string, unknown>[];
  [key: string]: unknown;
}

/** The filters the server checks, parsed. Zero means "no limit" (Binance's convention). */
export interface SymbolFilters {
  minPrice: Decimal;
  maxPrice: Decimal;
  tickSize: Decimal;
  minQty: Decimal;
  maxQty: Decimal;
  stepSize: Decimal;
  marketMaxQty: Decimal;
  /** NOTIONAL (or legacy MIN_NOTIONAL) filter, null when the symbol has none. */
  notional: { filterType: "NOTIONAL" | "MIN_NOTIONAL"; min: Decimal; max: Decimal; applyMinToMarket: boolean; applyMaxToMarket: boolean } | null;
  maxNumOrders: number;
  maxNumAlgoOrders: number;
}

export interface SymbolSpec {
  /** Binance id, e.g. "BTCUSDT". */
  id: string;
  /** Unified symbol, e.g. "BTC/USDT". */
  symbol: string;
  base: string;
  quote: string;
  info: RawSymbolInfo;
  filters: SymbolFilters;
  orderTypes: ReadonlySet<string>;
}

export const DEFAULT_MARKETS_FILE = path.join("server", "venues", "ccxt", "fixtures", "markets", "binance.json");

/** Real Binance spot limits (GET /api/v3/exchangeInfo `rateLimits`). */
export const DEFAULT_RATE_LIMITS = {
  requestWeightPerMinute: 6000,
  ordersPer10s: 100,
  ordersPerDay: 200_000,
};

function str(value: unknown, fallback = "0"): string {
  return typeof value === "string" || typeof value === "number" ? String(value) : fallback;
}

function parseFilters(info: RawSymbolInfo): SymbolFilters {
  const byType = new Map<string, Record<string, unknown>>();
  for (const filter of info.filters) byType.set(str(filter.filterType, ""), filter);
  const price = byType.get("PRICE_FILTER") ?? {};
  const lot = byType.get("LOT_SIZE") ?? {};
  const marketLot = byType.get("MARKET_LOT_SIZE") ?? {};
  const notional = byType.get("NOTIONAL");
  const legacy = byType.get("MIN_NOTIONAL");
  return {
    minPrice: D(str(price.minPrice)),
    maxPrice: D(str(price.maxPrice)),
    tickSize: D(str(price.tickSize)),
    minQty: D(str(lot.minQty)),
    maxQty: D(str(lot.maxQty)),
    stepSize: D(str(lot.stepSize)),
    marketMaxQty: D(str(marketLot.maxQty)),
    notional: notional
      ? {
          filterType: "NOTIONAL",
          min: D(str(notional.minNotional)),
          max: D(str(notional.maxNotional)),
          applyMinToMarket: notional.applyMinToMarket !== false,
          applyMaxToMarket: notional.applyMaxToMarket === true,
        }
      : legacy
        ? { filterType: "MIN_NOTIONAL", min: D(str(legacy.minNotional)), max: D(0), applyMinToMarket: legacy.applyToMarket !== false, applyMaxToMarket: false }
        : null,
    maxNumOrders: Number(str(byType.get("MAX_NUM_ORDERS")?.maxNumOrders, "200")),
    maxNumAlgoOrders: Number(str(byType.get("MAX_NUM_ALGO_ORDERS")?.maxNumAlgoOrders, "5")),
  };
}

export interface LoadSymbolsOptions {
  /** A ccxt markets snapshot (unified symbol → market with `info`); default: the recorded Binance one. */
  file?: string;
  /** Only these (unified or Binance ids); default every spot market in the file. */
  only?: readonly string[];
  /**
   * Order types to add to every symbol's `orderTypes`. The recorded BTCUSDT entry predates Binance
   * enabling STOP_LOSS / TAKE_PROFIT (market stops) on spot; the default adds them so all four stop
   * kinds can be exercised. Pass [] to serve the recording exactly.
   */
  extraOrderTypes?: readonly string[];
}

interface CcxtMarketEntry {
  symbol?: unknown;
  spot?: unknown;
  info?: unknown;
}

/** Reads the spot symbols of a ccxt Binance markets snapshot. */
export function loadSymbolSpecs(options: LoadSymbolsOptions = {}): SymbolSpec[] {
  const file = options.file ?? path.resolve(process.cwd(), DEFAULT_MARKETS_FILE);
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Record<string, CcxtMarketEntry>;
  const extra = options.extraOrderTypes ?? ["STOP_LOSS", "TAKE_PROFIT"];
  const out: SymbolSpec[] = [];
  for (const [symbol, market] of Object.entries(parsed)) {
    if (market.spot !== true || typeof market.info !== "object" || market.info === null) continue;
    const raw = structuredClone(market.info) as RawSymbolInfo;
    if (options.only && !options.only.includes(symbol) && !options.only.includes(raw.symbol)) continue;
    const ordered = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"];
    const types = new Set([...raw.orderTypes, ...extra]);
    raw.orderTypes = [...ordered.filter((t) => types.has(t)), ...[...types].filter((t) => !ordered.includes(t))];
    out.push({
      id: raw.symbol,
      symbol,
      base: raw.baseAsset,
      quote: raw.quoteAsset,
      info: raw,
      filters: parseFilters(raw),
      orderTypes: new Set(raw.orderTypes),
    });
  }
  if (out.length === 0) throw new Error(`no spot markets found in ${file}`);
  return out;
}

/**
 * The simulator's instrument for a symbol. Precision and quantity limits match the filters; the
 * notional limits are left to the server, which checks them with Binance's rules (market orders
 * against the last price) before the simulator sees the order. Takes any spot spec shaped like Binance's (the
 * Bitget server's too).
 */
export function instrumentFor(
  spec: Pick<SymbolSpec, "id" | "symbol" | "base" | "quote"> & { filters: Pick<SymbolFilters, "tickSize" | "stepSize" | "minQty" | "maxQty"> },
  fees: { maker: string; taker: string },
): Instrument {
  const f = spec.filters;
  return makeInstrument({
    symbol: spec.symbol,
    base: spec.base,
    quote: spec.quote,
    venueSymbol: spec.id,
    kind: "spot",
    priceTick: f.tickSize,
    qtyStep: f.stepSize,
    minQty: f.minQty,
    maxQty: f.maxQty.isZero() ? null : f.maxQty,
    makerFee: fees.maker,
    takerFee: fees.taker,
  });
}

/** GET /api/v3/exchangeInfo. */
export function exchangeInfoBody(specs: readonly SymbolSpec[], serverTime: number, limits = DEFAULT_RATE_LIMITS, only?: readonly string[]): unknown {
  return {
    timezone: "UTC",
    serverTime,
    rateLimits: [
      { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: limits.requestWeightPerMinute },
      { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: limits.ordersPer10s },
      { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: limits.ordersPerDay },
      { rateLimitType: "RAW_REQUESTS", interval: "MINUTE", intervalNum: 5, limit: 61000 },
    ],
    exchangeFilters: [],
    symbols: specs.filter((s) => !only || only.includes(s.id)).map((s) => s.info),
  };
}

/**
 * Several recorded symbols played as one world: which file holds which symbol, the shipped sets, and the trimming that
 * keeps them time-aligned pass after pass.
 *
 * Alignment. Each symbol gets its own ReplayFeed on the same clock and speed; feeds anchored at the same recorded
 * start stay aligned while they play. Looping shifts pass k by the recording's span (last close − first open), so
 * sets are first trimmed to their common window [latest first open, earliest last open]: every trimmed set then has
 * the same span whenever the bars have one length, and the seams coincide. Gaps inside a file (Bittrex printed no bar
 * for a quiet five minutes) are kept: a quiet span is real, and it does not change the span.
 *
 * A file's name says its symbol (`eth-btc_5m_….csv` is ETH/BTC): a desk that asks for ETH/BTC from a file named
 * for another symbol is refused by name, so a typo never trades one market on another's prices.
 */
import path from "node:path";
import { makeInstrument, type Instrument } from "../../core/instrument";
import { type Candle } from "./csv";
import { ReplayError } from "./replay-feed";

/** `eth-btc_5m_….csv` → "ETH/BTC"; null when the name does not start with `<base>-<quote>_`. */
export function symbolOfFile(file: string): string | null {
  const match = /^([a-z0-9]+)-([a-z0-9]+)_/i.exec(path.basename(file));
  return match ? `${match[1]!.toUpperCase()}/${match[2]!.toUpperCase()}` : null;
}

/** Throws REPLAY_SYMBOL_MISMATCH when the file's name names another symbol than the one the desk would trade on it. */
export function checkFileSymbol(file: string, symbol: string): void {
  const named = symbolOfFile(file);
  const wanted = symbol.split(":")[0]!.toUpperCase();
  if (named === null) {
    throw new ReplayError(
      "REPLAY_SYMBOL_MISMATCH",
      `${path.basename(file)} does not say which symbol it holds; name it <base>-<quote>_<bar>_….csv (for ${symbol}: ${wanted.replace("/", "-").toLowerCase()}_…).`,
    );
  }
  if (named !== wanted) {
    throw new ReplayError(
      "REPLAY_SYMBOL_MISMATCH",
      `${path.basename(file)} holds ${named}, not ${symbol}: replaying it as ${symbol} would trade one market on another's prices.`,
    );
  }
}

export interface SymbolCandles {
  symbol: string;
  candles: readonly Candle[];
  /** The venue this recording is played to (several venues, each its own recording); absent: every venue. */
  venue?: string;
}

/** Trims every set to the window all of them cover (see the header); refuses sets that do not overlap. */
export function alignCandleSets(sets: readonly SymbolCandles[]): SymbolCandles[] {
  if (sets.length === 0) throw new ReplayError("REPLAY_NO_DATA", "no symbols to replay.");
  for (const set of sets) {
    if (set.candles.length === 0) throw new ReplayError("REPLAY_NO_DATA", `${set.symbol} has no candles.`);
  }
  const start = Math.max(...sets.map((s) => s.candles[0]!.ts));
  const end = Math.min(...sets.map((s) => s.candles[s.candles.length - 1]!.ts));
  if (end < start) {
    const ranges = sets.map((s) => `${s.symbol} ${iso(s.candles[0]!.ts)} → ${iso(s.candles[s.candles.length - 1]!.ts)}`).join("; ");
    throw new ReplayError("REPLAY_NO_DATA", `the recordings do not overlap in time, so they cannot play as one world (${ranges}).`);
  }
  return sets.map((s) => ({ ...s, candles: s.candles.filter((c) => c.ts >= start && c.ts <= end) }));
}

function iso(ts: number): string {
  return new Date(ts).toISOString().slice(0, 16).replace("T", " ");
}

/** A recorded set the desk can replay: its files (repository-relative), its quote currency and its venue rules. */
export interface RecordedSet {
  name: string;
  quote: string;
  files: readonly string[];
  /** What the venue's precision, limits and fees are, since the recording does not carry them. */
  instrument: (symbol: string) => Instrument;
  description: string;
}

/**
 * Bittrex recorded neither precision nor limits: these are Bittrex's published rules of the time, stated here
 * because the data does not carry them (8-decimal BTC prices and quantities, 0.0005 BTC minimum order, 0.25 % fee).
 */
export function bittrexBtcInstrument(symbol: string): Instrument {
  return makeInstrument({
    symbol,
    venueSymbol: symbol.replace("/", "-"),
    priceTick: "0.00000001",
    qtyStep: "0.00000001",
    minQty: "0.00000001",
    minNotional: "0.0005",
    makerFee: "0.0025",
    takerFee: "0.0025",
  });
}

const PORTFOLIO_COINS = ["ada", "dash", "etc", "eth", "ltc", "nxt", "powr", "xlm", "xmr", "zec"] as const;

export const RECORDED_SETS = {
  portfolio: {
    name: "portfolio",
    quote: "BTC",
    files: PORTFOLIO_COINS.map((coin) => `data/market/portfolio/${coin}-btc_5m_bittrex_2018-01-10_2018-01-30.csv`),
    instrument: bittrexBtcInstrument,
    description: "ten Bittrex altcoins against BTC, 5-minute candles, 2018-01-10 → 01-30 (the January 2018 crash)",
  },
} as const satisfies Record<string, RecordedSet>;

/**
 * Number and time formatting for the desk: money by its currency's precision (a BTC desk's equity is 1.00000000, a
 * USDT one's 1,000.00), prices and quantities by the instrument's tick and step, right-aligned in tables. Every
 * component formats money through `fmtMoney`/`fmtMoneySigned` (or the kit's <Money>/<Pnl>), never with a fixed 2.
 */

/** Decimal places implied by a tick or step such as "0.01" → 2, "1" → 0, "0.00001" → 5. */
export function decimalsOf(step: string | number | null | undefined, fallback = 2): number {
  if (step === null || step === undefined) return fallback;
  const s = typeof step === "number" ? String(step) : step;
  if (/e-/i.test(s)) return Number(s.split(/e-/i)[1]) || fallback;
  const dot = s.indexOf(".");
  if (dot < 0) return 0;
  const frac = s.slice(dot + 1).replace(/0+$/, "");
  return frac.length;
}

/** A decimal string or number with exactly `dp` decimals and thousands separators; "—" for null. */
export function fmtNum(value: string | number | null | undefined, dp = 2): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return "—";
  return n.toLocaleString("en-US", { minimumFractionDigits: dp, maximumFractionDigits: dp });
}

export function fmtSigned(value: string | number | null | undefined, dp = 2): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return "—";
  const text = fmtNum(Math.abs(n), dp);
  return n > 0 ? `+${text}` : n < 0 ? `−${text}` : text;
}

export function fmtPct(value: number | string | null | undefined, dp = 2, signed = false): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return "—";
  return `${signed ? fmtSigned(n, dp) : fmtNum(n, dp)}%`;
}

/** UTC time, as traders read logs: 2024-01-02 12:34:56. */
export function fmtTime(ms: number | null | undefined, withSeconds = true): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, withSeconds ? 19 : 16)}`;
}

/**
 * A time-axis tick for a chart spanning `spanMs`: "MM-DD HH:MM", or "HH:MM:SS" when the whole chart is under 30 minutes
 * (a desk a minute old would otherwise label every tick with the same minute).
 */
export function fmtAxisTime(ms: number, spanMs: number): string {
  return spanMs < 30 * 60_000 ? fmtTime(ms).slice(11) : fmtTime(ms, false).slice(5);
}

/** A duration such as 3d 4h, 2h 05m, 4m 10s, 12s. */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "—";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, "0")}s`;
  return `${sec}s`;
}

export function signOf(value: string | number | null | undefined): -1 | 0 | 1 {
  const n = typeof value === "number" ? value : Number(value ?? 0);
  return !Number.isFinite(n) || n === 0 ? 0 : n > 0 ? 1 : -1;
}

/**
 * Currencies whose amounts people read in cents: fiat and the dollar stablecoins. Anything else is a coin, read to the
 * satoshi (8 decimals): 0.00012345 BTC of PnL must not show as 0.00.
 */
const CENT_CURRENCIES = new Set(["USD", "USDT", "USDC", "BUSD", "TUSD", "FDUSD", "DAI", "EUR", "GBP", "JPY", "TRY", "BRL", "AUD"]);

/** Decimals an amount of `currency` is shown with: 2 for fiat and dollar stablecoins, 8 for coins; 2 when unknown. */
export function currencyDecimals(currency: string | null | undefined): number {
  if (!currency) return 2;
  return CENT_CURRENCIES.has(currency.toUpperCase()) ? 2 : 8;
}

/** An amount of money in `currency`, at that currency's precision ("—" for null). */
export function fmtMoney(value: string | number | null | undefined, currency: string | null | undefined): string {
  return fmtNum(value, currencyDecimals(currency));
}

/** A signed amount of money (+1.00000000 / −0.00012345) at the currency's precision. */
export function fmtMoneySigned(value: string | number | null | undefined, currency: string | null | undefined): string {
  return fmtSigned(value, currencyDecimals(currency));
}

/** What the desk needs to show a symbol's numbers: its tick, step and quote currency (the API's instrument rows). */
export interface InstrumentLike {
  priceTick?: string | null;
  qtyStep?: string | null;
  quote?: string | null;
}

/**
 * Decimals for a symbol's prices, quantities and notional: the tick and step when the instrument is known; else the
 * precision of the symbol's quote (a BTC-quoted price needs 8 decimals; "ETH/BTC" says BTC) and 5 for a quantity.
 */
export function instrumentDecimals(instrument: InstrumentLike | null | undefined, symbol?: string): { price: number; qty: number; money: number } {
  const quote = instrument?.quote ?? quoteOfSymbol(symbol);
  const money = currencyDecimals(quote);
  return { price: decimalsOf(instrument?.priceTick, money), qty: decimalsOf(instrument?.qtyStep, 5), money };
}

/** "ETH/BTC" → "BTC", "BTC/USDT:USDT" → "USDT", "ETH/BTC,LTC/BTC" → "BTC"; null when the symbol does not say. */
export function quoteOfSymbol(symbol: string | null | undefined): string | null {
  if (!symbol) return null;
  // A portfolio names several symbols ("ETH/BTC,LTC/BTC"): they share one quote, so the first one says it.
  const quote = symbol.split(/[,\s]/)[0]!.split(":")[0]!.split("/")[1];
  return quote ? quote.toUpperCase() : null;
}

/** The currency a symbol's money (PnL, fees) is in: its quote; undefined (the desk's) when the symbol names none. */
export function moneyCurrencyOf(symbol: string | null | undefined): string | undefined {
  return quoteOfSymbol(symbol) ?? undefined;
}

/** A price at the instrument's tick. */
export function fmtPrice(value: string | number | null | undefined, instrument: InstrumentLike | null | undefined, symbol?: string): string {
  return fmtNum(value, instrumentDecimals(instrument, symbol).price);
}

/** A quantity at the instrument's step. */
export function fmtQty(value: string | number | null | undefined, instrument: InstrumentLike | null | undefined, symbol?: string): string {
  return fmtNum(value, instrumentDecimals(instrument, symbol).qty);
}

/**
 * A chart axis tick: whole numbers from 1,000 up, else four significant digits (a BTC equity axis reads 1.002, 1.004,
 * not 1, 1, 1). Ticks are labels, not amounts: amounts use fmtMoney.
 */
export function fmtAxis(value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (Math.abs(value) >= 1000) return fmtNum(value, 0);
  return value.toLocaleString("en-US", { maximumSignificantDigits: 4 });
}

/**
 * Derivative positions as ccxt reports them, in Bastion's shape (VenuePosition). Read by CcxtVenue.fetchPositions;
 * numbers come from the exchange's own strings where ccxt keeps them, so no float noise reaches the books.
 * Balances (CcxtVenue.fetchBalances) are mapped here too: the other half of the account read.
 */
import { D, type Decimal } from "../../core/money";
import type { VenueBalance, VenuePosition } from "../venue";

/** The fields of ccxt's fetchBalance answer Bastion reads. */
export interface CcxtBalanceLike {
  free?: Record<string, number | undefined>;
  used?: Record<string, number | undefined>;
  total?: Record<string, number | undefined>;
}

/** Every currency with a total, in Bastion's shape (used → reserved). */
export function toVenueBalances(balance: CcxtBalanceLike): VenueBalance[] {
  const out: VenueBalance[] = [];
  for (const [currency, total] of Object.entries(balance.total ?? {})) {
    if (total === undefined || total === null) continue;
    out.push({ currency, free: D(balance.free?.[currency] ?? 0), reserved: D(balance.used?.[currency] ?? 0), total: D(total) });
  }
  return out;
}

/** The fields of a ccxt position Bastion reads. */
export interface CcxtPositionLike {
  symbol?: string | undefined;
  side?: string | undefined;
  contracts?: number | undefined;
  contractSize?: number | undefined;
  entryPrice?: number | undefined;
  markPrice?: number | undefined;
  unrealizedPnl?: number | undefined;
  leverage?: number | undefined;
  liquidationPrice?: number | undefined;
  notional?: number | undefined;
  initialMargin?: number | undefined;
  marginMode?: string | undefined;
  info?: unknown;
}

/**
 * A ccxt position in Bastion's shape, null when flat. Numbers are read from the exchange's own
 * strings in `info` where ccxt keeps them (Binance positionRisk: positionAmt, entryPrice, markPrice,
 * unRealizedProfit, liquidationPrice, leverage), so no float noise reaches the books. A zero
 * liquidation or mark price means "none" on Binance.
 */
export function toVenuePosition(p: CcxtPositionLike): VenuePosition | null {
  const info = (p.info ?? {}) as Record<string, unknown>;
  const num = (raw: unknown, fallback: number | undefined): Decimal | null => {
    if (typeof raw === "string" && raw.trim() !== "" && Number.isFinite(Number(raw))) return D(raw);
    return typeof fallback === "number" && Number.isFinite(fallback) ? D(fallback) : null;
  };
  const nonZero = (d: Decimal | null) => (d && !d.isZero() ? d : null);
  const amount = num(info.positionAmt, p.contracts === undefined ? undefined : p.side === "short" ? -Math.abs(p.contracts) : Math.abs(p.contracts));
  if (!amount || amount.isZero()) return null;
  const side: "LONG" | "SHORT" = p.side === "short" || (p.side !== "long" && amount.isNegative()) ? "SHORT" : "LONG";
  const contracts = amount.abs();
  const contractSize = num(undefined, p.contractSize) ?? D(1);
  const notional = num(info.notional, p.notional)?.abs() ?? null;
  const initialMargin = num(info.initialMargin ?? info.positionInitialMargin, p.initialMargin);
  let leverage = nonZero(num(info.leverage, p.leverage));
  if (!leverage && notional && initialMargin && !initialMargin.isZero()) leverage = notional.dividedBy(initialMargin).toDecimalPlaces(2);
  const mode = p.marginMode ?? (typeof info.marginType === "string" ? info.marginType : undefined);
  return {
    symbol: p.symbol ?? "",
    side,
    contracts,
    quantity: contracts.times(contractSize),
    entryPrice: nonZero(num(info.entryPrice, p.entryPrice)),
    markPrice: nonZero(num(info.markPrice, p.markPrice)),
    unrealizedPnl: num(info.unRealizedProfit ?? info.unrealizedPL, p.unrealizedPnl),
    leverage,
    liquidationPrice: nonZero(num(info.liquidationPrice, p.liquidationPrice)),
    marginMode: mode === "cross" || mode === "crossed" ? "cross" : mode === "isolated" ? "isolated" : null,
  };
}

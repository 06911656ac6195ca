/**
 * Portfolio limits that need statistics: correlation clusters and their gross exposure (`maxCorrelatedExposurePct`,
 * denial CORRELATED_EXPOSURE) and a VaR ceiling for new entries (`maxVarPct`, denial VAR_LIMIT). Both return a
 * denial in the shape of limits.ts (a DomainError with a stable code, a sentence and details) or null.
 *
 * Exposure here is money and stays Decimal (the same Σ |qty × mark| + reserved order notional as limits.ts); only
 * the correlation and the VaR are floats, being statistics.
 *
 * Decisions:
 * - Clusters are single-linkage: two symbols whose correlation is above the threshold are linked, and a cluster is
 *   a connected component (A~B and B~C put A, B and C together even when A and C are not). Only positive
 *   correlation links by default: a long and a short in two symbols that move together hedge each other, and
 *   a cluster's gross exposure would count the hedge twice. `linkNegative` links |ρ| above the threshold instead.
 * - A cluster of one symbol has no cluster limit (the symbol limits cover it), so the limit never doubles as a
 *   hidden symbol cap. A symbol with no trusted correlation is in no cluster.
 * - As in limits.ts, only an order that increases its symbol's exposure can be denied, so a lowered limit never
 *   traps a position, and the order's effect is (|net after| − |net before|) × order price.
 * - The VaR check is parametric (covariance.ts, portfolio-var.ts): cheap enough for every entry. It denies an entry
 *   when the VaR after it is above the limit and above the VaR before it: an order that lowers VaR always passes.
 *   An entry in a symbol without a trusted covariance cannot be measured and is denied by default
 *   (`unmeasured: "deny"`): protecting capital beats making it; "allow" lets it through with a note.
 */
import { DAY_MS } from "../clock";
import { add, cmp, Decimal, maxDec, sub, ZERO } from "../money";
import { type OrderSide } from "../orders/types";
import { type Refusal } from "../errors";
import { type ReadonlyMatrix } from "./linalg";
import { parametricPortfolioVar } from "./portfolio-var";
import { type RiskPosition } from "./types";

export type PortfolioRiskDenialCode = "CORRELATED_EXPOSURE" | "VAR_LIMIT";
export type PortfolioRiskDenial = Refusal<PortfolioRiskDenialCode>;

const HUNDRED = new Decimal(100);

// ---------------------------------------------------------------------------------------------------------------
// Clusters

export interface ClusterOptions {
  /** Link two symbols when their correlation is above this (e.g. 0.7). */
  threshold: number;
  /** Link on |ρ| instead of ρ. Default false. */
  linkNegative?: boolean;
}

/**
 * Connected components of the "correlation above threshold" graph, each listed in `symbols` order, clusters
 * ordered by their first symbol. Singletons are included (callers filter on size).
 */
export function correlationClusters(symbols: readonly string[], correlation: ReadonlyMatrix, options: ClusterOptions): string[][] {
  const n = symbols.length;
  if (correlation.length !== n) throw new RangeError(`The correlation matrix has ${correlation.length} rows for ${n} symbols.`);
  if (!(options.threshold >= -1 && options.threshold <= 1))
    throw new RangeError(`The correlation threshold must be between −1 and 1, not ${options.threshold}.`);
  const parent = symbols.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const rho = correlation[i]![j]!;
      const linked = options.linkNegative ? Math.abs(rho) > options.threshold : rho > options.threshold;
      if (linked) {
        const a = find(i);
        const b = find(j);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const groups = new Map<number, string[]>();
  for (let i = 0; i < n; i++) {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(symbols[i]!);
    else groups.set(root, [symbols[i]!]);
  }
  return [...groups.values()];
}

export interface ClusterExposure {
  symbols: string[];
  /** Σ |qty × mark| of the cluster's positions + their reserved order notional. */
  grossExposure: Decimal;
  /** The cap in money, when a percent limit and a positive equity are given; null otherwise. */
  limit: Decimal | null;
}

function absDec(d: Decimal): Decimal {
  return d.isNegative() ? d.abs() : d;
}

function grossBySymbol(positions: readonly RiskPosition[], reserved: ReadonlyMap<string, Decimal> | undefined): Map<string, Decimal> {
  const out = new Map<string, Decimal>();
  for (const p of positions) {
    if (p.qty.isZero()) continue;
    out.set(p.symbol, add(out.get(p.symbol) ?? ZERO, absDec(p.qty).times(absDec(p.markPrice))));
  }
  if (reserved) for (const [symbol, amount] of reserved) if (amount.greaterThan(0)) out.set(symbol, add(out.get(symbol) ?? ZERO, amount));
  return out;
}

function capOf(limitPct: number | undefined, equity: Decimal): Decimal | null {
  if (limitPct === undefined) return null;
  return equity.greaterThan(0) ? equity.times(limitPct).dividedBy(HUNDRED) : ZERO;
}

/** Gross exposure of every cluster (singletons included), with its cap when `limitPct` is given. */
export function clusterExposures(
  clusters: readonly (readonly string[])[],
  positions: readonly RiskPosition[],
  options: { equity: Decimal; limitPct?: number; reservedNotionalBySymbol?: ReadonlyMap<string, Decimal> },
): ClusterExposure[] {
  const gross = grossBySymbol(positions, options.reservedNotionalBySymbol);
  const limit = capOf(options.limitPct, options.equity);
  return clusters.map((symbols) => {
    let total = ZERO;
    for (const s of symbols) total = add(total, gross.get(s) ?? ZERO);
    return { symbols: [...symbols], grossExposure: total, limit };
  });
}

/** The order fields the portfolio checks read (a PreTradeOrder fits). */
export interface PortfolioCheckOrder {
  symbol: string;
  side: OrderSide;
  quantity: Decimal;
  price: Decimal;
}

function netQtyOf(positions: readonly RiskPosition[], symbol: string): Decimal {
  let net = ZERO;
  for (const p of positions) {
    if (p.symbol !== symbol || p.qty.isZero()) continue;
    net = p.side === "LONG" ? add(net, absDec(p.qty)) : sub(net, absDec(p.qty));
  }
  return net;
}

/** How much the order adds to its symbol's gross exposure at the order price (zero or negative when it does not). */
function exposureChange(order: PortfolioCheckOrder, netBefore: Decimal): Decimal {
  const netAfter = order.side === "BUY" ? add(netBefore, order.quantity) : sub(netBefore, order.quantity);
  return sub(absDec(netAfter), absDec(netBefore)).times(order.price);
}

function fmtPct(n: number): string {
  return `${Number(n.toFixed(4))}%`;
}

export interface CorrelatedExposureInput {
  order: PortfolioCheckOrder;
  positions: readonly RiskPosition[];
  equity: Decimal;
  reservedNotionalBySymbol?: ReadonlyMap<string, Decimal>;
  /** From correlationClusters over the trusted correlation. */
  clusters: readonly (readonly string[])[];
  /** The threshold the clusters were formed with, for the sentence. */
  threshold: number;
  /** maxCorrelatedExposurePct: a cluster's gross exposure cap in percent of equity (40 = 40 %). */
  limitPct: number;
}

/** CORRELATED_EXPOSURE when the order would take its cluster's gross exposure above the cap; null when it passes. */
export function checkCorrelatedExposure(input: CorrelatedExposureInput): PortfolioRiskDenial | null {
  const { order, limitPct, equity } = input;
  const cluster = input.clusters.find((c) => c.includes(order.symbol));
  if (!cluster || cluster.length < 2) return null;
  const change = exposureChange(order, netQtyOf(input.positions, order.symbol));
  if (!change.greaterThan(0)) return null;
  const [current] = clusterExposures([cluster], input.positions, { equity, reservedNotionalBySymbol: input.reservedNotionalBySymbol });
  const after = add(current!.grossExposure, change);
  const cap = capOf(limitPct, equity)!;
  if (cmp(after, cap) <= 0) return null;
  const names = cluster.join(", ");
  return {
    code: "CORRELATED_EXPOSURE",
    message:
      `Exposure in the correlated cluster ${names} (correlation above ${input.threshold}) would be ${after.toString()}, ` +
      `above the maximum of ${fmtPct(limitPct)} of equity ${equity.toString()} (${cap.toString()}).`,
    details: {
      cluster: [...cluster],
      exposureBefore: current!.grossExposure.toString(),
      exposureAfter: after.toString(),
      limit: cap.toString(),
      limitPct,
      equity: equity.toString(),
      threshold: input.threshold,
    },
  };
}

export interface VarLimitInput {
  order: PortfolioCheckOrder;
  positions: readonly RiskPosition[];
  equity: Decimal;
  /** A trusted covariance estimate (per bar) and its symbols. */
  symbols: readonly string[];
  covariance: ReadonlyMatrix;
  barMs: number;
  /** maxVarPct: the highest portfolio VaR allowed, in percent of equity. */
  limitPct: number;
  /** Default 0.99. */
  confidence?: number;
  /** Default one day. */
  horizonMs?: number;
  /** What to do with an entry in a symbol that has no covariance. Default "deny". */
  unmeasured?: "deny" | "allow";
}

export interface VarLimitFigures {
  varBefore: number;
  varAfter: number;
  limit: number;
}

/**
 * VAR_LIMIT when the entry would raise the portfolio's parametric VaR above `limitPct` of equity. Positions in
 * symbols outside the covariance do not count towards the VaR (they cannot be measured); the order's own symbol
 * must be measurable unless `unmeasured: "allow"`.
 */
export function checkVarLimit(input: VarLimitInput): { denial: PortfolioRiskDenial | null; figures: VarLimitFigures | null } {
  const { order, equity, limitPct } = input;
  const confidence = input.confidence ?? 0.99;
  const netBefore = netQtyOf(input.positions, order.symbol);
  const change = exposureChange(order, netBefore);
  if (!change.greaterThan(0)) return { denial: null, figures: null };
  const index = input.symbols.indexOf(order.symbol);
  if (index < 0) {
    if (input.unmeasured === "allow") return { denial: null, figures: null };
    return {
      denial: {
        code: "VAR_LIMIT",
        message: `The portfolio VaR after this ${order.symbol} order cannot be measured: there is no trusted return history for ${order.symbol} yet.`,
        details: { symbol: order.symbol, limitPct },
      },
      figures: null,
    };
  }
  const exposures = new Array<number>(input.symbols.length).fill(0);
  const positionsIndex = new Map(input.symbols.map((s, i) => [s, i]));
  for (const p of input.positions) {
    const i = positionsIndex.get(p.symbol);
    if (i === undefined || p.qty.isZero()) continue;
    const notional = absDec(p.qty).times(absDec(p.markPrice)).toNumber();
    exposures[i]! += p.side === "LONG" ? notional : -notional;
  }
  const equityNumber = equity.toNumber();
  const varOf = (e: readonly number[]): number =>
    parametricPortfolioVar({
      symbols: input.symbols,
      covariance: input.covariance,
      barMs: input.barMs,
      exposures: e,
      equity: equityNumber,
      horizonMs: input.horizonMs,
      confidences: [confidence],
    }).levels[0]!.var;
  const varBefore = varOf(exposures);
  const after = [...exposures];
  const signedQty = order.side === "BUY" ? order.quantity : order.quantity.negated();
  after[index]! += signedQty.times(order.price).toNumber();
  const varAfter = varOf(after);
  const limit = Math.max(0, (equityNumber * limitPct) / 100);
  const figures = { varBefore, varAfter, limit };
  if (!(varAfter > limit && varAfter > varBefore)) return { denial: null, figures };
  const ofEquity = equityNumber > 0 ? ` (${fmtPct((varAfter / equityNumber) * 100)} of equity)` : "";
  return {
    denial: {
      code: "VAR_LIMIT",
      message:
        `This ${order.symbol} order would raise the portfolio's ${horizonDays(input.horizonMs)} ${confidence * 100}% VaR from ${roundMoney(varBefore)} to ` +
        `${roundMoney(varAfter)}${ofEquity}, above the maximum of ${fmtPct(limitPct)} of equity ${equity.toString()} (${roundMoney(limit)}).`,
      details: { varBefore, varAfter, limit, limitPct, confidence, equity: equity.toString() },
    },
    figures,
  };
}

function horizonDays(horizonMs: number | undefined): string {
  const days = (horizonMs ?? DAY_MS) / DAY_MS;
  return days === 1 ? "1-day" : `${Number(days.toFixed(4))}-day`;
}

/** A float amount for a sentence: 6 significant digits are plenty for an estimate. */
function roundMoney(value: number): string {
  return maxDec(ZERO, new Decimal(value.toPrecision(6))).toString();
}

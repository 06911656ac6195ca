/**
 * The risk gate's portfolio limits that need statistics (issue 14 §2): a correlation cluster's gross exposure cap
 * (`maxCorrelatedExposurePct`, denial CORRELATED_EXPOSURE) and a ceiling on the portfolio's 99 % 1-day parametric VaR
 * (`maxVarPct`, denial VAR_LIMIT). The checks are the pure core's (core/risk/portfolio-limits.ts); this room only
 * feeds them: the covariance of the desk's own market history (EngineOptions.marketHistory) and the gate's portfolio.
 *
 * Decisions:
 * - Only new entries are checked: a reduce-only order passes untouched, and the core denies only an order that adds
 *   to its symbol's exposure, so an exit is never refused and a lowered limit never traps a position.
 * - The covariance is cached per bar: it is estimated again only when a bar of the window's size has closed (the
 *   bar still forming is left out, as on the Risk page) or the settings change, so a burst of entries costs one
 *   estimate, not one per order.
 * - Too little history (or none: a desk without a MarketHistory): the correlation check passes (no trusted cluster
 *   exists) and the VaR check follows the core's `unmeasured: "deny"` policy — with `maxVarPct` set, an entry
 *   whose VaR cannot be measured is refused with a sentence saying so. Protecting capital beats making it; the
 *   limit is off by default, and an operator who sets it gets the figures it needs after `minHistory` bars.
 */
import { MINUTE_MS } from "../core/clock";
import { type MarketHistory } from "../core/market-history";
import { type Decimal } from "../core/money";
import { type OrderSide } from "../core/orders";
import { checkCorrelatedExposure, checkVarLimit, correlationClusters, estimateCovariance, windowReturns } from "../core/risk";
import { exposuresFromPositions, parametricPortfolioVar } from "../core/risk/portfolio-var";
import { type AllocationMethod, allocationTargetFor } from "../core/risk/portfolio-report";
import { forecastReturn, SIGNAL_RETURN_DEFAULTS, type SignalForecast, signalExpectedReturns } from "../core/risk/expected-returns";
import { type Result } from "../core/errors";
import { type CovarianceEstimate } from "../core/risk/covariance";
import { fail, type EngineContext } from "./context";
import type { RiskPortfolioView } from "./risk-gate";
import { PORTFOLIO_GATE_DEFAULTS } from "./settings";
import type { CommandResult } from "./types";

interface CachedEstimate {
  key: string;
  estimate: CovarianceEstimate;
  clusters: string[][];
  /** Target weights per allocation method (and, for max Sharpe and Kelly, per set of forecasts), computed on first use. */
  targets: Map<string, Result<Record<string, number>, string>>;
}

export class PortfolioGate {
  private cached: CachedEstimate | null = null;
  /**
   * The newest usable forecast per symbol among the signals received since the engine started (what
   * signalExpectedReturns would pick from them; the signals table is not read back on start, so after a restart the
   * targets use the historical means until a strategy signals again).
   */
  private readonly forecasts = new Map<string, SignalForecast>();

  constructor(private readonly cx: EngineContext) {}

  private get history(): MarketHistory | undefined {
    return this.cx.options.marketHistory;
  }

  /** Null when the order passes (or neither limit is on); otherwise the denial. */
  check(
    order: { symbol: string; side: OrderSide; quantity: Decimal; price: Decimal; reduceOnly: boolean },
    portfolio: RiskPortfolioView,
  ): CommandResult | null {
    if (order.reduceOnly) return null;
    const limits = this.cx.riskLimits;
    const clusterPct = limits.maxCorrelatedExposurePct ?? null;
    const varPct = limits.maxVarPct ?? null;
    if (clusterPct === null && varPct === null) return null;
    const threshold = limits.correlationThreshold ?? PORTFOLIO_GATE_DEFAULTS.correlationThreshold;
    const barMs = (limits.correlationBarMinutes ?? PORTFOLIO_GATE_DEFAULTS.barMinutes) * MINUTE_MS;
    const { estimate, clusters } = this.estimate(barMs, limits.correlationWindowBars ?? PORTFOLIO_GATE_DEFAULTS.windowBars, threshold);
    const check = { symbol: order.symbol, side: order.side, quantity: order.quantity, price: order.price };
    if (clusterPct !== null && estimate.trusted) {
      const denial = checkCorrelatedExposure({
        order: check,
        positions: portfolio.positions,
        equity: portfolio.equity,
        reservedNotionalBySymbol: portfolio.reservedNotionalBySymbol,
        clusters,
        threshold,
        limitPct: clusterPct,
      });
      if (denial) return fail(denial.code, denial.message, { denials: [denial.code], ...denial.details });
    }
    if (varPct !== null) {
      const { denial } = checkVarLimit({
        order: check,
        positions: portfolio.positions,
        equity: portfolio.equity,
        symbols: estimate.trusted ? estimate.symbols : [],
        covariance: estimate.trusted ? estimate.covariance : [],
        barMs,
        limitPct: varPct,
        unmeasured: "deny",
      });
      if (denial) return fail(denial.code, denial.message, { denials: [denial.code], ...denial.details });
    }
    return null;
  }

  /** A received signal: its expectedReturn becomes its symbol's forecast when it is one (BUY/SELL, not to zero). */
  noteSignal(signal: { symbol: string; action: string; expectedReturn?: number | null | undefined }, receivedAt: number): void {
    const forecast: SignalForecast = { symbol: signal.symbol, action: signal.action, expectedReturn: signal.expectedReturn ?? null, receivedAt };
    // The Risk page's rules (CLOSE, none, "to zero" skipped): the map never holds one signalExpectedReturns would skip.
    if (forecastReturn(forecast) === null) return;
    const held = this.forecasts.get(signal.symbol);
    if (!held || receivedAt >= held.receivedAt) this.forecasts.set(signal.symbol, forecast);
  }

  /**
   * Target weights of one allocation method on the gate's covariance (sizing's `target_weight`), computed once per
   * closed bar and set of fresh forecasts. Max Sharpe and Kelly take a symbol's fresh signal forecast as its expected
   * return (core/risk/expected-returns.ts, the same rules as the Risk page), its mean over the window otherwise.
   */
  targetWeights(method: AllocationMethod): Result<Record<string, number>, string> {
    const limits = this.cx.riskLimits;
    const barMs = (limits.correlationBarMinutes ?? PORTFOLIO_GATE_DEFAULTS.barMinutes) * MINUTE_MS;
    const threshold = limits.correlationThreshold ?? PORTFOLIO_GATE_DEFAULTS.correlationThreshold;
    const cached = this.estimate(barMs, limits.correlationWindowBars ?? PORTFOLIO_GATE_DEFAULTS.windowBars, threshold);
    // The gate's returns are log returns (alignReturns' default), so the forecasts are converted to per-bar log returns.
    const expectedReturns = signalExpectedReturns([...this.forecasts.values()], {
      now: this.cx.clock.now(),
      freshnessMs: SIGNAL_RETURN_DEFAULTS.freshnessMs,
      horizonMs: SIGNAL_RETURN_DEFAULTS.horizonMs,
      barMs,
      kind: "log",
    });
    // Risk parity and min variance read no expected returns: one entry each, whatever the forecasts.
    const key = method === "max_sharpe" || method === "kelly" ? `${method} ${JSON.stringify(expectedReturns)}` : method;
    let target = cached.targets.get(key);
    if (!target) {
      const estimate = cached.estimate;
      if (!estimate.trusted) target = { ok: false, error: { code: "NOT_TRUSTED", message: `No ${method} target weights yet: ${estimate.reason}` } };
      else {
        const outcome = allocationTargetFor(method, estimate, { expectedReturns });
        target = outcome.ok ? outcome : { ok: false, error: { code: outcome.error.code, message: `No ${method} target weights: ${outcome.error.message}` } };
      }
      if (cached.targets.size >= 64) cached.targets.clear(); // forecasts change often within one bar: stay bounded
      cached.targets.set(key, target);
    }
    return target;
  }

  /**
   * The portfolio's 99 % 1-day parametric VaR in % of equity (a float: a statistic), the figure the breaker's
   * maxPortfolioVarPct compares; the same covariance and horizon as the VAR_LIMIT check. Null while it cannot be
   * measured (too little history, no positive equity). Positions in symbols without a trusted covariance are left out.
   */
  portfolioVarPct(portfolio: RiskPortfolioView): number | null {
    const limits = this.cx.riskLimits;
    const barMs = (limits.correlationBarMinutes ?? PORTFOLIO_GATE_DEFAULTS.barMinutes) * MINUTE_MS;
    const threshold = limits.correlationThreshold ?? PORTFOLIO_GATE_DEFAULTS.correlationThreshold;
    const { estimate } = this.estimate(barMs, limits.correlationWindowBars ?? PORTFOLIO_GATE_DEFAULTS.windowBars, threshold);
    if (!estimate.trusted) return null;
    const equity = portfolio.equity.toNumber();
    if (!(equity > 0)) return null;
    const { exposures } = exposuresFromPositions(portfolio.positions, estimate.symbols);
    const report = parametricPortfolioVar({ symbols: estimate.symbols, covariance: estimate.covariance, barMs, exposures, equity, confidences: [0.99] });
    return report.levels[0]!.varPct;
  }

  /** The window's covariance and clusters, estimated again only when a bar has closed or the settings changed. */
  private estimate(barMs: number, window: number, threshold: number): CachedEstimate {
    const history = this.history;
    const until = history?.observedUntil() ?? null;
    // Bars closed so far (the one forming is left out): a new key only when a bar of `barMs` closes.
    const closedBars = until === null ? -1 : Math.floor(until / barMs);
    const symbols = history?.symbols() ?? [];
    const key = JSON.stringify([barMs, window, threshold, closedBars, symbols]);
    if (this.cached?.key === key) return this.cached;
    let estimate: CovarianceEstimate;
    const minHistory = Math.max(2, Math.ceil(window / 2));
    if (!history || symbols.length === 0) {
      estimate = { trusted: false, symbols, count: 0, minHistory, reason: "The desk keeps no market history yet." };
    } else {
      const rows = windowReturns(history, symbols, { barMs, window, until });
      estimate = rows.problem
        ? { trusted: false, symbols, count: 0, minHistory, reason: rows.problem }
        : estimateCovariance(symbols, rows.rows, { window, minHistory, timestamps: rows.timestamps });
    }
    // Single-linkage clusters over the trusted correlation; a symbol alone has no cluster limit.
    const clusters = estimate.trusted ? correlationClusters(estimate.symbols, estimate.correlation, { threshold }).filter((c) => c.length > 1) : [];
    this.cached = { key, estimate, clusters, targets: new Map() };
    return this.cached;
  }
}

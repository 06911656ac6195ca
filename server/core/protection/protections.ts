/**
 * All detectors behind one object built from the settings: what the engine's watchers call with market data,
 * request outcomes, closed trades, predictions and load samples. Each call returns the firings it caused; the
 * engine applies their actions (a lock through the LockBook, a pause, a halt) and publishes them.
 * Pure like its parts: time comes with every call.
 */
import { type DecimalInput } from "../money";
import { FlashMoveDetector } from "./flash-move";
import { type LoadSample, SystemOverloadDetector } from "./overload";
import { type ProtectionSettings, type ProtectionSettingsInput, protectionSettingsSchema } from "./settings";
import { type HeldSeries, StaleDataDetector } from "./stale-data";
import { StrategyFailureDetector } from "./strategy-health";
import { type ProtectionFiring } from "./types";
import { VenueUnreachableDetector } from "./venue-health";
import { VolatilityDetector } from "./volatility";

export class Protections {
  readonly settings: ProtectionSettings;
  readonly flashMove: FlashMoveDetector;
  readonly staleData: StaleDataDetector;
  readonly venues: VenueUnreachableDetector;
  readonly volatility: VolatilityDetector;
  readonly strategies: StrategyFailureDetector;
  readonly overload: SystemOverloadDetector;

  /** Throws a ZodError on bad settings: validate them at the edge with protectionSettingsSchema first. */
  constructor(settings: ProtectionSettingsInput = {}) {
    this.settings = protectionSettingsSchema.parse(settings);
    this.flashMove = new FlashMoveDetector(this.settings.flashMove);
    this.staleData = new StaleDataDetector(this.settings.staleData);
    this.venues = new VenueUnreachableDetector(this.settings.venueUnreachable);
    this.volatility = new VolatilityDetector(this.settings.volatility);
    this.strategies = new StrategyFailureDetector(this.settings.strategyFailure);
    this.overload = new SystemOverloadDetector(this.settings.systemOverload);
  }

  /**
   * A market price (trade, mark or bar close) for a symbol. `source.venue`: the venue it came from on a desk with
   * several (stale data and flash moves are per (venue, symbol)); `source.reference` false: not the symbol's reference
   * series, which volatility (a statistic over one series of returns) keeps to.
   */
  onPrice(symbol: string, price: number, ts: number, source: { venue?: string; reference?: boolean } = {}): ProtectionFiring[] {
    this.staleData.recordData(symbol, ts, source.venue);
    const firings: ProtectionFiring[] = [];
    const flash = this.flashMove.observe(symbol, price, ts, source.venue);
    if (flash) firings.push(flash);
    if (source.reference === false) return firings;
    const volatility = this.volatility.observe(symbol, price, ts);
    if (volatility) firings.push(volatility);
    return firings;
  }

  onVenueAttempt(venue: string, ts: number): void {
    this.venues.recordAttempt(venue, ts);
  }

  onVenueSuccess(venue: string, ts: number): void {
    this.venues.recordSuccess(venue, ts);
  }

  /** `error` must already be scrubbed of anything secret: it ends up in the firing's message. */
  onVenueFailure(venue: string, ts: number, error: string): ProtectionFiring[] {
    const firing = this.venues.recordFailure(venue, ts, error);
    return firing ? [firing] : [];
  }

  onTradeClosed(strategy: string, pnl: DecimalInput, ts: number): ProtectionFiring[] {
    return this.strategies.recordTrade(strategy, pnl, ts);
  }

  onPrediction(strategy: string, isCorrect: boolean, ts: number): ProtectionFiring[] {
    const firing = this.strategies.recordPrediction(strategy, isCorrect, ts);
    return firing ? [firing] : [];
  }

  onLoad(sample: LoadSample, ts: number): ProtectionFiring[] {
    const firing = this.overload.observe(sample, ts);
    return firing ? [firing] : [];
  }

  /** The clock-driven rules (stale data, venue silence), asked on a schedule with the symbols held. */
  check(now: number, openSymbols: Iterable<string | HeldSeries>): ProtectionFiring[] {
    return [...this.staleData.check(now, openSymbols), ...this.venues.check(now)];
  }
}

/**
 * The engine's larger read-only views (for the API and tests), as functions of the EngineContext: the Engine's public
 * methods of the same names delegate here. They only read (copies where the caller could otherwise change memory), so
 * they are safe outside the queue like every view.
 */
import type { CircuitBreaker } from "../core/breaker";
import { isTerminal, type Order } from "../core/orders";
import type { ExitState, Position } from "../core/positions";
import type { TradingState } from "../core/risk";
import type { InDoubtView } from "./in-doubt";
import type { RiskLimitsSettings, SymbolSettings } from "./settings";
import type { EmergencyProgress, EquityPoint, Mark } from "./types";
import type { EngineContext } from "./context";
import type { VenueView } from "./venue-room";

/** Degraded (a store error happened; memory was reloaded) and stopped (no trading at all in this process). */
export interface EngineHealth {
  degraded: { reason: string; since: number; lastAt: number; errors: number } | null;
  stopped: { code: string; reason: string; since: number } | null;
}

export interface EngineState extends EngineHealth {
  tradingState: TradingState;
  tradingStateInfo: { reason: string; by: string; since: number };
  breaker: ReturnType<CircuitBreaker["status"]> | null;
  openOrders: Order[];
  /** `strategy` null: placed by no strategy (the API shows "manual"); `venue`: the venue the position trades on. */
  positions: { position: Position; exit: ExitState | null; mark: number | null; strategy: string | null; venue: string }[];
  equity: EquityPoint;
  emergency: EmergencyProgress | null;
  marks: Record<string, Mark>;
  /** Each venue's own last price per symbol (a desk with several venues; a venue without its own quote is absent). */
  venueMarks: Record<string, Record<string, number>>;
  /**
   * On a desk trading symbols quoted in several currencies: units of the desk's quote per unit of each symbol's quote
   * (a decimal string; null without a rate). Absent on a desk with one quote currency (nothing to convert).
   */
  symbolRates?: Record<string, string | null>;
  inDoubt: InDoubtView[];
  /** Each venue: connection, its own state, open orders, positions, exposure and balances (venue-room.ts). */
  venues: VenueView[];
}

/** The settings in force (copies), for the risk and settings pages. */
export interface RiskSettingsView {
  limits: RiskLimitsSettings;
  defaults: SymbolSettings;
  symbolSettings: Record<string, SymbolSettings>;
  stored: string[];
  breakerConfig: CircuitBreaker["currentConfig"] | null;
}

export function healthView(cx: EngineContext): EngineHealth {
  return { degraded: cx.degradedInfo ? { ...cx.degradedInfo } : null, stopped: cx.stopInfo ? { ...cx.stopInfo } : null };
}

export function stateView(cx: EngineContext): EngineState {
  return {
    ...healthView(cx),
    tradingState: cx.tradingState,
    tradingStateInfo: cx.tradingStateInfo,
    breaker: cx.breaker?.status() ?? null,
    openOrders: [...cx.books.orders.values()].map((r) => r.order).filter((o) => !isTerminal(o)),
    positions: [...cx.books.positions.values()].map((r) => ({
      position: r.position,
      exit: r.exit,
      // Its own venue's price (a desk with several venues quotes one symbol at several prices).
      mark: cx.books.markOfPosition(r)?.last ?? null,
      strategy: r.meta.strategy,
      venue: cx.venueRoom.venueOfPosition(r),
    })),
    venues: cx.venueRoom.views(),
    equity: cx.accounting.equity(),
    emergency: cx.emergency.lastEmergency,
    // Copies without the cached Decimal: what the API sends is the prices and their time.
    marks: Object.fromEntries(
      [...cx.books.marks].map(([symbol, m]) => [
        symbol,
        { last: m.last, ...(m.bid !== undefined && { bid: m.bid }), ...(m.ask !== undefined && { ask: m.ask }), ts: m.ts },
      ]),
    ),
    venueMarks: Object.fromEntries([...cx.books.venueMarks].map(([venue, marks]) => [venue, Object.fromEntries([...marks].map(([s, m]) => [s, m.last]))])),
    inDoubt: cx.doubts.inDoubtList(),
    ...(cx.accounting.hasMixedQuotes() && {
      symbolRates: Object.fromEntries([...cx.books.instruments.keys()].map((s) => [s, cx.accounting.symbolRate(s)?.toString() ?? null])),
    }),
  };
}

/**
 * The portfolio limits, every traded symbol's settings (stored, or the defaults), which symbols have stored settings,
 * and the breaker's config (null: no breaker).
 */
export function riskSettingsView(cx: EngineContext): RiskSettingsView {
  const symbolSettings: Record<string, SymbolSettings> = {};
  for (const symbol of cx.books.instruments.keys()) symbolSettings[symbol] = structuredClone(cx.gate.settingsFor(symbol));
  return {
    limits: structuredClone(cx.riskLimits),
    defaults: structuredClone(cx.defaultSettings),
    symbolSettings,
    stored: [...cx.symbolSettings.keys()].filter((s) => cx.books.instruments.has(s)),
    breakerConfig: cx.breaker?.currentConfig ?? null,
  };
}

/**
 * Positions: the open book as the desk shows it (from the engine, which holds it), and the manual actions on it —
 * close, partial close, edit stop-loss / take-profit, close all. Every action is an engine command, so the engine
 * audits it (who, when, what, why, result) and records the exit reason "manual" on the closed trade.
 */
import { DomainError } from "../core/errors";
import { Decimal, ZERO } from "../core/money";
import type { Actor } from "../engine/types";
import { instrumentDto, positionDto, type InstrumentDto, type PositionDto } from "./dto";

/** The attribution filters of the positions list (each optional; all given must match). */
export interface PositionFilter {
  venue?: string | undefined;
  symbol?: string | undefined;
  strategy?: string | undefined;
}
import { requireEngine, runCommand } from "./engine";

export interface PositionsView {
  now: number;
  positions: PositionDto[];
  /** The venues, symbols and strategies of every open position (unfiltered): the filter menus. */
  facets: { venues: string[]; symbols: string[]; strategies: string[] };
  instruments: InstrumentDto[];
  totals: { count: number; exposure: string; unrealized: string; long: number; short: number };
}

const distinctSorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/** Open positions (and entries still being filled) that match the filter, sorted by symbol then age, with their totals. */
export function listPositions(filter: PositionFilter = {}, now = Date.now()): PositionsView {
  const engine = requireEngine();
  const state = engine.state();
  const open = state.positions.filter((p) => p.position.state !== "CLOSED").map((p) => positionDto(p.position, p.exit, p.mark, now, p));
  const facets = {
    venues: distinctSorted(open.map((p) => p.venue)),
    symbols: distinctSorted(open.map((p) => p.symbol)),
    strategies: distinctSorted(open.map((p) => p.strategy)),
  };
  const positions = open
    .filter(
      (p) =>
        (filter.venue === undefined || p.venue === filter.venue) &&
        (filter.symbol === undefined || p.symbol === filter.symbol) &&
        (filter.strategy === undefined || p.strategy === filter.strategy),
    )
    .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.openedAt - b.openedAt || (a.id < b.id ? -1 : 1)));
  let exposure: Decimal = ZERO;
  let unrealized: Decimal = ZERO;
  for (const p of positions) {
    if (p.notional !== null) exposure = exposure.plus(p.notional);
    if (p.unrealizedPnl !== null) unrealized = unrealized.plus(p.unrealizedPnl);
  }
  const symbols = new Set(positions.map((p) => p.symbol));
  return {
    now,
    positions,
    facets,
    instruments: engine
      .instrumentList()
      .filter((i) => symbols.has(i.symbol))
      .map(instrumentDto),
    totals: {
      count: positions.length,
      exposure: exposure.toString(),
      unrealized: unrealized.toString(),
      long: positions.filter((p) => p.side === "LONG").length,
      short: positions.filter((p) => p.side === "SHORT").length,
    },
  };
}

function openPositionOrThrow(positionId: string) {
  const record = requireEngine()
    .state()
    .positions.find((p) => p.position.id === positionId && p.position.state !== "CLOSED");
  if (!record) throw new DomainError("NOT_FOUND", `Position ${positionId} is not open (it may have closed already).`);
  return record;
}

export function closePosition(input: { positionId: string; reason?: string }, actor: Actor) {
  return runCommand({ kind: "closePosition", positionId: input.positionId, actor, reason: input.reason || null });
}

/** Closes part of a position: a percentage (rounded down to the quantity step by the engine) or an exact quantity. */
export function partialClose(input: { positionId: string; percent?: number; quantity?: string; reason?: string }, actor: Actor) {
  const { position } = openPositionOrThrow(input.positionId);
  // Closing everything is a Close, not a partial close; more than held is refused by the engine (QUANTITY_TOO_LARGE).
  if (input.quantity !== undefined && position.quantity.greaterThan(0) && new Decimal(input.quantity).equals(position.quantity)) {
    throw new DomainError("NOT_PARTIAL", `${input.quantity} is the whole of position ${input.positionId}: use Close instead.`);
  }
  return runCommand({
    kind: "closePosition",
    positionId: input.positionId,
    ...(input.percent !== undefined ? { fraction: input.percent / 100 } : { quantity: input.quantity! }),
    actor,
    reason: input.reason || null,
  });
}

/**
 * New stop-loss / take-profit prices (null removes, undefined keeps). Refuses prices more than 10× away from the mark;
 * the engine refuses either exit on the side where it would fire at once (STOP_WRONG_SIDE, TAKE_PROFIT_WRONG_SIDE).
 */
export function setExits(input: { positionId: string; stopLoss?: number | null; takeProfit?: number | null; reason?: string }, actor: Actor) {
  if (input.stopLoss === undefined && input.takeProfit === undefined) {
    throw new DomainError("VALIDATION", "Nothing to change: give a stopLoss or a takeProfit (null removes one).");
  }
  const record = openPositionOrThrow(input.positionId);
  const ref = record.mark ?? record.position.avgEntryPrice?.toNumber() ?? null;
  if (ref !== null && ref > 0) {
    for (const [name, value] of [
      ["stopLoss", input.stopLoss],
      ["takeProfit", input.takeProfit],
    ] as const) {
      if (value === null || value === undefined) continue;
      if (value > ref * 10 || value < ref / 10) {
        throw new DomainError("ABSURD_PRICE", `${name} ${value} is absurd for ${record.position.symbol}: the market is at ${ref}.`, {
          field: name,
          reference: ref,
        });
      }
    }
  }
  return runCommand({
    kind: "setExits",
    positionId: input.positionId,
    ...(input.stopLoss !== undefined && { stopLoss: input.stopLoss }),
    ...(input.takeProfit !== undefined && { takeProfit: input.takeProfit }),
    actor,
    reason: input.reason || null,
  });
}

export function closeAll(input: { reason: string }, actor: Actor) {
  return runCommand({ kind: "closeAll", actor, reason: input.reason });
}

/**
 * The desk's money for display: the currency its books are kept in (the quote of its instruments; BTC for the
 * zero-config replay desk) and, when that is not USDT, its equity in USDT at a recorded mark. A replay desk is shown at
 * the recorded time it is replaying (January 2018 for the portfolio set), so the mark is looked up at that time and
 * says whether the recording covers it.
 */
import { Decimal } from "../core/money";
import { recordedUsdtMark, type RecordedMark } from "../venues/replay/recorded-marks";
import type { Runtime } from "../engine/runtime";

export interface DeskMoneyDto {
  /** The currency equity, PnL, exposure and fees are in. */
  currency: string;
  /** Equity in USDT at `mark` (a string decimal), null when the desk is in USDT or no mark is recorded. */
  equityUsdt: string | null;
  mark: (RecordedMark & { at: number }) | null;
}

/** The currency of the desk's books: its instruments' quote (USDT when it has none yet). */
export function deskCurrency(runtime: Pick<Runtime, "engine">): string {
  return runtime.engine.instrumentList()[0]?.quote ?? "USDT";
}

/** The recorded time a replay is showing (the latest bar any of its feeds played), else the engine's time. */
export function shownTime(runtime: Pick<Runtime, "engine" | "feedStatus">): number {
  const feed = runtime.feedStatus();
  if (feed.kind === "replay" && feed.detail) {
    const feeds = Array.isArray(feed.detail.feeds) ? (feed.detail.feeds as { lastRecordedTs?: unknown }[]) : [feed.detail as { lastRecordedTs?: unknown }];
    const recorded = feeds.map((f) => f.lastRecordedTs).filter((t): t is number => typeof t === "number");
    if (recorded.length > 0) return Math.max(...recorded);
  }
  return runtime.engine.now();
}

export function deskMoney(runtime: Pick<Runtime, "engine" | "feedStatus">, equity: string, root?: string): DeskMoneyDto {
  const currency = deskCurrency(runtime);
  const at = shownTime(runtime);
  const mark = recordedUsdtMark(currency, at, root);
  if (!mark) return { currency, equityUsdt: null, mark: null };
  // Display only: Decimal keeps the product exact; the mark itself is recorded market data (a plain number).
  return { currency, equityUsdt: new Decimal(equity).times(mark.price).toFixed(2), mark: { ...mark, at } };
}

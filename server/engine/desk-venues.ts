/**
 * The simulated venues of a desk file that lists several (`venues:` entries with `mode: sim`): one simulator per
 * venue, with the venue's id, its own state file, its own fees (`fees.taker_bps`/`maker_bps`) and the symbols it lists
 * (`symbols`, all the desk's when absent). The runtime puts them in one VenueSet; each matches the same market data.
 */
import { makeInstrument, type Instrument } from "../core/instrument";
import { D } from "../core/money";
import { seededRng } from "../core/rng";
import { SimVenue } from "../venues/sim/sim-venue";
import type { DeskFile, DeskVenue } from "./desk-file";

/** The enabled simulated venues of the desk file (none without a file). */
export function simulatedVenueEntries(desk: Pick<DeskFile, "venues"> | null | undefined): DeskVenue[] {
  return (desk?.venues ?? []).filter((v) => v.enabled && v.mode === "sim");
}

/** The instruments one venue lists, with its own fees when the desk file gives them. */
export function venueInstruments(entry: DeskVenue, instruments: readonly Instrument[]): Instrument[] {
  const listed = entry.symbols.length > 0 ? instruments.filter((i) => entry.symbols.includes(i.symbol)) : [...instruments];
  const fees = entry.fees;
  if (!fees) return listed;
  const rate = (bps: number) => D(bps).dividedBy(10_000).toString();
  return listed.map((i) => makeInstrument({ ...i, makerFee: rate(fees.makerBps), takerFee: rate(fees.takerBps) }));
}

export function simulatedVenue(
  entry: DeskVenue,
  instruments: readonly Instrument[],
  options: { initialBalances: Record<string, string | number>; seed: number; statePath: string },
): SimVenue {
  return new SimVenue(
    {
      instruments: venueInstruments(entry, instruments),
      // A venue's own balances (desk file) replace the desk's capital: an arbitrage desk holds the base on both venues.
      initialBalances: entry.balances ?? options.initialBalances,
      slippage: { model: "REALISTIC", impactK: 0.1, fixedBps: 1 },
      participationCap: 0.25,
      latencyMs: { fixedMs: 20, jitterMs: 10 },
      rng: seededRng(options.seed),
    },
    { id: entry.id, statePath: options.statePath, synchronous: "NORMAL" },
  );
}

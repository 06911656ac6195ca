/**
 * Paper mode with several ccxt venues in the desk file: each venue is a simulator with the venue's id, fees and symbols
 * (desk-venues.ts), fed by its OWN exchange's public market data (its testnet or api_url applied), the quotes tagged with
 * the venue — so routing compares real prices and each position is marked at its own venue's. No keys are read: a paper
 * desk never calls a private endpoint.
 */
import "server-only";
import type { LiveEnv } from "../config";
import { overrideApiUrls } from "../venues/ccxt/live-config";
import { createCcxtExchange, type PublicExchange } from "../venues/ccxt/public-feed";
import type { DeskFile, DeskVenue } from "./desk-file";

/** One paper venue's market data: its id, the ccxt exchange polled for it, whether websockets may be used, its symbols. */
export interface PaperFeedVenue {
  id: string;
  exchangeId: string;
  exchange: PublicExchange;
  /** False with an api_url override: it points REST at a test server or proxy; where websockets would go is unknown. */
  streams: boolean;
  symbols: string[];
}

/** The desk file's enabled ccxt venues when it lists several (paper plays each one's public data); none otherwise. */
export function paperCcxtEntries(desk: Pick<DeskFile, "venues"> | null | undefined): DeskVenue[] {
  const entries = (desk?.venues ?? []).filter((v) => v.enabled && v.mode === "ccxt");
  return entries.length > 1 ? entries : [];
}

/** The traded symbols a venue lists (all of them when its entry names none). */
export function venueSymbols(entry: DeskVenue, symbols: readonly string[]): string[] {
  return entry.symbols.length > 0 ? symbols.filter((s) => entry.symbols.includes(s)) : [...symbols];
}

/**
 * The public ccxt instance of each paper venue. Market types as live mode loads them (BASTION_MARKET_TYPES, Binance
 * "spot" by default): loading every type would ask a spot-only testnet or test server for futures it does not serve.
 */
export async function openPaperFeedVenues(entries: readonly DeskVenue[], symbols: readonly string[], liveEnv: LiveEnv): Promise<PaperFeedVenue[]> {
  const typesRaw = liveEnv.BASTION_MARKET_TYPES;
  return Promise.all(
    entries.map(async (entry) => {
      const types = typesRaw
        ? typesRaw
            .split(",")
            .map((t) => t.trim())
            .filter((t) => t !== "")
        : entry.exchange === "binance"
          ? ["spot"]
          : [];
      const options: Record<string, unknown> = types.length > 0 ? { fetchMarkets: { types } } : {};
      if (entry.exchange === "binance") options.fetchCurrencies = false; // a private endpoint: not needed to read prices
      const exchange = await createCcxtExchange(entry.exchange, { options });
      if (entry.testnet) exchange.setSandboxMode(true);
      if (entry.apiUrl !== null) exchange.urls = { ...exchange.urls, api: overrideApiUrls(exchange.urls.api, entry.apiUrl) as typeof exchange.urls.api };
      return { id: entry.id, exchangeId: entry.exchange, exchange, streams: entry.apiUrl === null, symbols: venueSymbols(entry, symbols) };
    }),
  );
}

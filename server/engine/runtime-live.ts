/**
 * The runtime's LIVE opening: the checked configuration (one exchange from BASTION_API_*, or a desk file's several
 * ccxt venues, each with its own keys), and the venues opened on it — markets loaded, balances read, the starting
 * capital known — before the engine is built. A refusal or an unreachable exchange is a StartError.
 */
import "server-only";
import type { AppConfig } from "../config";
import { D } from "../core/money";
import { CcxtVenue } from "../venues/ccxt/ccxt-venue";
import { scrubSecrets } from "../venues/ccxt/errors";
import { createLiveExchange, createLiveStreamExchange, loadLiveConfig, loadLiveVenueConfigs, type LiveConfig } from "../venues/ccxt/live-config";
import type { PublicExchange } from "../venues/ccxt/public-feed";
import type { Venue } from "../venues/venue";
import { log, StartError, wallClock } from "./runtime-base";

/** One enabled ccxt venue of a desk file that lists several: its id, checked configuration and traded symbols. */
export interface LiveVenueConfig {
  id: string;
  config: LiveConfig;
  symbols: string[];
}

/** Several live venues: each one's exchange (market data polled from it, quotes tagged with the venue) and symbols. */
export interface LiveFeedVenue extends LiveVenueConfig {
  exchange: PublicExchange;
}

/** The opened LIVE desk: the first venue, the others (several venues), the starting capital and the exchanges to poll. */
export interface OpenedLiveDesk {
  inner: Venue;
  others: Venue[];
  capital: string;
  /** The single exchange's trading instance (null with several venues: their exchanges are in liveFeeds). */
  liveExchange: PublicExchange | null;
  liveFeeds: LiveFeedVenue[];
}

/**
 * The desk file's enabled ccxt venues when it lists several (null otherwise: the single-exchange path of BASTION_API_*),
 * each with its checked configuration and the traded symbols it lists; a venue without keys refuses the start by name.
 */
export function liveVenueConfigsOrRefuse(config: AppConfig): LiveVenueConfig[] | null {
  const entries = (config.desk?.venues ?? []).filter((v) => v.enabled && v.mode === "ccxt");
  if (entries.length < 2) return null;
  const loaded = loadLiveVenueConfigs(config.liveEnv, entries);
  if (!loaded.ok) throw new StartError(`LIVE mode refused to start. ${loaded.error.message}`);
  return loaded.value.map(({ id, config: venueConfig }) => {
    const entry = entries.find((e) => e.id === id)!;
    const symbols = entry.symbols.length > 0 ? config.symbols.filter((s) => entry.symbols.includes(s)) : [...config.symbols];
    if (symbols.length === 0) throw new StartError(`LIVE mode refused to start. venue ${id} lists none of the traded symbols (${config.symbols.join(", ")}).`);
    for (const warning of venueConfig.warnings) log("warn", `live configuration of ${id}: ${warning}`);
    log("info", `live configuration of ${id}: ${venueConfig.toString()}`);
    return { id, config: venueConfig, symbols };
  });
}

/** The LIVE configuration, or the refusal as the runtime's error (shown by /api/health and the log). */
export function liveConfigOrRefuse(config: AppConfig): LiveConfig {
  const loaded = loadLiveConfig(config.liveEnv);
  if (!loaded.ok) throw new StartError(`LIVE mode refused to start. ${loaded.error.message}`);
  for (const warning of loaded.value.warnings) log("warn", `live configuration: ${warning}`);
  log("info", `live configuration: ${loaded.value.toString()}`);
  return loaded.value;
}

/**
 * Opens the LIVE venues: every venue of a desk file's list (several, each with its own keys), or the one exchange of
 * BASTION_API_*. On a failure, what was opened is closed and `release` gives back what the runtime took (lease, store).
 */
export async function openLiveDesk(live: LiveVenueConfig[] | LiveConfig, symbols: string[], config: AppConfig, release: () => void): Promise<OpenedLiveDesk> {
  if (Array.isArray(live)) {
    const liveVenues = live;
    const opened: Awaited<ReturnType<typeof openLiveVenue>>[] = [];
    try {
      for (const v of liveVenues) opened.push(await openLiveVenue(v.config, v.symbols, config, v.id));
    } catch (e) {
      await Promise.allSettled(opened.map((o) => o.venue.close()));
      release();
      throw e;
    }
    // BASTION_CAPITAL stands for the whole desk; otherwise each account's quote balance counts, equity their sum.
    let capital = config.capital;
    if (capital === null) {
      const summed = deskCapital(
        opened.map((o) => ({ id: o.venue.id, quote: o.venue.instruments()[0]!.quote, capital: o.capital })),
        config.desk?.conversionRates ?? {},
      );
      if (!summed.ok) {
        await Promise.allSettled(opened.map((o) => o.venue.close()));
        release();
        throw new StartError(`LIVE mode refused to start. ${summed.error}`);
      }
      capital = summed.value;
    }
    return {
      inner: opened[0]!.venue,
      others: opened.slice(1).map((o) => o.venue),
      capital,
      liveExchange: null,
      liveFeeds: liveVenues.map((v, i) => ({ id: v.id, config: v.config, exchange: opened[i]!.exchange, symbols: v.symbols })),
    };
  }
  let opened: Awaited<ReturnType<typeof openLiveVenue>>;
  try {
    opened = await openLiveVenue(live, symbols, config);
  } catch (e) {
    release();
    throw e;
  }
  return { inner: opened.venue, others: [], capital: opened.capital, liveExchange: opened.exchange, liveFeeds: [] };
}

/**
 * The desk's starting capital from each venue's quote balance, in the first venue's quote (the desk's currency): a venue
 * whose account is in another currency counts at desk.conversion_rates (a peg); without one the start is refused by
 * name — summing USD and USDT 1:1 would be a guess, and there is no market price yet to convert at.
 */
export function deskCapital(
  venues: readonly { id: string; quote: string; capital: string }[],
  rates: Readonly<Record<string, string>>,
): { ok: true; value: string } | { ok: false; error: string } {
  const deskQuote = venues[0]!.quote;
  let total = D(0);
  for (const venue of venues) {
    const rate = venue.quote === deskQuote ? "1" : rates[venue.quote];
    if (rate === undefined)
      return {
        ok: false,
        error: `LIVE_MIXED_QUOTES: venue ${venue.id} holds its capital in ${venue.quote} and the desk counts in ${deskQuote}; set desk.conversion_rates.${venue.quote} (a peg) or BASTION_CAPITAL.`,
      };
    total = total.plus(D(venue.capital).times(rate));
  }
  return { ok: true, value: total.toString() };
}

/**
 * The exchange for LIVE mode: two ccxt instances (trading and polling; cancels on the emergency one), markets
 * loaded from the exchange (instruments come from them, not from the recorded snapshot), balances read once
 * (all-in sizing needs the free quote), the starting capital (BASTION_CAPITAL, else the quote balance).
 */
async function openLiveVenue(
  config: LiveConfig,
  symbols: string[],
  app: AppConfig,
  id?: string,
): Promise<{ venue: CcxtVenue; exchange: PublicExchange; capital: string }> {
  const timeoutMs = app.intervals.liveTimeoutMs;
  const { exchange, emergency } = createLiveExchange(config, { timeoutMs });
  const secrets = [exchange.apiKey, exchange.secret, exchange.password].filter((x): x is string => typeof x === "string" && x.length >= 4);
  const plain = (e: unknown) => scrubSecrets(e instanceof Error ? e.message : String(e), secrets).slice(0, 300);
  try {
    await Promise.all([exchange.loadMarkets(), emergency.loadMarkets()]);
  } catch (e) {
    await Promise.allSettled([exchange.close(), emergency.close()]);
    throw new StartError(`LIVE_NO_MARKETS: ${config.exchangeId}'s markets could not be loaded (${plain(e)}).`, 15_000);
  }
  const missing = symbols.filter((s) => !(exchange.markets ?? {})[s]);
  if (missing.length > 0) {
    await Promise.allSettled([exchange.close(), emergency.close()]);
    throw new StartError(
      `LIVE_BAD_SYMBOL: ${config.exchangeId} does not list ${missing.join(", ")}; set BASTION_SYMBOL to symbols it trades, such as BTC/USDT.`,
    );
  }
  const venue = await CcxtVenue.open({
    ...(id !== undefined ? { id } : {}),
    exchange,
    emergencyExchange: emergency,
    symbols,
    clock: wallClock,
    pollIntervalMs: app.intervals.venuePollMs,
    // Fills and order updates over websockets where ccxt has them (REST polling stays, slower while the stream is healthy).
    stream: app.websockets ? createLiveStreamExchange(config, { timeoutMs }) : null,
    log,
  });
  let capital = app.capital ?? undefined;
  try {
    const balances = await venue.fetchBalances();
    const quote = venue.instruments()[0]!.quote;
    capital ??= balances.find((b) => b.currency === quote)?.total.toString();
  } catch (e) {
    await venue.close();
    const message = plain(e);
    // Keys refused: a configuration problem, not worth retrying on a timer.
    const final = /AUTHENTICATION|PERMISSION|ACCOUNT_SUSPENDED/.test(message);
    throw new StartError(`LIVE_NO_BALANCES: ${config.exchangeId} balances could not be read: ${message}`, final ? null : 15_000);
  }
  if (capital === undefined || !(Number(capital) > 0)) {
    await venue.close();
    throw new StartError(`LIVE_NO_CAPITAL: the ${config.exchangeId} account holds no ${venue.instruments()[0]!.quote}; fund it or set BASTION_CAPITAL.`);
  }
  log("info", `live venue ${venue.id}: ${symbols.join(", ")}; starting capital ${capital}`);
  return { venue, exchange, capital };
}

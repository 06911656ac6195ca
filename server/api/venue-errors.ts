/**
 * What an exchange said, for those who should not read it verbatim.
 *
 * Venue errors reach the books as `CODE: sentence (exchange detail)` (server/venues/ccxt/errors.ts: secrets are
 * already removed, but the detail is the exchange's own text: account state, request paths, codes). Traders and
 * admins see it whole, to act on it. Viewers (and the public health check) see the category and a short sentence
 * of ours. Text that is not a venue error (the engine's own refusals) passes unchanged, unless it carries what only
 * an exchange or a transport writes (a URL, an exchange JSON body, an errno).
 */

/** Venue error codes and the sentence a viewer gets for each. */
export const VENUE_ERROR_TEXT: Readonly<Record<string, string>> = {
  RATE_LIMITED: "the exchange limited our requests; nothing was done and Bastion retried.",
  EXCHANGE_MAINTENANCE: "the exchange was under maintenance.",
  CLOCK_DRIFT: "the exchange refused the request's timestamp.",
  TIMEOUT: "the exchange did not answer in time; the outcome is unknown and is looked up; nothing is sent again.",
  EXCHANGE_UNAVAILABLE: "the exchange was unavailable.",
  VENUE_UNAVAILABLE: "the exchange could not be reached; the order was not placed.",
  NETWORK: "the exchange could not be reached.",
  BAD_RESPONSE: "the exchange sent an unreadable answer.",
  INSUFFICIENT_FUNDS: "the exchange refused it: not enough funds.",
  POST_ONLY_WOULD_TAKE: "the exchange refused it: the order would have executed at once.",
  ORDER_NOT_FOUND: "the exchange did not know the order.",
  INVALID_ORDER: "the exchange refused the order as invalid.",
  ACCOUNT_SUSPENDED: "the exchange refused it: the account or action is disabled.",
  PERMISSION_DENIED: "the exchange refused it: the API key lacks a permission.",
  AUTHENTICATION_FAILED: "the exchange refused our credentials.",
  BAD_SYMBOL: "the exchange does not list the symbol.",
  MARKET_CLOSED: "the market is closed.",
  NOT_SUPPORTED: "the exchange does not support this.",
  BAD_REQUEST: "the exchange refused the request.",
  EXCHANGE_REFUSED: "the exchange refused the request.",
};

const CODE_PATTERN = new RegExp(`\\b(${Object.keys(VENUE_ERROR_TEXT).join("|")}):\\s`);
/** What only an exchange's or a transport's own text contains. */
const RAW_PATTERN =
  /https?:\/\/|\{\s*"(code|msg|message|error)"|\b(ECONNREFUSED|ECONNRESET|ECONNABORTED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|EHOSTUNREACH|ENETUNREACH|ERR_[A-Z_]+)\b|\bat \S+ \(\S+:\d+:\d+\)/;

export const RAW_ERROR_TEXT = "the exchange reported an error (traders and admins see the details).";

function capitalized(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A venue error as `CODE: our sentence`; other text unchanged unless it looks raw. */
export function scrubVenueText(text: string): string {
  const m = CODE_PATTERN.exec(text);
  if (m) {
    // Our own words before the code (e.g. "REJECTED: ", "outcome unknown: in doubt … (") stay: they say what
    // became of the order; the exchange's words after it do not.
    const prefix = text.slice(0, m.index);
    if (RAW_PATTERN.test(prefix)) return capitalized(RAW_ERROR_TEXT);
    const open = prefix.split("(").length - prefix.split(")").length;
    return `${prefix}${m[1]}: ${VENUE_ERROR_TEXT[m[1]!]}${")".repeat(Math.max(0, open))}`;
  }
  if (RAW_PATTERN.test(text)) return capitalized(RAW_ERROR_TEXT);
  return text;
}

/** Every string in a JSON-like value scrubbed (outputs of viewer queries). Other values are kept as they are. */
export function scrubDeep<T>(value: T, depth = 0): T {
  if (typeof value === "string") return scrubVenueText(value) as T;
  if (depth > 32 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v: unknown) => scrubDeep(v, depth + 1)) as T;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value; // Dates, Decimals, iterables: not text
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, depth + 1);
  return out as T;
}

/** The category of an error for the public health check: never its text. */
export function healthCategory(text: string | null): string | null {
  if (text === null) return null;
  const m = CODE_PATTERN.exec(text);
  return m ? `${m[1]}: ${VENUE_ERROR_TEXT[m[1]!]}` : capitalized(RAW_ERROR_TEXT);
}

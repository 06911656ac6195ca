/**
 * ccxt errors → the Venue port's TransientVenueError / FinalVenueError, worded for a person, with
 * secrets scrubbed. Classes are read by name along the prototype chain (ccxt's hierarchy:
 * BaseError › ExchangeError | OperationFailed › NetworkError …), so this module never loads ccxt.
 *
 * Transient (retried with backoff by ResilientVenue, counted by the breaker):
 *   RateLimitExceeded, DDoSProtection        → RATE_LIMITED          (the request was refused: nothing placed)
 *   OnMaintenance                            → EXCHANGE_MAINTENANCE  (refused: nothing placed)
 *   InvalidNonce                             → CLOCK_DRIFT           (refused before processing: nothing placed)
 *   NetworkError whose cause is a connection that never opened (ECONNREFUSED, DNS failure, connect timeout)
 *                                            → NOT_CONNECTED         (nothing was sent: nothing placed)
 *   RequestTimeout, NetworkError, ExchangeNotAvailable (HTTP 5xx), BadResponse, any non-ccxt error
 *                                            → TIMEOUT for a request that changes state (create, cancel): the
 *                                              outcome is unknown; a create is then in doubt (never sent again,
 *                                              looked up by clientOrderId); NETWORK / EXCHANGE_UNAVAILABLE for reads.
 *                                              Binance -1007 "Send status unknown; execution status unknown" is a
 *                                              RequestTimeout in ccxt 4.5.84 (-1006 an OperationFailed): both unknown.
 *                                              Binance says a 5XX must NOT be treated as a failure: "the execution
 *                                              status is UNKNOWN and could have been a success" (rest-api.md).
 * Only RATE_LIMITED, EXCHANGE_MAINTENANCE, CLOCK_DRIFT and NOT_CONNECTED are retried for a new order
 * (ResilientVenue's NOT_EXECUTED_CODES).
 *   DuplicateOrderId (or a "duplicate order/clientOid" message) on a create → TIMEOUT: an order with our clientOrderId already exists, so a
 *                                              previous attempt landed; the lookup reports it.
 * Final (shown to the user, never retried):
 *   InsufficientFunds → INSUFFICIENT_FUNDS · OrderImmediatelyFillable → POST_ONLY_WOULD_TAKE ·
 *   OrderNotFound → ORDER_NOT_FOUND · InvalidOrder → INVALID_ORDER · PermissionDenied → PERMISSION_DENIED ·
 *   AccountSuspended → ACCOUNT_SUSPENDED · AuthenticationError → AUTHENTICATION_FAILED · BadSymbol → BAD_SYMBOL ·
 *   MarketClosed → MARKET_CLOSED · NotSupported → NOT_SUPPORTED · BadRequest/ArgumentsRequired → BAD_REQUEST ·
 *   any other ExchangeError → EXCHANGE_REFUSED.
 */
import { FinalVenueError, TransientVenueError } from "../venue";

/** cancelAll: the batch cancel of a symbol (and the single cancels it falls back to); nothing in it is looked up by id. */
export type RequestKind = "create" | "cancel" | "cancelAll" | "read";

/**
 * Transport errors raised before a connection was open (ccxt keeps the cause in the message: "fetch failed: connect
 * ECONNREFUSED …"): the request never left. ECONNRESET, EPIPE, socket and header/body timeouts are NOT here: they can
 * happen after the request was sent.
 */
const NEVER_CONNECTED = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ConnectionRefused|DNSError|FailedToOpenSocket|UND_ERR_CONNECT_TIMEOUT)\b/;

/** Error class names, most specific first (constructor chain, then an own `name` that differs). */
export function errorClassNames(error: unknown): string[] {
  const names: string[] = [];
  if (typeof error !== "object" || error === null) return names;
  for (let proto = Object.getPrototypeOf(error) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === "string" && name !== "" && !names.includes(name)) names.push(name);
  }
  const own = (error as { name?: unknown }).name;
  if (typeof own === "string" && !names.includes(own)) names.unshift(own); // a look-alike (plain Error named "NetworkError") is more specific than its class
  return names;
}

const SECRET_PATTERNS: RegExp[] = [
  /(signature|sign|apiKey|api_key|secret|password|passphrase|X-MBX-APIKEY|ACCESS-KEY|ACCESS-SIGN|ACCESS-PASSPHRASE)(["']?\s*[=:]\s*["']?)[^&\s"',}]+/gi,
];

/** Removes the configured secrets and anything that looks like a signature or key from a text. */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("***");
  }
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, (_m, key: string, sep: string) => `${key}${sep}***`);
  return out;
}

/** The ccxt message without "binance POST https://… " and the exchange's JSON reduced to its msg. */
function shortDetail(message: string, exchange: string): string {
  let text = message.trim();
  if (text.startsWith(`${exchange} `)) text = text.slice(exchange.length + 1);
  text = text.replace(/^(GET|POST|PUT|DELETE|PATCH)\s+\S+\s*/, "");
  const json = /\{.*\}/s.exec(text)?.[0];
  if (json) {
    try {
      const body = JSON.parse(json) as Record<string, unknown>;
      const msg = body.msg ?? body.message ?? body.error;
      const code = body.code;
      if (typeof msg === "string" && msg !== "" && msg !== "success")
        text = `${msg}${typeof code === "string" || typeof code === "number" ? ` (code ${code})` : ""}`;
    } catch {
      // not JSON: keep the text
    }
  }
  text = text.replace(/\s+/g, " ");
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || "no details";
}

export interface ClassifyContext {
  exchange: string;
  kind: RequestKind;
  /** What was attempted, for the sentence: "placing order ord-1", "canceling ord-1", "reading balances". */
  action: string;
  secrets?: readonly string[];
}

/** A ccxt (or other) error as a Venue error with a code and a sentence a person can act on. */
export function classifyCcxtError(error: unknown, ctx: ClassifyContext): TransientVenueError | FinalVenueError {
  if (error instanceof TransientVenueError || error instanceof FinalVenueError) return error;
  const names = errorClassNames(error);
  const is = (...candidates: string[]): boolean => candidates.some((n) => names.includes(n));
  const raw = error instanceof Error ? error.message : String(error);
  const detail = scrubSecrets(shortDetail(raw, ctx.exchange), ctx.secrets);
  const exchange = ctx.exchange;
  const changes = ctx.kind !== "read";
  const transient = (code: string, text: string) => new TransientVenueError(`${code}: ${text}`, code);
  const final = (code: string, text: string) => new FinalVenueError(`${code}: ${text}`, code);
  const unknown = (what: string) =>
    ctx.kind === "cancelAll"
      ? transient(
          "TIMEOUT",
          `${what} while ${ctx.action}, so it is not known which orders ${exchange} canceled. They stay pending cancel until ${exchange}'s open orders show what became of them; canceling all again is safe (${detail}).`,
        )
      : changes
        ? transient(
            "TIMEOUT",
            `${what} while ${ctx.action}; the outcome is unknown: the order is in doubt, looked up by its clientOrderId and never sent again (${detail}).`,
          )
        : null;

  // Transient, refused before processing: nothing happened at the exchange.
  if (is("RateLimitExceeded", "DDoSProtection"))
    return transient("RATE_LIMITED", `${exchange} is limiting our requests while ${ctx.action} (${detail}); nothing was done, Bastion slows down and retries.`);
  if (is("OnMaintenance"))
    return transient("EXCHANGE_MAINTENANCE", `${exchange} is under maintenance while ${ctx.action} (${detail}); nothing was done, Bastion retries.`);
  if (is("InvalidNonce"))
    return transient(
      "CLOCK_DRIFT",
      `${exchange} refused the request's timestamp while ${ctx.action} (${detail}); check this machine's clock. Nothing was done.`,
    );
  if (is("NetworkError") && !is("RequestTimeout", "ExchangeNotAvailable") && NEVER_CONNECTED.test(raw)) {
    return transient("NOT_CONNECTED", `cannot connect to ${exchange} while ${ctx.action} (${detail}); nothing was sent, Bastion retries.`);
  }
  // Outcome unknown for state-changing requests.
  if (is("RequestTimeout"))
    return unknown(`${exchange} did not answer in time`) ?? transient("TIMEOUT", `${exchange} did not answer in time while ${ctx.action} (${detail}).`);
  if (is("ExchangeNotAvailable"))
    return (
      unknown(`${exchange} answered with a server error`) ??
      transient("EXCHANGE_UNAVAILABLE", `${exchange} is unavailable while ${ctx.action} (${detail}); Bastion retries.`)
    );
  if (is("NetworkError"))
    return (
      unknown(`the connection to ${exchange} failed`) ?? transient("NETWORK", `cannot reach ${exchange} while ${ctx.action} (${detail}); Bastion retries.`)
    );
  if (is("BadResponse", "NullResponse", "OperationFailed", "CancelPending"))
    return (
      unknown(`${exchange} sent an unreadable answer`) ?? transient("BAD_RESPONSE", `${exchange} sent an unreadable answer while ${ctx.action} (${detail}).`)
    );
  if (ctx.kind === "create" && (is("DuplicateOrderId") || /duplicate (order|client)|clientOid duplicate|client order id (already|is duplicated)/i.test(raw))) {
    return transient(
      "TIMEOUT",
      `${exchange} already has an order with this clientOrderId (${detail}): an earlier attempt landed; it is looked up, not sent again.`,
    );
  }
  // Final.
  if (is("InsufficientFunds")) return final("INSUFFICIENT_FUNDS", `${exchange} refused ${ctx.action}: the account does not have enough funds (${detail}).`);
  if (is("OrderImmediatelyFillable"))
    return final(
      "POST_ONLY_WOULD_TAKE",
      `${exchange} refused ${ctx.action}: the order would execute at once (post-only, or a trigger already reached) (${detail}).`,
    );
  if (is("OrderNotFound"))
    return final("ORDER_NOT_FOUND", `${exchange} does not know the order (${ctx.action}): it may already be filled or canceled (${detail}).`);
  if (is("InvalidOrder", "OrderNotFillable", "ContractUnavailable")) return final("INVALID_ORDER", `${exchange} refused ${ctx.action} as invalid (${detail}).`);
  if (is("AccountSuspended"))
    return final("ACCOUNT_SUSPENDED", `${exchange} refused ${ctx.action}: the account is suspended or this action is disabled (${detail}).`);
  if (is("PermissionDenied", "AccountNotEnabled"))
    return final(
      "PERMISSION_DENIED",
      `${exchange} refused ${ctx.action}: the API key lacks the permission (${detail}). Enable trading for the key on the exchange.`,
    );
  if (is("AuthenticationError"))
    return final(
      "AUTHENTICATION_FAILED",
      `${exchange} refused ${ctx.action}: the API key or secret is wrong, expired or not allowed from this IP (${detail}).`,
    );
  if (is("BadSymbol")) return final("BAD_SYMBOL", `${exchange} does not list the symbol (${ctx.action}) (${detail}).`);
  if (is("MarketClosed")) return final("MARKET_CLOSED", `${exchange} refused ${ctx.action}: the market is closed (${detail}).`);
  if (is("NotSupported")) return final("NOT_SUPPORTED", `${exchange} does not support ${ctx.action} (${detail}).`);
  if (is("BadRequest", "ArgumentsRequired")) return final("BAD_REQUEST", `${exchange} refused ${ctx.action} as a bad request (${detail}).`);
  if (is("ExchangeError", "OperationRejected", "BaseError")) return final("EXCHANGE_REFUSED", `${exchange} refused ${ctx.action} (${detail}).`);
  // Not a ccxt error: a bug or a transport failure outside ccxt. For a state change the outcome is unknown.
  return unknown(`an unexpected error occurred`) ?? transient("NETWORK", `unexpected error while ${ctx.action} on ${exchange} (${detail}).`);
}

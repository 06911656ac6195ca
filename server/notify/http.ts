/**
 * One JSON POST with a deadline on injected timers, answered as a DeliveryError the channel understands:
 * a refused connection, a timeout, a 5xx or a 429 may be retried; another 4xx will not get better.
 * The URL may carry a secret (Telegram's token): it never appears in an error — only the caller's `label` does.
 */
import { DeliveryError, type NotifyTimers } from "./types";

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<Response>;

export interface PostOptions {
  url: string;
  /** Names the receiver in errors, e.g. "webhook https://hooks.example.com" — never the full URL. */
  label: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  timers: NotifyTimers;
  fetch: FetchLike;
}

/** Reads Retry-After (seconds) as ms, or null. */
function retryAfterMs(response: Response): number | null {
  const value = Number(response.headers.get("retry-after"));
  return Number.isFinite(value) && value > 0 ? value * 1000 : null;
}

/** POSTs and resolves with the response text on 2xx; throws a DeliveryError otherwise. */
export async function postJson(options: PostOptions): Promise<string> {
  const controller = new AbortController();
  let isTimedOut = false;
  const timer = options.timers.setTimeout(() => {
    isTimedOut = true;
    controller.abort();
  }, options.timeoutMs);
  try {
    let response: Response;
    try {
      response = await options.fetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...options.headers },
        body: options.body,
        signal: controller.signal,
      });
    } catch (error) {
      if (isTimedOut) throw new DeliveryError(`${options.label} did not answer within ${options.timeoutMs} ms.`, true);
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : null;
      const code = (cause as { code?: unknown } | null)?.code;
      // Only the code: undici's messages can quote the URL.
      throw new DeliveryError(`${options.label} could not be reached${typeof code === "string" ? ` (${code})` : ""}.`, true);
    }
    const text = await response.text().catch(() => "");
    if (response.ok) return text;
    const isRetryable = response.status >= 500 || response.status === 429 || response.status === 408;
    throw new DeliveryError(`${options.label} answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`, isRetryable, retryAfterMs(response));
  } finally {
    options.timers.clearTimeout(timer);
  }
}

/** "https://hooks.example.com" from a URL: scheme and host only (paths and queries may hold secrets). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}

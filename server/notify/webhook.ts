/**
 * The webhook channel (an outside-tools contract, see issue 13): a JSON POST of `{ id, kind, severity, ts, title,
 * detail }` with `X-Bastion-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>`.
 * The timestamp is inside the signed text so a receiver can refuse replays; `verifyWebhookSignature` is what a
 * receiver (and our tests) run.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { type Clock } from "../core/clock";
import { type FetchLike, originOf, postJson } from "./http";
import { type Notification, type NotifyTimers, type Transport, publicBody } from "./types";

export const SIGNATURE_HEADER = "X-Bastion-Signature";

export function signWebhookBody(rawBody: string, secret: string, unixSeconds: number): string {
  const digest = createHmac("sha256", secret).update(`${unixSeconds}.${rawBody}`).digest("hex");
  return `t=${unixSeconds},v1=${digest}`;
}

export type SignatureCheck = { ok: true; unixSeconds: number } | { ok: false; reason: "MALFORMED" | "BAD_SIGNATURE" | "STALE" };

/** Checks a signature header against the raw body; `toleranceSeconds` bounds the age (replays). */
export function verifyWebhookSignature(
  header: string | null | undefined,
  rawBody: string,
  secret: string,
  nowMs: number,
  toleranceSeconds = 300,
): SignatureCheck {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? "");
  if (!match) return { ok: false, reason: "MALFORMED" };
  const unixSeconds = Number(match[1]);
  const expected = Buffer.from(signWebhookBody(rawBody, secret, unixSeconds).slice(-64), "hex");
  if (!timingSafeEqual(expected, Buffer.from(match[2]!, "hex"))) return { ok: false, reason: "BAD_SIGNATURE" };
  if (Math.abs(nowMs / 1000 - unixSeconds) > toleranceSeconds) return { ok: false, reason: "STALE" };
  return { ok: true, unixSeconds };
}

export interface WebhookOptions {
  url: string;
  secret: string;
  clock: Clock;
  timers: NotifyTimers;
  timeoutMs?: number;
  /** globalThis.fetch unless given. */
  fetch?: FetchLike;
}

export class WebhookTransport implements Transport {
  readonly type = "webhook";

  constructor(private readonly options: WebhookOptions) {}

  async send(notification: Notification): Promise<void> {
    const body = JSON.stringify(publicBody(notification));
    const signature = signWebhookBody(body, this.options.secret, Math.floor(this.options.clock.now() / 1000));
    await postJson({
      url: this.options.url,
      label: `webhook ${originOf(this.options.url)}`,
      headers: { [SIGNATURE_HEADER]: signature },
      body,
      timeoutMs: this.options.timeoutMs ?? 10_000,
      timers: this.options.timers,
      fetch: this.options.fetch ?? ((url, init) => fetch(url, init)),
    });
  }
}

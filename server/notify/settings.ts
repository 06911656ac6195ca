/**
 * Notification channels as the desk file (or the settings page) states them, validated with bounds, and the
 * factory that turns them into running channels. The env pair BASTION_NOTIFY_WEBHOOK_URL / _SECRET is read in
 * server/config.ts (the one place that reads the environment) and handed to `webhookFromEnvironment`.
 * Secrets (webhook secret, bot token, SMTP password) are never echoed in a validation message.
 */
import { z } from "zod";
import { type Clock } from "../core/clock";
import { NotificationChannel } from "./channel";
import { type DeliveryRepository } from "./delivery-log";
import { type FetchLike } from "./http";
import { SmtpTransport } from "./smtp";
import { TelegramTransport } from "./telegram";
import { NOTIFICATION_KINDS, type NotifyTimers, SEVERITIES, type Transport } from "./types";
import { WebhookTransport } from "./webhook";

const name = z.string().regex(/^[A-Za-z0-9 _.-]{1,40}$/, { error: "A channel name must be 1–40 letters, digits, spaces or . _ -." });
const count = (label: string, min: number, max: number) =>
  z
    .number({ error: `${label} must be a whole number from ${min} to ${max}.` })
    .int({ error: `${label} must be a whole number from ${min} to ${max}.` })
    .gte(min, { error: `${label} must be a whole number from ${min} to ${max}.` })
    .lte(max, { error: `${label} must be a whole number from ${min} to ${max}.` });
const httpUrl = (label: string) =>
  z
    .string({ error: `${label} must be an http(s) URL.` })
    .max(2_000, { error: `${label} must be at most 2,000 characters.` })
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), { error: `${label} must be an http(s) URL.` });
const email = z.string().regex(/^[^\s<>@]{1,64}@[^\s<>@]{1,255}$/, { error: "An email address must look like name@example.com." });

const common = {
  name,
  enabled: z.boolean({ error: "enabled must be true or false." }).default(true),
  /** null: the default kinds (emergency stop, breaker trip, protection fired). */
  kinds: z
    .array(z.enum(NOTIFICATION_KINDS, { error: `kinds may hold ${NOTIFICATION_KINDS.join(", ")}.` }))
    .max(20)
    .nullable()
    .default(null),
  minSeverity: z.enum(SEVERITIES, { error: `minSeverity must be one of ${SEVERITIES.join(", ")}.` }).default("info"),
  symbols: z.array(z.string().min(1).max(40)).max(500).nullable().default(null),
  rateLimit: z
    .strictObject({ capacity: count("rateLimit.capacity", 1, 1_000), perMinute: count("rateLimit.perMinute", 1, 6_000) })
    .nullable()
    .default({ capacity: 10, perMinute: 10 }),
  maxAttempts: count("maxAttempts", 1, 20).default(5),
  baseDelayMs: count("baseDelayMs", 100, 600_000).default(2_000),
  maxDelayMs: count("maxDelayMs", 100, 3_600_000).default(300_000),
  maxQueue: count("maxQueue", 1, 10_000).default(100),
  timeoutMs: count("timeoutMs", 100, 120_000).default(10_000),
};

export const channelSettingsSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({
      type: z.literal("webhook"),
      ...common,
      url: httpUrl("url"),
      /** Signs every delivery; at least 16 characters so it cannot be guessed. */
      secret: z
        .string({ error: "secret must be a string of 16 to 512 characters." })
        .min(16, { error: "secret must be 16 to 512 characters long." })
        .max(512, { error: "secret must be 16 to 512 characters long." }),
    }),
    z.strictObject({
      type: z.literal("telegram"),
      ...common,
      botToken: z.string().regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, { error: "botToken must be a Telegram bot token (digits, a colon, then letters)." }),
      chatId: z.string().regex(/^-?\d{1,20}$|^@[A-Za-z0-9_]{4,64}$/, { error: "chatId must be a numeric chat id or an @channel name." }),
      baseUrl: httpUrl("baseUrl").optional(),
    }),
    z.strictObject({
      type: z.literal("email"),
      ...common,
      host: z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, { error: "host must be a host name or an IP address." }),
      port: count("port", 1, 65_535).default(587),
      security: z.enum(["none", "starttls", "tls"], { error: "security must be none, starttls or tls." }).default("starttls"),
      user: z.string().min(1).max(256).optional(),
      pass: z.string().min(1).max(256).optional(),
      from: email,
      to: z.array(email).min(1, { error: "to needs at least one address." }).max(20, { error: "to takes at most 20 addresses." }),
    }),
  ],
  { error: "A channel's type must be webhook, telegram or email." },
);

export const notifySettingsSchema = z.strictObject({
  channels: z
    .array(channelSettingsSchema)
    .max(20, { error: "At most 20 notification channels." })
    .refine((channels) => new Set(channels.map((c) => c.name)).size === channels.length, { error: "Channel names must be unique." })
    .default([]),
});

export type ChannelSettings = z.output<typeof channelSettingsSchema>;
export type ChannelSettingsInput = z.input<typeof channelSettingsSchema>;
export type NotifySettings = z.output<typeof notifySettingsSchema>;
export type NotifySettingsInput = z.input<typeof notifySettingsSchema>;

/** The webhook channel the environment configures, or null when the URL is not set. */
export function webhookFromEnvironment(url: string | undefined, secret: string | undefined): ChannelSettingsInput | null {
  if (!url) return null;
  return { type: "webhook", name: "webhook-env", url, secret: secret ?? "" };
}

/** The secrets of a channel: scrubbed from everything it records or logs. */
export function channelSecrets(settings: ChannelSettings): string[] {
  switch (settings.type) {
    case "webhook":
      return [settings.secret];
    case "telegram":
      return [settings.botToken];
    case "email":
      return [settings.pass, settings.user && settings.pass ? Buffer.from(`\0${settings.user}\0${settings.pass}`).toString("base64") : undefined].filter(
        (secret): secret is string => typeof secret === "string",
      );
  }
}

export interface ChannelDependencies {
  clock: Clock;
  timers: NotifyTimers;
  repository: DeliveryRepository;
  fetch?: FetchLike;
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

function transportFor(settings: ChannelSettings, deps: ChannelDependencies): Transport {
  const http = { timers: deps.timers, timeoutMs: settings.timeoutMs, ...(deps.fetch ? { fetch: deps.fetch } : {}) };
  switch (settings.type) {
    case "webhook":
      return new WebhookTransport({ url: settings.url, secret: settings.secret, clock: deps.clock, ...http });
    case "telegram":
      return new TelegramTransport({
        botToken: settings.botToken,
        chatId: settings.chatId,
        ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
        ...http,
      });
    case "email":
      return new SmtpTransport({
        host: settings.host,
        port: settings.port,
        security: settings.security,
        auth: settings.user && settings.pass ? { user: settings.user, pass: settings.pass } : null,
        from: settings.from,
        to: settings.to,
        timeoutMs: settings.timeoutMs,
        clock: deps.clock,
        timers: deps.timers,
      });
  }
}

/** Running channels for the enabled settings. */
export function buildChannels(channels: readonly ChannelSettings[], deps: ChannelDependencies): NotificationChannel[] {
  return channels
    .filter((settings) => settings.enabled)
    .map(
      (settings) =>
        new NotificationChannel({
          name: settings.name,
          transport: transportFor(settings, deps),
          filter: { kinds: settings.kinds, minSeverity: settings.minSeverity, symbols: settings.symbols },
          rateLimit: settings.rateLimit,
          retry: { maxAttempts: settings.maxAttempts, baseDelayMs: settings.baseDelayMs, maxDelayMs: Math.max(settings.maxDelayMs, settings.baseDelayMs) },
          maxQueue: settings.maxQueue,
          clock: deps.clock,
          timers: deps.timers,
          repository: deps.repository,
          secrets: channelSecrets(settings),
          ...(deps.log ? { log: deps.log } : {}),
        }),
    );
}

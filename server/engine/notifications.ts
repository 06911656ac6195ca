/**
 * Outbound notifications in the running process: builds the configured channels (server/notify), attaches their
 * dispatcher to the engine's bus, records every delivery attempt in the given repository, and serves the
 * Notifications page (channels as safe views, the audited "send test message").
 *
 * The engine publishes and forgets: a channel that is down backs up in its own bounded queue and retries on its own
 * timers, so nothing here can slow or fail an engine command. Secrets stay inside the channels: a view shows the
 * receiver's host only (a webhook URL often carries a token in its path).
 */
import { done, fail, resultMessage } from "./context";
import type { Clock } from "../core/clock";
import type { IdGenerator } from "../core/ids";
import { openDeliveryLog, type SqliteDeliveryLog } from "../db/deliveries";
import type { AuditRecord, Store } from "../db/store";
import {
  buildChannels,
  DEFAULT_KINDS,
  InMemoryDeliveryRepository,
  NotificationDispatcher,
  TELEGRAM_API,
  type BusLike,
  type ChannelSettings,
  type DeliveryRepository,
  type FetchLike,
  type NotificationKind,
  type NotifyTimers,
  type OfferResult,
  type Severity,
} from "../notify";
import type { Actor, CommandResult } from "./types";

/** What the Notifications page shows of a channel: never a secret, never a full URL. */
export interface ChannelView {
  name: string;
  type: ChannelSettings["type"];
  enabled: boolean;
  /** The receiver's host (and port when it is not the default). */
  target: string;
  /** The kinds delivered; `defaultKinds` when the settings name none. */
  kinds: readonly NotificationKind[];
  defaultKinds: boolean;
  minSeverity: Severity;
  symbols: readonly string[] | null;
  /** Tokens and refill per minute; null: no limit. Critical and test notifications pass it. */
  rateLimit: { capacity: number; perMinute: number } | null;
  maxAttempts: number;
}

export interface DeskNotifications {
  channels(): ChannelView[];
  /** The "send test message" button: audited in the store (the action's only durable change is its audit row). */
  sendTest(channel: string, actor: Actor): CommandResult;
  /** Resolves when no channel has anything waiting (tests, shutdown). */
  idle(): Promise<void>;
  close(): void;
}

export interface NotificationsOptions {
  channels: readonly ChannelSettings[];
  bus: BusLike<{ type: string }>;
  /** The engine's store, for the audit row of a test message. */
  store: Pick<Store, "transaction" | "appendAudit">;
  repository: DeliveryRepository;
  clock: Clock;
  timers: NotifyTimers;
  ids: IdGenerator;
  fetch?: FetchLike;
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(invalid URL)";
  }
}

export function channelView(settings: ChannelSettings): ChannelView {
  const target =
    settings.type === "webhook"
      ? hostOf(settings.url)
      : settings.type === "telegram"
        ? hostOf(settings.baseUrl ?? TELEGRAM_API)
        : `${settings.host}:${settings.port}`;
  return {
    name: settings.name,
    type: settings.type,
    enabled: settings.enabled,
    target,
    kinds: settings.kinds ?? DEFAULT_KINDS,
    defaultKinds: settings.kinds === null,
    minSeverity: settings.minSeverity,
    symbols: settings.symbols,
    rateLimit: settings.rateLimit,
    maxAttempts: settings.maxAttempts,
  };
}

const OFFER_WORDS: Record<OfferResult, string> = {
  queued: "queued",
  filtered: "not sent: the channel is closed",
  rate_limited: "not sent: over the channel's rate limit",
  dropped: "not sent: the channel's queue is full (its receiver is down?)",
};

/** Builds the channels and attaches them to the bus; `close()` detaches and stops them. */
export function startNotifications(options: NotificationsOptions): DeskNotifications {
  const settings = [...options.channels];
  const channels = buildChannels(settings, {
    clock: options.clock,
    timers: options.timers,
    repository: options.repository,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const dispatcher = new NotificationDispatcher({ channels, clock: options.clock, ids: options.ids, ...(options.log ? { log: options.log } : {}) });
  const detach = dispatcher.attach(options.bus);
  if (channels.length > 0) options.log?.("info", `notifications: ${channels.map((c) => c.name).join(", ")} attached to the engine's events`);

  const audit = (actor: Actor, target: string, result: CommandResult) => {
    const record: AuditRecord = {
      ts: options.clock.now(),
      actor: actor.username,
      role: actor.role,
      action: "notifications.sendTest",
      target,
      reason: null,
      params: { channel: target },
      result: result.ok ? "OK" : "REFUSED",
      detail: resultMessage(result),
    };
    options.store.transaction(() => options.store.appendAudit(record));
  };

  return {
    channels: () => settings.map(channelView),
    sendTest(name, actor) {
      const known = settings.find((s) => s.name === name);
      let result: CommandResult;
      if (!known) result = fail("UNKNOWN_CHANNEL", `There is no notification channel named ${name}.`);
      else if (!known.enabled) result = fail("CHANNEL_DISABLED", `The notification channel ${name} is disabled in the desk file.`);
      else {
        const offered = dispatcher.sendTest(name, actor.username);
        result =
          offered === "queued"
            ? done(`Test message to ${name} queued; its delivery shows in the list below.`)
            : fail("NOT_QUEUED", `Test message to ${name} ${OFFER_WORDS[offered ?? "filtered"]}.`);
      }
      if (actor.role !== "system") audit(actor, name, result);
      return result;
    },
    idle: () => dispatcher.idle(),
    close() {
      detach();
      dispatcher.close();
    },
  };
}

/** The wall-clock timers of the process; unref'd so a pending retry never keeps a stopping process alive. */
export const processTimers: NotifyTimers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The runtime's call: the delivery log on the desk's database and the channels of the configuration, attached to the
 * bus. `close()` closes both. A log that cannot be opened (a database not migrated yet) costs the page its history,
 * not the deliveries: they are then kept in memory, and the problem is logged.
 */
export function startDeskNotifications(
  options: Omit<NotificationsOptions, "repository" | "timers"> & { databaseUrl: string; timers?: NotifyTimers },
): DeskNotifications {
  let log: SqliteDeliveryLog | null = null;
  try {
    log = openDeliveryLog({ url: options.databaseUrl });
  } catch (error) {
    options.log?.(
      "error",
      `notifications: the delivery log cannot be opened (${error instanceof Error ? error.message : String(error)}); deliveries are kept in memory only`,
    );
  }
  const repository = log ?? new InMemoryDeliveryRepository();
  const notifications = startNotifications({ ...options, repository, timers: options.timers ?? processTimers });
  return {
    ...notifications,
    close() {
      notifications.close();
      log?.close();
    },
  };
}

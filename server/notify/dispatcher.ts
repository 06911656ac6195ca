/**
 * From bus events to channels. The engine publishes and forgets: `attach` subscribes to the bus, maps each event
 * it knows to a notification and offers it to every channel (each filters for itself). Nothing here can throw into
 * the bus or wait.
 *
 * The bus is taken by shape (server/notify sits below the engine in the folder table): any `{ subscribe(listener) }`
 * whose events carry a `type`. Events this module does not know are ignored; `marks`, `equity`, `order` and
 * `position` events are too frequent to notify and are not mapped.
 */
import { type Clock } from "../core/clock";
import { type IdGenerator } from "../core/ids";
import { type NotificationChannel, type OfferResult } from "./channel";
import { type Notification, type NotificationKind, type Severity } from "./types";

/** An event as the bus carries it: a `type` and its fields. */
export type BusEventLike = { type: string } & Record<string, unknown>;

/** The engine's EventBus, by shape: E is its DomainEvent (every one carries a `type`). */
export interface BusLike<E extends { type: string }> {
  subscribe(listener: (event: E, seq: number) => void): () => void;
}

/**
 * The protection event the engine publishes when a rule fires (its fields are core/protection's ProtectionFiring):
 * `{ type: "protection", firing: { rule, scope, ts, action, message, … } }`.
 */
interface ProtectionEventShape {
  rule: string;
  scope: { kind: string; symbol?: string; strategy?: string; venue?: string };
  ts: number;
  action: string;
  message: string;
}

const str = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : fallback);

const LEVEL_SEVERITY: Record<string, Severity> = { info: "info", warn: "warning", error: "critical" };

/** The notification for a bus event, without id and ts (the dispatcher adds them), or null for events not notified. */
export function describeEvent(event: BusEventLike): (Omit<Notification, "id" | "ts"> & { ts?: number }) | null {
  const build = (kind: NotificationKind, severity: Severity, title: string, detail: string, symbol: string | null = null, ts?: number) => ({
    kind,
    severity,
    title,
    detail,
    symbol,
    ...(ts !== undefined ? { ts } : {}),
  });
  switch (event.type) {
    case "emergency": {
      const progress = (event.progress ?? {}) as Record<string, unknown>;
      const step = str(progress.step);
      // One message when the stop starts and one when it is done; the steps between are for the dashboard.
      if (step === "halted") return build("emergency", "critical", "Emergency stop: trading HALTED", str(progress.message, "The desk is halted."));
      if (step === "done") return build("emergency", "critical", `Emergency stop finished on ${str(progress.venue, "every venue")}`, str(progress.message));
      return null;
    }
    case "breaker": {
      const isOpen = event.state === "OPEN";
      return build(
        "breaker",
        isOpen ? "critical" : "info",
        isOpen ? `Circuit breaker tripped: ${str(event.reason)}` : "Circuit breaker reset",
        `${str(event.message)}${event.by ? ` (by ${str(event.by)})` : ""}`,
      );
    }
    case "protection": {
      const firing = event.firing as ProtectionEventShape | undefined;
      if (!firing || typeof firing.rule !== "string") return null;
      const subject =
        firing.scope.symbol ?? (firing.scope.strategy ? `strategy ${firing.scope.strategy}` : firing.scope.venue ? `venue ${firing.scope.venue}` : "the desk");
      const severity: Severity = firing.action === "ALERT" ? "warning" : "critical";
      return build(
        "protection",
        severity,
        `Protection ${firing.rule} fired on ${subject}: ${firing.action}`,
        str(firing.message),
        firing.scope.symbol ?? null,
        firing.ts,
      );
    }
    case "tradingState":
      return build(
        "tradingState",
        event.state === "ACTIVE" ? "info" : "warning",
        `Trading state: ${str(event.state)}`,
        `${str(event.reason)}${event.by ? ` (by ${str(event.by)})` : ""}`,
      );
    case "alert":
      return build("alert", LEVEL_SEVERITY[str(event.level)] ?? "warning", "Desk alert", str(event.message));
    case "signal":
      if (event.status === "ACCEPTED") return null;
      return build(
        "signal",
        "warning",
        `Signal ${str(event.id)} ${str(event.status)}${event.code ? ` (${str(event.code)})` : ""}`,
        str(event.message),
        str(event.symbol) || null,
      );
    case "drift":
      return build("drift", "warning", `Reconciliation: ${str(event.kind)} on ${str(event.subject)}`, str(event.message));
    case "fill": {
      const late = event.late === true ? " (late fill)" : "";
      return build(
        "fill",
        event.late === true ? "warning" : "info",
        `Fill ${str(event.side)} ${String(event.qty)} ${str(event.symbol)} @ ${String(event.price)}${late}`,
        `Order ${str(event.clientOrderId)}, trade ${str(event.tradeId)}, fee ${String(event.fee)}.`,
        str(event.symbol) || null,
        typeof event.ts === "number" ? event.ts : undefined,
      );
    }
    default:
      return null;
  }
}

export interface DispatcherOptions {
  channels: readonly NotificationChannel[];
  clock: Clock;
  /** Ids unique across restarts (timeOrderedIds in production). */
  ids: IdGenerator;
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

export class NotificationDispatcher {
  constructor(private readonly options: DispatcherOptions) {}

  /** Subscribes to the bus; returns the unsubscribe function. */
  attach<E extends { type: string }>(bus: BusLike<E>): () => void {
    // Fields are read defensively in describeEvent, so any event with a `type` is safe to hand over.
    return bus.subscribe((event) => {
      this.publishEvent(event);
    });
  }

  /** Maps one bus event and offers it to every channel; the results by channel name (empty when not notified). */
  publishEvent(event: BusEventLike): Record<string, OfferResult> {
    try {
      const described = describeEvent(event);
      if (!described) return {};
      return this.publish({ ...described, id: this.options.ids.next("ntf"), ts: described.ts ?? this.options.clock.now() });
    } catch (error) {
      this.options.log?.("error", `notification dispatcher: ${error instanceof Error ? error.message : String(error)}`);
      return {};
    }
  }

  /** Offers a notification to every channel. */
  publish(notification: Notification): Record<string, OfferResult> {
    const results: Record<string, OfferResult> = {};
    for (const channel of this.options.channels) results[channel.name] = channel.offer(notification);
    return results;
  }

  /** The "send test message" button: one channel, past its filter and rate limit. */
  sendTest(channelName: string, by: string): OfferResult | null {
    const channel = this.options.channels.find((candidate) => candidate.name === channelName);
    if (!channel) return null;
    return channel.offer({
      id: this.options.ids.next("ntf"),
      kind: "test",
      severity: "info",
      ts: this.options.clock.now(),
      title: `Test message from Bastion (${channelName})`,
      detail: `Sent by ${by} to check that this channel delivers.`,
      symbol: null,
    });
  }

  /** Resolves when every channel has nothing waiting (shutdown, tests). */
  async idle(): Promise<void> {
    await Promise.all(this.options.channels.map((channel) => channel.idle()));
  }

  close(): void {
    for (const channel of this.options.channels) channel.close();
  }
}

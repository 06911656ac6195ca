/**
 * The Notifications page: the configured channels (safe views from the runtime: host only, never a secret) with
 * their last delivery and last error, the recorded delivery attempts (newest first, paged by id), and the audited
 * "send test message". Deliveries are read through Prisma, so the history shows even while the engine is down.
 */
import { DomainError } from "../core/errors";
import { db } from "../db/client";
import type { DeskNotifications } from "../engine/notifications";
import type { Actor } from "../engine/types";
import { commandValue, requireRuntime } from "./engine";

function requireNotifications(): DeskNotifications {
  const notifications = requireRuntime().notifications;
  if (!notifications) throw new DomainError("NOTIFICATIONS_UNAVAILABLE", "Notifications are not running in this process.");
  return notifications;
}

export interface DeliveryRowDto {
  id: number;
  ts: number;
  channel: string;
  notificationId: string;
  kind: string;
  severity: string;
  attempt: number;
  outcome: string;
  error: string | null;
  nextAttemptAt: number | null;
}

export async function listChannels() {
  const channels = requireNotifications().channels();
  const rows = await Promise.all(
    channels.map(async (channel) => {
      const [lastDelivered, lastError] = await Promise.all([
        db().notificationDelivery.findFirst({ where: { channel: channel.name, outcome: "delivered" }, orderBy: { id: "desc" }, select: { ts: true } }),
        db().notificationDelivery.findFirst({
          where: { channel: channel.name, error: { not: null } },
          orderBy: { id: "desc" },
          select: { ts: true, error: true },
        }),
      ]);
      return {
        ...channel,
        kinds: [...channel.kinds],
        symbols: channel.symbols ? [...channel.symbols] : null,
        lastDeliveredAt: lastDelivered?.ts ?? null,
        lastError: lastError ? { ts: lastError.ts, message: lastError.error ?? "" } : null,
      };
    }),
  );
  return { channels: rows };
}

/** Newest first; `cursor` is the id of the last row of the previous page (pages go to older rows). */
export async function listDeliveries(input: { channel?: string | undefined; limit: number; cursor?: number | undefined }) {
  const where = {
    ...(input.channel !== undefined ? { channel: input.channel } : {}),
    ...(input.cursor !== undefined ? { id: { lt: input.cursor } } : {}),
  };
  const rows: DeliveryRowDto[] = await db().notificationDelivery.findMany({ where, orderBy: { id: "desc" }, take: input.limit + 1 });
  const page = rows.slice(0, input.limit);
  return { rows: page, nextCursor: rows.length > input.limit ? (page[page.length - 1]?.id ?? null) : null };
}

export function sendTestMessage(channel: string, actor: Actor) {
  return commandValue(requireNotifications().sendTest(channel, actor));
}

/**
 * Notifications on a test desk (test/desk-support.ts): the channels built from settings, the SQLite delivery log on the
 * desk's own database file, attached to the engine's bus and installed on the runtime (as the process runtime does).
 * Timers are a fake scheduler: retries and timeouts only happen when a test moves it; tests wait on recorded attempts.
 */
import { type DeliveryRecord, openDeliveryLog, type SqliteDeliveryLog } from "../../server/db/deliveries";
import { sequentialIds } from "../../server/core/ids";
import { startNotifications, type DeskNotifications } from "../../server/engine/notifications";
import { runtimeState } from "../../server/engine/runtime";
import { notifySettingsSchema, type ChannelSettingsInput } from "../../server/notify";
import { FakeScheduler } from "../replay/fake-scheduler";
import type { TestDesk } from "../desk-support";

export interface DeskNotificationsUnderTest {
  notifications: DeskNotifications;
  log: SqliteDeliveryLog;
  scheduler: FakeScheduler;
  /** The first attempt (recorded from now on) that matches. */
  nextAttempt(match: (attempt: DeliveryRecord) => boolean): Promise<DeliveryRecord>;
  close(): void;
}

export function attachNotifications(desk: TestDesk, channels: ChannelSettingsInput[]): DeskNotificationsUnderTest {
  const settings = notifySettingsSchema.parse({ channels }).channels;
  const log = openDeliveryLog({ url: desk.tdb.path });
  const scheduler = new FakeScheduler(desk.clock);
  const notifications = startNotifications({
    channels: settings,
    bus: desk.engine.bus,
    store: desk.store,
    repository: log,
    clock: desk.clock,
    timers: scheduler,
    ids: sequentialIds("ntf"),
  });
  const runtime = runtimeState().runtime;
  if (runtime) runtime.notifications = notifications;
  return {
    notifications,
    log,
    scheduler,
    nextAttempt: (match) =>
      new Promise((resolve) => {
        const unsubscribe = log.subscribe((attempt) => {
          if (!match(attempt)) return;
          unsubscribe();
          resolve(attempt);
        });
      }),
    close() {
      notifications.close();
      log.close();
    },
  };
}

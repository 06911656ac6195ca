/** Helpers for the notification tests: wait for a delivery attempt (an event, not a sleep), a fake scheduler. */
import { ManualClock } from "../../server/core/clock";
import { type DeliveryAttempt, type InMemoryDeliveryRepository } from "../../server/notify/delivery-log";
import { FakeScheduler } from "../replay/fake-scheduler";

/** Resolves with the first attempt (already recorded, or still to come) that matches. */
export function waitForAttempt(repository: InMemoryDeliveryRepository, match: (attempt: DeliveryAttempt) => boolean): Promise<DeliveryAttempt> {
  const found = repository.list().find(match);
  if (found) return Promise.resolve(found);
  return new Promise((resolve) => {
    const unsubscribe = repository.subscribe((attempt) => {
      if (!match(attempt)) return;
      unsubscribe();
      resolve(attempt);
    });
  });
}

/** A manual clock at a fixed start and the scheduler that moves it. */
export function fakeTime(start = Date.parse("2023-03-11T08:04:00Z")): { clock: ManualClock; scheduler: FakeScheduler } {
  const clock = new ManualClock(start);
  return { clock, scheduler: new FakeScheduler(clock) };
}

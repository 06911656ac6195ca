/** overview: the desk summary, the equity curve, and live events over SSE. */
import { tracked } from "@trpc/server";
import { z } from "zod";
import type { DomainEvent } from "../../engine/types";
import { orderDto, plain, positionDto } from "../../services/dto";
import { requireRuntime } from "../../services/engine";
import { equityCurve, overviewSummary } from "../../services/overview";
import { text } from "../schemas";
import { router, viewerProcedure } from "../trpc";

/** Live events as the browser sees them: plain JSON. */
function liveEvent(event: DomainEvent) {
  switch (event.type) {
    case "order":
      return { type: event.type, order: orderDto(event.order) };
    case "position":
      return { type: event.type, position: positionDto(event.position, null, null, Date.now()) };
    default:
      return plain(event);
  }
}

export type LiveEvent = ReturnType<typeof liveEvent> | { type: "resync" } | { type: "hello"; seq: number };

export const overviewRouter = router({
  summary: viewerProcedure.query(() => overviewSummary()),
  equity: viewerProcedure
    .input(z.object({ sinceMs: z.number().int().nonnegative().optional(), points: z.number().int().min(2).max(5000).optional() }).strict())
    .query(({ input }) => equityCurve(input)),
  /**
   * Server-sent events: every domain event the engine publishes. `lastEventId` (sent by the client on reconnect)
   * replays what was missed; when too much was missed, a `resync` tells the client to refetch everything.
   */
  live: viewerProcedure.input(z.object({ lastEventId: text("lastEventId", { max: 40 }).nullish() }).optional()).subscription(async function* ({ input, signal }) {
    const { bus } = requireRuntime();
    const queue: { seq: number; event: DomainEvent }[] = [];
    let wake: (() => void) | null = null;
    const unsubscribe = bus.subscribe((event, seq) => {
      queue.push({ seq, event });
      wake?.();
    });
    try {
      const last = input?.lastEventId ? Number(input.lastEventId) : null;
      if (last !== null && Number.isFinite(last)) {
        const missed = bus.since(last);
        if (missed === null) yield tracked(String(bus.lastSeq), { type: "resync" });
        else for (const m of missed) if (!queue.some((q) => q.seq === m.seq)) queue.unshift(m);
        queue.sort((a, b) => a.seq - b.seq);
      } else {
        yield tracked(String(bus.lastSeq), { type: "hello", seq: bus.lastSeq });
      }
      while (!signal?.aborted) {
        const next = queue.shift();
        if (next) {
          yield tracked(String(next.seq), liveEvent(next.event) as LiveEvent);
          continue;
        }
        // Sleep until an event arrives, the client leaves, or 15 s pass (then loop to re-check `aborted`).
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            wake = null;
            resolve();
          };
          const timer = setTimeout(done, 15_000);
          wake = done;
          signal?.addEventListener("abort", done, { once: true });
          if (queue.length > 0) done();
        });
      }
    } finally {
      unsubscribe();
    }
  }),
});

/** overview: the desk summary, the equity curve, and live events over SSE. */
import { z } from "zod";
import type { DomainEvent } from "../../engine/types";
import { orderDto, plain, positionDto } from "../../services/dto";
import { requireRuntime } from "../../services/engine";
import { equityCurve, overviewSummary } from "../../services/overview";
import { deskCurrency } from "../../services/desk-money";
import { hashToken, sessionStillValid } from "../../auth/sessions";
import { liveEventStream } from "../live-events";
import { scrubDeep } from "../venue-errors";
import { text } from "../../core/input-schemas";
import { router, viewerProcedure } from "../trpc";

/** Live events as the browser sees them: plain JSON. */
function liveEvent(event: DomainEvent) {
  switch (event.type) {
    case "order":
      return { type: event.type, order: orderDto(event.order, requireRuntime().engine.venueId()) };
    case "position": {
      const { engine } = requireRuntime();
      const owner = { venue: engine.positionVenue(event.position.id), strategy: engine.positionOwner(event.position.id) };
      return { type: event.type, position: positionDto(event.position, null, null, Date.now(), owner) };
    }
    default:
      return plain(event);
  }
}

export type LiveEvent = ReturnType<typeof liveEvent> | { type: "resync" } | { type: "hello"; seq: number };

export const overviewRouter = router({
  summary: viewerProcedure.query(() => overviewSummary()),
  /** The currency the desk's books are kept in: every page formats money at its precision (BTC 8 decimals, USDT 2). */
  currency: viewerProcedure.query(() => ({ currency: deskCurrency(requireRuntime()) })),
  equity: viewerProcedure
    .input(z.object({ sinceMs: z.number().int().nonnegative().optional(), points: z.number().int().min(2).max(5000).optional() }).strict())
    .query(({ input }) => equityCurve(input)),
  /**
   * Server-sent events: every domain event the engine publishes. `lastEventId` (sent by the client on reconnect)
   * replays what was missed; when too much was missed (or the reader fell behind), a `resync` tells the client to
   * refetch everything. Bounded per connection and in number, and ended with the session (../live-events.ts).
   */
  live: viewerProcedure.input(z.object({ lastEventId: text("lastEventId", { max: 40 }).nullish() }).optional()).subscription(({ ctx, input, signal }) => {
    const { bus } = requireRuntime();
    const sessionId = ctx.sessionToken ? hashToken(ctx.sessionToken) : null;
    return liveEventStream({
      bus,
      lastEventId: input?.lastEventId,
      signal,
      user: ctx.user,
      sessionId,
      stillValid: () => (sessionId ? sessionStillValid(sessionId, ctx.user.id) : Promise.resolve(true)),
      // viewers read exchange errors as a category and a sentence of ours (../venue-errors.ts)
      toLive: (event) => (ctx.user.role === "viewer" ? scrubDeep(liveEvent(event)) : liveEvent(event)) as LiveEvent,
    });
  }),
});

/** breaker: status and history, and the desk's controls — emergency stop, pause/resume, trip, reset (admin), config (admin). */
import { z } from "zod";
import { breakerConfigSchema } from "../../core/breaker/config";
import { plain } from "../../services/dto";
import { commandValue, requireEngine, runCommand } from "../../services/engine";
import { recentBreakerEvents } from "../../services/risk";
import { idempotencyKeySchema, reasonSchema, requiredReasonSchema, venueIdSchema } from "../../core/input-schemas";
import { adminProcedure, router, traderProcedure, viewerProcedure } from "../trpc";

export const breakerRouter = router({
  status: viewerProcedure.query(() => {
    const state = requireEngine().state();
    return { tradingState: state.tradingState, info: state.tradingStateInfo, breaker: state.breaker ? plain(state.breaker) : null, emergency: state.emergency };
  }),
  history: viewerProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(100) }).strict())
    .query(({ input }) => recentBreakerEvents(input.limit)),
  emergencyStop: traderProcedure
    // `venue`: halt that venue only (cancel-all there, optionally flatten there); the other venues trade on.
    .input(
      z
        .object({ reason: requiredReasonSchema, flatten: z.boolean().default(true), venue: venueIdSchema.optional(), idempotencyKey: idempotencyKeySchema })
        .strict(),
    )
    .mutation(({ ctx, input }) =>
      runCommand({ kind: "emergencyStop", flatten: input.flatten, ...(input.venue && { venue: input.venue }), actor: ctx.actor, reason: input.reason }),
    ),
  pause: traderProcedure
    .input(z.object({ reason: reasonSchema.optional(), venue: venueIdSchema.optional(), idempotencyKey: idempotencyKeySchema }).strict())
    .mutation(({ ctx, input }) => runCommand({ kind: "pause", ...(input.venue && { venue: input.venue }), actor: ctx.actor, reason: input.reason || null })),
  resume: traderProcedure
    .input(z.object({ reason: reasonSchema.optional(), venue: venueIdSchema.optional(), idempotencyKey: idempotencyKeySchema }).strict())
    .mutation(({ ctx, input }) => runCommand({ kind: "resume", ...(input.venue && { venue: input.venue }), actor: ctx.actor, reason: input.reason || null })),
  trip: traderProcedure
    .input(z.object({ reason: requiredReasonSchema, idempotencyKey: idempotencyKeySchema }).strict())
    .mutation(({ ctx, input }) => runCommand({ kind: "tripBreaker", actor: ctx.actor, reason: input.reason })),
  reset: adminProcedure
    .input(z.object({ reason: requiredReasonSchema, force: z.boolean().default(false), idempotencyKey: idempotencyKeySchema }).strict())
    .mutation(({ ctx, input }) => runCommand({ kind: "resetBreaker", actor: ctx.actor, reason: input.reason, force: input.force })),
  setConfig: adminProcedure
    // The whole config, checked field by field (unknown, absurd or odd values are a 400, never stored).
    .input(z.object({ config: breakerConfigSchema }).strict())
    .mutation(async ({ ctx, input }) => commandValue(await requireEngine().execute({ kind: "setBreakerConfig", config: input.config, actor: ctx.actor }))),
});

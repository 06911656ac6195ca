/** arbitrage: the executor's pairs, opportunities and round trips (viewer); turning a pair on or off (trader, audited). */
import { z } from "zod";
import { idempotencyKeySchema, reasonSchema } from "../../core/input-schemas";
import { arbitrageView, setArbitragePair } from "../../services/arbitrage";
import { router, traderProcedure, viewerProcedure } from "../trpc";

const limit = (what: string, max: number, fallback: number) =>
  z
    .number({ error: `${what} must be a whole number from 1 to ${max}` })
    .int(`${what} must be a whole number from 1 to ${max}`)
    .min(1, `${what} must be a whole number from 1 to ${max}`)
    .max(max, `${what} must be a whole number from 1 to ${max}`)
    .default(fallback);

export const arbitrageRouter = router({
  view: viewerProcedure
    .input(
      z
        .object({ opportunities: limit("opportunities", 500, 100), roundTrips: limit("roundTrips", 500, 100) })
        .strict()
        .optional(),
    )
    .query(({ input }) => arbitrageView({ opportunities: input?.opportunities ?? 100, roundTrips: input?.roundTrips ?? 100 })),
  setPair: traderProcedure
    .input(
      z
        .object({
          pairId: z
            .string({ error: "pairId must be the id of a pair" })
            .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "pairId must be the id of a pair (lower-case letters, digits and dashes)"),
          enabled: z.boolean({ error: "enabled must be true or false" }),
          reason: reasonSchema.optional(),
          idempotencyKey: idempotencyKeySchema,
        })
        .strict(),
    )
    .mutation(({ ctx, input: { idempotencyKey: _key, ...input } }) => setArbitragePair(input, ctx.actor)),
});

/** signals: submit one by hand or from a tool (trader), and review what came in (viewer). */
import { z } from "zod";
import { commandValue } from "../../services/engine";
import { listSignals, submitSignal } from "../../services/signals";
import { idempotencyKeySchema, symbolSchema } from "../../core/input-schemas";
import { signalInputSchema } from "../webhooks/signal-schema";
import { router, traderProcedure, viewerProcedure } from "../trpc";

export const signalsRouter = router({
  submit: traderProcedure
    .input(signalInputSchema.extend({ idempotencyKey: idempotencyKeySchema }))
    .mutation(async ({ ctx, input }) => commandValue(await submitSignal(input, `manual:${ctx.user.username}`, ctx.actor))),
  list: viewerProcedure
    .input(
      z
        .object({
          symbol: symbolSchema.optional(),
          status: z.enum(["ACCEPTED", "DENIED", "FAILED"]).optional(),
          limit: z.number().int().min(1).max(500).default(100),
          beforeMs: z.number().int().positive().optional(),
        })
        .strict(),
    )
    .query(({ input }) => listSignals(input)),
});

/** positions: the open book (viewer) and the manual actions on it (trader), all engine commands, all audited. */
import { z } from "zod";
import { closeAll, closePosition, listPositions, partialClose, setExits } from "../../services/positions";
import { attributionFilterShape, idempotencyKeySchema, positiveDecimalString, reasonSchema, requiredReasonSchema } from "../../core/input-schemas";
import { router, traderProcedure, viewerProcedure } from "../trpc";

const positionId = z
  .string({ error: "positionId is required" })
  .trim()
  .min(1, "positionId is required")
  .max(64, "positionId must be at most 64 characters")
  .regex(/^[A-Za-z0-9._:-]+$/, "positionId may contain letters, digits and . _ : - only");

/** An exit price: positive, finite, not absurd; null removes the rule. */
const exitPrice = (what: string) =>
  z
    .number({ error: `${what} must be a number or null` })
    .finite(`${what} must be a finite number`)
    .positive(`${what} must be a positive price`)
    .max(1e12, `${what} is absurdly large`)
    .nullable();

export const partialCloseInput = z
  .object({
    positionId,
    percent: z
      .number({ error: "percent must be a number" })
      .finite("percent must be a finite number")
      .gt(0, "percent must be above 0 and below 100")
      .lt(100, "percent must be above 0 and below 100 (use Close for the whole position)")
      .optional(),
    quantity: positiveDecimalString("quantity").optional(),
    reason: reasonSchema.optional(),
    idempotencyKey: idempotencyKeySchema,
  })
  .strict()
  .refine((v) => (v.percent === undefined) !== (v.quantity === undefined), { message: "give either percent or quantity, not both and not neither" });

export const positionsRouter = router({
  /** Open positions, optionally of one venue / symbol / strategy (`manual`: a person's). */
  list: viewerProcedure.input(z.object(attributionFilterShape).strict().optional()).query(({ input }) => listPositions(input ?? {})),
  close: traderProcedure
    .input(z.object({ positionId, reason: reasonSchema.optional(), idempotencyKey: idempotencyKeySchema }).strict())
    .mutation(({ ctx, input }) => closePosition(input, ctx.actor)),
  partialClose: traderProcedure.input(partialCloseInput).mutation(({ ctx, input }) => partialClose(input, ctx.actor)),
  setExits: traderProcedure
    .input(
      z
        .object({
          positionId,
          stopLoss: exitPrice("stopLoss").optional(),
          takeProfit: exitPrice("takeProfit").optional(),
          reason: reasonSchema.optional(),
          idempotencyKey: idempotencyKeySchema,
        })
        .strict(),
    )
    .mutation(({ ctx, input }) => setExits(input, ctx.actor)),
  closeAll: traderProcedure
    .input(z.object({ reason: requiredReasonSchema, idempotencyKey: idempotencyKeySchema }).strict())
    .mutation(({ ctx, input }) => closeAll(input, ctx.actor)),
});

/**
 * reconciliation: drifts with filters, the unknown orders and the orders in doubt (viewer); adopt or cancel an unknown
 * order, adopt an order in doubt as the venue shows it or mark it not placed, acknowledge a drift (trader).
 */
import { z } from "zod";
import {
  acknowledgeDrift,
  adoptInDoubt,
  adoptOrder,
  cancelUnknownOrder,
  inDoubtOrders,
  listDrifts,
  markNotPlaced,
  unknownOrders,
} from "../../services/reconciliation";
import {
  clientOrderIdSchema as clientOrderId,
  epochMsSchema as epochMs,
  idempotencyKeySchema,
  reasonSchema,
  requiredReasonSchema,
  text,
} from "../../core/input-schemas";
import { router, traderProcedure, viewerProcedure } from "../trpc";

export const driftListInput = z
  .object({
    status: z.enum(["open", "resolved", "all"], { error: "status must be open, resolved or all" }).default("all"),
    kind: z
      .string()
      .trim()
      .regex(/^[A-Z_]{2,40}$/, "kind must look like UNKNOWN_ORDER")
      .optional(),
    subject: text("subject", { min: 1, max: 100, person: true }).optional(),
    fromMs: epochMs("fromMs").optional(),
    toMs: epochMs("toMs").optional(),
    limit: z.number().int("limit must be a whole number").min(1, "limit must be 1 to 500").max(500, "limit must be 1 to 500").default(100),
    offset: z.number().int("offset must be a whole number").min(0, "offset must be 0 or more").max(1_000_000, "offset is too large").default(0),
  })
  .strict()
  .refine((v) => v.fromMs === undefined || v.toMs === undefined || v.fromMs < v.toMs, { message: "fromMs must be before toMs" });

const orderChoice = z.object({ clientOrderId, reason: reasonSchema.optional(), idempotencyKey: idempotencyKeySchema }).strict();

export const reconciliationRouter = router({
  drifts: viewerProcedure.input(driftListInput).query(({ input }) => listDrifts(input)),
  unknownOrders: viewerProcedure.query(() => unknownOrders()),
  adopt: traderProcedure.input(orderChoice).mutation(({ ctx, input }) => adoptOrder(input.clientOrderId, ctx.actor, input.reason || null)),
  cancel: traderProcedure.input(orderChoice).mutation(({ ctx, input }) => cancelUnknownOrder(input.clientOrderId, ctx.actor, input.reason || null)),
  /** Orders in doubt (their submission's outcome is unknown); adopt what the venue shows, or mark one not placed. */
  inDoubt: viewerProcedure.query(() => inDoubtOrders()),
  adoptInDoubt: traderProcedure.input(orderChoice).mutation(({ ctx, input }) => adoptInDoubt(input.clientOrderId, ctx.actor, input.reason || null)),
  markNotPlaced: traderProcedure
    .input(z.object({ clientOrderId, reason: requiredReasonSchema, idempotencyKey: idempotencyKeySchema }).strict())
    .mutation(({ ctx, input }) => markNotPlaced(input.clientOrderId, ctx.actor, input.reason)),
  acknowledge: traderProcedure
    .input(
      z
        .object({
          id: z.number().int("id must be a whole number").positive("id must be positive"),
          reason: reasonSchema.optional(),
          idempotencyKey: idempotencyKeySchema,
        })
        .strict(),
    )
    .mutation(({ ctx, input }) => acknowledgeDrift(input.id, ctx.actor, input.reason || null)),
});

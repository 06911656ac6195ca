/** orders: working orders and all orders with their journal (viewer); cancel, cancel all and manual orders (trader). */
import { z } from "zod";
import { ORDER_STATUSES } from "../../core/orders/types";
import {
  amendOrder,
  cancelAll,
  cancelOrder,
  cancelOrderList,
  listOrders,
  openOrders,
  orderDetail,
  orderFacets,
  orderLists,
  placeOrder,
  placeOrderList,
} from "../../services/orders";
import {
  attributionFilterShape,
  clientOrderIdSchema as clientOrderId,
  epochMsSchema as epochMs,
  idempotencyKeySchema,
  positiveDecimalString,
  reasonSchema,
  requiredReasonSchema,
  symbolSchema,
  text,
  venueIdSchema,
} from "../../core/input-schemas";
import { algoRequestSchema, END_BEHAVIOURS, RESTART_POLICIES } from "../../core/algos/request";
import { routeModeSchema } from "../../core/algos/route-mode";
import { listParentOrders, parentOrderAction, startParentOrder } from "../../services/parent-orders";
import { router, traderProcedure, viewerProcedure } from "../trpc";

const status = z.enum(ORDER_STATUSES, { error: `status must be one of ${ORDER_STATUSES.join(", ")}` });

export const MANUAL_ORDER_TYPES = [
  "MARKET",
  "LIMIT",
  "STOP_MARKET",
  "STOP_LIMIT",
  "TAKE_PROFIT_MARKET",
  "TAKE_PROFIT_LIMIT",
  "LIMIT_IF_TOUCHED",
  "TRAILING_STOP_MARKET",
  "TRAILING_STOP_LIMIT",
] as const;

/** Trailing stops: the trigger follows the best price by this offset (a price distance, or basis points), optionally from an activation price. */
const trailingShape = {
  trailingOffset: positiveDecimalString("trailingOffset").optional(),
  trailingOffsetType: z.enum(["PRICE", "BASIS_POINTS"], { error: "trailingOffsetType must be PRICE or BASIS_POINTS" }).optional(),
  activationPrice: positiveDecimalString("activationPrice").optional(),
};

const orderType = z.enum(MANUAL_ORDER_TYPES, { error: `type must be one of ${MANUAL_ORDER_TYPES.join(", ")}` });
const side = z.enum(["BUY", "SELL"], { error: "side must be BUY or SELL" });
const timeInForce = z.enum(["GTC", "IOC", "FOK"], { error: "timeInForce must be GTC, IOC or FOK" });
/** A manual order may also be GTD (good till date): the venue or, where it cannot hold one, the engine expires it at `expireAt`. */
const placeTimeInForce = z.enum(["GTC", "IOC", "FOK", "GTD"], { error: "timeInForce must be GTC, IOC, FOK or GTD" });

export const orderListInput = z
  .object({
    ...attributionFilterShape,
    status: z.union([status, z.array(status).min(1, "status: give at least one").max(ORDER_STATUSES.length)]).optional(),
    side: z.enum(["BUY", "SELL"], { error: "side must be BUY or SELL" }).optional(),
    fromMs: epochMs("fromMs").optional(),
    toMs: epochMs("toMs").optional(),
    limit: z.number().int("limit must be a whole number").min(1, "limit must be 1 to 500").max(500, "limit must be 1 to 500").default(100),
    cursor: text("cursor", { max: 200, trim: false }).optional(),
    /** Sent by tRPC's infinite queries; pages only go forward (older orders). */
    direction: z.enum(["forward", "backward"]).optional(),
  })
  .strict()
  .refine((v) => v.fromMs === undefined || v.toMs === undefined || v.fromMs < v.toMs, { message: "fromMs must be before toMs" });

export const placeOrderInput = z
  .object({
    symbol: symbolSchema,
    side: z.enum(["BUY", "SELL"], { error: "side must be BUY or SELL" }),
    type: orderType,
    quantity: positiveDecimalString("quantity"),
    price: positiveDecimalString("price").optional(),
    triggerPrice: positiveDecimalString("triggerPrice").optional(),
    timeInForce: placeTimeInForce.optional(),
    /** GTD only: the expiry in epoch ms. The engine checks it against the desk clock (after now, at most 90 days ahead). */
    expireAt: epochMs("expireAt").optional(),
    postOnly: z.boolean().optional(),
    reduceOnly: z.boolean().optional(),
    ...trailingShape,
    /** The venue to send it to (a desk with several); absent: its position's venue, else the best net price. */
    venue: venueIdSchema.optional(),
    /** Without a venue, a MARKET or LIMIT entry: split over the venues' visible books, or whole to the best one. */
    route: routeModeSchema.optional(),
    reason: reasonSchema.optional(),
    idempotencyKey: idempotencyKeySchema,
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.route !== undefined && v.venue !== undefined) {
      ctx.addIssue({ code: "custom", path: ["route"], message: "route is for an order without a venue: leave out venue, or route" });
    }
    if (v.timeInForce === "GTD" && v.expireAt === undefined) {
      ctx.addIssue({ code: "custom", path: ["expireAt"], message: "a GTD order needs expireAt: the expiry time in epoch milliseconds" });
    }
    if (v.timeInForce !== "GTD" && v.expireAt !== undefined) {
      ctx.addIssue({ code: "custom", path: ["expireAt"], message: "expireAt is only for GTD orders: set timeInForce to GTD, or leave expireAt out" });
    }
  });

/** One order of a list (OCO, OTO, a bracket's entry). */
const listOrder = z
  .object({
    symbol: symbolSchema,
    side,
    type: orderType,
    quantity: positiveDecimalString("quantity"),
    price: positiveDecimalString("price").optional(),
    triggerPrice: positiveDecimalString("triggerPrice").optional(),
    timeInForce: timeInForce.optional(),
    postOnly: z.boolean().optional(),
    reduceOnly: z.boolean().optional(),
    ...trailingShape,
  })
  .strict();

/** A bracket's stop-loss or take-profit: its side and quantity follow the entry. */
const bracketExit = z
  .object({
    type: orderType,
    price: positiveDecimalString("price").optional(),
    triggerPrice: positiveDecimalString("triggerPrice").optional(),
    ...trailingShape,
  })
  .strict();

const listCommon = { reason: reasonSchema.optional(), idempotencyKey: idempotencyKeySchema };

export const placeListInput = z.discriminatedUnion(
  "kind",
  [
    z.object({ kind: z.literal("OCO"), first: listOrder, second: listOrder, ...listCommon }).strict(),
    z.object({ kind: z.literal("OTO"), primary: listOrder, secondary: listOrder, ...listCommon }).strict(),
    z.object({ kind: z.literal("BRACKET"), entry: listOrder, stopLoss: bracketExit, takeProfit: bracketExit, ...listCommon }).strict(),
  ],
  { error: "kind must be OCO, OTO or BRACKET" },
);

const listId = z
  .string({ error: "listId is required" })
  .trim()
  .min(1, "listId is required")
  .max(64, "listId must be at most 64 characters")
  .regex(/^[A-Za-z0-9._:/-]+$/, "listId may contain letters, digits and . _ : / - only");

export const amendOrderInput = z
  .object({
    clientOrderId,
    quantity: positiveDecimalString("quantity").optional(),
    price: positiveDecimalString("price").optional(),
    reason: reasonSchema.optional(),
    idempotencyKey: idempotencyKeySchema,
  })
  .strict()
  .refine((v) => v.quantity !== undefined || v.price !== undefined, { message: "give a new price, a new quantity, or both" });
/** A parent order (engine/algos.ts): `limitPrice` is its guard (no child buys above / sells below it); required for an iceberg. */
export const startParentInput = z
  .object({
    symbol: symbolSchema,
    side: z.enum(["BUY", "SELL"], { error: "side must be BUY or SELL" }),
    quantity: positiveDecimalString("quantity"),
    limitPrice: positiveDecimalString("limitPrice").optional(),
    algo: algoRequestSchema,
    endBehaviour: z.enum(END_BEHAVIOURS, { error: "endBehaviour must be cross, cancel or leave" }).optional(),
    restartPolicy: z.enum(RESTART_POLICIES, { error: "restartPolicy must be resume or stop" }).optional(),
    /** The venue to work on (a desk with several): its mark is the arrival price, its touch the children's. */
    venue: venueIdSchema.optional(),
    reason: reasonSchema.optional(),
    idempotencyKey: idempotencyKeySchema,
  })
  .strict();

const parentId = z
  .string({ error: "parentId is required" })
  .trim()
  .min(1, "parentId is required")
  .max(28, "parentId must be at most 28 characters")
  .regex(/^[A-Za-z0-9._:/-]+$/, "parentId may contain letters, digits and . _ : / - only");

export const ordersRouter = router({
  open: viewerProcedure.input(z.object(attributionFilterShape).strict().optional()).query(({ input }) => openOrders(input ?? {})),
  list: viewerProcedure
    .input(orderListInput)
    .query(({ input: { direction: _direction, status, ...input } }) =>
      listOrders({ ...input, ...(status !== undefined && { status: Array.isArray(status) ? status : [status] }) }),
    ),
  facets: viewerProcedure.query(() => orderFacets()),
  detail: viewerProcedure.input(z.object({ clientOrderId }).strict()).query(({ input }) => orderDetail(input.clientOrderId)),
  cancel: traderProcedure
    .input(z.object({ clientOrderId, reason: reasonSchema.optional(), idempotencyKey: idempotencyKeySchema }).strict())
    .mutation(({ ctx, input }) => cancelOrder(input, ctx.actor)),
  cancelAll: traderProcedure
    .input(
      z
        .object({ symbol: symbolSchema.optional(), venue: venueIdSchema.optional(), reason: requiredReasonSchema, idempotencyKey: idempotencyKeySchema })
        .strict(),
    )
    .mutation(({ ctx, input }) => cancelAll(input, ctx.actor)),
  place: traderProcedure.input(placeOrderInput).mutation(({ ctx, input }) => placeOrder(input, ctx.actor)),
  /** Order lists: OCO, OTO, bracket (entry → stop-loss + take-profit as an OCO, sent as the entry fills). */
  lists: viewerProcedure
    .input(
      z
        .object({ all: z.boolean().optional(), limit: z.number().int().min(1, "limit must be 1 to 500").max(500, "limit must be 1 to 500").optional() })
        .strict()
        .optional(),
    )
    .query(({ input }) => orderLists(input ?? {})),
  placeList: traderProcedure.input(placeListInput).mutation(({ ctx, input }) => placeOrderList(input, ctx.actor)),
  cancelList: traderProcedure
    .input(z.object({ listId, reason: reasonSchema.optional(), idempotencyKey: idempotencyKeySchema }).strict())
    .mutation(({ ctx, input }) => cancelOrderList(input, ctx.actor)),
  /** Amend a working order's price and/or quantity: native modify, or cancel-replace that never leaves two live. */
  amend: traderProcedure.input(amendOrderInput).mutation(({ ctx, input }) => amendOrder(input, ctx.actor)),
  parents: viewerProcedure
    .input(
      z
        .object({ limit: z.number().int().min(1, "limit must be 1 to 200").max(200, "limit must be 1 to 200").default(50) })
        .strict()
        .optional(),
    )
    .query(({ input }) => listParentOrders({ limit: input?.limit ?? 50 })),
  startParent: traderProcedure.input(startParentInput).mutation(({ ctx, input: { idempotencyKey: _key, ...input } }) => startParentOrder(input, ctx.actor)),
  parentAction: traderProcedure
    .input(
      z
        .object({
          parentId,
          action: z.enum(["pause", "resume", "cancel"], { error: "action must be pause, resume or cancel" }),
          reason: reasonSchema.optional(),
          idempotencyKey: idempotencyKeySchema,
        })
        .strict(),
    )
    .mutation(({ ctx, input: { idempotencyKey: _key, ...input } }) => parentOrderAction(input, ctx.actor)),
});

/**
 * notifications: the outbound channels (viewer; host only, never a secret), their recorded deliveries (viewer, paged),
 * and "send test message" (admin, audited).
 */
import { z } from "zod";
import { idempotencyKeySchema } from "../../core/input-schemas";
import { listChannels, listDeliveries, sendTestMessage } from "../../services/notifications";
import { adminProcedure, router, viewerProcedure } from "../trpc";

const channelName = z
  .string({ error: "channel must be a channel name" })
  .regex(/^[A-Za-z0-9 _.-]{1,40}$/, "channel must be a channel name of 1–40 letters, digits, spaces or . _ -");

export const notificationsRouter = router({
  channels: viewerProcedure.query(() => listChannels()),
  deliveries: viewerProcedure
    .input(
      z
        .object({
          channel: channelName.optional(),
          limit: z.number().int("limit must be a whole number").min(1, "limit must be 1 to 200").max(200, "limit must be 1 to 200").default(50),
          cursor: z.number().int().positive("cursor must be a delivery id").nullish(),
          /** Sent by tRPC's infinite queries; pages only go to older deliveries. */
          direction: z.enum(["forward", "backward"]).optional(),
        })
        .strict(),
    )
    .query(({ input }) => listDeliveries({ channel: input.channel, limit: input.limit, cursor: input.cursor ?? undefined })),
  sendTest: adminProcedure
    .input(z.object({ channel: channelName, idempotencyKey: idempotencyKeySchema }).strict())
    .mutation(({ ctx, input }) => sendTestMessage(input.channel, ctx.actor)),
});

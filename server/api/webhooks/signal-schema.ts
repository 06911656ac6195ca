/**
 * The signal a model, a webhook or a person sends (POST /api/signals and tRPC `signals.submit`): every field
 * bounded, every problem said in plain words.
 */
import { z } from "zod";
import { EPOCH_MS_MAX, SIGNAL_ACTIONS, symbolSchema, text, venueIdSchema } from "../../core/input-schemas";
import { algoRequestSchema } from "../../core/algos/request";
import { routeModeSchema } from "../../core/algos/route-mode";

const finite = (what: string) => z.number({ error: `${what} must be a number` }).finite(`${what} must be a finite number`);

export const signalInputSchema = z
  .object({
    id: z
      .string({ error: "id is required" })
      .trim()
      .min(1, "id is required")
      .max(100, "id must be at most 100 characters")
      .regex(/^[A-Za-z0-9._:-]+$/, "id may contain letters, digits and . _ : - only"),
    symbol: symbolSchema,
    action: z.enum(SIGNAL_ACTIONS, { error: "action must be BUY, SELL or CLOSE" }),
    confidence: finite("confidence").min(0, "confidence must be from 0 to 1").max(1, "confidence must be from 0 to 1"),
    expectedReturn: finite("expectedReturn")
      .min(-1, "expectedReturn is a fraction from -1 to 10")
      .max(10, "expectedReturn is a fraction from -1 to 10")
      .optional(),
    stopLoss: finite("stopLoss").positive("stopLoss must be a positive price").max(1e12, "stopLoss is absurdly large").optional(),
    takeProfit: finite("takeProfit").positive("takeProfit must be a positive price").max(1e12, "takeProfit is absurdly large").optional(),
    strategy: text("strategy", { min: 1, max: 64, person: true }),
    ts: z
      .number({ error: "ts must be epoch milliseconds" })
      .int("ts must be epoch milliseconds")
      .positive("ts must be epoch milliseconds")
      .max(EPOCH_MS_MAX, "ts is beyond the range of dates")
      .optional(),
    /** The venue to trade at (a desk with several); absent: the desk routes it. An unknown one is refused by the engine, by name. */
    venue: venueIdSchema.optional(),
    /** Work the entry with an algorithm instead of one market order (engine/algos.ts). */
    algo: algoRequestSchema.optional(),
    /** Without a venue: split the entry over the venues' visible books, or whole to the best one (engine/order-routes.ts). */
    route: routeModeSchema.optional(),
  })
  .strict();

export type SignalInput = z.infer<typeof signalInputSchema>;

/** Input schemas shared by tRPC procedures and the webhook: everything that enters is checked here, in plain words. */
import { z } from "zod";

const finite = (what: string) => z.number({ error: `${what} must be a number` }).finite(`${what} must be a finite number`);

export const symbolSchema = z
  .string({ error: "symbol is required" })
  .trim()
  .regex(/^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/, "symbol must look like BTC/USDT");

export const signalInputSchema = z
  .object({
    id: z
      .string({ error: "id is required" })
      .trim()
      .min(1, "id is required")
      .max(100, "id must be at most 100 characters")
      .regex(/^[A-Za-z0-9._:-]+$/, "id may contain letters, digits and . _ : - only"),
    symbol: symbolSchema,
    action: z.enum(["BUY", "SELL", "CLOSE"], { error: "action must be BUY, SELL or CLOSE" }),
    confidence: finite("confidence").min(0, "confidence must be from 0 to 1").max(1, "confidence must be from 0 to 1"),
    expectedReturn: finite("expectedReturn").min(-1, "expectedReturn is a fraction from -1 to 10").max(10, "expectedReturn is a fraction from -1 to 10").optional(),
    stopLoss: finite("stopLoss").positive("stopLoss must be a positive price").max(1e12, "stopLoss is absurdly large").optional(),
    takeProfit: finite("takeProfit").positive("takeProfit must be a positive price").max(1e12, "takeProfit is absurdly large").optional(),
    strategy: z.string({ error: "strategy is required" }).trim().min(1, "strategy is required").max(64, "strategy must be at most 64 characters"),
    ts: z.number().int("ts must be epoch milliseconds").positive("ts must be epoch milliseconds").optional(),
  })
  .strict();

export type SignalInput = z.infer<typeof signalInputSchema>;

export const reasonSchema = z.string().trim().max(500, "the reason must be at most 500 characters");
export const requiredReasonSchema = reasonSchema.min(3, "give a reason (at least 3 characters)");

/** A positive decimal quantity or price as a string: refuses NaN, Infinity, negatives, exponents and absurd sizes. */
export const positiveDecimalString = (what: string) =>
  z
    .union([z.string(), z.number()], { error: `${what} must be a number` })
    .transform((v, ctx) => {
      const s = typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : v.trim();
      if (!/^\d+(\.\d+)?$/.test(s)) {
        ctx.addIssue({ code: "custom", message: `${what} must be a positive decimal number like 0.015, got '${String(v)}'` });
        return z.NEVER;
      }
      const n = Number(s);
      if (!(n > 0)) {
        ctx.addIssue({ code: "custom", message: `${what} must be above 0` });
        return z.NEVER;
      }
      if (n > 1e12) {
        ctx.addIssue({ code: "custom", message: `${what} ${s} is absurdly large` });
        return z.NEVER;
      }
      return s;
    });

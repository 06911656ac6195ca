/** strategies: per strategy (a model is a strategy) signals, direction, expectedReturn, calibration and PnL (viewer). */
import { z } from "zod";
import { strategyNameSchema } from "../../core/input-schemas";
import { strategyMetricsReport } from "../../services/strategy-metrics";
import { router, viewerProcedure } from "../trpc";

const epochMs = (what: string) =>
  z
    .number({ error: `${what} must be a time in epoch milliseconds` })
    .int(`${what} must be a whole number of epoch milliseconds`)
    .min(0, `${what} must not be before 1970`)
    .max(8.64e15, `${what} is too far in the future`);

export const strategyMetricsInputSchema = z
  .object({
    from: epochMs("from").optional(),
    to: epochMs("to").optional(),
    strategy: strategyNameSchema.optional(),
    buckets: z.number().int().min(2, "buckets must be at least 2").max(20, "buckets must be at most 20").optional(),
  })
  .strict()
  .refine((v) => v.from === undefined || v.to === undefined || v.from < v.to, { message: "from must be before to", path: ["to"] });

export const strategiesRouter = router({
  metrics: viewerProcedure.input(strategyMetricsInputSchema.default({})).query(({ input }) => strategyMetricsReport(input)),
});

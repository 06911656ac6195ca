/** performance: equity curve, daily PnL, per-symbol table and the portfolio's ratios over a window (viewer). */
import { z } from "zod";
import { performanceSummary } from "../../services/performance";
import { router, viewerProcedure } from "../trpc";

const epochMs = (what: string) =>
  z
    .number({ error: `${what} must be a time in epoch milliseconds` })
    .int(`${what} must be a whole number of epoch milliseconds`)
    .min(0, `${what} must not be before 1970`)
    .max(8.64e15, `${what} is too far in the future`);

export const performanceRouter = router({
  summary: viewerProcedure
    .input(
      z
        .object({
          from: epochMs("from").optional(),
          to: epochMs("to").optional(),
          points: z.number().int().min(2, "points must be at least 2").max(2000, "points must be at most 2000").optional(),
        })
        .strict()
        .refine((v) => v.from === undefined || v.to === undefined || v.from < v.to, { message: "from must be before to", path: ["to"] })
        .default({}),
    )
    .query(({ input }) => performanceSummary(input)),
});

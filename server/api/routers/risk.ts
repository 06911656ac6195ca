/** risk: each limit with its usage, exposure and concentration, VaR, drawdown, daily PnL vs the loss limit; breaker history; the portfolio figures. */
import { z } from "zod";
import { portfolioHistoryInputSchema, portfolioRisk, portfolioRiskHistory, portfolioRiskInputSchema } from "../../services/portfolio-risk";
import { exposureHistory } from "../../services/exposure-history";
import { breakerHistory, riskSummary } from "../../services/risk";
import { rebalanceInputSchema, rebalanceProposal, sendRebalance, sendRebalanceInputSchema } from "../../services/rebalance";
import { router, traderProcedure, viewerProcedure } from "../trpc";

export const riskRouter = router({
  summary: viewerProcedure
    .input(
      z
        .object({
          sinceMs: z.number().int("sinceMs must be epoch milliseconds").nonnegative("sinceMs must be epoch milliseconds").optional(),
          points: z.number().int().min(2, "points must be at least 2").max(5000, "points must be at most 5000").optional(),
        })
        .strict()
        .optional(),
    )
    .query(({ input }) => riskSummary(input ?? {})),
  /** Exposure per symbol over time, derived from the latest fills (services/exposure-history.ts says how). */
  exposureHistory: viewerProcedure
    .input(
      z
        .object({
          top: z.number().int("top must be a whole number").min(1, "top must be 1 to 20").max(20, "top must be 1 to 20").optional(),
          points: z.number().int().min(2, "points must be at least 2").max(2000, "points must be at most 2000").optional(),
        })
        .strict()
        .optional(),
    )
    .query(({ input }) => exposureHistory(input ?? {})),
  breakerHistory: viewerProcedure
    .input(
      z
        .object({
          limit: z.number().int().min(1, "limit must be at least 1").max(500, "limit must be at most 500").default(100),
          beforeId: z.number().int().positive().optional(),
          kinds: z
            .array(z.enum(["TRIP", "RESET", "STATE"], { error: "kinds are TRIP, RESET or STATE" }))
            .max(3)
            .optional(),
        })
        .strict()
        .default({ limit: 100 }),
    )
    .query(({ input }) => breakerHistory(input)),
  /** Correlation, VaR/ES and its decomposition, clusters, target vs current weights (services/portfolio-risk.ts). */
  portfolio: viewerProcedure.input(portfolioRiskInputSchema.optional()).query(({ input }) => portfolioRisk(input ?? {})),
  portfolioHistory: viewerProcedure.input(portfolioHistoryInputSchema.optional()).query(({ input }) => portfolioRiskHistory(input ?? {})),
  /** The orders that would bring the book to a method's target weights: a proposal, nothing is sent (services/rebalance.ts). */
  rebalance: viewerProcedure.input(rebalanceInputSchema.optional()).query(({ input }) => rebalanceProposal(input ?? rebalanceInputSchema.parse({}))),
  /** Sends the orders a trader reviewed, each through the risk gate and audited. */
  sendRebalance: traderProcedure.input(sendRebalanceInputSchema).mutation(({ ctx, input }) => sendRebalance(input, ctx.actor)),
});

/**
 * backtests: stored runs and their reports, the shipped data sets (viewer), and starting a run (trader).
 * A run is not trading state, so it does not go through the engine's command queue; it is audited as backtest_run.
 */
import { z } from "zod";
import { type Decimal, parseDecimal } from "../../core/money";
import { backtestDetail, listBacktestRuns, listDataSets, startBacktest } from "../../services/backtests";
import { router, traderProcedure, viewerProcedure } from "../trpc";

/** A decimal (string or number) within [min, max] (min exclusive when `above`), with the reason in words. */
const decimalIn = (what: string, opts: { min: number; max: number; above?: boolean; unit?: string }) =>
  z.union([z.string(), z.number()], { error: `${what} must be a number` }).transform((v, ctx): Decimal => {
    const d = typeof v === "number" && !Number.isFinite(v) ? null : parseDecimal(v);
    const max = opts.max.toLocaleString("en-US");
    const range = `${opts.above ? `more than ${opts.min} and at most ${max}` : `from ${opts.min} to ${max}`}${opts.unit ? ` ${opts.unit}` : ""}`;
    if (d === null) {
      ctx.addIssue({ code: "custom", message: `${what} must be a number ${range}, got '${String(v).slice(0, 40)}'` });
      return z.NEVER;
    }
    if ((opts.above ? d.lessThanOrEqualTo(opts.min) : d.lessThan(opts.min)) || d.greaterThan(opts.max)) {
      ctx.addIssue({ code: "custom", message: `${what} must be ${range}, got ${d.toString()}` });
      return z.NEVER;
    }
    return d;
  });

/** A shipped data file's name: letters, digits, . _ - and ".csv" — never a path. */
export const dataSetNameSchema = z
  .string({ error: "dataSet is required: the name of a shipped candle file" })
  .trim()
  .min(1, "dataSet is required: the name of a shipped candle file")
  .max(120, "dataSet must be at most 120 characters")
  .refine((s) => !/[\\/]/.test(s) && !s.includes(".."), "dataSet must be the name of a shipped data file, not a path")
  .refine((s) => /^[A-Za-z0-9][A-Za-z0-9._-]*\.csv$/.test(s), "dataSet must be a shipped file name such as btc-usdt_5m_2023-01-02_2023-02-09.csv");

const whole = (what: string, min: number, max: number) =>
  z
    .number({ error: `${what} must be a whole number from ${min} to ${max}` })
    .int(`${what} must be a whole number from ${min} to ${max}`)
    .min(min, `${what} must be a whole number from ${min} to ${max}`)
    .max(max, `${what} must be a whole number from ${min} to ${max}`);

export const runBacktestInput = z
  .object({
    dataSet: dataSetNameSchema,
    strategy: z.literal("sma-cross", { error: "strategy must be sma-cross (the only built-in strategy)" }).default("sma-cross"),
    fast: whole("fast", 1, 1000),
    slow: whole("slow", 2, 5000),
    capital: decimalIn("capital", { min: 0, max: 1e12, above: true }),
    feeBps: decimalIn("feeBps", { min: 0, max: 1000, unit: "basis points" }).prefault("0"),
    slippageBps: decimalIn("slippageBps", { min: 0, max: 1000, unit: "basis points" }).prefault("0"),
    qtyStep: decimalIn("qtyStep", { min: 0, max: 1e6, above: true }).optional(),
  })
  .strict()
  // `when`: also checked when another field is wrong, so that every problem is reported at once.
  .refine((v) => v.slow > v.fast, {
    path: ["slow"],
    error: (issue) => {
      const v = issue.input as { fast: number; slow: number };
      return `slow (${v.slow}) must be greater than fast (${v.fast})`;
    },
    when: (payload) => {
      const v = payload.value as { fast?: unknown; slow?: unknown } | undefined;
      return Number.isInteger(v?.fast) && Number.isInteger(v?.slow);
    },
  });

export const backtestsRouter = router({
  list: viewerProcedure
    .input(
      z
        .object({ limit: z.number().int().min(1).max(200).default(50) })
        .strict()
        .default({ limit: 50 }),
    )
    .query(({ input }) => listBacktestRuns(input)),
  detail: viewerProcedure
    .input(
      z
        .object({
          id: z
            .string()
            .trim()
            .regex(/^[A-Za-z0-9._:-]{1,64}$/, "id must be a backtest run id such as bt-1a2b3c4d"),
        })
        .strict(),
    )
    .query(({ input }) => backtestDetail(input.id)),
  datasets: viewerProcedure.query(() => listDataSets()),
  run: traderProcedure.input(runBacktestInput).mutation(({ ctx, input }) =>
    startBacktest(
      {
        dataSet: input.dataSet,
        strategy: input.strategy,
        fast: input.fast,
        slow: input.slow,
        capital: input.capital,
        feeBps: input.feeBps,
        slippageBps: input.slippageBps,
        qtyStep: input.qtyStep ?? null,
      },
      { username: ctx.user.username, role: ctx.user.role },
    ),
  ),
});

/** trades: closed trades for History — the filtered, sorted page with exact totals, a trade's detail, filter menus. */
import { z } from "zod";
import { listTrades, SORT_BYS, totalsFor, tradeDetail, tradeFacets } from "../../services/trades";
import { attributionFilterShape, text } from "../../core/input-schemas";
import { router, viewerProcedure } from "../trpc";

const epochMs = (what: string) =>
  z
    .number({ error: `${what} must be epoch milliseconds` })
    .int(`${what} must be whole epoch milliseconds`)
    .min(0, `${what} must be epoch milliseconds`)
    .max(8.64e15, `${what} is out of range`);

/** The filters shared by list, totals and the CSV export (app/api/trades/export). */
export const tradeFilterShape = {
  ...attributionFilterShape,
  side: z.enum(["LONG", "SHORT"], { error: "side must be LONG or SHORT" }).optional(),
  outcome: z.enum(["WIN", "LOSS", "BREAKEVEN"], { error: "outcome must be WIN, LOSS or BREAKEVEN" }).optional(),
  exitReason: z
    .string()
    .trim()
    .regex(/^[a-z0-9_:-]{1,40}$/i, "exitReason must be a reason such as stop_loss or take_profit")
    .optional(),
  from: epochMs("from").optional(),
  to: epochMs("to").optional(),
};

export const tradeFilterSchema = z.object(tradeFilterShape).strict();

export const tradeListSchema = z
  .object({
    ...tradeFilterShape,
    sort: z
      .object({
        by: z.enum(SORT_BYS, { error: `sort.by must be one of ${SORT_BYS.join(", ")}` }),
        dir: z.enum(["asc", "desc"], { error: "sort.dir must be asc or desc" }),
      })
      .strict()
      .default({ by: "exitTime", dir: "desc" }),
    page: z.number().int("page must be a whole number").min(1, "page starts at 1").max(1_000_000, "page is absurdly deep").optional(),
    pageSize: z.number().int("pageSize must be a whole number").min(1, "pageSize must be at least 1").max(200, "pageSize must be at most 200").default(50),
    cursor: text("cursor", { max: 500, trim: false }).optional(),
    withTotals: z.boolean().default(true),
  })
  .strict()
  .refine((v) => !(v.cursor && v.page !== undefined), { message: "give either page or cursor, not both" });

export const tradesRouter = router({
  list: viewerProcedure.input(tradeListSchema).query(({ input }) => listTrades(input)),
  totals: viewerProcedure.input(tradeFilterSchema).query(({ input }) => totalsFor(input)),
  detail: viewerProcedure.input(z.object({ id: text("id", { min: 1, max: 120, person: true }) }).strict()).query(({ input }) => tradeDetail(input.id)),
  facets: viewerProcedure.query(() => tradeFacets()),
});

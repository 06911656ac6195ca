/**
 * audit: the append-only log of manual actions (viewer). Read-only on purpose: there is no procedure that updates
 * or deletes an entry (DESIGN.md invariant 7).
 */
import { z } from "zod";
import { auditFacets, listAudit } from "../../services/audit";
import { EPOCH_MS_MAX, symbolSchema, text } from "../../core/input-schemas";
import { router, viewerProcedure } from "../trpc";

const filterText = (what: string) => text(what, { min: 1, max: 100, person: true });
const epochMs = (what: string) =>
  z
    .number({ error: `${what} must be a time in epoch milliseconds` })
    .int(`${what} must be whole milliseconds`)
    .min(0)
    .max(EPOCH_MS_MAX);

export const auditRouter = router({
  list: viewerProcedure
    .input(
      z
        .object({
          actor: filterText("actor").optional(),
          action: filterText("action").optional(),
          symbol: symbolSchema.optional(),
          result: z.enum(["OK", "REFUSED", "ERROR"], { error: "result must be OK, REFUSED or ERROR" }).optional(),
          from: epochMs("from").optional(),
          to: epochMs("to").optional(),
          limit: z.number().int().min(1, "limit must be at least 1").max(500, "limit must be at most 500").default(100),
          cursor: z.number().int().positive("cursor must be an entry id").nullish(),
          /** Sent by tRPC's infinite queries; pages only go to older entries. */
          direction: z.enum(["forward", "backward"]).optional(),
        })
        .strict()
        .refine((v) => v.from === undefined || v.to === undefined || v.from < v.to, { message: "from must be before to", path: ["to"] }),
    )
    .query(({ input }) => listAudit({ ...input, cursor: input.cursor ?? undefined })),
  facets: viewerProcedure.query(() => auditFacets()),
});

/** alerts: the alert center's occurrences and badge counts (viewer), and acknowledging one with a reason (trader, audited). */
import { z } from "zod";
import { ALERT_KINDS, ALERT_SEVERITIES } from "../../core/alerts";
import { idempotencyKeySchema, requiredReasonSchema } from "../../core/input-schemas";
import { acknowledgeAlert, alertHistory, alertSummary, listAlerts } from "../../services/alerts";
import { router, traderProcedure, viewerProcedure } from "../trpc";

const alertId = z.string({ error: "id must be the id of an alert" }).regex(/^[A-Za-z0-9._-]{1,80}$/, "id must be the id of an alert (letters, digits, . _ -)");

export const alertsRouter = router({
  list: viewerProcedure
    .input(
      z
        .object({
          severity: z.enum(ALERT_SEVERITIES, { error: `severity must be one of ${ALERT_SEVERITIES.join(", ")}` }).optional(),
          kind: z.enum(ALERT_KINDS, { error: `kind must be one of ${ALERT_KINDS.join(", ")}` }).optional(),
          limit: z.number().int("limit must be a whole number").min(1, "limit must be 1 to 500").max(500, "limit must be 1 to 500").default(200),
        })
        .strict()
        .default({ limit: 200 }),
    )
    .query(({ input }) => listAlerts(input)),
  summary: viewerProcedure.query(() => alertSummary()),
  history: viewerProcedure.input(z.object({ id: alertId }).strict()).query(({ input }) => alertHistory(input.id)),
  acknowledge: traderProcedure
    .input(z.object({ id: alertId, reason: requiredReasonSchema, idempotencyKey: idempotencyKeySchema }).strict())
    .mutation(({ ctx, input }) => acknowledgeAlert(input.id, ctx.actor, input.reason)),
});

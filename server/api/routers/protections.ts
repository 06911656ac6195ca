/** protections: the locks in force and the recent firings (viewer), and lifting a lock with a reason (admin, audited). */
import { z } from "zod";
import { idempotencyKeySchema, requiredReasonSchema } from "../../core/input-schemas";
import { scopeLabel } from "../../core/protection/types";
import { requireEngine, runCommand } from "../../services/engine";
import { adminProcedure, router, viewerProcedure } from "../trpc";

export const protectionsRouter = router({
  list: viewerProcedure.query(() => {
    const { locks, firings } = requireEngine().protections();
    // scopeLabel: the page shows the scope as core names it (components may not import core).
    return {
      locks: locks.map((lock) => ({
        id: lock.id,
        rule: lock.rule,
        scope: lock.scope,
        scopeLabel: scopeLabel(lock.scope),
        since: lock.since,
        until: lock.until,
        reason: lock.reason,
      })),
      firings: firings.map((f) => ({
        rule: f.rule,
        scope: f.scope,
        scopeLabel: scopeLabel(f.scope),
        ts: f.ts,
        action: f.action,
        lockMinutes: f.lockMinutes,
        message: f.message,
      })),
    };
  }),
  lift: adminProcedure
    .input(
      z
        .object({
          lockId: z
            .string({ error: "lockId must be the id of a lock" })
            .min(1, "lockId must be the id of a lock")
            .max(100, "lockId must be at most 100 characters"),
          reason: requiredReasonSchema,
          idempotencyKey: idempotencyKeySchema,
        })
        .strict(),
    )
    .mutation(({ ctx, input }) => runCommand({ kind: "liftProtectionLock", lockId: input.lockId, actor: ctx.actor, reason: input.reason })),
});

"use client";
/** One venue's own controls on a desk with several: pause/resume entries there, cancel its open orders, halt it (the others trade on). */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCan } from "../trpc/session";
import { useTRPC } from "../trpc/client";
import { ConfirmAction } from "../ui/confirm-dialog";

export function VenueControls({ venue, state, openOrders }: { venue: string; state: string; openOrders: number }) {
  const trpc = useTRPC();
  const canTrade = useCan("trader");
  const queryClient = useQueryClient();
  const refresh = () => void queryClient.invalidateQueries();
  const pause = useMutation(trpc.breaker.pause.mutationOptions());
  const resume = useMutation(trpc.breaker.resume.mutationOptions());
  const halt = useMutation(trpc.breaker.emergencyStop.mutationOptions());
  const cancelAll = useMutation(trpc.orders.cancelAll.mutationOptions());
  const [flatten, setFlatten] = useState(false);
  if (!canTrade) return <span className="muted">—</span>;
  return (
    <span className="controls">
      {state === "ACTIVE" ? (
        <ConfirmAction
          label="Pause"
          ariaLabel={`Pause entries on ${venue}`}
          title={`Pause entries on ${venue}`}
          description={`No new entries are sent to ${venue}; orders that reduce still are, and the other venues trade on.`}
          confirmLabel="Pause"
          reason="optional"
          onConfirm={async (reason, idempotencyKey) => {
            await pause.mutateAsync({ venue, reason, idempotencyKey });
            refresh();
          }}
        />
      ) : (
        <ConfirmAction
          label="Resume"
          ariaLabel={`Resume ${venue}`}
          title={`Resume ${venue}`}
          description={`New orders may be sent to ${venue} again.`}
          confirmLabel="Resume"
          reason="optional"
          onConfirm={async (reason, idempotencyKey) => {
            await resume.mutateAsync({ venue, reason, idempotencyKey });
            refresh();
          }}
        />
      )}
      <ConfirmAction
        label="Cancel all"
        ariaLabel={`Cancel all open orders on ${venue}`}
        title={`Cancel all open orders on ${venue}`}
        description={`Cancels the ${openOrders} open order(s) at ${venue}. Orders at the other venues stay.`}
        confirmLabel="Cancel them"
        destructive
        reason="required"
        disabled={openOrders === 0}
        onConfirm={async (reason, idempotencyKey) => {
          await cancelAll.mutateAsync({ venue, reason, idempotencyKey });
          refresh();
        }}
      />
      {state !== "HALTED" ? (
        <ConfirmAction
          label="Halt"
          ariaLabel={`Halt ${venue}`}
          title={`Halt ${venue}`}
          description={
            <>
              No new order goes to {venue} until it is resumed; its open orders are canceled
              {flatten ? " and its positions closed with reduce-only market orders" : ""}. The other venues trade on.
            </>
          }
          confirmLabel={`Halt ${venue}`}
          destructive
          reason="required"
          onConfirm={async (reason, idempotencyKey) => {
            await halt.mutateAsync({ venue, reason, flatten, idempotencyKey });
            refresh();
          }}
        >
          <label className="check">
            <input type="checkbox" checked={flatten} onChange={(e) => setFlatten(e.target.checked)} /> Also flatten the positions at {venue}
          </label>
        </ConfirmAction>
      ) : null}
    </span>
  );
}

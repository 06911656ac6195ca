"use client";
/** The desk's global controls: emergency stop (always visible), pause/resume entries, trip and reset the breaker. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCan } from "../trpc/session";
import { useTRPC } from "../trpc/client";
import { ConfirmAction } from "../ui/confirm-dialog";

function useRefresh() {
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries();
}

export function EmergencyStopButton() {
  const trpc = useTRPC();
  const canTrade = useCan("trader");
  const refresh = useRefresh();
  const [flatten, setFlatten] = useState(true);
  const [pulled, setPulled] = useState(false);
  const stop = useMutation(trpc.breaker.emergencyStop.mutationOptions());
  // The progress comes from the live status (cancels at a real venue are confirmed after the click returns). A stop
  // that is still running shows its progress to everyone, also to whoever presses again (it is not started twice).
  const status = useQuery(trpc.breaker.status.queryOptions(undefined, { enabled: canTrade }));
  const emergency = status.data?.emergency ?? null;
  const running = emergency !== null && emergency.step !== "done";
  const progress = pulled || running ? (emergency?.message ?? null) : null;
  if (!canTrade) return null;
  return (
    <span className="estop">
      <ConfirmAction
        label="EMERGENCY STOP"
        className="btn danger estop-btn"
        title="Emergency stop"
        description={
          <>
            Halts trading (latched until an admin resets it), cancels every open order on every venue
            {flatten ? ", and closes every position with reduce-only market orders" : ""}.
          </>
        }
        confirmLabel="Stop everything"
        destructive
        reason="required"
        onConfirm={async (reason, idempotencyKey) => {
          await stop.mutateAsync({ reason, flatten, idempotencyKey });
          setPulled(true);
          refresh();
        }}
      >
        <label className="check">
          <input type="checkbox" checked={flatten} onChange={(e) => setFlatten(e.target.checked)} /> Also flatten every position
        </label>
      </ConfirmAction>
      {progress ? (
        <span className="estop-progress" role="status">
          {running ? "Emergency stop running: " : ""}
          {progress}
        </span>
      ) : null}
    </span>
  );
}

export function TradingControls() {
  const trpc = useTRPC();
  const canTrade = useCan("trader");
  const isAdmin = useCan("admin");
  const refresh = useRefresh();
  const status = useQuery(trpc.breaker.status.queryOptions());
  const pause = useMutation(trpc.breaker.pause.mutationOptions());
  const resume = useMutation(trpc.breaker.resume.mutationOptions());
  const trip = useMutation(trpc.breaker.trip.mutationOptions());
  const reset = useMutation(trpc.breaker.reset.mutationOptions());
  const state = status.data?.tradingState;
  if (!canTrade) return null;
  return (
    <div className="controls">
      {state === "ACTIVE" ? (
        <ConfirmAction
          label="Pause entries"
          title="Pause entries"
          description="Only orders that reduce exposure will be allowed until you resume."
          confirmLabel="Pause"
          reason="optional"
          onConfirm={async (reason, idempotencyKey) => {
            await pause.mutateAsync({ reason, idempotencyKey });
            refresh();
          }}
        />
      ) : null}
      {state === "REDUCING" ? (
        <ConfirmAction
          label="Resume"
          title="Resume entries"
          description="New positions may be opened again."
          confirmLabel="Resume"
          reason="optional"
          onConfirm={async (reason, idempotencyKey) => {
            await resume.mutateAsync({ reason, idempotencyKey });
            refresh();
          }}
        />
      ) : null}
      {status.data?.breaker?.state === "CLOSED" && state !== "HALTED" ? (
        <ConfirmAction
          label="Trip breaker"
          title="Trip the circuit breaker"
          description="Halts trading and runs the breaker's configured action. Only an admin can reset it."
          confirmLabel="Trip"
          destructive
          reason="required"
          onConfirm={async (reason, idempotencyKey) => {
            await trip.mutateAsync({ reason, idempotencyKey });
            refresh();
          }}
        />
      ) : null}
      {state === "HALTED" && isAdmin ? (
        <ConfirmAction
          label="Reset breaker"
          title="Reset the breaker"
          description="Trading becomes ACTIVE again. Say why it is safe."
          confirmLabel="Reset"
          reason="required"
          onConfirm={async (reason, idempotencyKey) => {
            await reset.mutateAsync({ reason, force: true, idempotencyKey });
            refresh();
          }}
        />
      ) : null}
    </div>
  );
}

"use client";
/**
 * The Risk page's Protections panel: the locks in force (which rule, on what, since and until when, why) with a
 * "Lift" button for admins (confirmed, with a required reason that goes to the audit log), and the recent firings.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../trpc/client";
import { useCan } from "../trpc/session";
import { ConfirmAction } from "../ui/confirm-dialog";
import { DataTable } from "../ui/data-table";
import { fmtTime } from "../ui/format";
import { Badge, Empty, ErrorText, Loading, Panel } from "../ui/kit";

/** Firings listed before "Show all" (the engine keeps the last 50). */
const FIRINGS_SHOWN = 10;

export function ProtectionsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan("admin");
  const list = useQuery(trpc.protections.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const lift = useMutation(trpc.protections.lift.mutationOptions());
  const [notice, setNotice] = useState<string | null>(null);
  const [allFirings, setAllFirings] = useState(false);
  if (list.error) return <ErrorText error={list.error} />;
  if (!list.data) return <Loading />;
  const { locks, firings } = list.data;
  // A busy replay fires dozens of alerts: the newest few by default keep the rest of the Risk page within reach.
  const shownFirings = allFirings ? firings : firings.slice(0, FIRINGS_SHOWN);
  return (
    <Panel title={`Protections${locks.length > 0 ? ` (${locks.length} lock${locks.length > 1 ? "s" : ""})` : ""}`} id="risk-protections">
      {notice ? (
        <p className="recon-notice" role="status">
          {notice}
        </p>
      ) : null}
      <h3>Active locks</h3>
      {locks.length === 0 ? (
        <Empty>No lock: new entries are not held back by a protection.</Empty>
      ) : (
        <DataTable
          label="Active protection locks"
          rows={locks}
          rowKey={(lock) => lock.id}
          columns={[
            { key: "rule", header: "Rule", cell: (lock) => <Badge tone="warn">{lock.rule}</Badge> },
            { key: "scope", header: "On", cell: (lock) => lock.scopeLabel },
            { key: "since", header: "Since (UTC)", cellClassName: "mono", cell: (lock) => fmtTime(lock.since) },
            { key: "until", header: "Until (UTC)", cellClassName: "mono", cell: (lock) => (lock.until === null ? "until lifted" : fmtTime(lock.until)) },
            { key: "reason", header: "Reason", cell: (lock) => lock.reason },
            ...(isAdmin
              ? [
                  {
                    key: "lift",
                    header: "",
                    cellClassName: "row-actions",
                    cell: (lock: (typeof locks)[number]) => (
                      <ConfirmAction
                        label="Lift"
                        ariaLabel={`Lift lock ${lock.rule} on ${lock.scopeLabel}`}
                        title={`Lift lock ${lock.rule} on ${lock.scopeLabel}`}
                        description={<>New entries on {lock.scopeLabel} are allowed again at once. The reason goes to the audit log.</>}
                        confirmLabel="Lift lock"
                        destructive
                        reason="required"
                        onConfirm={async (reason, idempotencyKey) => {
                          const result = await lift.mutateAsync({ lockId: lock.id, reason, idempotencyKey });
                          setNotice(result.message);
                          void queryClient.invalidateQueries();
                        }}
                      />
                    ),
                  },
                ]
              : []),
          ]}
        />
      )}
      <h3>Recent firings</h3>
      {firings.length === 0 ? (
        <Empty>No protection has fired.</Empty>
      ) : (
        <DataTable
          label="Recent protection firings"
          rows={shownFirings.map((f, i) => ({ ...f, key: `${f.ts}-${f.rule}-${i}` }))}
          rowKey={(f) => f.key}
          columns={[
            { key: "ts", header: "When (UTC)", cellClassName: "mono", cell: (f) => fmtTime(f.ts) },
            { key: "rule", header: "Rule", cell: (f) => f.rule },
            { key: "scope", header: "On", cell: (f) => f.scopeLabel },
            { key: "action", header: "Action", cell: (f) => <Badge tone={f.action === "ALERT" ? "info" : "bad"}>{f.action}</Badge> },
            { key: "message", header: "What happened", cell: (f) => f.message },
          ]}
        />
      )}
      {firings.length > FIRINGS_SHOWN ? (
        <p>
          <button type="button" className="btn" aria-expanded={allFirings} onClick={() => setAllFirings(!allFirings)}>
            {allFirings ? `Show the ${FIRINGS_SHOWN} newest` : `Show all ${firings.length} firings`}
          </button>
        </p>
      ) : null}
    </Panel>
  );
}

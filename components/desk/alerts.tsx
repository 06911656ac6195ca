"use client";
/**
 * The alert center: the header badge (unacknowledged alerts, coloured by the worst of them, a link to the page) and the
 * Alerts page — active alerts (not acknowledged yet; an acknowledge button for traders, confirmed, with a required
 * reason that goes to the audit log) and the history of acknowledged ones, both filtered by severity and kind.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "../trpc/client";
import { useCan } from "../trpc/session";
import { ConfirmAction } from "../ui/confirm-dialog";
import { DataTable } from "../ui/data-table";
import { fmtTime } from "../ui/format";
import { Badge, Empty, ErrorText, Loading, Panel, type BadgeTone } from "../ui/kit";
import { alertBadgeName } from "./alert-words";

type AlertRow = inferRouterOutputs<AppRouter>["alerts"]["list"]["active"][number];

const SEVERITIES = ["critical", "warning", "info"] as const;
const KINDS = ["SLIPPAGE", "LATENCY", "FILL_RATE", "BALANCE", "CONNECTIVITY", "PROTECTION", "BREAKER", "IN_DOUBT"] as const;
const KIND_WORDS: Record<string, string> = {
  SLIPPAGE: "slippage",
  LATENCY: "latency",
  FILL_RATE: "fill rate",
  BALANCE: "balance",
  CONNECTIVITY: "connectivity",
  PROTECTION: "protection",
  BREAKER: "breaker",
  IN_DOUBT: "order in doubt",
};
const SEVERITY_TONE: Record<string, BadgeTone> = { critical: "bad", warning: "warn", info: "info" };

export function AlertBadge() {
  const trpc = useTRPC();
  // Live events refresh it; the interval is the fallback while the stream reconnects.
  const summary = useQuery(trpc.alerts.summary.queryOptions(undefined, { refetchInterval: 5_000, retry: false }));
  if (!summary.data) return null;
  const { total, bySeverity, highest } = summary.data;
  const name = alertBadgeName(total, bySeverity);
  return (
    <Link href="/alerts" className={`alert-badge ${total === 0 ? "none" : (highest ?? "info")}`} aria-label={name} title={name}>
      <span aria-hidden="true">{total === 0 ? "ALERTS 0" : `ALERTS ${total}`}</span>
    </Link>
  );
}

function SeverityBadge({ severity }: { severity: string }) {
  return <Badge tone={SEVERITY_TONE[severity] ?? "muted"}>{severity}</Badge>;
}

function AcknowledgeButton({ alert, onDone }: { alert: AlertRow; onDone: (message: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const acknowledge = useMutation(trpc.alerts.acknowledge.mutationOptions());
  return (
    <ConfirmAction
      label="Acknowledge"
      ariaLabel={`Acknowledge ${alert.title}`}
      title={`Acknowledge: ${alert.title}`}
      description={
        <>
          The alert leaves the active list and the header count; it stays in the history with your name and reason. If it happens again, it comes back as a new
          alert.
        </>
      }
      confirmLabel="Acknowledge"
      reason="required"
      onConfirm={async (reason, idempotencyKey) => {
        const result = await acknowledge.mutateAsync({ id: alert.id, reason, idempotencyKey });
        onDone(result.message);
        void queryClient.invalidateQueries({ queryKey: [["alerts"]] });
      }}
    />
  );
}

export function AlertsView() {
  const trpc = useTRPC();
  const canAcknowledge = useCan("trader");
  const [severity, setSeverity] = useState<"" | (typeof SEVERITIES)[number]>("");
  const [kind, setKind] = useState<"" | (typeof KINDS)[number]>("");
  const [notice, setNotice] = useState<string | null>(null);
  const filter = { ...(severity ? { severity } : {}), ...(kind ? { kind } : {}) };
  const list = useQuery(trpc.alerts.list.queryOptions(filter, { refetchInterval: 5_000 }));

  const common = [
    { key: "severity", header: "Severity", cell: (a: AlertRow) => <SeverityBadge severity={a.severity} /> },
    { key: "kind", header: "Kind", cell: (a: AlertRow) => KIND_WORDS[a.kind] ?? a.kind },
    {
      key: "title",
      header: "Alert",
      rowHeader: true,
      cellClassName: "keep-case alert-title",
      cell: (a: AlertRow) => (
        <>
          {a.title}
          <span className="alert-message">{a.message}</span>
        </>
      ),
    },
    { key: "count", header: "Count", numeric: true, cell: (a: AlertRow) => a.count },
    { key: "first", header: "First seen (UTC)", cellClassName: "mono", cell: (a: AlertRow) => fmtTime(a.firstSeen) },
    { key: "last", header: "Last seen (UTC)", cellClassName: "mono", cell: (a: AlertRow) => fmtTime(a.lastSeen) },
    {
      key: "status",
      header: "Status",
      cell: (a: AlertRow) => (a.status === "ACTIVE" ? <Badge tone="warn">active</Badge> : <Badge tone="ok">resolved {fmtTime(a.resolvedAt)}</Badge>),
    },
  ];

  return (
    <>
      <h1 className="page-title">Alerts</h1>
      <p className="muted perf-note">
        One alert per condition: a repeat counts on it (first and last seen, count, the worst severity) until someone acknowledges it. High slippage, slow order
        answers, limit orders that stop filling, balance differences found by reconciliation, lost connections, protections, the breaker and orders in doubt all
        land here.
      </p>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Alert filters">
        <label className="field">
          <span>Severity</span>
          <select value={severity} onChange={(e) => setSeverity(e.target.value as typeof severity)}>
            <option value="">All severities</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Kind</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
            <option value="">All kinds</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_WORDS[k]}
              </option>
            ))}
          </select>
        </label>
      </form>
      {notice ? (
        <p className="recon-notice" role="status">
          {notice}
        </p>
      ) : null}
      {list.error ? <ErrorText error={list.error} /> : null}
      {!list.data ? (
        list.error ? null : (
          <Loading />
        )
      ) : (
        <>
          <Panel title={`Active (${list.data.active.length})`} id="alerts-active">
            {list.data.active.length === 0 ? (
              <Empty>No alert waits for acknowledgement{severity || kind ? " with these filters" : ""}.</Empty>
            ) : (
              <DataTable
                label="Active alerts"
                className="alerts-table"
                rows={list.data.active}
                rowKey={(a) => a.id}
                columns={[
                  ...common,
                  ...(canAcknowledge
                    ? [{ key: "ack", header: "", cellClassName: "row-actions", cell: (a: AlertRow) => <AcknowledgeButton alert={a} onDone={setNotice} /> }]
                    : []),
                ]}
              />
            )}
          </Panel>
          <Panel title="History" id="alerts-history">
            {list.data.history.length === 0 ? (
              <Empty>No alert has been acknowledged{severity || kind ? " with these filters" : ""}.</Empty>
            ) : (
              <DataTable
                label="Acknowledged alerts"
                className="alerts-table"
                rows={list.data.history}
                rowKey={(a) => a.id}
                columns={[
                  ...common,
                  { key: "ackAt", header: "Acknowledged (UTC)", cellClassName: "mono", cell: (a: AlertRow) => fmtTime(a.acknowledgedAt) },
                  { key: "ackBy", header: "By", cell: (a: AlertRow) => a.acknowledgedBy ?? "" },
                  { key: "why", header: "Why", cell: (a: AlertRow) => a.acknowledgeReason ?? "" },
                ]}
              />
            )}
          </Panel>
        </>
      )}
    </>
  );
}

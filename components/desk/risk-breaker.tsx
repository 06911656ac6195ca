"use client";
/** The breaker on the risk page: state, config (admins edit it), and the history of trips, resets and state changes. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { RiskSummaryOut as RiskSummary } from "@/components/trpc/types";
import { useTRPC } from "../trpc/client";
import { Can } from "../trpc/session";
import { fmtDuration, fmtTime } from "../ui/format";
import { DataTable } from "../ui/data-table";
import { Badge, Empty, ErrorText, Loading, Panel } from "../ui/kit";
import { BreakerConfigTable, EditBreakerConfig } from "./risk-settings";

type Breaker = NonNullable<RiskSummary["breaker"]>;
type Config = NonNullable<RiskSummary["breakerConfig"]>;

export function BreakerPanel({ breaker, config, tradingState }: { breaker: Breaker | null; config: Config | null; tradingState: string }) {
  if (!breaker || !config) {
    return (
      <Panel title="Circuit breaker">
        <Empty>The breaker is off in this mode.</Empty>
      </Panel>
    );
  }
  const open = breaker.state === "OPEN";
  return (
    <Panel
      title="Circuit breaker"
      actions={
        <Can role="admin">
          <EditBreakerConfig config={config} />
        </Can>
      }
    >
      <table className="data risk-kv">
        <tbody>
          <tr>
            <th scope="row">State</th>
            <td>
              <Badge tone={open ? "bad" : "ok"}>{open ? "■ OPEN (tripped)" : "● CLOSED (armed)"}</Badge> <span className="muted">trading {tradingState}</span>
            </td>
          </tr>
          {open ? (
            <>
              <tr>
                <th scope="row">Why</th>
                <td>
                  {breaker.reason}: {breaker.message}
                </td>
              </tr>
              <tr>
                <th scope="row">Tripped</th>
                <td className="mono">
                  {fmtTime(breaker.trippedAt)} by {breaker.trippedBy}
                </td>
              </tr>
              <tr>
                <th scope="row">Action</th>
                <td>{breaker.action}</td>
              </tr>
              <tr>
                <th scope="row">Reset</th>
                <td>
                  {breaker.resetsAt ? `automatic at ${fmtTime(breaker.resetsAt)}` : "by an admin"}
                  {breaker.cooldownRemainingMs > 0 ? `; cooldown ${fmtDuration(breaker.cooldownRemainingMs)} left` : ""}
                </td>
              </tr>
            </>
          ) : null}
        </tbody>
      </table>
      <h3 className="risk-subhead">Configuration</h3>
      <BreakerConfigTable config={config} />
    </Panel>
  );
}

const KIND_TONE = { TRIP: "bad", RESET: "ok", STATE: "info" } as const;
const KIND_WORD = { TRIP: "■ Trip", RESET: "● Reset", STATE: "State" } as const;

export function BreakerHistory() {
  const trpc = useTRPC();
  const [kind, setKind] = useState<"" | "TRIP" | "RESET" | "STATE">("");
  const [pages, setPages] = useState<(number | undefined)[]>([undefined]);
  const beforeId = pages[pages.length - 1];
  const history = useQuery(trpc.risk.breakerHistory.queryOptions({ limit: 25, ...(beforeId !== undefined && { beforeId }), ...(kind && { kinds: [kind] }) }));
  return (
    <Panel
      title="Breaker history"
      actions={
        <label className="risk-inline">
          <select
            className="input"
            value={kind}
            onChange={(e) => {
              setKind(e.target.value as typeof kind);
              setPages([undefined]);
            }}
            aria-label="Show events of kind"
          >
            <option value="">All events</option>
            <option value="TRIP">Trips</option>
            <option value="RESET">Resets</option>
            <option value="STATE">Trading state changes</option>
          </select>
        </label>
      }
    >
      {history.error ? <ErrorText error={history.error} /> : null}
      {!history.data ? (
        history.error ? null : (
          <Loading />
        )
      ) : history.data.events.length === 0 ? (
        <Empty>No trips, resets or state changes yet.</Empty>
      ) : (
        <DataTable
          className="risk-history"
          rows={history.data.events}
          rowKey={(e) => e.id}
          columns={[
            { key: "time", header: "Time (UTC)", cellClassName: "mono", cell: (e) => fmtTime(e.ts) },
            {
              key: "event",
              header: "Event",
              cell: (e) => <Badge tone={e.kind === "STATE" && e.reason === "HALTED" ? "bad" : KIND_TONE[e.kind]}>{KIND_WORD[e.kind]}</Badge>,
            },
            { key: "reason", header: "Reason", cell: (e) => e.reason },
            { key: "by", header: "By", cell: (e) => e.by },
            { key: "action", header: "Action", cell: (e) => e.action ?? <span className="muted">—</span> },
            { key: "message", header: "Message", cellClassName: "risk-message", cell: (e) => e.message },
          ]}
        />
      )}
      <div className="pager">
        <button type="button" className="btn small" disabled={pages.length <= 1} onClick={() => setPages((p) => p.slice(0, -1))}>
          ← Newer
        </button>
        <button type="button" className="btn small" disabled={!history.data?.nextBeforeId} onClick={() => setPages((p) => [...p, history.data!.nextBeforeId!])}>
          Older →
        </button>
      </div>
    </Panel>
  );
}

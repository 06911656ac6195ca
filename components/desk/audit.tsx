"use client";
/**
 * Audit: the append-only log of every manual action — who, when, what, why and the result — newest first, with
 * filters and "Load more". Nothing here (or anywhere in the API) edits or deletes an entry.
 */
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../trpc/client";
import { AttributionSelects, useAttributionFilter } from "./attribution-filters";

const AUDIT_FILTERS = ["symbol"] as const;
import { fmtTime } from "../ui/format";
import { DataTable } from "../ui/data-table";
import { Badge, Empty, ErrorText, Loading, Panel } from "../ui/kit";
import { LoadMore } from "../ui/pager";

const PAGE = 100;

/** "2024-05-01" (a UTC day) → epoch ms at its start; "" → undefined. */
function dayMs(value: string, plusDays = 0): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) ? ms + plusDays * 86_400_000 : undefined;
}

function ResultBadge({ result }: { result: string }) {
  const tone = result === "OK" ? "ok" : result === "REFUSED" ? "warn" : "bad";
  return <Badge tone={tone}>{result}</Badge>;
}

export function AuditView() {
  const trpc = useTRPC();
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  const [result, setResult] = useState<"" | "OK" | "REFUSED" | "ERROR">("");
  const [fromDay, setFromDay] = useState("");
  const [toDay, setToDay] = useState("");
  const facets = useQuery(trpc.audit.facets.queryOptions(undefined, { staleTime: 30_000 }));
  // Audit entries are people's actions: they have a symbol (target or params) but no venue or strategy to filter by.
  const symbolFilter = useAttributionFilter(AUDIT_FILTERS);
  const from = dayMs(fromDay);
  const to = dayMs(toDay, 1);
  const badRange = from !== undefined && to !== undefined && from >= to;
  const input = {
    limit: PAGE,
    ...(actor ? { actor } : {}),
    ...(action ? { action } : {}),
    ...symbolFilter.input,
    ...(result ? { result } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined && !badRange ? { to } : {}),
  };
  const list = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(input, {
      getNextPageParam: (last) => last.nextCursor ?? undefined,
      // New entries appear without live events for every kind of action: poll the first page gently.
      refetchInterval: 15_000,
    }),
  );
  const entries = list.data?.pages.flatMap((p) => p.entries) ?? [];
  const filtered = Boolean(actor || action || result || fromDay || toDay || symbolFilter.active);

  return (
    <>
      <h1 className="page-title">Audit log</h1>
      <p className="muted perf-note">
        Every manual action — closes, cancels, orders, pause/resume, emergency stops, breaker trips and resets, limit and settings changes, sign-ins, user
        changes, backtest runs — with who did it, when (UTC), why, and what happened. The log is append-only: entries cannot be edited or deleted, from the desk
        or through the API.
      </p>
      <Panel title="Entries">
        <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter the audit log">
          <AttributionSelects
            keys={AUDIT_FILTERS}
            value={symbolFilter.value}
            facets={{ symbols: facets.data?.symbols ?? [] }}
            onChange={symbolFilter.set}
            clearButton={false}
          />
          <label className="field">
            <span>Who</span>
            <select value={actor} onChange={(e) => setActor(e.target.value)}>
              <option value="">Anyone</option>
              {facets.data?.actors.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Action</span>
            <select value={action} onChange={(e) => setAction(e.target.value)}>
              <option value="">Any action</option>
              {facets.data?.actions.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Result</span>
            <select value={result} onChange={(e) => setResult(e.target.value as typeof result)}>
              <option value="">Any result</option>
              <option value="OK">OK</option>
              <option value="REFUSED">REFUSED</option>
              <option value="ERROR">ERROR</option>
            </select>
          </label>
          <label className="field">
            <span>From (UTC day)</span>
            <input type="date" value={fromDay} onChange={(e) => setFromDay(e.target.value)} />
          </label>
          <label className="field">
            <span>To (UTC day, inclusive)</span>
            <input type="date" value={toDay} onChange={(e) => setToDay(e.target.value)} />
          </label>
          {filtered ? (
            <button
              type="button"
              className="btn"
              onClick={() => {
                setActor("");
                setAction("");
                setResult("");
                setFromDay("");
                setToDay("");
                symbolFilter.set({ symbol: "" });
              }}
            >
              Clear filters
            </button>
          ) : null}
        </form>
        {badRange ? <p className="error">The start day is after the end day; the end is ignored.</p> : null}
        {list.error ? <ErrorText error={list.error} /> : null}
        {!list.data ? (
          list.error ? null : (
            <Loading />
          )
        ) : entries.length === 0 ? (
          <Empty>{filtered ? "No entries match these filters." : "No manual actions have been recorded yet."}</Empty>
        ) : (
          <>
            <DataTable
              className="audit-table"
              rows={entries}
              rowKey={(e) => e.id}
              columns={[
                { key: "time", header: "Time (UTC)", cellClassName: "mono", cell: (e) => fmtTime(e.ts) },
                {
                  key: "who",
                  header: "Who",
                  cellClassName: "nowrap",
                  cell: (e) => (
                    <>
                      {e.actor} <span className="muted">· {e.role}</span>
                    </>
                  ),
                },
                { key: "action", header: "Action", cellClassName: "mono", cell: (e) => e.action },
                { key: "target", header: "Target", cellClassName: "mono", cell: (e) => e.target ?? <span className="muted">—</span> },
                { key: "why", header: "Why", cellClassName: "audit-text", cell: (e) => e.reason ?? <span className="muted">—</span> },
                { key: "result", header: "Result", cell: (e) => <ResultBadge result={e.result} /> },
                { key: "detail", header: "Detail", cellClassName: "audit-text", cell: (e) => e.detail ?? <span className="muted">—</span> },
                { key: "params", header: "Params", cellClassName: "audit-text mono-soft", cell: (e) => e.paramsSummary ?? <span className="muted">—</span> },
              ]}
            />
            <LoadMore
              list={list}
              shown={
                <>
                  {entries.length.toLocaleString("en-US")} entries shown{list.hasNextPage ? "" : " · end of the log"}
                </>
              }
            />
          </>
        )}
      </Panel>
    </>
  );
}

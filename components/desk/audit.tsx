"use client";
/**
 * Audit: the append-only log of every manual action — who, when, what, why and the result — newest first, with
 * filters and "Load more". Nothing here (or anywhere in the API) edits or deletes an entry.
 */
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../trpc/client";
import { fmtTime } from "../ui/format";
import { Badge, Empty, ErrorText, Loading, Panel } from "../ui/kit";

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
  const from = dayMs(fromDay);
  const to = dayMs(toDay, 1);
  const badRange = from !== undefined && to !== undefined && from >= to;
  const input = {
    limit: PAGE,
    ...(actor ? { actor } : {}),
    ...(action ? { action } : {}),
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
  const filtered = Boolean(actor || action || result || fromDay || toDay);

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
            <div className="table-wrap">
              <table className="data audit-table">
                <thead>
                  <tr>
                    <th scope="col">Time (UTC)</th>
                    <th scope="col">Who</th>
                    <th scope="col">Action</th>
                    <th scope="col">Target</th>
                    <th scope="col">Why</th>
                    <th scope="col">Result</th>
                    <th scope="col">Detail</th>
                    <th scope="col">Params</th>
                  </tr>
                </thead>
                <tbody>
                  {entries.map((e) => (
                    <tr key={e.id}>
                      <td className="mono">{fmtTime(e.ts)}</td>
                      <td className="nowrap">
                        {e.actor} <span className="muted">· {e.role}</span>
                      </td>
                      <td className="mono">{e.action}</td>
                      <td className="mono">{e.target ?? <span className="muted">—</span>}</td>
                      <td className="audit-text">{e.reason ?? <span className="muted">—</span>}</td>
                      <td>
                        <ResultBadge result={e.result} />
                      </td>
                      <td className="audit-text">{e.detail ?? <span className="muted">—</span>}</td>
                      <td className="audit-text mono-soft">{e.paramsSummary ?? <span className="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div className="pager">
              <span className="muted">
                {entries.length.toLocaleString("en-US")} entries shown{list.hasNextPage ? "" : " · end of the log"}
              </span>
              {list.hasNextPage ? (
                <button type="button" className="btn" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
                  {list.isFetchingNextPage ? "Loading…" : "Load more"}
                </button>
              ) : null}
            </div>
          </>
        )}
      </Panel>
    </>
  );
}

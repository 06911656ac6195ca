"use client";
/**
 * History: closed trades with server-side filters, sorting and pagination (all in the URL, so a view can be shared),
 * exact totals for the whole filtered set, and a CSV export of the same set. Rows and totals are two queries:
 * the page shows rows as soon as they arrive, the totals bar when its sums are ready.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useMemo } from "react";
import { useTRPC } from "../trpc/client";
import type { RouterOutputs } from "../trpc/types";
import { fmtDuration, fmtNum, fmtPct, fmtTime, instrumentDecimals, moneyCurrencyOf } from "../ui/format";
import { DataTable } from "../ui/data-table";
import { asMoney, asPnl, ByCurrency, currencyHint, Empty, ErrorText, Loading, Money, Panel, Pnl, Stat } from "../ui/kit";
import { FacetSelect } from "../ui/facet-select";

/**
 * A time on two lines, day over time of day: the table's two time columns at half their width, so the exit reason
 * and the detail link fit a laptop's screen. The text stays "YYYY-MM-DD HH:MM:SS".
 */
function StackedTime({ ms }: { ms: number }) {
  const [day, time] = fmtTime(ms).split(" ");
  return (
    <span className="stacked-time">
      <span>{day}</span> {time !== undefined ? <span>{time}</span> : null}
    </span>
  );
}

const DAY = 86_400_000;
const SORTS = ["exitTime", "entryTime", "pnl", "pnlPct", "symbol", "duration"] as const;
type SortBy = (typeof SORTS)[number];
const PAGE_SIZES = [25, 50, 100, 200] as const;
/** Mirrors the server's cap (server/services/trades.ts MAX_OFFSET). */
const MAX_OFFSET = 500_000;

export const EXIT_REASON_LABELS: Record<string, string> = {
  take_profit: "Take profit",
  stop_loss: "Stop loss",
  trailing_stop: "Trailing stop",
  max_age: "Max age",
  signal: "Signal",
  manual: "Manual",
  emergency_stop: "Emergency stop",
  end_of_data: "End of data",
};

export function reasonLabel(reason: string): string {
  return EXIT_REASON_LABELS[reason] ?? reason.replace(/_/g, " ");
}

export function Outcome({ outcome }: { outcome: string }) {
  const cls = outcome === "WIN" ? "up" : outcome === "LOSS" ? "down" : "flat";
  const arrow = outcome === "WIN" ? "▲" : outcome === "LOSS" ? "▼" : "•";
  return (
    <span className={`pnl ${cls}`}>
      <span aria-hidden="true">{arrow} </span>
      {outcome === "BREAKEVEN" ? "EVEN" : outcome}
    </span>
  );
}

/** A UTC date (YYYY-MM-DD) → epoch ms at its start; undefined when empty or malformed. */
function dayStart(value: string | null): number | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

interface Query {
  venue: string;
  symbol: string;
  strategy: string;
  side: "" | "LONG" | "SHORT";
  outcome: "" | "WIN" | "LOSS" | "BREAKEVEN";
  reason: string;
  from: string;
  to: string;
  sort: SortBy;
  dir: "asc" | "desc";
  page: number;
  size: number;
}

function readQuery(params: URLSearchParams): Query {
  const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const v = params.get(name) as T | null;
    return v !== null && allowed.includes(v) ? v : fallback;
  };
  const page = Number(params.get("page") ?? 1);
  const size = Number(params.get("size") ?? 50);
  return {
    venue: params.get("venue") ?? "",
    symbol: params.get("symbol") ?? "",
    strategy: params.get("strategy") ?? "",
    side: pick("side", ["LONG", "SHORT"] as const, "" as "LONG"),
    outcome: pick("outcome", ["WIN", "LOSS", "BREAKEVEN"] as const, "" as "WIN"),
    reason: params.get("reason") ?? "",
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
    sort: pick("sort", SORTS, "exitTime"),
    dir: pick("dir", ["asc", "desc"] as const, "desc"),
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : 50,
  };
}

/** The URL for a query: defaults are left out so links stay short. */
function queryString(q: Query): string {
  const p = new URLSearchParams();
  if (q.venue) p.set("venue", q.venue);
  if (q.symbol) p.set("symbol", q.symbol);
  if (q.strategy) p.set("strategy", q.strategy);
  if (q.side) p.set("side", q.side);
  if (q.outcome) p.set("outcome", q.outcome);
  if (q.reason) p.set("reason", q.reason);
  if (q.from) p.set("from", q.from);
  if (q.to) p.set("to", q.to);
  if (q.sort !== "exitTime") p.set("sort", q.sort);
  if (q.dir !== "desc") p.set("dir", q.dir);
  if (q.page !== 1) p.set("page", String(q.page));
  if (q.size !== 50) p.set("size", String(q.size));
  const s = p.toString();
  return s ? `?${s}` : "";
}

export function HistoryView() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const q = useMemo(() => readQuery(new URLSearchParams(params.toString())), [params]);
  const go = (next: Partial<Query>, resetPage = true) => {
    const merged = { ...q, ...next, ...(resetPage && next.page === undefined ? { page: 1 } : {}) };
    router.replace(`${pathname}${queryString(merged)}`, { scroll: false });
  };

  const fromMs = dayStart(q.from);
  const toDay = dayStart(q.to);
  const toMs = toDay !== undefined ? toDay + DAY : undefined; // the "to" date is inclusive
  const badRange = fromMs !== undefined && toMs !== undefined && fromMs >= toMs;
  const filter = {
    ...(q.venue ? { venue: q.venue } : {}),
    ...(q.symbol ? { symbol: q.symbol } : {}),
    ...(q.strategy ? { strategy: q.strategy } : {}),
    ...(q.side ? { side: q.side } : {}),
    ...(q.outcome ? { outcome: q.outcome } : {}),
    ...(q.reason ? { exitReason: q.reason } : {}),
    ...(fromMs !== undefined && !badRange ? { from: fromMs } : {}),
    ...(toMs !== undefined && !badRange ? { to: toMs } : {}),
  };
  const facets = useQuery(trpc.trades.facets.queryOptions(undefined, { staleTime: 60_000 }));
  const list = useQuery(
    trpc.trades.list.queryOptions(
      { ...filter, sort: { by: q.sort, dir: q.dir }, page: q.page, pageSize: q.size, withTotals: false },
      { placeholderData: keepPreviousData },
    ),
  );
  const totals = useQuery(trpc.trades.totals.queryOptions(filter, { placeholderData: keepPreviousData }));

  const count = totals.data?.count ?? null;
  const lastPage = count !== null ? Math.max(1, Math.ceil(count / q.size)) : null;
  const deepest = Math.floor(MAX_OFFSET / q.size) + 1;
  const exportQuery = new URLSearchParams(Object.entries(filter).map(([k, v]) => [k, String(v)]));
  const filtered = Boolean(q.venue || q.symbol || q.strategy || q.side || q.outcome || q.reason || q.from || q.to);
  const symbols = facets.data?.symbols ?? [];
  const venues = facets.data?.venues ?? [];
  const strategies = facets.data?.strategies ?? [];
  const reasons = facets.data?.exitReasons ?? [];
  const rows = list.data?.rows ?? [];
  const instruments = list.data?.instruments ?? {};

  return (
    <>
      <h1 className="page-title">History</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Trade filters">
        <FacetSelect label="Venue" allLabel="All venues" value={q.venue} values={venues} onChange={(venue) => go({ venue })} />
        <FacetSelect label="Strategy" allLabel="All strategies" value={q.strategy} values={strategies} onChange={(strategy) => go({ strategy })} />
        <FacetSelect label="Symbol" allLabel="All symbols" value={q.symbol} values={symbols} onChange={(symbol) => go({ symbol })} />
        <label className="field">
          <span>Side</span>
          <select value={q.side} onChange={(e) => go({ side: e.target.value as Query["side"] })}>
            <option value="">Both sides</option>
            <option value="LONG">Long</option>
            <option value="SHORT">Short</option>
          </select>
        </label>
        <label className="field">
          <span>Outcome</span>
          <select value={q.outcome} onChange={(e) => go({ outcome: e.target.value as Query["outcome"] })}>
            <option value="">All outcomes</option>
            <option value="WIN">Win</option>
            <option value="LOSS">Loss</option>
            <option value="BREAKEVEN">Breakeven</option>
          </select>
        </label>
        <FacetSelect
          label="Exit reason"
          allLabel="All reasons"
          value={q.reason}
          values={reasons}
          optionLabel={reasonLabel}
          onChange={(reason) => go({ reason })}
        />
        <label className="field">
          <span>Exit from (UTC)</span>
          <input type="date" value={q.from} onChange={(e) => go({ from: e.target.value })} />
        </label>
        <label className="field">
          <span>Exit to (UTC, inclusive)</span>
          <input type="date" value={q.to} onChange={(e) => go({ to: e.target.value })} />
        </label>
        {filtered ? (
          <button
            type="button"
            className="btn"
            onClick={() => go({ venue: "", symbol: "", strategy: "", side: "", outcome: "", reason: "", from: "", to: "" })}
          >
            Clear filters
          </button>
        ) : null}
        <span className="spacer" />
        <a className="btn" href={`/api/trades/export${exportQuery.size ? `?${exportQuery.toString()}` : ""}`} download>
          Export CSV
        </a>
      </form>
      {badRange ? <p className="error">The start date is after the end date.</p> : null}

      <TotalsBar totals={totals.data ?? null} error={totals.error} loading={totals.isFetching} />

      <Panel title={filtered ? "Closed trades (filtered)" : "Closed trades"} actions={list.isFetching ? <span className="muted">Updating…</span> : null}>
        {list.error ? (
          <ErrorText error={list.error} />
        ) : !list.data ? (
          <Loading />
        ) : rows.length === 0 ? (
          <Empty>{filtered ? "No closed trades match these filters." : q.page > 1 ? "This page is past the last trade." : "No closed trades yet."}</Empty>
        ) : (
          <DataTable
            className="history-table"
            wrapClassName="history-table-wrap"
            label={`Closed trades, sorted by ${q.sort} ${q.dir === "asc" ? "ascending" : "descending"}`}
            rows={rows}
            rowKey={(t) => t.id}
            columns={[
              { key: "exitTime", ...sortHeader("Exit (UTC)", "exitTime", q, go), cellClassName: "mono", cell: (t) => <StackedTime ms={t.exitTime} /> },
              { key: "venue", header: "Venue", cell: (t) => t.venue ?? "—" },
              { key: "symbol", ...sortHeader("Symbol", "symbol", q, go), cell: (t) => t.symbol },
              { key: "strategy", header: "Strategy", cellClassName: "strategy-cell", cell: (t) => t.strategy },
              { key: "side", header: "Side", cellClassName: (t) => (t.side === "LONG" ? "side-buy" : "side-sell"), cell: (t) => t.side },
              { key: "qty", header: "Qty", numeric: true, cell: (t) => fmtNum(t.qty, instrumentDecimals(instruments[t.symbol], t.symbol).qty) },
              { key: "entry", header: "Entry", numeric: true, cell: (t) => fmtNum(t.entryPrice, instrumentDecimals(instruments[t.symbol], t.symbol).price) },
              { key: "exit", header: "Exit", numeric: true, cell: (t) => fmtNum(t.exitPrice, instrumentDecimals(instruments[t.symbol], t.symbol).price) },
              { key: "entryTime", ...sortHeader("Entry (UTC)", "entryTime", q, go), cellClassName: "mono", cell: (t) => <StackedTime ms={t.entryTime} /> },
              { key: "duration", ...sortHeader("Duration", "duration", q, go), numeric: true, cell: (t) => fmtDuration(t.durationMs) },
              // A trade's money is in its symbol's quote currency (an ADA/BTC trade's PnL at cents would show 0.00).
              { key: "fees", header: "Fees", numeric: true, cell: (t) => <Money value={t.fees} currency={moneyCurrencyOf(t.symbol)} /> },
              { key: "pnl", ...sortHeader("PnL", "pnl", q, go), numeric: true, cell: (t) => <Pnl value={t.pnl} currency={moneyCurrencyOf(t.symbol)} /> },
              { key: "pnlPct", ...sortHeader("PnL %", "pnlPct", q, go), numeric: true, cell: (t) => fmtPct(t.pnlPct, 2, true) },
              { key: "outcome", header: "Outcome", cell: (t) => <Outcome outcome={t.outcome} /> },
              { key: "reason", header: "Exit reason", cell: (t) => reasonLabel(t.exitReason) },
              {
                key: "detail",
                header: <span className="sr-only">Detail</span>,
                headerProps: { className: "sticky-actions" },
                cellClassName: "sticky-actions",
                cell: (t) => (
                  <Link href={`/history/${encodeURIComponent(t.id)}`} aria-label={`Detail of trade ${t.id}`}>
                    Detail
                  </Link>
                ),
              },
            ]}
          />
        )}
        <nav className="pager history-pager" aria-label="Pages">
          <label className="field pager-size">
            <span>Rows</span>
            <select value={q.size} onChange={(e) => go({ size: Number(e.target.value) })}>
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <span className="muted num-text">
            Page {q.page.toLocaleString("en-US")}
            {lastPage !== null ? ` of ${lastPage.toLocaleString("en-US")}` : ""}
          </span>
          <button type="button" className="btn" disabled={q.page <= 1} onClick={() => go({ page: 1 }, false)}>
            « First
          </button>
          <button type="button" className="btn" disabled={q.page <= 1} onClick={() => go({ page: q.page - 1 }, false)}>
            ‹ Prev
          </button>
          <button type="button" className="btn" disabled={!list.data?.nextCursor || q.page + 1 > deepest} onClick={() => go({ page: q.page + 1 }, false)}>
            Next ›
          </button>
          {lastPage !== null && lastPage <= deepest ? (
            <button type="button" className="btn" disabled={q.page >= lastPage} onClick={() => go({ page: lastPage }, false)}>
              Last »
            </button>
          ) : null}
        </nav>
      </Panel>
    </>
  );
}

/** A sortable column's header: a button that sorts by it (first click descending, then flips), and its `aria-sort`. */
function sortHeader(label: string, by: SortBy, q: Query, go: (next: Partial<Query>) => void) {
  const active = q.sort === by;
  const ariaSort = active ? (q.dir === "asc" ? "ascending" : "descending") : "none";
  // First click sorts descending (newest, largest first); a second click flips.
  const nextDir = active ? (q.dir === "asc" ? "desc" : "asc") : by === "symbol" ? "asc" : "desc";
  return {
    header: (
      <button type="button" className={`sort-btn${active ? " active" : ""}`} onClick={() => go({ sort: by, dir: nextDir })} title={`Sort by ${label}`}>
        {label}
        <span aria-hidden="true" className="sort-mark">
          {active ? (q.dir === "asc" ? " ▲" : " ▼") : " ↕"}
        </span>
      </button>
    ),
    headerProps: { "aria-sort": ariaSort } as const,
  };
}

type TotalsData = RouterOutputs["trades"]["totals"];

function TotalsBar({ totals, error, loading }: { totals: TotalsData | null; error: unknown; loading: boolean }) {
  if (error) return <ErrorText error={error} />;
  if (!totals) return <p className="muted history-totals-pending">{loading ? "Computing exact totals for this set…" : "—"}</p>;
  return (
    <div className="stats history-totals" aria-label="Totals for the filtered trades" aria-busy={loading}>
      <Stat label="Trades">
        <span className="num-text">{totals.count.toLocaleString("en-US")}</span>
      </Stat>
      <Stat
        label="Win rate"
        hint={`${totals.wins.toLocaleString("en-US")} W · ${totals.losses.toLocaleString("en-US")} L · ${totals.breakeven.toLocaleString("en-US")} even`}
      >
        {totals.winRatePct === null ? "—" : fmtPct(totals.winRatePct, 1)}
      </Stat>
      <Stat label="Net PnL" hint={currencyHint(totals.byCurrency, "after fees")}>
        <ByCurrency rows={totals.byCurrency} total={totals.netPnl} pick={(c) => c.netPnl} render={asPnl} />
      </Stat>
      <Stat label="Gross PnL" hint={currencyHint(totals.byCurrency, "before fees")}>
        <ByCurrency rows={totals.byCurrency} total={totals.grossPnl} pick={(c) => c.grossPnl} render={asPnl} />
      </Stat>
      <Stat label="Fees" hint={currencyHint(totals.byCurrency)}>
        <ByCurrency rows={totals.byCurrency} total={totals.fees} pick={(c) => c.fees} render={asMoney} />
      </Stat>
      <Stat label="Avg PnL" hint={totals.exact ? currencyHint(totals.byCurrency, "per trade") : "per trade · some rows approximate"}>
        <ByCurrency rows={totals.byCurrency} total={totals.avgPnl} pick={(c) => c.avgPnl} render={asPnl} />
      </Stat>
    </div>
  );
}

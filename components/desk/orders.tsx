"use client";
/**
 * Orders: the working orders (Cancel per row, Cancel all), a manual order form for traders (order-form.tsx: confirmed,
 * refusals in plain words), and every order ever sent with filters and "Load more" (cursor pagination by creation time).
 * An order id opens /orders/<id>: its fields, its journal timeline and its fills.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useMemo, useState } from "react";
import type { InstrumentOut, OrderOut } from "@/components/trpc/types";
import { useTRPC } from "../trpc/client";
import { useCan } from "../trpc/session";
import { decimalsOf, fmtNum, fmtTime } from "../ui/format";
import { LoadMore, Pager, usePaged } from "../ui/pager";
import { DataTable } from "../ui/data-table";
import { Badge, Empty, ErrorText, Loading, Panel, type BadgeTone } from "../ui/kit";
import { AttributionFilterBar, useAttributionFilter, type AttributionFilter } from "./attribution-filters";
import { ParentOrders } from "./parent-orders";
import { RowActionDialog } from "./row-action-dialog";
import { AmendOrderDialog, OrderListsPanel, PlaceListForm } from "./order-lists";
import { PlaceOrder, typeLabel } from "./order-form";

// The order-type words live with the form that offers the types; the order detail page takes them from here.
export { typeLabel };

const WORKING = ["INITIALIZED", "EMULATED", "RELEASED", "SUBMITTED", "ACCEPTED", "TRIGGERED", "PENDING_UPDATE", "PENDING_CANCEL", "PARTIALLY_FILLED"] as const;
type Status = (typeof WORKING)[number] | "FILLED" | "CANCELED" | "EXPIRED" | "REJECTED" | "DENIED";
const STATUS_FILTERS: [label: string, statuses: Status[] | null][] = [
  ["Any status", null],
  ["Working", [...WORKING]],
  ["Filled", ["FILLED"]],
  ["Partially filled", ["PARTIALLY_FILLED"]],
  ["Canceled", ["CANCELED"]],
  ["Rejected / denied", ["REJECTED", "DENIED"]],
  ["Expired", ["EXPIRED"]],
];

export function statusTone(status: string): BadgeTone {
  if (status === "FILLED") return "ok";
  if (status === "REJECTED" || status === "DENIED") return "bad";
  if (status === "CANCELED" || status === "EXPIRED") return "muted";
  if (status === "PARTIALLY_FILLED" || status.startsWith("PENDING")) return "warn";
  return "info";
}

interface Dp {
  price: number;
  qty: number;
}

/** An order with its in-doubt marker (a submission with an unknown outcome: never re-sent, looked up by clientOrderId). */
type OrderRow = OrderOut;
const FALLBACK: Dp = { price: 2, qty: 5 };

function useDecimals(instruments: InstrumentOut[] | undefined): (symbol: string) => Dp {
  const map = useMemo(
    () => new Map((instruments ?? []).map((i) => [i.symbol, { price: decimalsOf(i.priceTick), qty: decimalsOf(i.qtyStep, 5) }])),
    [instruments],
  );
  return useCallback((symbol: string) => map.get(symbol) ?? FALLBACK, [map]);
}

export function OrdersView() {
  const trpc = useTRPC();
  const canTrade = useCan("trader");
  const open = useQuery(trpc.orders.open.queryOptions());
  const facets = useQuery(trpc.orders.facets.queryOptions(undefined, { staleTime: 30_000 }));
  const filter = useAttributionFilter();
  const dp = useDecimals(open.data?.instruments);
  // The menus: what the orders hold, plus the symbols the desk trades and what is working now.
  const working = open.data?.orders ?? [];
  const menus = {
    venues: [...(facets.data?.venues ?? []), ...working.map((o) => o.venue)],
    symbols: [...(facets.data?.symbols ?? []), ...(open.data?.instruments ?? []).map((i) => i.symbol)],
    strategies: [...(facets.data?.strategies ?? []), ...working.map((o) => o.strategy)],
  };
  return (
    <>
      <h1 className="page-title">Orders</h1>
      <AttributionFilterBar label="Order filters by venue, symbol and strategy" value={filter.value} facets={menus} onChange={filter.set} />
      <OpenOrders data={open.data} error={open.error} dp={dp} canTrade={canTrade} filter={filter.value} />
      <OrderListsPanel dp={dp} canTrade={canTrade} />
      {canTrade ? (
        <PlaceOrder
          instruments={open.data?.instruments ?? []}
          marks={open.data?.marks ?? {}}
          venues={open.data?.venues ?? []}
          venueMarks={open.data?.venueMarks ?? {}}
        />
      ) : null}
      {canTrade ? <PlaceListForm instruments={open.data?.instruments ?? []} marks={open.data?.marks ?? {}} /> : null}
      <ParentOrders canTrade={canTrade} instruments={open.data?.instruments ?? []} />
      <AllOrders dp={dp} attribution={filter.input} />
    </>
  );
}

function OpenOrders({
  data,
  error,
  dp,
  canTrade,
  filter,
}: {
  data: { orders: OrderRow[]; instruments: InstrumentOut[] } | undefined;
  error: unknown;
  dp: (s: string) => Dp;
  canTrade: boolean;
  /** Narrows the rows shown; Cancel all still names and cancels every working order (its dialog says how many). */
  filter: AttributionFilter;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const cancel = useMutation(trpc.orders.cancel.mutationOptions());
  const cancelAll = useMutation(trpc.orders.cancelAll.mutationOptions());
  const [pending, setPending] = useState<{ kind: "one" | "amend"; order: OrderOut } | { kind: "all" } | null>(null);
  const [scope, setScope] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const done = (message: string) => {
    setNotice(message);
    void queryClient.invalidateQueries();
  };
  const orders = data?.orders ?? [];
  const shown = orders.filter(
    (o) =>
      (!filter.venue || o.venue === filter.venue) && (!filter.symbol || o.symbol === filter.symbol) && (!filter.strategy || o.strategy === filter.strategy),
  );
  // 50 working orders a page (they come whole); a new filter starts at the first page.
  const page = usePaged(shown, undefined, JSON.stringify(filter));
  const symbols = [...new Set(orders.map((o) => o.symbol))].sort();
  const doubts = orders.filter((o) => o.inDoubt).length;
  return (
    <Panel
      title={`Open orders${data ? (shown.length === orders.length ? ` (${orders.length})` : ` (${shown.length} of ${orders.length})`) : ""}`}
      actions={
        canTrade && orders.length > 0 ? (
          <button type="button" className="btn danger" onClick={() => (setScope(""), setPending({ kind: "all" }))}>
            Cancel all
          </button>
        ) : null
      }
    >
      {notice ? (
        <p className="po-notice" role="status">
          {notice}
        </p>
      ) : null}
      {error ? (
        <ErrorText error={error} />
      ) : !data ? (
        <Loading />
      ) : orders.length === 0 ? (
        <Empty>No working orders.</Empty>
      ) : (
        <>
          {doubts > 0 ? (
            <p className="po-notice" role="note">
              {doubts} order(s) in doubt: the venue did not say whether they were placed. They are never sent again; Bastion looks them up by their id. Settle
              them on the <Link href="/reconciliation#recon-in-doubt">Reconciliation page</Link>.
            </p>
          ) : null}
          {shown.length === 0 ? (
            <Empty>No working orders match these filters.</Empty>
          ) : (
            <OrderTable
              orders={page.rows}
              dp={dp}
              onCancel={canTrade ? (order) => setPending({ kind: "one", order }) : undefined}
              onAmend={canTrade ? (order) => setPending({ kind: "amend", order }) : undefined}
            />
          )}
          <Pager slice={page} label="working orders" onPage={page.setPage} />
        </>
      )}
      {pending?.kind === "one" ? (
        <RowActionDialog
          key={`cancel-${pending.order.clientOrderId}`}
          title={`Cancel order ${pending.order.clientOrderId}`}
          description={
            <>
              {pending.order.side} {fmtNum(pending.order.quantity, dp(pending.order.symbol).qty)} {pending.order.symbol} {typeLabel(pending.order.type)}
              {pending.order.price ? ` @ ${fmtNum(pending.order.price, dp(pending.order.symbol).price)}` : ""} — filled so far{" "}
              {fmtNum(pending.order.filledQty, dp(pending.order.symbol).qty)}.
            </>
          }
          confirmLabel="Cancel order"
          destructive
          reason="optional"
          onClose={() => setPending(null)}
          onConfirm={async (reason, idempotencyKey) => {
            const r = await cancel.mutateAsync({ clientOrderId: pending.order.clientOrderId, ...(reason ? { reason } : {}), idempotencyKey });
            done(r.message);
          }}
        />
      ) : null}
      {pending?.kind === "amend" ? (
        <AmendOrderDialog
          key={`amend-${pending.order.clientOrderId}`}
          order={pending.order}
          dp={dp(pending.order.symbol)}
          onClose={() => setPending(null)}
          onDone={done}
        />
      ) : null}
      {pending?.kind === "all" ? (
        <RowActionDialog
          key="cancel-all"
          title="Cancel all open orders"
          description={<>Cancels every working order{scope ? ` on ${scope}` : ""} at the venue, trigger orders included. Positions stay open.</>}
          confirmLabel="Cancel all"
          destructive
          reason="required"
          onClose={() => setPending(null)}
          onConfirm={async (reason, idempotencyKey) => {
            const r = await cancelAll.mutateAsync({ reason, ...(scope ? { symbol: scope } : {}), idempotencyKey });
            done(r.message);
          }}
        >
          <label className="field">
            <span>Symbols</span>
            <select value={scope} onChange={(e) => setScope(e.target.value)} aria-label="Symbols to cancel">
              <option value="">All symbols</option>
              {symbols.map((s) => (
                <option key={s} value={s}>
                  {s} only
                </option>
              ))}
            </select>
          </label>
        </RowActionDialog>
      ) : null}
    </Panel>
  );
}

function OrderTable({
  orders,
  dp,
  onCancel,
  onAmend,
}: {
  orders: OrderRow[];
  dp: (s: string) => Dp;
  onCancel?: (o: OrderOut) => void;
  onAmend?: (o: OrderOut) => void;
}) {
  return (
    <DataTable
      className="po-orders"
      rows={orders}
      rowKey={(o) => o.clientOrderId}
      columns={[
        { key: "created", header: "Created (UTC)", cellClassName: "mono", cell: (o) => fmtTime(o.createdAt) },
        {
          key: "order",
          header: "Order",
          cellClassName: "mono",
          cell: (o) => <Link href={`/orders/${encodeURIComponent(o.clientOrderId)}`}>{o.clientOrderId}</Link>,
        },
        { key: "venue", header: "Venue", cell: (o) => o.venue },
        { key: "symbol", header: "Symbol", cell: (o) => o.symbol },
        { key: "strategy", header: "Strategy", cellClassName: "strategy-cell", cell: (o) => o.strategy },
        { key: "side", header: "Side", cellClassName: (o) => (o.side === "BUY" ? "side-buy" : "side-sell"), cell: (o) => o.side },
        {
          key: "type",
          header: "Type",
          cellClassName: "po-nowrap",
          cell: (o) => (
            <>
              {typeLabel(o.type)}
              {o.reduceOnly ? <span className="muted"> · reduce-only</span> : null}
              {o.postOnly ? <span className="muted"> · post-only</span> : null}
            </>
          ),
        },
        {
          key: "status",
          header: "Status",
          cellClassName: "po-nowrap",
          cell: (o) => (
            <>
              <Badge tone={statusTone(o.status)}>{o.status}</Badge>
              {o.inDoubt ? (
                <>
                  {" "}
                  {/* The details on hover and for screen readers (an aria-label on a plain span is not read out). */}
                  <span
                    title={`In doubt since ${fmtTime(o.inDoubt.since)}: ${o.inDoubt.reason}. ${o.inDoubt.lookups} lookup(s) so far${o.inDoubt.nextLookupAt ? `, next at ${fmtTime(o.inDoubt.nextLookupAt)}` : ""}.`}
                  >
                    <Badge tone="warn">IN DOUBT</Badge>
                    <span className="sr-only">
                      {" "}
                      since {fmtTime(o.inDoubt.since)}: {o.inDoubt.reason}.
                    </span>
                  </span>
                  <span className="muted"> · {o.inDoubt.lookups} lookup(s)</span>
                </>
              ) : null}
            </>
          ),
        },
        { key: "qty", header: "Qty", numeric: true, cell: (o) => fmtNum(o.quantity, dp(o.symbol).qty) },
        { key: "filled", header: "Filled", numeric: true, cell: (o) => fmtNum(o.filledQty, dp(o.symbol).qty) },
        { key: "price", header: "Price", numeric: true, cell: (o) => fmtNum(o.price, dp(o.symbol).price) },
        { key: "trigger", header: "Trigger", numeric: true, cell: (o) => fmtNum(o.triggerPrice, dp(o.symbol).price) },
        { key: "avgFill", header: "Avg fill", numeric: true, cell: (o) => fmtNum(o.avgFillPrice, dp(o.symbol).price) },
        {
          key: "tif",
          header: "TIF",
          cell: (o) =>
            o.timeInForce === "GTD" && o.expireAt !== null ? (
              <span title="Good till date: expires at (UTC)">GTD · {fmtTime(o.expireAt, false)}</span>
            ) : (
              o.timeInForce
            ),
        },
        {
          key: "origin",
          header: "Origin",
          cellClassName: "muted",
          cell: (o) => (
            <>
              {origin(o)}
              {o.listId ? ` · ${(o.listRole ?? "leg").replace(/_/g, "-")} of ${o.listId}` : ""}
            </>
          ),
        },
        ...(onCancel
          ? [
              {
                key: "action",
                header: "Action",
                headerProps: { className: "sticky-actions" },
                cellClassName: "sticky-actions",
                cell: (o: OrderRow) => (
                  <span className="po-actions">
                    {onAmend && o.type !== "MARKET" && o.status !== "PENDING_CANCEL" ? (
                      <button type="button" className="btn small" onClick={() => onAmend(o)} aria-label={`Amend order ${o.clientOrderId}`}>
                        Amend
                      </button>
                    ) : null}
                    <button type="button" className="btn small danger" onClick={() => onCancel(o)} aria-label={`Cancel order ${o.clientOrderId}`}>
                      Cancel
                    </button>
                  </span>
                ),
              },
            ]
          : []),
      ]}
    />
  );
}

/** Why the order exists: entry from a strategy or a person, or an exit (stop, take-profit, manual close …). */
export function origin(o: Pick<OrderOut, "strategy" | "tagReason"> & { routeId?: string | null }): string {
  const who = o.strategy === "manual" ? "manual" : (o.strategy ?? "");
  const why = o.tagReason ?? "";
  // Children of one smart route carry its id: the list shows them as one unit.
  if (why === "entry" || why === "") return `${who ? `entry · ${who}` : "entry"}${o.routeId ? ` · route ${o.routeId}` : ""}`;
  return `exit · ${why.replace(/_/g, " ")}`;
}

/** "YYYY-MM-DD" (UTC) → epoch ms at 00:00 UTC, or undefined. */
function dayMs(day: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

function AllOrders({ dp, attribution }: { dp: (s: string) => Dp; attribution: Partial<AttributionFilter> }) {
  const trpc = useTRPC();
  const [statusIdx, setStatusIdx] = useState(0);
  const [side, setSide] = useState<"" | "BUY" | "SELL">("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const fromMs = dayMs(from);
  const toDay = dayMs(to);
  const toMs = toDay !== undefined ? toDay + 86_400_000 : undefined;
  const badRange = fromMs !== undefined && toMs !== undefined && fromMs >= toMs;
  const statuses = STATUS_FILTERS[statusIdx]?.[1] ?? null;
  const input = {
    limit: 50,
    ...attribution,
    ...(statuses ? { status: statuses } : {}),
    ...(side ? { side } : {}),
    ...(fromMs !== undefined && !badRange ? { fromMs } : {}),
    ...(toMs !== undefined && !badRange ? { toMs } : {}),
  };
  const list = useInfiniteQuery(trpc.orders.list.infiniteQueryOptions(input, { getNextPageParam: (last) => last.nextCursor ?? undefined }));
  const orders = list.data?.pages.flatMap((p) => p.orders) ?? [];
  return (
    <Panel title="All orders">
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Order filters">
        <label className="field">
          <span>Status</span>
          <select value={statusIdx} onChange={(e) => setStatusIdx(Number(e.target.value))}>
            {STATUS_FILTERS.map(([label], i) => (
              <option key={label} value={i}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Side</span>
          <select value={side} onChange={(e) => setSide(e.target.value as "" | "BUY" | "SELL")}>
            <option value="">Both sides</option>
            <option value="BUY">Buy</option>
            <option value="SELL">Sell</option>
          </select>
        </label>
        <label className="field">
          <span>From (UTC)</span>
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label className="field">
          <span>To (UTC, inclusive)</span>
          <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        {statusIdx || side || from || to ? (
          <button type="button" className="btn" onClick={() => (setStatusIdx(0), setSide(""), setFrom(""), setTo(""))}>
            Clear filters
          </button>
        ) : null}
      </form>
      {badRange ? <p className="error">The start date is after the end date.</p> : null}
      {list.error ? (
        <ErrorText error={list.error} />
      ) : !list.data ? (
        <Loading />
      ) : orders.length === 0 ? (
        <Empty>No orders match these filters.</Empty>
      ) : (
        <OrderTable orders={orders} dp={dp} />
      )}
      <LoadMore
        list={list}
        shown={
          <>
            {orders.length} shown{list.hasNextPage ? "" : list.data ? " · all loaded" : ""}
          </>
        }
      />
    </Panel>
  );
}

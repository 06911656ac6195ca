"use client";
/**
 * Reconciliation: what the venue and Bastion's books disagreed on. Orders in doubt (the venue never said whether
 * they were placed) with "Adopt what the venue shows" / "Mark not placed"; unknown orders (open at the exchange, not
 * in the books) with Adopt / Cancel for traders; every drift recorded, open or resolved, with filters, paging and
 * Acknowledge. Everything a trader does here is confirmed and goes to the audit log.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { InstrumentOut } from "@/components/trpc/types";
import { useTRPC } from "../trpc/client";
import { driftSentence } from "./drift-words";
import { useCan } from "../trpc/session";
import { ConfirmAction } from "../ui/confirm-dialog";
import { RowActionDialog } from "./row-action-dialog";
import { decimalsOf, fmtNum, fmtTime } from "../ui/format";
import { DataTable } from "../ui/data-table";
import { Badge, Empty, ErrorText, Loading, Panel } from "../ui/kit";

const PAGE = 50;
type Status = "open" | "resolved" | "all";

/** Plain words for the drift kinds the engine records. */
const KIND_HELP: Record<string, string> = {
  UNKNOWN_ORDER: "open at the venue, not in the books",
  MISSED_FILL: "a fill the books missed (booked)",
  STATUS_MISMATCH: "the books and the venue disagreed on a status",
  NEVER_SENT: "journaled, never reached the venue",
  ORDER_UNKNOWN_AT_VENUE: "in the books, not found at the venue",
  CANCEL_NOT_DELIVERED: "a cancel that never reached the venue (sent again)",
  FEE_CURRENCY: "a fee in a currency that could not be converted",
  LATE_FILL: "a fill after the books had ended the order (booked, with an alert)",
  OVERFILL: "a fill the order could not take (not booked: check the venue's trades)",
  ORPHAN_FILL: "a fill with no open position (booked to a new one)",
  UNKNOWN_ORDER_EVENT: "an event for an order the books do not have",
  ADOPTED_FILLS_MISSING: "an adopted order's fills not all found",
  UNKNOWN_ORDER_CANCEL_FAILED: "the venue refused to cancel an unknown order",
  BALANCE_SHORTFALL: "the venue holds fewer coins than the books' positions",
  ENDED_ORDER_OPEN_AT_VENUE: "ended in the books, still open at the venue (tracked again unless FILLED)",
  QUOTE_BALANCE_MISMATCH: "the venue's cash balance is not what the books' fills add up to",
  POSITION_MISMATCH: "the venue's futures position differs from the books'",
  ORDER_IN_DOUBT: "the venue never said whether the order was placed (never re-sent)",
};

function useDecimals(instruments: InstrumentOut[] | undefined) {
  return useMemo(() => {
    const map = new Map((instruments ?? []).map((i) => [i.symbol, { price: decimalsOf(i.priceTick), qty: decimalsOf(i.qtyStep, 5) }]));
    return (symbol: string) => map.get(symbol) ?? { price: 2, qty: 5 };
  }, [instruments]);
}

/** A drift's detail as short key=value pairs (nested values as JSON). */
function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return "";
  if (typeof detail !== "object") return JSON.stringify(detail);
  return Object.entries(detail as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" · ");
}

export function ReconciliationView() {
  return (
    <div className="recon-page">
      <h1 className="page-title">Reconciliation</h1>
      <p className="muted recon-intro">
        On start and on a schedule, Bastion compares its books with the venue: open orders, recent fills, balances and futures positions. Missed fills are
        booked, also on orders the books had already ended; an order the books had ended but the venue still works is tracked again; orders found at the venue
        that Bastion did not place wait here until someone adopts or cancels them; every difference is recorded.
      </p>
      <InDoubtOrders />
      <UnknownOrders />
      <Drifts />
    </div>
  );
}

/** "5 s" / "3 min" from milliseconds, for how long an order has been in doubt. */
function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

function InDoubtOrders() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canTrade = useCan("trader");
  const inDoubt = useQuery(trpc.reconciliation.inDoubt.queryOptions());
  const adopt = useMutation(trpc.reconciliation.adoptInDoubt.mutationOptions());
  const notPlaced = useMutation(trpc.reconciliation.markNotPlaced.mutationOptions());
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState<{ kind: "adopt" | "notPlaced"; clientOrderId: string; what: string } | null>(null);
  const dp = useDecimals(inDoubt.data?.instruments);
  const done = (message: string) => {
    setNotice(message);
    void queryClient.invalidateQueries();
  };
  const orders = inDoubt.data?.orders ?? [];
  const now = Date.now();
  return (
    <Panel title={`Orders in doubt${inDoubt.data ? ` (${orders.length})` : ""}`} id="recon-in-doubt">
      <p className="muted">
        The venue did not say whether these orders were placed (a timeout, &quot;status unknown&quot;, a server error, a dropped connection). Bastion never
        sends them again; it looks them up by their id, less and less often, and settles them when the venue shows them. Otherwise a person decides.
      </p>
      {notice ? (
        <p className="recon-notice" role="status">
          {notice}
        </p>
      ) : null}
      {inDoubt.error ? (
        <ErrorText error={inDoubt.error} />
      ) : !inDoubt.data ? (
        <Loading />
      ) : orders.length === 0 ? (
        <Empty>None: the venue answered for every order.</Empty>
      ) : (
        <DataTable
          className="in-doubt-table"
          rows={orders.map((m) => {
            const d = dp(m.symbol);
            const o = m.order;
            const what = o
              ? `${o.side} ${fmtNum(o.quantity, d.qty)} ${o.symbol} ${o.type.replace(/_/g, " ").toLowerCase()}${o.price ? ` @ ${fmtNum(o.price, d.price)}` : ""}`
              : m.symbol;
            return { m, what };
          })}
          rowKey={({ m }) => m.clientOrderId}
          columns={[
            {
              key: "since",
              header: "In doubt since (UTC)",
              cellClassName: "mono",
              cell: ({ m }) => (
                <>
                  {fmtTime(m.since)} <span className="muted">({ago(now - m.since)})</span>
                </>
              ),
            },
            { key: "id", header: "Order id", cellClassName: "mono", cell: ({ m }) => m.clientOrderId },
            { key: "order", header: "Order", cell: ({ what }) => what },
            {
              key: "why",
              header: "Why",
              cellClassName: "recon-why",
              cell: ({ m }) => (
                <>
                  {m.reason}
                  {m.alerted ? (
                    <>
                      {" "}
                      <Badge tone="bad">NEEDS A PERSON</Badge>
                    </>
                  ) : null}
                </>
              ),
            },
            { key: "lookups", header: "Lookups", numeric: true, cell: ({ m }) => m.lookups },
            { key: "next", header: "Next lookup (UTC)", cellClassName: "mono", cell: ({ m }) => (m.nextLookupAt ? fmtTime(m.nextLookupAt) : "—") },
            ...(canTrade
              ? [
                  {
                    key: "choice",
                    header: "Choice",
                    cellClassName: "row-actions",
                    cell: ({ m, what }: { m: (typeof orders)[number]; what: string }) => (
                      <>
                        <button
                          type="button"
                          className="btn"
                          onClick={() => setPending({ kind: "adopt", clientOrderId: m.clientOrderId, what })}
                          aria-label={`Adopt what the venue shows for order ${m.clientOrderId}`}
                        >
                          Adopt what the venue shows
                        </button>
                        <button
                          type="button"
                          className="btn danger"
                          onClick={() => setPending({ kind: "notPlaced", clientOrderId: m.clientOrderId, what })}
                          aria-label={`Mark order ${m.clientOrderId} not placed`}
                        >
                          Mark not placed
                        </button>
                      </>
                    ),
                  },
                ]
              : []),
          ]}
        />
      )}
      {/* Outside the table: when a lookup (or this very action, its answer lost) settles the order, its row goes, but
          the open dialog stays, so confirming again (same idempotency key) shows what happened. */}
      {pending?.kind === "adopt" ? (
        <RowActionDialog
          key={`adopt-${pending.clientOrderId}`}
          title={`Adopt order ${pending.clientOrderId} as the venue shows it`}
          description={
            <>
              Bastion looks {pending.what} up at {inDoubt.data?.venue ?? "the venue"} by its id now and applies what it finds: accepted, its fills, or its end.
              If the venue shows nothing, the order stays in doubt. Nothing is sent.
            </>
          }
          confirmLabel="Look up and adopt"
          reason="optional"
          onClose={() => setPending(null)}
          onConfirm={async (reason, idempotencyKey) =>
            done((await adopt.mutateAsync({ clientOrderId: pending.clientOrderId, ...(reason ? { reason } : {}), idempotencyKey })).message)
          }
        />
      ) : null}
      {pending?.kind === "notPlaced" ? (
        <RowActionDialog
          key={`not-placed-${pending.clientOrderId}`}
          title={`Mark order ${pending.clientOrderId} not placed`}
          description={
            <>
              Ends {pending.what} as REJECTED (never placed). Do this only when you are sure the exchange does not have it (check its order history). Bastion
              checks the venue once more first. It is not re-sent; a fill that turns up later is still booked and flagged.
            </>
          }
          confirmLabel="Mark not placed"
          destructive
          reason="required"
          onClose={() => setPending(null)}
          onConfirm={async (reason, idempotencyKey) =>
            done((await notPlaced.mutateAsync({ clientOrderId: pending.clientOrderId, reason, idempotencyKey })).message)
          }
        />
      ) : null}
    </Panel>
  );
}

function UnknownOrders() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canTrade = useCan("trader");
  const unknown = useQuery(trpc.reconciliation.unknownOrders.queryOptions());
  const adopt = useMutation(trpc.reconciliation.adopt.mutationOptions());
  const cancel = useMutation(trpc.reconciliation.cancel.mutationOptions());
  const [notice, setNotice] = useState<string | null>(null);
  const dp = useDecimals(unknown.data?.instruments);
  const done = (message: string) => {
    setNotice(message);
    void queryClient.invalidateQueries();
  };
  const orders = unknown.data?.orders ?? [];
  return (
    <Panel title={`Unknown orders at the venue${unknown.data ? ` (${orders.length})` : ""}`} id="recon-unknown">
      {notice ? (
        <p className="recon-notice" role="status">
          {notice}
        </p>
      ) : null}
      {unknown.error ? (
        <ErrorText error={unknown.error} />
      ) : !unknown.data ? (
        <Loading />
      ) : orders.length === 0 ? (
        <Empty>None: every open order at {unknown.data.venue} is in Bastion&apos;s books.</Empty>
      ) : (
        <DataTable
          rows={orders.map((o) => {
            const d = dp(o.symbol);
            const what = `${o.side} ${fmtNum(o.quantity, d.qty)} ${o.symbol} ${o.type.replace(/_/g, " ").toLowerCase()}${o.price ? ` @ ${fmtNum(o.price, d.price)}` : ""}`;
            return { o, d, what };
          })}
          rowKey={({ o }) => o.clientOrderId}
          columns={[
            { key: "found", header: "Found (UTC)", cellClassName: "mono", cell: ({ o }) => fmtTime(o.firstSeen) },
            { key: "id", header: "Order id", cellClassName: "mono", cell: ({ o }) => o.clientOrderId },
            { key: "symbol", header: "Symbol", cell: ({ o }) => o.symbol },
            { key: "side", header: "Side", cellClassName: ({ o }) => (o.side === "BUY" ? "side-buy" : "side-sell"), cell: ({ o }) => o.side },
            { key: "type", header: "Type", cell: ({ o }) => o.type.replace(/_/g, " ").toLowerCase() },
            { key: "quantity", header: "Quantity", numeric: true, cell: ({ o, d }) => fmtNum(o.quantity, d.qty) },
            { key: "filled", header: "Filled", numeric: true, cell: ({ o, d }) => fmtNum(o.filledQty, d.qty) },
            { key: "price", header: "Price", numeric: true, cell: ({ o, d }) => (o.price ? fmtNum(o.price, d.price) : "—") },
            { key: "trigger", header: "Trigger", numeric: true, cell: ({ o, d }) => (o.triggerPrice ? fmtNum(o.triggerPrice, d.price) : "—") },
            {
              key: "status",
              header: "Status",
              cell: ({ o }) => (o.canceling ? <Badge tone="warn">CANCELING</Badge> : <Badge tone="info">{o.status}</Badge>),
            },
            ...(canTrade
              ? [
                  {
                    key: "choice",
                    header: "Choice",
                    cellClassName: "row-actions",
                    cell: ({ o, what }: { o: (typeof orders)[number]; what: string }) => (
                      <>
                        <ConfirmAction
                          label="Adopt"
                          ariaLabel={`Adopt order ${o.clientOrderId}`}
                          title={`Adopt order ${o.clientOrderId}`}
                          description={
                            <>
                              Bastion takes {what} into its books: the order is journaled and tracked, its fills are booked to a position, and the desk&apos;s
                              exits and emergency stop apply to it. It is not sent again.
                            </>
                          }
                          confirmLabel="Adopt order"
                          reason="optional"
                          onConfirm={async (reason, idempotencyKey) =>
                            done((await adopt.mutateAsync({ clientOrderId: o.clientOrderId, ...(reason ? { reason } : {}), idempotencyKey })).message)
                          }
                        />
                        <ConfirmAction
                          label="Cancel"
                          ariaLabel={`Cancel order ${o.clientOrderId} at the venue`}
                          title={`Cancel order ${o.clientOrderId} at the venue`}
                          description={<>Cancels {what} at the exchange. It stays out of Bastion&apos;s books; fills it already had are not booked.</>}
                          confirmLabel="Cancel at the venue"
                          destructive
                          reason="optional"
                          disabled={o.canceling}
                          onConfirm={async (reason, idempotencyKey) =>
                            done((await cancel.mutateAsync({ clientOrderId: o.clientOrderId, ...(reason ? { reason } : {}), idempotencyKey })).message)
                          }
                        />
                      </>
                    ),
                  },
                ]
              : []),
          ]}
        />
      )}
    </Panel>
  );
}

function Drifts() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canTrade = useCan("trader");
  const [status, setStatus] = useState<Status>("open");
  const [kind, setKind] = useState("");
  const [offset, setOffset] = useState(0);
  const input = { status, ...(kind ? { kind } : {}), limit: PAGE, offset };
  const drifts = useQuery(trpc.reconciliation.drifts.queryOptions(input));
  const acknowledge = useMutation(trpc.reconciliation.acknowledge.mutationOptions());
  const [notice, setNotice] = useState<string | null>(null);
  const data = drifts.data;
  const rows = data?.rows ?? [];
  const total = data?.total ?? 0;
  return (
    <Panel title={`Drifts${data ? ` · ${data.open} open` : ""}`} id="recon-drifts">
      <div className="filters" role="group" aria-label="Drift filters">
        <label className="field">
          <span>Status</span>
          <select
            aria-label="Drift status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as Status);
              setOffset(0);
            }}
          >
            <option value="open">Open</option>
            <option value="resolved">Resolved</option>
            <option value="all">All</option>
          </select>
        </label>
        <label className="field">
          <span>Kind</span>
          <select
            aria-label="Drift kind"
            value={kind}
            onChange={(e) => {
              setKind(e.target.value);
              setOffset(0);
            }}
          >
            <option value="">Any kind</option>
            {(data?.kinds ?? []).map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <span className="spacer" />
        <span className="muted recon-count">{data ? (total === 0 ? "0 drifts" : `${offset + 1}–${Math.min(offset + PAGE, total)} of ${total}`) : ""}</span>
        <button type="button" className="btn" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Newer
        </button>
        <button type="button" className="btn" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
          Older
        </button>
      </div>
      {notice ? (
        <p className="recon-notice" role="status">
          {notice}
        </p>
      ) : null}
      {drifts.error ? (
        <ErrorText error={drifts.error} />
      ) : !data ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty>{status === "open" ? "No open drifts: the books agree with the venue." : "No drifts match."}</Empty>
      ) : (
        <DataTable
          className="recon-drifts"
          rows={rows}
          rowKey={(r) => r.id}
          columns={[
            { key: "time", header: "Time (UTC)", cellClassName: "mono", cell: (r) => fmtTime(r.ts) },
            {
              key: "kind",
              header: "Kind",
              cellProps: (r) => ({ title: KIND_HELP[r.kind] }),
              cell: (r) => (
                <>
                  <span className="mono">{r.kind}</span>
                  {KIND_HELP[r.kind] ? <div className="muted recon-help">{KIND_HELP[r.kind]}</div> : null}
                </>
              ),
            },
            { key: "subject", header: "Subject", cellClassName: "mono", cell: (r) => r.subject },
            {
              key: "detail",
              header: "Detail",
              cellClassName: "recon-detail",
              cell: (r) =>
                driftSentence(r.kind, r.subject, r.detail) ? (
                  <>
                    <div>{driftSentence(r.kind, r.subject, r.detail)}</div>
                    <div className="muted mono recon-raw">{detailText(r.detail)}</div>
                  </>
                ) : (
                  <span className="mono">{detailText(r.detail)}</span>
                ),
            },
            { key: "state", header: "State", cell: (r) => (r.resolved ? <Badge tone="ok">✓ RESOLVED</Badge> : <Badge tone="warn">! OPEN</Badge>) },
            {
              key: "resolution",
              header: "Resolution",
              cell: (r) => (
                <>
                  {r.resolution ?? "—"}
                  {r.resolvedAt ? <div className="muted mono">{fmtTime(r.resolvedAt)}</div> : null}
                </>
              ),
            },
            ...(canTrade
              ? [
                  {
                    key: "action",
                    header: "Action",
                    cellClassName: "row-actions",
                    cell: (r: (typeof rows)[number]) => (
                      <>
                        {r.resolved ? null : r.actionable ? (
                          <span className="muted">adopt or cancel above</span>
                        ) : (
                          <ConfirmAction
                            label="Acknowledge"
                            ariaLabel={`Acknowledge drift ${r.id}`}
                            title={`Acknowledge drift #${r.id}`}
                            description={
                              <>
                                {r.kind} {r.subject}: mark it seen and dealt with. The drift stays in the log, with your name and reason.
                              </>
                            }
                            confirmLabel="Acknowledge"
                            reason="optional"
                            onConfirm={async (reason, idempotencyKey) => {
                              setNotice((await acknowledge.mutateAsync({ id: r.id, ...(reason ? { reason } : {}), idempotencyKey })).message);
                              void queryClient.invalidateQueries();
                            }}
                          />
                        )}
                      </>
                    ),
                  },
                ]
              : []),
          ]}
        />
      )}
    </Panel>
  );
}

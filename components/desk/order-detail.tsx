"use client";
/** One order: its fields, its full event timeline from the journal (applied or refused), and its fills. */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { useTRPC } from "../trpc/client";
import { fmtMoney, fmtNum, fmtTime, instrumentDecimals } from "../ui/format";
import { DataTable } from "../ui/data-table";
import { Badge, Empty, ErrorText, Loading, Money, Panel } from "../ui/kit";
import { origin, statusTone, typeLabel } from "./orders";
import { OrderRouteView } from "./order-route";

const EVENT_LABEL: Record<string, string> = {
  intent: "Intent journaled",
  submit: "Submitted",
  accept: "Accepted",
  reject: "Rejected",
  deny: "Denied",
  fill: "Fill",
  cancelRequest: "Cancel requested",
  cancel: "Canceled",
  cancelReject: "Cancel refused",
  modifyRequest: "Modify requested",
  modified: "Modified",
  modifyReject: "Modify refused",
  trigger: "Triggered",
  expire: "Expired",
  emulate: "Emulated",
  release: "Released",
};

export function OrderDetailView({ clientOrderId }: { clientOrderId: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.orders.detail.queryOptions({ clientOrderId }, { retry: false }));
  const back = (
    <p className="po-back">
      <Link href="/orders">← All orders</Link>
    </p>
  );
  if (detail.error)
    return (
      <>
        {back}
        <h1 className="page-title">Order {clientOrderId}</h1>
        <ErrorText error={detail.error} />
      </>
    );
  if (!detail.data) return <Loading />;
  const { order: o, events, fills, instrument, venue, requestedPrice, route, venueChoice } = detail.data;
  const { price: pdp, qty: qdp } = instrumentDecimals(instrument, o.symbol);
  const leaves = Math.max(0, Number(o.quantity) - Number(o.filledQty));
  const notional = fills.reduce((sum, f) => sum + Number(f.qty) * Number(f.price), 0);
  const fees = fills.reduce((sum, f) => sum + Number(f.fee), 0);
  const rows: [string, ReactNode][] = [
    [
      "Status",
      <Badge key="s" tone={statusTone(o.status)}>
        {o.status}
      </Badge>,
    ],
    ["Symbol", o.symbol],
    [
      "Side",
      <span key="side" className={o.side === "BUY" ? "side-buy" : "side-sell"}>
        {o.side}
      </span>,
    ],
    ["Type", `${typeLabel(o.type)}${o.reduceOnly ? " · reduce-only" : ""}${o.postOnly ? " · post-only" : ""}`],
    ["Time in force", o.timeInForce],
    [
      "Quantity",
      <span key="q" className="num-text">
        {fmtNum(o.quantity, qdp)}
      </span>,
    ],
    [
      "Filled",
      <span key="f" className="num-text">
        {fmtNum(o.filledQty, qdp)} (leaves {fmtNum(leaves, qdp)})
      </span>,
    ],
    [
      "Limit price",
      <span key="p" className="num-text">
        {fmtNum(o.price, pdp)}
      </span>,
    ],
    [
      "Trigger price",
      <span key="t" className="num-text">
        {fmtNum(o.triggerPrice, pdp)}
      </span>,
    ],
    [
      "Requested price",
      <span key="r" className="num-text">
        {fmtNum(requestedPrice, pdp)}
      </span>,
    ],
    [
      "Average fill",
      <span key="a" className="num-text">
        {fmtNum(o.avgFillPrice, pdp)}
      </span>,
    ],
    [
      "Fees paid",
      <span key="fee" className="num-text">
        <Money value={o.feesPaid} />
      </span>,
    ],
    ["Origin", origin(o)],
    ["Signal", o.signalId ?? "—"],
    ["Parent order", o.parentId ?? "—"],
    ["Route", route ? `${route.routeId} (${route.mode}, ${route.rounds.reduce((n, r) => n + r.children.length, 0)} child orders)` : "—"],
    ["Position", o.positionId ?? "—"],
    ["Venue", `${venue}${o.venueOrderId ? ` · ${o.venueOrderId}` : ""}`],
    [
      "Created (UTC)",
      <span key="c" className="mono">
        {fmtTime(o.createdAt)}
      </span>,
    ],
    [
      "Updated (UTC)",
      <span key="u" className="mono">
        {fmtTime(o.updatedAt)}
      </span>,
    ],
  ];
  if (o.reason) rows.splice(1, 0, ["Venue reason", o.reason]);
  return (
    <>
      {back}
      <h1 className="page-title">
        Order <span className="mono">{o.clientOrderId}</span>
      </h1>
      <div className="po-detail-grid">
        <Panel title="Order">
          <table className="data po-kv">
            <tbody>
              {rows.map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
        <div>
          <Panel title={`Timeline (${events.length} events)`}>
            {events.length === 0 ? (
              <Empty>No journal entries for this order.</Empty>
            ) : (
              <DataTable
                className="po-timeline"
                rows={events}
                rowKey={(e) => e.seq}
                rowProps={(e) => ({ className: e.applied ? undefined : "po-refused" })}
                columns={[
                  { key: "seq", header: "Seq", numeric: true, cell: (e) => e.seq },
                  { key: "time", header: "Time (UTC)", cellClassName: "mono", cell: (e) => fmtTime(e.ts) },
                  { key: "event", header: "Event", cell: (e) => EVENT_LABEL[e.type] ?? e.type },
                  {
                    key: "source",
                    header: "Source",
                    cell: (e) => <Badge tone={e.source === "engine" ? "info" : e.source === "venue" ? "muted" : "warn"}>{e.source}</Badge>,
                  },
                  { key: "result", header: "Result", cell: (e) => (e.applied ? <Badge tone="ok">✓ applied</Badge> : <Badge tone="bad">✕ refused</Badge>) },
                  {
                    key: "details",
                    header: "Details",
                    cellClassName: "po-details",
                    cell: (e) => (
                      <>
                        {e.summary}
                        {!e.applied && e.refusal ? <div className="error po-refusal">{e.refusal}</div> : null}
                      </>
                    ),
                  },
                ]}
              />
            )}
          </Panel>
          <Panel title={`Fills (${fills.length})`}>
            {fills.length === 0 ? (
              <Empty>No fills.</Empty>
            ) : (
              <DataTable
                rows={fills}
                rowKey={(f) => f.tradeId}
                columns={[
                  { key: "time", header: "Time (UTC)", cellClassName: "mono", cell: (f) => fmtTime(f.ts) },
                  { key: "tradeId", header: "Trade id", cellClassName: "mono", cell: (f) => f.tradeId },
                  { key: "qty", header: "Qty", numeric: true, cell: (f) => fmtNum(f.qty, qdp) },
                  { key: "price", header: "Price", numeric: true, cell: (f) => fmtNum(f.price, pdp) },
                  {
                    key: "fee",
                    header: "Fee",
                    numeric: true,
                    cell: (f) => (
                      <>
                        {fmtMoney(f.fee, f.feeCurrency)} <span className="muted">{f.feeCurrency}</span>
                      </>
                    ),
                  },
                  { key: "liquidity", header: "Liquidity", cell: (f) => f.liquidity?.toLowerCase() ?? "—" },
                  { key: "note", header: "Note", cell: (f) => (f.late ? <Badge tone="warn">late fill</Badge> : null) },
                ]}
                foot={
                  fills.length > 1 ? (
                    <tr className="po-totals">
                      <th scope="row" colSpan={2}>
                        Total
                      </th>
                      <td className="num">{fmtNum(o.filledQty, qdp)}</td>
                      <td className="num">{fmtNum(Number(o.filledQty) > 0 ? notional / Number(o.filledQty) : null, pdp)}</td>
                      <td className="num">
                        <Money value={fees} />
                      </td>
                      <td colSpan={2} />
                    </tr>
                  ) : null
                }
              />
            )}
          </Panel>
        </div>
      </div>
      <OrderRouteView route={route} venueChoice={venueChoice} clientOrderId={o.clientOrderId} pdp={pdp} qdp={qdp} />
    </>
  );
}

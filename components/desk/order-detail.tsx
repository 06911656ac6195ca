"use client";
/** One order: its fields, its full event timeline from the journal (applied or refused), and its fills. */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { useTRPC } from "../trpc/client";
import { decimalsOf, fmtNum, fmtTime } from "../ui/format";
import { Badge, Empty, ErrorText, Loading, Panel } from "../ui/kit";
import { origin, statusTone, typeLabel } from "./orders";

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
  const { order: o, events, fills, instrument, venue, requestedPrice } = detail.data;
  const pdp = decimalsOf(instrument?.priceTick);
  const qdp = decimalsOf(instrument?.qtyStep, 5);
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
        {fmtNum(o.feesPaid, 4)}
      </span>,
    ],
    ["Origin", origin(o)],
    ["Signal", o.signalId ?? "—"],
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
              <div className="table-wrap">
                <table className="data po-timeline">
                  <thead>
                    <tr>
                      <th scope="col" className="num">
                        Seq
                      </th>
                      <th scope="col">Time (UTC)</th>
                      <th scope="col">Event</th>
                      <th scope="col">Source</th>
                      <th scope="col">Result</th>
                      <th scope="col">Details</th>
                    </tr>
                  </thead>
                  <tbody>
                    {events.map((e) => (
                      <tr key={e.seq} className={e.applied ? undefined : "po-refused"}>
                        <td className="num">{e.seq}</td>
                        <td className="mono">{fmtTime(e.ts)}</td>
                        <td>{EVENT_LABEL[e.type] ?? e.type}</td>
                        <td>
                          <Badge tone={e.source === "engine" ? "info" : e.source === "venue" ? "muted" : "warn"}>{e.source}</Badge>
                        </td>
                        <td>{e.applied ? <Badge tone="ok">✓ applied</Badge> : <Badge tone="bad">✕ refused</Badge>}</td>
                        <td className="po-details">
                          {e.summary}
                          {!e.applied && e.refusal ? <div className="error po-refusal">{e.refusal}</div> : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Panel>
          <Panel title={`Fills (${fills.length})`}>
            {fills.length === 0 ? (
              <Empty>No fills.</Empty>
            ) : (
              <div className="table-wrap">
                <table className="data">
                  <thead>
                    <tr>
                      <th scope="col">Time (UTC)</th>
                      <th scope="col">Trade id</th>
                      <th scope="col" className="num">
                        Qty
                      </th>
                      <th scope="col" className="num">
                        Price
                      </th>
                      <th scope="col" className="num">
                        Fee
                      </th>
                      <th scope="col">Liquidity</th>
                      <th scope="col">Note</th>
                    </tr>
                  </thead>
                  <tbody>
                    {fills.map((f) => (
                      <tr key={f.tradeId}>
                        <td className="mono">{fmtTime(f.ts)}</td>
                        <td className="mono">{f.tradeId}</td>
                        <td className="num">{fmtNum(f.qty, qdp)}</td>
                        <td className="num">{fmtNum(f.price, pdp)}</td>
                        <td className="num">
                          {fmtNum(f.fee, 4)} <span className="muted">{f.feeCurrency}</span>
                        </td>
                        <td>{f.liquidity?.toLowerCase() ?? "—"}</td>
                        <td>{f.late ? <Badge tone="warn">late fill</Badge> : null}</td>
                      </tr>
                    ))}
                  </tbody>
                  {fills.length > 1 ? (
                    <tfoot>
                      <tr className="po-totals">
                        <th scope="row" colSpan={2}>
                          Total
                        </th>
                        <td className="num">{fmtNum(o.filledQty, qdp)}</td>
                        <td className="num">{fmtNum(Number(o.filledQty) > 0 ? notional / Number(o.filledQty) : null, pdp)}</td>
                        <td className="num">{fmtNum(fees, 4)}</td>
                        <td colSpan={2} />
                      </tr>
                    </tfoot>
                  ) : null}
                </table>
              </div>
            )}
          </Panel>
        </div>
      </div>
    </>
  );
}

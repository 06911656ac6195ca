"use client";
/** A closed trade: the result, requested vs filled price and slippage per leg, its fills, fees and the orders involved. */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../trpc/client";
import { fmtDuration, fmtMoney, fmtNum, fmtPct, fmtTime, instrumentDecimals, moneyCurrencyOf } from "../ui/format";
import { DataTable } from "../ui/data-table";
import { Badge, Empty, ErrorText, Loading, Money, Num, Panel, Pnl, Stat } from "../ui/kit";
import { Outcome, reasonLabel } from "./history";

/** Slippage in bps, with a word: positive is worse than asked. */
function Slippage({ bps }: { bps: number | null }) {
  if (bps === null) return <span className="muted">—</span>;
  const word = bps > 0 ? "worse" : bps < 0 ? "better" : "as asked";
  return (
    <span className={`pnl ${bps > 0 ? "down" : bps < 0 ? "up" : "flat"}`}>
      {bps > 0 ? "+" : bps < 0 ? "−" : ""}
      {fmtNum(Math.abs(bps), 2)} bps <span className="muted">({word})</span>
    </span>
  );
}

export function TradeDetailView({ id }: { id: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.trades.detail.queryOptions({ id }));
  if (detail.error) {
    return (
      <>
        <p>
          <Link href="/history">← History</Link>
        </p>
        <ErrorText error={detail.error} />
      </>
    );
  }
  if (!detail.data) return <Loading />;
  const { trade: t, execution, fills, orders, instrument, fillFees } = detail.data;
  const { price: pdp, qty: qdp } = instrumentDecimals(instrument, t.symbol);
  // The trade's money is in its symbol's quote currency, whatever the desk's.
  const currency = moneyCurrencyOf(t.symbol);
  const feesMatch = Number(fillFees) === Number(t.fees);
  return (
    <>
      <p className="crumbs">
        <Link href="/history">← History</Link>
      </p>
      <h1 className="page-title">
        Trade {t.symbol} {t.venue ? <span className="muted">on {t.venue}</span> : null} {t.side} <Outcome outcome={t.outcome} />{" "}
        <span className="muted mono trade-id">{t.id}</span>
      </h1>
      <div className="stats">
        <Stat label="Net PnL" hint={fmtPct(t.pnlPct, 3, true)}>
          <Pnl value={t.pnl} currency={currency} />
        </Stat>
        <Stat label="Gross PnL" hint="before fees">
          <Pnl value={t.grossPnl} currency={currency} />
        </Stat>
        <Stat label="Fees">
          <Money value={t.fees} currency={currency} />
        </Stat>
        <Stat label="Quantity">
          <Num value={t.qty} dp={qdp} />
        </Stat>
        <Stat label="Duration" hint={`${fmtTime(t.entryTime)} → ${fmtTime(t.exitTime)}`}>
          {fmtDuration(t.durationMs)}
        </Stat>
        <Stat label="Exit reason" hint={t.strategy ? `strategy ${t.strategy}` : undefined}>
          <span className="stat-text">{reasonLabel(t.exitReason)}</span>
        </Stat>
      </div>

      <Panel title="Execution: requested vs filled">
        <DataTable
          rows={
            [
              ["Entry", t.entryTime, execution.entry],
              ["Exit", t.exitTime, execution.exit],
            ] as const
          }
          rowKey={([leg]) => leg}
          columns={[
            { key: "leg", header: "Leg", rowHeader: true, cell: ([leg]) => leg },
            { key: "time", header: "Time (UTC)", cellClassName: "mono", cell: ([, ts]) => fmtTime(ts) },
            { key: "requested", header: "Requested", numeric: true, cell: ([, , e]) => fmtNum(e.requestedPrice, pdp) },
            { key: "filled", header: "Filled (avg)", numeric: true, cell: ([, , e]) => fmtNum(e.filledPrice, pdp) },
            { key: "slippage", header: "Slippage", numeric: true, cell: ([, , e]) => <Slippage bps={e.slippageBps} /> },
            {
              key: "order",
              header: "Order",
              cell: ([, , e]) => (e.orderId ? <Link href={`/orders/${encodeURIComponent(e.orderId)}`}>{e.orderId}</Link> : <span className="muted">—</span>),
            },
          ]}
        />
      </Panel>

      <Panel title={`Fills (${fills.length})`}>
        {fills.length === 0 ? (
          <Empty>No fills are recorded for this trade&apos;s position.</Empty>
        ) : (
          <DataTable
            rows={fills}
            rowKey={(f) => f.id}
            columns={[
              { key: "time", header: "Time (UTC)", cellClassName: "mono", cell: (f) => fmtTime(f.ts) },
              {
                key: "leg",
                header: "Leg",
                cell: (f) => (
                  <>
                    {f.role}
                    {f.late ? (
                      <>
                        {" "}
                        <Badge tone="warn">LATE</Badge>
                      </>
                    ) : null}
                  </>
                ),
              },
              { key: "side", header: "Side", cellClassName: (f) => (f.side === "BUY" ? "side-buy" : "side-sell"), cell: (f) => f.side },
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
              { key: "liquidity", header: "Liquidity", cell: (f) => f.liquidity ?? "—" },
              { key: "order", header: "Order", cell: (f) => <Link href={`/orders/${encodeURIComponent(f.clientOrderId)}`}>{f.clientOrderId}</Link> },
              { key: "tradeId", header: "Venue trade id", cellClassName: "mono muted", cell: (f) => f.tradeId },
            ]}
            foot={
              <tr>
                <th scope="row" colSpan={5}>
                  Fees on fills
                </th>
                <td className="num">{fillFees}</td>
                <td colSpan={3} className={feesMatch ? "muted" : "error"}>
                  {feesMatch ? "= the trade's fees" : `≠ the trade's fees (${t.fees})`}
                </td>
              </tr>
            }
          />
        )}
      </Panel>

      <Panel title={`Orders (${orders.length})`}>
        {orders.length === 0 ? (
          <Empty>No orders are recorded for this trade&apos;s position.</Empty>
        ) : (
          <DataTable
            rows={orders}
            rowKey={(o) => o.clientOrderId}
            columns={[
              { key: "order", header: "Order", cell: (o) => <Link href={`/orders/${encodeURIComponent(o.clientOrderId)}`}>{o.clientOrderId}</Link> },
              {
                key: "leg",
                header: "Leg",
                cell: (o) => (
                  <>
                    {o.role}
                    {o.reduceOnly ? <span className="muted"> · reduce-only</span> : null}
                  </>
                ),
              },
              { key: "side", header: "Side", cellClassName: (o) => (o.side === "BUY" ? "side-buy" : "side-sell"), cell: (o) => o.side },
              { key: "type", header: "Type", cell: (o) => o.type },
              { key: "status", header: "Status", cell: (o) => o.status },
              {
                key: "qty",
                header: "Qty (filled)",
                numeric: true,
                cell: (o) => (
                  <>
                    {fmtNum(o.quantity, qdp)} <span className="muted">({fmtNum(o.filledQty, qdp)})</span>
                  </>
                ),
              },
              { key: "requested", header: "Requested", numeric: true, cell: (o) => fmtNum(o.requestedPrice, pdp) },
              { key: "avgFill", header: "Avg fill", numeric: true, cell: (o) => fmtNum(o.avgFillPrice, pdp) },
              { key: "slippage", header: "Slippage", numeric: true, cell: (o) => <Slippage bps={o.slippageBps} /> },
              { key: "fees", header: "Fees", numeric: true, cell: (o) => <Money value={o.feesPaid} currency={currency} /> },
              { key: "created", header: "Created (UTC)", cellClassName: "mono", cell: (o) => fmtTime(o.createdAt) },
            ]}
          />
        )}
      </Panel>
    </>
  );
}

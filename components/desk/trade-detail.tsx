"use client";
/** A closed trade: the result, requested vs filled price and slippage per leg, its fills, fees and the orders involved. */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../trpc/client";
import { decimalsOf, fmtDuration, fmtNum, fmtPct, fmtTime } from "../ui/format";
import { Badge, Empty, ErrorText, Loading, Num, Panel, Pnl, Stat } from "../ui/kit";
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
  const pdp = decimalsOf(instrument?.priceTick);
  const qdp = decimalsOf(instrument?.qtyStep, 5);
  const feesMatch = Number(fillFees) === Number(t.fees);
  return (
    <>
      <p className="crumbs">
        <Link href="/history">← History</Link>
      </p>
      <h1 className="page-title">
        Trade {t.symbol} {t.side} <Outcome outcome={t.outcome} /> <span className="muted mono trade-id">{t.id}</span>
      </h1>
      <div className="stats">
        <Stat label="Net PnL" hint={fmtPct(t.pnlPct, 3, true)}>
          <Pnl value={t.pnl} />
        </Stat>
        <Stat label="Gross PnL" hint="before fees">
          <Pnl value={t.grossPnl} />
        </Stat>
        <Stat label="Fees">
          <Num value={t.fees} dp={4} />
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
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Leg</th>
                <th scope="col">Time (UTC)</th>
                <th scope="col" className="num">
                  Requested
                </th>
                <th scope="col" className="num">
                  Filled (avg)
                </th>
                <th scope="col" className="num">
                  Slippage
                </th>
                <th scope="col">Order</th>
              </tr>
            </thead>
            <tbody>
              {(
                [
                  ["Entry", t.entryTime, execution.entry],
                  ["Exit", t.exitTime, execution.exit],
                ] as const
              ).map(([leg, ts, e]) => (
                <tr key={leg}>
                  <th scope="row">{leg}</th>
                  <td className="mono">{fmtTime(ts)}</td>
                  <td className="num">{fmtNum(e.requestedPrice, pdp)}</td>
                  <td className="num">{fmtNum(e.filledPrice, pdp)}</td>
                  <td className="num">
                    <Slippage bps={e.slippageBps} />
                  </td>
                  <td>{e.orderId ? <Link href={`/orders/${encodeURIComponent(e.orderId)}`}>{e.orderId}</Link> : <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Panel>

      <Panel title={`Fills (${fills.length})`}>
        {fills.length === 0 ? (
          <Empty>No fills are recorded for this trade&apos;s position.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Time (UTC)</th>
                  <th scope="col">Leg</th>
                  <th scope="col">Side</th>
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
                  <th scope="col">Order</th>
                  <th scope="col">Venue trade id</th>
                </tr>
              </thead>
              <tbody>
                {fills.map((f) => (
                  <tr key={f.id}>
                    <td className="mono">{fmtTime(f.ts)}</td>
                    <td>
                      {f.role}
                      {f.late ? (
                        <>
                          {" "}
                          <Badge tone="warn">LATE</Badge>
                        </>
                      ) : null}
                    </td>
                    <td className={f.side === "BUY" ? "side-buy" : "side-sell"}>{f.side}</td>
                    <td className="num">{fmtNum(f.qty, qdp)}</td>
                    <td className="num">{fmtNum(f.price, pdp)}</td>
                    <td className="num">
                      {fmtNum(f.fee, 4)} <span className="muted">{f.feeCurrency}</span>
                    </td>
                    <td>{f.liquidity ?? "—"}</td>
                    <td>
                      <Link href={`/orders/${encodeURIComponent(f.clientOrderId)}`}>{f.clientOrderId}</Link>
                    </td>
                    <td className="mono muted">{f.tradeId}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row" colSpan={5}>
                    Fees on fills
                  </th>
                  <td className="num">{fillFees}</td>
                  <td colSpan={3} className={feesMatch ? "muted" : "error"}>
                    {feesMatch ? "= the trade's fees" : `≠ the trade's fees (${t.fees})`}
                  </td>
                </tr>
              </tfoot>
            </table>
          </div>
        )}
      </Panel>

      <Panel title={`Orders (${orders.length})`}>
        {orders.length === 0 ? (
          <Empty>No orders are recorded for this trade&apos;s position.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col">Leg</th>
                  <th scope="col">Side</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Qty (filled)
                  </th>
                  <th scope="col" className="num">
                    Requested
                  </th>
                  <th scope="col" className="num">
                    Avg fill
                  </th>
                  <th scope="col" className="num">
                    Slippage
                  </th>
                  <th scope="col" className="num">
                    Fees
                  </th>
                  <th scope="col">Created (UTC)</th>
                </tr>
              </thead>
              <tbody>
                {orders.map((o) => (
                  <tr key={o.clientOrderId}>
                    <td>
                      <Link href={`/orders/${encodeURIComponent(o.clientOrderId)}`}>{o.clientOrderId}</Link>
                    </td>
                    <td>
                      {o.role}
                      {o.reduceOnly ? <span className="muted"> · reduce-only</span> : null}
                    </td>
                    <td className={o.side === "BUY" ? "side-buy" : "side-sell"}>{o.side}</td>
                    <td>{o.type}</td>
                    <td>{o.status}</td>
                    <td className="num">
                      {fmtNum(o.quantity, qdp)} <span className="muted">({fmtNum(o.filledQty, qdp)})</span>
                    </td>
                    <td className="num">{fmtNum(o.requestedPrice, pdp)}</td>
                    <td className="num">{fmtNum(o.avgFillPrice, pdp)}</td>
                    <td className="num">
                      <Slippage bps={o.slippageBps} />
                    </td>
                    <td className="num">{fmtNum(o.feesPaid, 4)}</td>
                    <td className="mono">{fmtTime(o.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
    </>
  );
}

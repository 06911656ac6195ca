"use client";
/** Overview: equity, today's PnL, drawdown, exposure, state and breaker, venue and feed, positions, fills, alerts. */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Fragment, useState } from "react";
import { EquityChart } from "../charts/equity-chart";
import { useTRPC } from "../trpc/client";
import { fmtDuration, fmtMoney, fmtNum, fmtPct, fmtTime, instrumentDecimals, signOf } from "../ui/format";
import type { RouterOutputs } from "../trpc/types";
import { DataTable } from "../ui/data-table";
import { Badge, Empty, ErrorText, Loading, Money, Panel, Pnl, Stat } from "../ui/kit";
import { VenueControls } from "./venue-controls";

/** The Overview lists this many positions; the Positions page pages through all of them. */
const OVERVIEW_ROWS = 10;

export function OverviewView() {
  const trpc = useTRPC();
  const summary = useQuery(trpc.overview.summary.queryOptions());
  // A stable window start (a new Date.now() each render would be a new query every render).
  const [since] = useState(() => Math.floor((Date.now() - 7 * 86_400_000) / 60_000) * 60_000);
  const curve = useQuery(trpc.overview.equity.queryOptions({ sinceMs: since, points: 400 }));
  if (summary.error) return <ErrorText error={summary.error} />;
  if (!summary.data) return <Loading />;
  const s = summary.data;
  const instrument = (symbol: string) => s.instruments.find((i) => i.symbol === symbol);
  const equity = Number(s.equity.equity);
  const exposurePct = equity > 0 ? (Number(s.equity.exposure) / equity) * 100 : 0;
  const breaker = s.breaker;
  return (
    <>
      <h1 className="page-title">Overview</h1>
      <div className="stats">
        <Stat label="Equity" hint={<UsdtEquity money={s.money} />}>
          <Money value={s.equity.equity} currency={s.money.currency} suffix />
        </Stat>
        <Stat label="Today's PnL" hint="realized, UTC day">
          <Pnl value={s.dailyPnl} />
        </Stat>
        <Stat label="Drawdown" hint="from the equity peak">
          {fmtPct(s.drawdownPct ?? 0)}
        </Stat>
        <Stat label="Exposure" hint={`${fmtPct(exposurePct, 1)} of equity`}>
          <Money value={s.equity.exposure} currency={s.money.currency} />
        </Stat>
        <Stat label="Unrealized">
          <Pnl value={s.equity.unrealized} />
        </Stat>
        <Stat label="Open positions">{s.openPositions}</Stat>
        <Stat label="Open orders">{s.openOrders}</Stat>
        <Stat
          label={s.venues.length > 1 ? "Venues" : "Venue"}
          hint={
            s.venue.lastError ? (
              // A venue's error can carry its raw answer (an HTML 503 page): a few lines here, all of it on hover.
              <span className="stat-hint-clamp" title={s.venue.lastError}>
                {s.venue.connected ? "last error: " : ""}
                {s.venue.lastError}
              </span>
            ) : s.venues.length > 1 ? (
              s.venues.some((v) => !v.connected) ? (
                `down: ${s.venues
                  .filter((v) => !v.connected)
                  .map((v) => v.id)
                  .join(", ")}`
              ) : (
                `latency up to ${Math.max(...s.venues.map((v) => v.latencyMs ?? 0))} ms`
              )
            ) : (
              `latency ${s.venue.latencyMs ?? "—"} ms`
            )
          }
        >
          {s.venues.length > 1 ? (
            // Several venues: how many are up (the Venues table below has each one).
            <Badge tone={s.venues.every((v) => v.connected) ? "ok" : "bad"}>
              {`${s.venues.filter((v) => v.connected).length}/${s.venues.length} connected`}
            </Badge>
          ) : (
            <Badge tone={s.venue.connected ? "ok" : "bad"}>{s.venue.connected ? `${s.venue.id} connected` : `${s.venue.id} DOWN`}</Badge>
          )}
        </Stat>
      </div>
      {s.equity.unconverted ? (
        // A currency with no rate into the desk's is left out of equity, and said so (never counted 1:1).
        <p role="status" className="muted">
          Not in equity (no mark or fixed rate into {s.money.currency}):{" "}
          {s.equity.unconverted.map((u) => `${u.currency} unrealized ${u.unrealized}, realized ${u.realizedNet}, exposure ${u.exposure}`).join("; ")}.
        </p>
      ) : null}

      <div className="grid-2">
        <div>
          <Panel title="Equity">{curve.data ? <EquityChart points={curve.data.map((p) => ({ ts: p.ts, equity: p.equity }))} /> : <Loading />}</Panel>
          <Panel
            title={`Open positions${s.positions.length > OVERVIEW_ROWS ? ` (${OVERVIEW_ROWS} of ${s.positions.length})` : ""}`}
            actions={<Link href="/positions">All positions →</Link>}
          >
            {s.positions.length === 0 ? (
              <Empty>No open positions.</Empty>
            ) : (
              <DataTable
                rows={s.positions.slice(0, OVERVIEW_ROWS)}
                rowKey={(p) => p.id}
                columns={[
                  { key: "symbol", header: "Symbol", cell: (p) => p.symbol },
                  { key: "strategy", header: "Strategy", cellClassName: "strategy-cell", cell: (p) => p.strategy },
                  { key: "venue", header: "Venue", cell: (p) => p.venue },
                  { key: "side", header: "Side", cell: (p) => p.side },
                  { key: "qty", header: "Qty", numeric: true, cell: (p) => fmtNum(p.quantity, instrumentDecimals(instrument(p.symbol), p.symbol).qty) },
                  {
                    key: "entry",
                    header: "Entry",
                    numeric: true,
                    cell: (p) => fmtNum(p.avgEntryPrice, instrumentDecimals(instrument(p.symbol), p.symbol).price),
                  },
                  { key: "mark", header: "Mark", numeric: true, cell: (p) => fmtNum(p.mark, instrumentDecimals(instrument(p.symbol), p.symbol).price) },
                  { key: "unrealized", header: "Unrealized", numeric: true, cell: (p) => <Pnl value={p.unrealizedPnl} pct={p.unrealizedPnlPct} /> },
                  { key: "age", header: "Age", numeric: true, cell: (p) => fmtDuration(p.ageMs) },
                ]}
              />
            )}
          </Panel>
          <Panel title="Strategies today (UTC)" actions={<Link href="/performance">Compare →</Link>}>
            {s.strategies.length === 0 ? (
              <Empty>No strategy has positions, trades or signals today.</Empty>
            ) : (
              <DataTable
                className="ov-strategies"
                label="Strategies today (UTC)"
                rows={s.strategies}
                rowKey={(r) => r.strategy}
                columns={[
                  {
                    key: "strategy",
                    header: "Strategy",
                    rowHeader: true,
                    cellClassName: "keep-case",
                    cell: (r) => <Link href={`/positions?strategy=${encodeURIComponent(r.strategy)}`}>{r.strategy}</Link>,
                  },
                  { key: "open", header: "Open", numeric: true, cell: (r) => r.openPositions },
                  { key: "exposure", header: "Exposure", numeric: true, cell: (r) => <Money value={r.exposure} /> },
                  { key: "unrealized", header: "Unrealized", numeric: true, cell: (r) => <Pnl value={r.unrealized} /> },
                  { key: "realized", header: "Realized", numeric: true, cell: (r) => <Pnl value={r.realizedToday} /> },
                  { key: "trades", header: "Trades", numeric: true, cell: (r) => r.tradesToday },
                  { key: "accepted", header: <abbr title="Signals accepted today">Sig. ok</abbr>, numeric: true, cell: (r) => r.signalsAccepted },
                  {
                    key: "refused",
                    header: <abbr title="Signals refused today (denied or failed)">Sig. refused</abbr>,
                    numeric: true,
                    cell: (r) => r.signalsRefused,
                  },
                ]}
              />
            )}
          </Panel>
          <Panel title="Venues">
            <DataTable
              className="ov-venues"
              label="Venues"
              rows={s.venues}
              rowKey={(v) => v.id}
              columns={[
                { key: "id", header: "Venue", rowHeader: true, cellClassName: "keep-case", cell: (v) => v.id },
                { key: "exchange", header: "Exchange", cellClassName: "keep-case", cell: (v) => v.exchange },
                {
                  key: "connected",
                  header: "Connection",
                  cell: (v) => <Badge tone={v.connected ? "ok" : "bad"}>{v.connected ? "connected" : "DOWN"}</Badge>,
                },
                {
                  key: "latency",
                  header: "Latency",
                  numeric: true,
                  cell: (v) => (v.latencyMs === null ? "—" : `${v.latencyMs} ms`),
                },
                {
                  key: "state",
                  header: "State",
                  cell: (v) => (
                    <span title={v.stateReason ?? undefined}>
                      <Badge tone={v.state === "ACTIVE" ? "ok" : v.state === "HALTED" ? "bad" : "warn"}>{v.state}</Badge>
                    </span>
                  ),
                },
                { key: "orders", header: "Orders", numeric: true, cell: (v) => v.openOrders },
                { key: "positions", header: "Positions", numeric: true, cell: (v) => v.openPositions },
                {
                  key: "exposure",
                  header: "Exposure",
                  numeric: true,
                  cell: (v) =>
                    v.exposure === null ? <span title={v.conversionNote ?? undefined}>—</span> : <Money value={v.exposure} currency={s.money.currency} />,
                },
                {
                  key: "balances",
                  header: "Balances",
                  cell: (v) => (v.balances.length === 0 ? <span className="muted">not read yet</span> : <VenueBalances balances={v.balances} />),
                },
                {
                  key: "error",
                  header: "Last error",
                  cell: (v) =>
                    v.lastError ? (
                      <span className="stat-hint-clamp" title={v.lastError}>
                        {v.lastError}
                      </span>
                    ) : (
                      <span className="muted">none</span>
                    ),
                },
                ...(s.venues.length > 1
                  ? [
                      {
                        key: "controls",
                        header: "Controls",
                        cell: (v: (typeof s.venues)[number]) => <VenueControls venue={v.id} state={v.state} openOrders={v.openOrders} />,
                      },
                    ]
                  : []),
              ]}
            />
          </Panel>
          <Panel title="Recent fills">
            {s.recentFills.length === 0 ? (
              <Empty>No fills yet.</Empty>
            ) : (
              <DataTable
                rows={s.recentFills}
                rowKey={(f) => f.tradeId}
                columns={[
                  { key: "time", header: "Time (UTC)", cellClassName: "mono", cell: (f) => fmtTime(f.ts) },
                  { key: "symbol", header: "Symbol", cell: (f) => f.symbol },
                  { key: "strategy", header: "Strategy", cellClassName: "strategy-cell", cell: (f) => f.strategy },
                  { key: "side", header: "Side", cellClassName: (f) => (f.side === "BUY" ? "side-buy" : "side-sell"), cell: (f) => f.side },
                  { key: "qty", header: "Qty", numeric: true, cell: (f) => fmtNum(f.qty, instrumentDecimals(instrument(f.symbol), f.symbol).qty) },
                  { key: "price", header: "Price", numeric: true, cell: (f) => fmtNum(f.price, instrumentDecimals(instrument(f.symbol), f.symbol).price) },
                  { key: "fee", header: "Fee", numeric: true, cell: (f) => <Money value={f.fee} /> },
                ]}
              />
            )}
          </Panel>
        </div>
        <div>
          <Panel title="Trading state">
            <table className="data">
              <tbody>
                <tr>
                  <th scope="row">State</th>
                  <td>
                    <Badge tone={s.tradingState === "ACTIVE" ? "ok" : s.tradingState === "REDUCING" ? "warn" : "bad"}>{s.tradingState}</Badge>
                  </td>
                </tr>
                <tr>
                  <th scope="row">Why</th>
                  <td>{s.tradingStateInfo.reason}</td>
                </tr>
                <tr>
                  <th scope="row">By</th>
                  <td>{s.tradingStateInfo.by}</td>
                </tr>
                <tr>
                  <th scope="row">Since</th>
                  <td className="num">{fmtTime(s.tradingStateInfo.since || null)}</td>
                </tr>
              </tbody>
            </table>
          </Panel>
          <Panel title="Circuit breaker">
            {breaker ? (
              <table className="data">
                <tbody>
                  <tr>
                    <th scope="row">State</th>
                    <td>
                      <Badge tone={breaker.state === "OPEN" ? "bad" : "ok"}>{breaker.state === "OPEN" ? "TRIPPED" : "CLOSED (normal)"}</Badge>
                    </td>
                  </tr>
                  {breaker.state === "OPEN" ? (
                    <>
                      <tr>
                        <th scope="row">Reason</th>
                        <td>{breaker.message ?? breaker.reason}</td>
                      </tr>
                      <tr>
                        <th scope="row">Since</th>
                        <td>
                          <span className="mono">{fmtTime(breaker.trippedAt)}</span> by {breaker.trippedBy}
                        </td>
                      </tr>
                      <tr>
                        <th scope="row">Cooldown</th>
                        <td className="num">{breaker.cooldownRemainingMs > 0 ? fmtDuration(breaker.cooldownRemainingMs) : "over"}</td>
                      </tr>
                    </>
                  ) : null}
                  <tr>
                    <th scope="row">Losses in a row</th>
                    <td className="num">{breaker.consecutiveLosses}</td>
                  </tr>
                  <tr>
                    <th scope="row">Orders last min / hour</th>
                    <td className="num">
                      {breaker.ordersLastMinute} / {breaker.ordersLastHour}
                    </td>
                  </tr>
                  <tr>
                    <th scope="row">Errors in a row</th>
                    <td className="num">{breaker.consecutiveErrors}</td>
                  </tr>
                </tbody>
              </table>
            ) : (
              <Empty>The breaker is off in this mode.</Empty>
            )}
          </Panel>
          <Panel title="Market data">
            <p>
              <Badge tone={s.feed.connected ? "ok" : "bad"}>{s.feed.connected ? "LIVE" : "DOWN"}</Badge> {s.feed.message}
            </p>
            <p className="muted">Last update {fmtTime(s.feed.lastUpdateAt)}</p>
            <p className="muted" data-testid="desk-started">
              Desk started {fmtTime(s.desk.startedAt)};{" "}
              {s.desk.firstFillAt === null ? "no trade yet" : `first trade ${fmtDuration(s.desk.firstFillAt - s.desk.startedAt)} later`}.
            </p>
          </Panel>
          <Panel title="Alerts">
            {s.alerts.length === 0 ? (
              <Empty>No alerts.</Empty>
            ) : (
              <ul className="alerts">
                {s.alerts.map((a, i) => (
                  <li key={`${a.ts}-${i}`} className={`alert ${a.level}`}>
                    <span className="num-text muted">{fmtTime(a.ts)}</span> {a.message}
                  </li>
                ))}
              </ul>
            )}
          </Panel>
        </div>
      </div>
    </>
  );
}

type DeskMoney = RouterOutputs["overview"]["summary"]["money"];

/** Equity in USDT at the recorded mark, saying which bar the mark is and when the recording does not cover the desk's time. */
function UsdtEquity({ money }: { money: DeskMoney }) {
  if (!money.equityUsdt || !money.mark) return null;
  const m = money.mark;
  return (
    <span data-testid="equity-usdt" title={m.covers ? undefined : `No ${m.pair} is recorded for the time being replayed; the nearest recorded bar stands in.`}>
      ≈ {fmtMoney(money.equityUsdt, "USDT")} USDT at {m.pair} {fmtMoney(m.price, "USDT")} ({fmtTime(m.ts, false)}
      {m.covers ? "" : ", nearest recorded"})
    </span>
  );
}

/**
 * A venue's balances at each currency's precision (the exact figure in the tooltip), the ones at zero counted rather
 * than listed: a desk of ten coins read "0 ADA, 0.79505311318061638975 BTC, 0 DASH, …" and pushed the table off screen.
 */
function VenueBalances({ balances }: { balances: { currency: string; total: string }[] }) {
  const held = balances.filter((b) => signOf(b.total) !== 0);
  const atZero = balances.length - held.length;
  return (
    <>
      {held.map((b, i) => (
        <Fragment key={b.currency}>
          {i > 0 ? ", " : null}
          <span className="keep-together" title={`${b.total} ${b.currency}`}>
            {fmtMoney(b.total, b.currency)} {b.currency}
          </span>
        </Fragment>
      ))}
      {atZero > 0 ? <span className="muted">{held.length > 0 ? ` · ${atZero} more at 0` : `all ${atZero} at 0`}</span> : null}
    </>
  );
}

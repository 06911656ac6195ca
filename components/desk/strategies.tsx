"use client";
/**
 * Strategies (a model is a strategy): per strategy, the signals it sent and what became of them, the direction it called
 * against the market, its promised return (`expectedReturn`) against the realized one, its confidence calibration and
 * where its PnL came from. One `<table>` per group; the calibration also as a chart. The same figures download as JSON
 * or CSV for the model's own training loop.
 */
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import type { AppRouter } from "@/server/api/root";
import { CalibrationChart } from "../charts/calibration-chart";
import { useTRPC } from "../trpc/client";
import { DataTable } from "../ui/data-table";
import { fmtNum, fmtPct, moneyCurrencyOf } from "../ui/format";
import { asMoney, asPnl, ByCurrency, Empty, ErrorText, Loading, Panel, Pnl } from "../ui/kit";
import { useWindowChoice, WindowHead, type WindowOption } from "./window-choice";

type Report = inferRouterOutputs<AppRouter>["strategies"]["metrics"];
type Row = Report["strategies"][number];

const WINDOWS: WindowOption[] = [
  ["7d", "7 days", 7],
  ["30d", "30 days", 30],
  ["all", "All time", null],
];

/** A fraction (0.42) as a percentage, or "—". */
const rate = (x: number | null, dp = 1) => (x === null ? "—" : fmtPct(x * 100, dp));
/** A return fraction as a signed percentage. */
const ret = (x: number | null) => (x === null ? "—" : fmtPct(x * 100, 2, true));

/** A ratio to 2 decimals. */
const ratio = (x: number | null) => (x === null ? "—" : fmtNum(x, 2));

const name = { key: "strategy", header: "Strategy", rowHeader: true, cellClassName: "keep-case", cell: (r: Row) => r.strategy } as const;

export function StrategiesView() {
  const trpc = useTRPC();
  const { windowKey, from, choose } = useWindowChoice();
  const [chosen, setChosen] = useState<string | null>(null);
  const report = useQuery(trpc.strategies.metrics.queryOptions(from === undefined ? {} : { from }));
  const r = report.data;
  const query = from === undefined ? "" : `&from=${from}`;
  const rows = r?.strategies ?? [];
  const calibrated = rows.find((s) => s.strategy === chosen) ?? rows.find((s) => s.calibration.some((b) => b.trades > 0)) ?? rows[0];

  return (
    <>
      <WindowHead title="Strategies" windows={WINDOWS} windowKey={windowKey} onChoose={choose} />
      <p className="muted perf-note">
        Export for a model&apos;s training loop:{" "}
        <a href={`/api/strategies/export?format=json${query}`} download>
          JSON (metrics and one row per signal)
        </a>{" "}
        ·{" "}
        <a href={`/api/strategies/export?format=csv${query}`} download>
          CSV (one row per signal)
        </a>
      </p>
      {report.error ? <ErrorText error={report.error} /> : null}
      {!r ? (
        report.error ? null : (
          <Loading />
        )
      ) : rows.length === 0 ? (
        <Empty>No signals or closed trades in this window.</Empty>
      ) : (
        <>
          {r.truncated ? (
            <p className="strategies-note" role="status">
              More than {r.rowLimit.toLocaleString("en-US")} signals or trades in this window: only the oldest are measured. Choose a shorter window.
            </p>
          ) : null}
          <Panel title="Signals">
            <DataTable
              className="strategies-signals"
              label="Signals per strategy"
              rows={rows}
              rowKey={(s) => s.strategy}
              columns={[
                name,
                { key: "received", header: "Received", numeric: true, cell: (s) => s.signals.received.toLocaleString("en-US") },
                { key: "accepted", header: "Accepted", numeric: true, cell: (s) => s.signals.accepted.toLocaleString("en-US") },
                { key: "denied", header: "Refused", numeric: true, cell: (s) => s.signals.denied.toLocaleString("en-US") },
                { key: "failed", header: "Failed", numeric: true, cell: (s) => s.signals.failed.toLocaleString("en-US") },
                {
                  key: "codes",
                  header: "Refused by code",
                  cell: (s) => (s.signals.refusedByCode.length === 0 ? "—" : s.signals.refusedByCode.map((c) => `${c.code} ×${c.count}`).join(", ")),
                },
              ]}
            />
          </Panel>
          <Panel title="Direction">
            <DataTable
              className="strategies-direction"
              label="Direction hit rate per strategy"
              rows={rows}
              rowKey={(s) => s.strategy}
              columns={[
                name,
                { key: "judged", header: "Trades judged", numeric: true, cell: (s) => s.direction.judged },
                { key: "hits", header: "Right", numeric: true, cell: (s) => s.direction.hits },
                { key: "misses", header: "Wrong", numeric: true, cell: (s) => s.direction.misses },
                { key: "flat", header: "Flat", numeric: true, cell: (s) => s.direction.flat },
                { key: "hitRate", header: "Hit rate", numeric: true, cell: (s) => rate(s.direction.hitRate) },
              ]}
            />
            <p className="muted perf-note">Right: the price moved the way the position was opened, before fees.</p>
          </Panel>
          <Panel title="Expected against realized return">
            <DataTable
              className="strategies-expected"
              label="Expected return against realized return per strategy"
              rows={rows}
              rowKey={(s) => s.strategy}
              columns={[
                name,
                { key: "pairs", header: "Trades", numeric: true, cell: (s) => s.expectedReturn.pairs },
                { key: "expected", header: "Mean expected", numeric: true, cell: (s) => ret(s.expectedReturn.meanExpected) },
                { key: "realized", header: "Mean realized", numeric: true, cell: (s) => ret(s.expectedReturn.meanRealized) },
                { key: "error", header: "Mean error", numeric: true, cell: (s) => ret(s.expectedReturn.meanError) },
                { key: "abs", header: "Mean abs. error", numeric: true, cell: (s) => ret(s.expectedReturn.meanAbsError) },
                {
                  key: "corr",
                  header: "Correlation",
                  numeric: true,
                  cell: (s) => (s.expectedReturn.correlation === null ? "—" : fmtNum(s.expectedReturn.correlation, 2)),
                },
                { key: "sign", header: "Same sign", numeric: true, cell: (s) => rate(s.expectedReturn.signAgreement) },
              ]}
            />
            <p className="muted perf-note">Realized return: the trade&apos;s net PnL over its entry notional. Error: realized − expected.</p>
          </Panel>
          <Panel
            title="Confidence calibration"
            actions={
              <label className="strategies-pick">
                Strategy{" "}
                <select className="input" value={calibrated?.strategy ?? ""} onChange={(e) => setChosen(e.target.value)}>
                  {rows.map((s) => (
                    <option key={s.strategy} value={s.strategy}>
                      {s.strategy}
                    </option>
                  ))}
                </select>
              </label>
            }
          >
            {calibrated ? (
              <>
                <CalibrationChart strategy={calibrated.strategy} buckets={calibrated.calibration} />
                <DataTable
                  className="strategies-calibration"
                  label={`Calibration of ${calibrated.strategy}`}
                  rows={calibrated.calibration}
                  rowKey={(b) => b.from}
                  columns={[
                    { key: "bucket", header: "Confidence", rowHeader: true, cell: (b) => `${b.from.toFixed(1)}–${b.to.toFixed(1)}` },
                    { key: "trades", header: "Trades", numeric: true, cell: (b) => b.trades },
                    { key: "wins", header: "Won", numeric: true, cell: (b) => b.wins },
                    { key: "winRate", header: "Win rate", numeric: true, cell: (b) => rate(b.winRate) },
                    { key: "conf", header: "Mean confidence", numeric: true, cell: (b) => rate(b.meanConfidence) },
                  ]}
                />
              </>
            ) : null}
          </Panel>
          <Panel title="PnL attribution">
            <DataTable
              className="strategies-pnl"
              label="PnL per strategy"
              rows={rows}
              rowKey={(s) => s.strategy}
              columns={[
                name,
                { key: "trades", header: "Trades", numeric: true, cell: (s) => s.pnl.trades.toLocaleString("en-US") },
                { key: "winRate", header: "Win rate", numeric: true, cell: (s) => rate(s.pnl.winRate) },
                // A strategy trading symbols quoted in several currencies: its money a line per currency, and "mixed" for an
                // average or payoff (a BTC and a USDT amount do not average).
                {
                  key: "net",
                  header: "Net PnL",
                  numeric: true,
                  cell: (s) => <ByCurrency rows={s.pnl.byCurrency} total={s.pnl.netPnl} pick={(c) => c.netPnl} render={asPnl} />,
                },
                {
                  key: "fees",
                  header: "Fees",
                  numeric: true,
                  cell: (s) => <ByCurrency rows={s.pnl.byCurrency} total={s.pnl.fees} pick={(c) => c.fees} render={asMoney} />,
                },
                { key: "avgWin", header: "Avg win", numeric: true, cell: (s) => <ByCurrency rows={s.pnl.byCurrency} total={s.pnl.avgWin} render={asMoney} /> },
                {
                  key: "avgLoss",
                  header: "Avg loss",
                  numeric: true,
                  cell: (s) => <ByCurrency rows={s.pnl.byCurrency} total={s.pnl.avgLoss} render={asMoney} />,
                },
                {
                  key: "payoff",
                  header: "Payoff",
                  numeric: true,
                  cell: (s) => <ByCurrency rows={s.pnl.byCurrency} total={s.pnl.payoffRatio} render={ratio} ratio />,
                },
                {
                  key: "share",
                  header: "Share",
                  numeric: true,
                  cell: (s) => <ByCurrency rows={s.pnl.byCurrency} total={s.pnl.share} pick={(c) => c.share} render={(x) => rate(x)} ratio />,
                },
              ]}
            />
            <DataTable
              className="strategies-symbols"
              label="PnL per strategy and symbol"
              rows={rows.flatMap((s) => s.pnl.bySymbol.map((b) => ({ ...b, strategy: s.strategy })))}
              rowKey={(b) => `${b.strategy} ${b.symbol}`}
              columns={[
                { key: "strategy", header: "Strategy", cellClassName: "keep-case", cell: (b) => b.strategy },
                { key: "symbol", header: "Symbol", cell: (b) => b.symbol },
                { key: "trades", header: "Trades", numeric: true, cell: (b) => b.trades.toLocaleString("en-US") },
                // A symbol's PnL is in its quote currency.
                { key: "net", header: "Net PnL", numeric: true, cell: (b) => <Pnl value={b.netPnl} currency={moneyCurrencyOf(b.symbol)} /> },
              ]}
            />
            <p className="muted perf-note">
              Share: the strategy&apos;s net PnL over the sum of every strategy&apos;s absolute net PnL, in each quote currency apart.
            </p>
          </Panel>
        </>
      )}
    </>
  );
}

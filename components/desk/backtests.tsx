"use client";
/**
 * Backtests: stored runs and the shipped data sets; traders start a run (sma-cross on a shipped candle file); a run's
 * page shows its report, equity curve, drawdown and trades.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent, type ReactNode } from "react";
import { DrawdownChart } from "../charts/drawdown-chart";
import { EquityChart } from "../charts/equity-chart";
import { Can } from "../trpc/session";
import { errorMessage, useTRPC } from "../trpc/client";
import { fmtDuration, fmtMoney, fmtNum, fmtPct, fmtPrice, fmtTime, quoteOfSymbol } from "../ui/format";
import { DataTable } from "../ui/data-table";
import { Badge, Empty, ErrorText, Loading, Money, Panel, Pnl, Stat } from "../ui/kit";

function fmtRange(first: number | null, last: number | null): string {
  return `${fmtTime(first, false)} → ${fmtTime(last, false)}`;
}

function paramText(params: Record<string, string | number | boolean | null>): string {
  const p = params;
  const parts = [
    `fast ${String(p.fast ?? "—")}`,
    `slow ${String(p.slow ?? "—")}`,
    `fee ${String(p.feeBps ?? "0")} bps`,
    `slippage ${String(p.slippage ?? "none")}`,
  ];
  if (p.qtyStep) parts.push(`step ${String(p.qtyStep)}`);
  return parts.join(" · ");
}

function StatusBadge({ status }: { status: string }) {
  return <Badge tone={status === "DONE" ? "ok" : status === "RUNNING" ? "info" : "bad"}>{status}</Badge>;
}

export function BacktestsView() {
  const trpc = useTRPC();
  const runs = useQuery(trpc.backtests.list.queryOptions({ limit: 100 }));
  const datasets = useQuery(trpc.backtests.datasets.queryOptions(undefined, { staleTime: 300_000 }));
  const [justRan, setJustRan] = useState<string | null>(null);
  return (
    <>
      <h1 className="page-title">Backtests</h1>
      <div className="grid-2">
        <div>
          <Can
            role="trader"
            fallback={
              <Panel title="Run a backtest">
                <Empty>Starting a backtest needs the trader role; you can read every stored run.</Empty>
              </Panel>
            }
          >
            <RunForm datasets={datasets.data ?? []} onRan={setJustRan} />
          </Can>
        </div>
        <div>
          <Panel title="Data sets">
            {datasets.error ? <ErrorText error={datasets.error} /> : null}
            {!datasets.data ? (
              datasets.error ? null : (
                <Loading />
              )
            ) : datasets.data.length === 0 ? (
              <Empty>No candle files in data/market/.</Empty>
            ) : (
              <ul className="bt-sets">
                {datasets.data.map((d) => (
                  <li key={d.name}>
                    <div>
                      <strong>{d.symbol}</strong> {d.timeframe ?? ""} <span className="muted">· {d.rows.toLocaleString("en-US")} candles</span>
                    </div>
                    <div className="mono muted">{fmtRange(d.firstTs, d.lastTs)} UTC</div>
                    <div className="muted bt-file">{d.name}</div>
                  </li>
                ))}
              </ul>
            )}
          </Panel>
        </div>
      </div>
      <Panel title="Runs">
        {runs.error ? <ErrorText error={runs.error} /> : null}
        {!runs.data ? (
          runs.error ? null : (
            <Loading />
          )
        ) : runs.data.length === 0 ? (
          <Empty>No backtests yet. Run one on a shipped data set with the form, or with npm run backtest -- --save.</Empty>
        ) : (
          <DataTable
            className="bt-runs"
            rows={runs.data}
            rowKey={(r) => r.id}
            rowProps={(r) => ({ className: r.id === justRan ? "row-new" : undefined })}
            columns={[
              {
                key: "run",
                header: "Run",
                cellClassName: "mono",
                cell: (r) => (
                  <Link href={`/backtests/${encodeURIComponent(r.id)}`} aria-label={`Open backtest ${r.id}`}>
                    {r.id}
                  </Link>
                ),
              },
              { key: "created", header: "Created (UTC)", cellClassName: "mono", cell: (r) => fmtTime(r.createdAt, false) },
              {
                key: "dataSet",
                header: "Data set",
                cellProps: (r) => ({ title: r.dataSet }),
                cell: (r) => dataSetLabel(r.symbol, r.dataSet),
              },
              {
                key: "strategy",
                header: "Strategy",
                cellClassName: "mono nowrap",
                cell: (r) => (
                  <>
                    {r.strategy} {String(r.params.fast ?? "—")}/{String(r.params.slow ?? "—")}
                  </>
                ),
              },
              {
                key: "costs",
                header: "Fee / slip bps",
                numeric: true,
                cell: (r) => (
                  <>
                    {String(r.params.feeBps ?? "0")} / {slipBps(r.params.slippage)}
                  </>
                ),
              },
              { key: "capital", header: "Capital", numeric: true, cell: (r) => fmtMoney(String(r.params.capital ?? ""), quoteOfSymbol(r.symbol)) },
              { key: "candles", header: "Candles", numeric: true, cell: (r) => r.candles.toLocaleString("en-US") },
              { key: "trades", header: "Trades", numeric: true, cell: (r) => r.tradeCount.toLocaleString("en-US") },
              { key: "final", header: "Final equity", numeric: true, cell: (r) => fmtMoney(r.finalEquity, quoteOfSymbol(r.symbol)) },
              {
                key: "return",
                header: "Return",
                numeric: true,
                cell: (r) => (
                  <>
                    <Pnl value={r.totalReturnPct} dp={2} />%
                  </>
                ),
              },
              { key: "maxDd", header: "Max DD", numeric: true, cell: (r) => fmtPct(r.maxDrawdownPct, 2) },
              { key: "sharpe", header: "Sharpe", numeric: true, cell: (r) => (r.sharpe === null ? "—" : fmtNum(r.sharpe, 2)) },
              { key: "winRate", header: "Win rate", numeric: true, cell: (r) => fmtPct(r.winRatePct, 1) },
              { key: "status", header: "Status", cell: (r) => <StatusBadge status={r.status} /> },
            ]}
          />
        )}
      </Panel>
    </>
  );
}

/**
 * "BTC/USDT 5m · 2023-01-02 → 02-09" from the file name when it has dates, else the symbol. The market and the dates
 * each stay on one line: a narrow column breaks between them, never inside a date.
 */
function dataSetLabel(symbol: string, file: string): ReactNode {
  const m = /_(\d+[smhdw])_(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})/.exec(file);
  if (!m) return symbol;
  return (
    <>
      <span className="keep-together">
        {symbol} {m[1]}
      </span>{" "}
      · <span className="keep-together">{`${m[2]} → ${m[3]!.slice(5)}`}</span>
    </>
  );
}

function slipBps(slippage: string | number | boolean | null | undefined): string {
  if (typeof slippage !== "string" || slippage === "none") return "0";
  return slippage.replace(/^fixed:/, "");
}

function RunForm({ datasets, onRan }: { datasets: { name: string; symbol: string; timeframe: string | null; rows: number }[]; onRan: (id: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const run = useMutation(trpc.backtests.run.mutationOptions());
  const [dataSet, setDataSet] = useState("");
  const [fast, setFast] = useState("10");
  const [slow, setSlow] = useState("30");
  const [capital, setCapital] = useState("10000");
  const [feeBps, setFeeBps] = useState("10");
  const [slippageBps, setSlippageBps] = useState("2");
  const [done, setDone] = useState<{ id: string; message: string } | null>(null);
  const chosen = dataSet || datasets[0]?.name || "";
  const fastN = Number(fast);
  const slowN = Number(slow);
  const hint =
    Number.isInteger(fastN) && Number.isInteger(slowN) && fast !== "" && slow !== "" && slowN <= fastN
      ? "The slow average must be longer than the fast one."
      : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    try {
      const r = await run.mutateAsync({
        dataSet: chosen,
        strategy: "sma-cross",
        fast: fast.trim() === "" ? Number.NaN : Number(fast),
        slow: slow.trim() === "" ? Number.NaN : Number(slow),
        capital: capital.trim(),
        feeBps: feeBps.trim() || "0",
        slippageBps: slippageBps.trim() || "0",
      });
      setDone({ id: r.id, message: r.message });
      onRan(r.id);
      await queryClient.invalidateQueries({ queryKey: trpc.backtests.list.queryKey() });
      await queryClient.invalidateQueries({ queryKey: [["audit"]] });
    } catch {
      // shown below from run.error
    }
  };

  return (
    <Panel title="Run a backtest">
      <form className="bt-form" onSubmit={(e) => void submit(e)} aria-label="Run a backtest">
        <label className="field bt-wide">
          <span>Data set</span>
          <select value={chosen} onChange={(e) => setDataSet(e.target.value)} required>
            {datasets.map((d) => (
              <option key={d.name} value={d.name}>
                {d.symbol} {d.timeframe ?? ""} · {d.rows.toLocaleString("en-US")} candles · {d.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Strategy</span>
          <select value="sma-cross" disabled aria-describedby="bt-strategy-note">
            <option value="sma-cross">sma-cross</option>
          </select>
        </label>
        <label className="field">
          <span>Fast SMA (candles)</span>
          <input inputMode="numeric" value={fast} onChange={(e) => setFast(e.target.value)} aria-invalid={hint ? true : undefined} />
        </label>
        <label className="field">
          <span>Slow SMA (candles)</span>
          <input inputMode="numeric" value={slow} onChange={(e) => setSlow(e.target.value)} aria-invalid={hint ? true : undefined} />
        </label>
        <label className="field">
          <span>Capital (quote)</span>
          <input inputMode="decimal" value={capital} onChange={(e) => setCapital(e.target.value)} />
        </label>
        <label className="field">
          <span>Fee (bps per fill)</span>
          <input inputMode="decimal" value={feeBps} onChange={(e) => setFeeBps(e.target.value)} />
        </label>
        <label className="field">
          <span>Slippage (bps)</span>
          <input inputMode="decimal" value={slippageBps} onChange={(e) => setSlippageBps(e.target.value)} />
        </label>
        <div className="bt-wide bt-actions">
          <button type="submit" className="btn primary" disabled={run.isPending || !chosen}>
            {run.isPending ? "Running…" : "Run backtest"}
          </button>
          <span id="bt-strategy-note" className="muted">
            Long-only SMA crossover through the real engine on a simulated clock; a fraction of a second on the 5-minute file.
          </span>
        </div>
      </form>
      {hint ? <p className="error">{hint}</p> : null}
      {run.error ? (
        <p className="error" role="alert">
          {errorMessage(run.error)}
        </p>
      ) : null}
      {done ? (
        <p className="bt-done" role="status">
          {done.message} <Link href={`/backtests/${encodeURIComponent(done.id)}`}>Open the report →</Link>
        </p>
      ) : null}
    </Panel>
  );
}

export function BacktestDetailView({ id }: { id: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.backtests.detail.queryOptions({ id }, { retry: false }));
  if (detail.error)
    return (
      <>
        <p>
          <Link href="/backtests">← Backtests</Link>
        </p>
        <ErrorText error={detail.error} />
      </>
    );
  if (!detail.data) return <Loading />;
  const { run, report, trades, curve, drawdown, tradesTruncated } = detail.data;
  // A backtest's money is in its symbol's quote (ETH/BTC → BTC), which need not be the running desk's.
  const quote = quoteOfSymbol(run.symbol);
  const qtyDp = run.params.qtyStep ? Math.min(8, String(run.params.qtyStep).split(".")[1]?.length ?? 0) : 6;
  return (
    <>
      <p className="bt-crumb">
        <Link href="/backtests">← Backtests</Link>
      </p>
      <h1 className="page-title">
        Backtest <span className="mono">{run.id}</span> <StatusBadge status={run.status} />
      </h1>
      <p className="muted perf-note">
        {run.strategy} on {run.symbol} ({run.dataSet}) · {paramText(run.params)} · capital {String(run.params.capital ?? report.initialCapital ?? "—")} · run{" "}
        {fmtTime(run.createdAt)} UTC in {fmtNum(run.elapsedMs, 0)} ms
      </p>
      <div className="stats">
        <Stat label="Final equity" hint={`from ${fmtMoney(report.initialCapital, quote)}`}>
          <Money value={report.finalEquity} currency={quote} />
        </Stat>
        <Stat label="Net PnL">
          <Pnl value={report.netPnl} currency={quote} />
        </Stat>
        <Stat label="Return">
          <Pnl value={report.totalReturnPct} dp={2} />%
        </Stat>
        <Stat label="Max drawdown" hint="at candle closes">
          {fmtPct(report.maxDrawdownPct, 2)}
        </Stat>
        <Stat label="Sharpe" hint="daily, √365">
          {report.sharpe === null ? "—" : fmtNum(report.sharpe, 2)}
        </Stat>
        <Stat label="Win rate">{fmtPct(report.winRatePct, 1)}</Stat>
        <Stat label="Profit factor">
          {report.profitFactor === null ? (Number(report.netPnl) > 0 && trades.length > 0 ? "∞" : "—") : fmtNum(report.profitFactor, 2)}
        </Stat>
        <Stat label="Trades" hint={`${(report.candles ?? run.candles).toLocaleString("en-US")} candles`}>
          {run.tradeCount.toLocaleString("en-US")}
        </Stat>
        <Stat label="Fees">
          <Money value={report.totalFees} currency={quote} />
        </Stat>
      </div>
      <Panel title="Equity">
        <EquityChart points={curve} label="Backtest equity" height={240} currency={quote} />
      </Panel>
      <Panel title="Drawdown">
        <DrawdownChart points={drawdown} />
        <p className="muted perf-note">From the running peak over the stored curve (at most ~2,000 points); the figure above uses every candle close.</p>
      </Panel>
      <Panel title={`Trades (${trades.length.toLocaleString("en-US")}${tradesTruncated ? ` of ${run.tradeCount.toLocaleString("en-US")}` : ""})`}>
        {trades.length === 0 ? (
          <Empty>This run made no trades.</Empty>
        ) : (
          <DataTable
            wrapClassName="bt-trades"
            rows={trades.map((t, i) => ({ ...t, n: i + 1 }))}
            rowKey={(t) => `${t.entryTime}-${t.n - 1}`}
            columns={[
              { key: "n", header: "#", numeric: true, cellClassName: "muted", cell: (t) => t.n },
              { key: "entry", header: "Entry (UTC)", cellClassName: "mono", cell: (t) => fmtTime(t.entryTime, false) },
              { key: "exit", header: "Exit (UTC)", cellClassName: "mono", cell: (t) => fmtTime(t.exitTime, false) },
              { key: "side", header: "Side", cellClassName: (t) => (t.side === "LONG" ? "side-buy" : "side-sell"), cell: (t) => t.side },
              { key: "qty", header: "Qty", numeric: true, cell: (t) => fmtNum(t.qty, qtyDp) },
              { key: "entryPrice", header: "Entry price", numeric: true, cell: (t) => fmtPrice(t.entryPrice, null, run.symbol) },
              { key: "exitPrice", header: "Exit price", numeric: true, cell: (t) => fmtPrice(t.exitPrice, null, run.symbol) },
              { key: "fees", header: "Fees", numeric: true, cell: (t) => fmtMoney(t.fees, quote) },
              { key: "pnl", header: "PnL", numeric: true, cell: (t) => <Pnl value={t.pnl} currency={quote} /> },
              { key: "held", header: "Held", numeric: true, cell: (t) => fmtDuration(t.exitTime - t.entryTime) },
              { key: "reason", header: "Exit reason", cell: (t) => t.exitReason },
            ]}
          />
        )}
      </Panel>
    </>
  );
}

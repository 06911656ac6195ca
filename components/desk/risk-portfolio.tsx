"use client";
/**
 * Risk page, Portfolio section (risk.portfolio): the correlation heat map, VaR/ES in % of equity with each position's
 * share (component VaR), correlation clusters against their cap, current vs target weights per allocation method,
 * and the history of the figures. Every figure is also a number in a table: colour only helps, it never carries meaning alone.
 */
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "../trpc/client";
import { fmtMoney, fmtNum, fmtPct, fmtTime } from "../ui/format";
import { expectedReturnLine } from "./expected-return-words";
import { ErrorText, Loading, Panel, Stat } from "../ui/kit";

type RouterOutputs = inferRouterOutputs<AppRouter>;
type Portfolio = RouterOutputs["risk"]["portfolio"];
type PortfolioHistory = RouterOutputs["risk"]["portfolioHistory"];
type Method = Portfolio["targets"][number]["method"];

const METHOD_LABEL: Record<Method, string> = {
  risk_parity: "Risk parity",
  min_variance: "Min variance",
  max_sharpe: "Max Sharpe",
  kelly: "Half Kelly",
};

const BAR_LABEL: Record<number, string> = { 5: "5-minute", 15: "15-minute", 60: "hourly", 240: "4-hour", 1440: "daily" };

/** "ADA/BTC" → "ADA": the heat map's column headers stay narrow; the full name is in the row header and the title. */
const baseOf = (symbol: string) => symbol.split("/")[0] ?? symbol;

/** Red for positive correlation (risks move together), blue for negative; the strength is the opacity. */
function cellColor(value: number): string {
  const alpha = Math.min(1, Math.abs(value)) * 0.75;
  return value >= 0 ? `rgba(248, 81, 73, ${alpha.toFixed(3)})` : `rgba(88, 166, 255, ${alpha.toFixed(3)})`;
}

/** Bar sizes offered, each over 30 days (5-minute bars: the schema's 5000-bar bound, about 17 days). */
const BAR_CHOICES = [
  [5, "5 min"],
  [15, "15 min"],
  [60, "1 hour"],
  [240, "4 hours"],
  [1440, "1 day"],
] as const;
const windowFor = (barMinutes: number) => Math.min(5000, Math.round((30 * 1440) / barMinutes));

export function PortfolioRiskSection() {
  const trpc = useTRPC();
  const [barMinutes, setBarMinutes] = useState(60);
  const portfolio = useQuery(
    trpc.risk.portfolio.queryOptions({ barMinutes, windowBars: windowFor(barMinutes) }, { refetchInterval: 15_000, placeholderData: (prev) => prev }),
  );
  const history = useQuery(trpc.risk.portfolioHistory.queryOptions(undefined, { refetchInterval: 60_000 }));
  return (
    <Panel
      title="Portfolio"
      id="portfolio"
      actions={
        <label className="portfolio-bars">
          Bars{" "}
          <select value={barMinutes} onChange={(e) => setBarMinutes(Number(e.target.value))}>
            {BAR_CHOICES.map(([minutes, label]) => (
              <option key={minutes} value={minutes}>
                {label}
              </option>
            ))}
          </select>
        </label>
      }
    >
      {portfolio.error ? <ErrorText error={portfolio.error} /> : !portfolio.data ? <Loading /> : <PortfolioBody p={portfolio.data} />}
      <h3 className="portfolio-sub">VaR over time (hourly bars, 30 days)</h3>
      {history.error ? <ErrorText error={history.error} /> : history.data ? <VarHistoryChart history={history.data} /> : <Loading />}
      {history.data ? <TargetHistory history={history.data} /> : null}
    </Panel>
  );
}

function PortfolioBody({ p }: { p: Portfolio }) {
  const bars = BAR_LABEL[p.window.barMinutes] ?? `${p.window.barMinutes}-minute`;
  const trusted = p.reason === null;
  return (
    <div className="portfolio">
      <p className="muted risk-note">
        {p.symbols.length} symbol{p.symbols.length === 1 ? "" : "s"}, {bars} returns, {p.window.used} of {p.window.bars} bars in the window
        {p.asOf !== null ? `, newest bar ${fmtTime(p.asOf, false)}` : ""}. VaR and ES are parametric, 1 day, in % of equity
        {p.quote ? ` (${fmtMoney(p.equity, p.quote)} ${p.quote})` : ""}.
      </p>
      {!trusted ? (
        <p className="portfolio-reason" role="status">
          {p.reason}
        </p>
      ) : null}
      {p.notes.map((note) => (
        <p key={note} className="muted risk-note">
          {note}
        </p>
      ))}
      <div className="stats">
        <Stat label="VaR 95% (1 day)" hint={p.historical?.var95Pct != null ? `historical ${fmtPct(p.historical.var95Pct)}` : "parametric"}>
          {p.var95Pct === null ? "—" : fmtPct(p.var95Pct)}
        </Stat>
        <Stat label="VaR 99% (1 day)" hint={p.historical?.var99Pct != null ? `historical ${fmtPct(p.historical.var99Pct)}` : "parametric"}>
          {p.var99Pct === null ? "—" : fmtPct(p.var99Pct)}
        </Stat>
        <Stat label="ES 95% (1 day)" hint="mean loss beyond the VaR">
          {p.es95Pct === null ? "—" : fmtPct(p.es95Pct)}
        </Stat>
        <Stat label="Clusters" hint={`correlation above ${fmtNum(p.correlationThreshold, 2)}`}>
          {trusted ? p.clusters.length : "—"}
        </Stat>
      </div>

      {p.correlation.length > 0 ? <CorrelationTable symbols={p.symbols} correlation={p.correlation} bars={bars} /> : null}
      {trusted ? <Decomposition rows={p.decomposition} var95Pct={p.var95Pct} quote={p.quote} /> : null}
      {trusted ? <Clusters clusters={p.clusters} quote={p.quote} threshold={p.correlationThreshold} limitPct={p.correlatedExposureLimitPct} /> : null}
      <Weights p={p} />
    </div>
  );
}

function CorrelationTable({ symbols, correlation, bars }: { symbols: string[]; correlation: number[][]; bars: string }) {
  return (
    <>
      <h3 className="portfolio-sub">Correlation</h3>
      <div className="table-wrap">
        <table className="data portfolio-heatmap" aria-label="Correlation heat map">
          <thead>
            <tr>
              <td />
              {symbols.map((s) => (
                <th key={s} scope="col" title={s}>
                  {baseOf(s)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {symbols.map((row, i) => (
              <tr key={row}>
                <th scope="row">{row}</th>
                {symbols.map((col, j) => {
                  const value = correlation[i]![j]!;
                  return (
                    <td key={col} className="num" style={{ background: cellColor(value) }} title={`${row} × ${col}: ${fmtNum(value, 3)}`}>
                      {fmtNum(value, 2)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted risk-note">Correlation of {bars} returns: +1 moves together (red), −1 moves opposite (blue), 0 unrelated.</p>
    </>
  );
}

function Decomposition({ rows, var95Pct, quote }: { rows: Portfolio["decomposition"]; var95Pct: number | null; quote: string | null }) {
  return (
    <>
      <h3 className="portfolio-sub">VaR 95% by position</h3>
      {rows.length === 0 ? (
        <p className="muted">No open positions: the portfolio VaR is zero.</p>
      ) : (
        <div className="table-wrap">
          <table className="data portfolio-decomposition">
            <thead>
              <tr>
                <th scope="col">Symbol</th>
                <th scope="col" className="num">
                  Exposure
                </th>
                <th scope="col" className="num" title="VaR added per unit of extra exposure">
                  Marginal VaR
                </th>
                <th scope="col" className="num">
                  Component VaR
                </th>
                <th scope="col" className="num">
                  Share
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.symbol}>
                  <th scope="row">{r.symbol}</th>
                  <td className="num">{fmtMoney(r.exposure, quote)}</td>
                  <td className="num">{fmtNum(r.marginalVar, 4)}</td>
                  <td className="num">{r.componentVarPct === null ? "—" : fmtPct(r.componentVarPct)}</td>
                  <td className="num">{fmtPct(r.share * 100, 1)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Portfolio</th>
                <td />
                <td />
                <td className="num">{var95Pct === null ? "—" : fmtPct(var95Pct)}</td>
                <td className="num">100%</td>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </>
  );
}

function Clusters({
  clusters,
  quote,
  threshold,
  limitPct,
}: {
  clusters: Portfolio["clusters"];
  quote: string | null;
  threshold: number;
  limitPct: number | null;
}) {
  return (
    <>
      <h3 className="portfolio-sub">Correlation clusters</h3>
      <p className="muted risk-note" data-testid="cluster-limit">
        Correlated exposure limit (what the gate enforces): {limitPct === null ? "off" : `${fmtNum(limitPct, 2)}% of equity per cluster`}.
      </p>
      {clusters.length === 0 ? (
        <p className="muted">No two symbols are correlated above {fmtNum(threshold, 2)}.</p>
      ) : (
        <div className="table-wrap">
          <table className="data portfolio-clusters">
            <thead>
              <tr>
                <th scope="col">Symbols</th>
                <th scope="col" className="num">
                  Gross exposure{quote ? ` (${quote})` : ""}
                </th>
                <th scope="col" className="num">
                  Limit
                </th>
                <th scope="col" className="num">
                  Used
                </th>
              </tr>
            </thead>
            <tbody>
              {clusters.map((c) => (
                <tr key={c.symbols.join(",")}>
                  <th scope="row">{c.symbols.join(", ")}</th>
                  <td className="num">
                    {fmtMoney(c.grossExposure, quote)} <span className="muted">({fmtPct(c.pctOfEquity, 1)} of equity)</span>
                  </td>
                  <td className="num">{c.limit === null ? "off" : fmtMoney(c.limit, quote)}</td>
                  <td className={`num${c.ratio !== null && c.ratio > 0.9 ? " neg" : ""}`}>{c.ratio === null ? "—" : fmtPct(c.ratio * 100, 0)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function Weights({ p }: { p: Portfolio }) {
  const methods = p.targets.map((t) => t.method);
  const [picked, setPicked] = useState<Method>("risk_parity");
  const method = methods.includes(picked) ? picked : (methods[0] ?? null);
  const target = p.targets.find((t) => t.method === method) ?? null;
  const symbols = p.targets.length > 0 ? p.symbols : Object.keys(p.current);
  if (symbols.length === 0) return null;
  const data = symbols.map((s) => ({ symbol: baseOf(s), current: (p.current[s] ?? 0) * 100, target: target ? (target.weights[s] ?? 0) * 100 : null }));
  const expectedReturns = expectedReturnLine(p.targets, p.signalReturns, (m) => METHOD_LABEL[m as Method] ?? m);
  return (
    <>
      <h3 className="portfolio-sub">Weights: current vs target</h3>
      {p.targets.length === 0 ? (
        <p className="muted">{p.symbols.length < 2 ? "Target weights need two symbols or more." : "Target weights appear with the correlations."}</p>
      ) : (
        <>
          <div className="risk-windows" role="group" aria-label="Allocation method">
            {methods.map((m) => (
              <button key={m} type="button" className={`btn small${m === method ? " primary" : ""}`} aria-pressed={m === method} onClick={() => setPicked(m)}>
                {METHOD_LABEL[m]}
              </button>
            ))}
          </div>
          <div
            role="img"
            aria-label={`Current and ${method ? METHOD_LABEL[method] : ""} target weights per symbol, in % of the invested book; the same numbers are in the table below`}
          >
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid stroke="#21262d" vertical={false} />
                <XAxis dataKey="symbol" stroke="#8b949e" fontSize={11} interval={0} angle={-40} textAnchor="end" height={44} />
                <YAxis tickFormatter={(v: number) => `${fmtNum(v, 0)}%`} stroke="#8b949e" fontSize={11} width={44} />
                <Tooltip
                  contentStyle={{ background: "#161b22", border: "1px solid #30363d", color: "#e6edf3" }}
                  formatter={(v) => `${fmtNum(Number(v), 1)}%`}
                />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                <Bar dataKey="current" name="Current" fill="#8b949e" isAnimationActive={false} />
                <Bar dataKey="target" name={method ? METHOD_LABEL[method] : "Target"} fill="#58a6ff" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </>
      )}
      <div className="table-wrap">
        <table className={`data${p.targets.length > 0 ? " portfolio-weights" : ""}`} aria-label="Current and target weights">
          <thead>
            <tr>
              <th scope="col">Symbol</th>
              <th scope="col" className="num">
                Current
              </th>
              {p.targets.map((t) => (
                <th key={t.method} scope="col" className="num">
                  {METHOD_LABEL[t.method]}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {symbols.map((s) => (
              <tr key={s}>
                <th scope="row">{s}</th>
                <td className="num">{p.current[s] === undefined ? "—" : fmtPct(p.current[s] * 100, 1)}</td>
                {p.targets.map((t) => (
                  <td key={t.method} className="num">
                    {fmtPct((t.weights[s] ?? 0) * 100, 1)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {expectedReturns ? <p className="muted risk-note">{expectedReturns}</p> : null}
      {p.targetProblems.map((problem) => (
        <p key={problem.method} className="muted risk-note">
          {METHOD_LABEL[problem.method]}: {problem.message}
        </p>
      ))}
    </>
  );
}

/** The last recorded allocations: each point's target weights of one method (the schedule records them with the VaR). */
function TargetHistory({ history }: { history: PortfolioHistory }) {
  const [method, setMethod] = useState<Method>("risk_parity");
  const points = history.points.filter((p) => p.targets !== null && p.targets[method] !== undefined).slice(-6);
  if (points.length === 0) return null;
  const symbols = Object.keys(points[points.length - 1]!.targets![method]!);
  return (
    <>
      <h3 className="portfolio-sub">Target weights over time</h3>
      <div className="risk-windows" role="group" aria-label="Allocation method of the history">
        {(Object.keys(METHOD_LABEL) as Method[]).map((m) => (
          <button key={m} type="button" className={`btn small${m === method ? " primary" : ""}`} aria-pressed={m === method} onClick={() => setMethod(m)}>
            {METHOD_LABEL[m]}
          </button>
        ))}
      </div>
      <div className="table-wrap">
        <table className="data" aria-label="Target weights over time">
          <thead>
            <tr>
              <th scope="col">Recorded</th>
              {symbols.map((s) => (
                <th key={s} scope="col" className="num" title={s}>
                  {baseOf(s)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.ts}>
                <th scope="row">{fmtTime(p.ts, false)}</th>
                {symbols.map((s) => (
                  <td key={s} className="num">
                    {fmtPct((p.targets![method]![s] ?? 0) * 100, 1)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function VarHistoryChart({ history }: { history: PortfolioHistory }) {
  const points = history.points;
  if (points.length < 2) {
    return (
      <p className="muted">A point is recorded every {Math.round(history.everyMs / 60_000)} minutes while the figures are trusted; the chart needs two.</p>
    );
  }
  const last = points[points.length - 1]!;
  return (
    <div
      role="img"
      aria-label={`VaR history from ${fmtTime(points[0]!.ts)} to ${fmtTime(last.ts)}: now VaR 95% ${fmtPct(last.var95Pct)}, VaR 99% ${fmtPct(last.var99Pct)}, ES 95% ${fmtPct(last.es95Pct)}`}
    >
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#21262d" vertical={false} />
          <XAxis
            dataKey="ts"
            type="number"
            domain={["dataMin", "dataMax"]}
            tickFormatter={(v: number) => fmtTime(v, false).slice(5)}
            stroke="#8b949e"
            fontSize={11}
          />
          <YAxis yAxisId="var" tickFormatter={(v: number) => `${fmtNum(v, 1)}%`} stroke="#8b949e" fontSize={11} width={48} />
          {/* The cluster exposure is tens of % where VaR is a few: its own axis, on the right. */}
          <YAxis yAxisId="cluster" orientation="right" tickFormatter={(v: number) => `${fmtNum(v, 0)}%`} stroke="#3fb950" fontSize={11} width={40} />
          <Tooltip
            contentStyle={{ background: "#161b22", border: "1px solid #30363d", color: "#e6edf3" }}
            labelFormatter={(v) => fmtTime(Number(v))}
            formatter={(v) => `${fmtNum(Number(v), 2)}%`}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line yAxisId="var" type="monotone" dataKey="var95Pct" name="VaR 95%" stroke="#58a6ff" dot={false} isAnimationActive={false} />
          <Line yAxisId="var" type="monotone" dataKey="var99Pct" name="VaR 99%" stroke="#d29922" dot={false} isAnimationActive={false} />
          <Line yAxisId="var" type="monotone" dataKey="es95Pct" name="ES 95%" stroke="#f85149" dot={false} isAnimationActive={false} />
          <Line
            yAxisId="cluster"
            type="monotone"
            dataKey="maxClusterExposurePct"
            name="Largest cluster (% equity)"
            stroke="#3fb950"
            dot={false}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

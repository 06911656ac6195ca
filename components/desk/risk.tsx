"use client";
/**
 * Risk: each limit with its usage, exposure per symbol and concentration, the drawdown chart, VaR, daily PnL against
 * the daily loss limit, the breaker (state, config, history) and the settings (admins edit them; others read them).
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../trpc/client";
import type { RouterOutputs } from "../trpc/types";
import { useCan } from "../trpc/session";
import { decimalsOf, fmtNum, fmtPct } from "../ui/format";
import { ErrorText, Loading, Money, Panel, Pnl, Stat } from "../ui/kit";
import { useMoney } from "../ui/currency";
import { DataTable } from "../ui/data-table";
import { ExposureChart } from "../charts/exposure-chart";
import { BreakerHistory, BreakerPanel } from "./risk-breaker";
import { DrawdownChart } from "./risk-charts";
import { DailyLoss, ExposureTable, LimitsTable, VarTable } from "./risk-limits";
import { DeskFilePanel } from "./risk-desk-file";
import { PortfolioRiskSection } from "./risk-portfolio";
import { RebalanceSection } from "./risk-rebalance";
import { ProtectionsPanel } from "./risk-protections";
import { RiskLimitsPanel, SymbolSettingsPanel } from "./risk-settings";

const WINDOWS = [
  ["1d", 1],
  ["7d", 7],
  ["30d", 30],
  ["90d", 90],
  ["1y", 365],
] as const;

export function RiskView() {
  const trpc = useTRPC();
  const money = useMoney();
  const [days, setDays] = useState<number>(30);
  // A stable window start (minute-aligned), so the query key does not change every render.
  const [since, setSince] = useState(() => Math.floor((Date.now() - 30 * 86_400_000) / 60_000) * 60_000);
  const summary = useQuery(trpc.risk.summary.queryOptions({ sinceMs: since, points: 400 }, { placeholderData: (prev) => prev }));
  const settings = useQuery(trpc.settings.get.queryOptions());
  const history = useQuery(trpc.risk.exposureHistory.queryOptions({ top: 8 }, { placeholderData: (prev) => prev }));
  const isAdmin = useCan("admin");
  if (summary.error) return <ErrorText error={summary.error} />;
  if (!summary.data) return <Loading />;
  const s = summary.data;
  const qtyDecimals = (symbol: string) => decimalsOf(settings.data?.symbols.find((r) => r.symbol === symbol)?.qtyStep, 5);
  const warnings = s.limits.filter((l) => l.level === "bad" || l.level === "warn");
  const breakerDd = s.breakerConfig?.maxDrawdownPct ?? null;
  return (
    <div className="risk-page">
      <h1 className="page-title">Risk</h1>
      <div className="stats">
        <Stat label="Equity">
          <Money value={s.equity} />
        </Stat>
        <Stat label="Gross exposure" hint={`${fmtPct(s.exposure.pctOfEquity, 1)} of equity`}>
          <Money value={s.exposure.gross} />
        </Stat>
        <Stat label="Concentration" hint={s.exposure.effectiveSymbols ? `≈ ${fmtNum(s.exposure.effectiveSymbols, 1)} equal positions` : "flat"}>
          {s.exposure.herfindahl === null ? "—" : `HHI ${fmtNum(s.exposure.herfindahl, 3)}`}
        </Stat>
        <Stat label="VaR 95% (1 day)" hint={s.var.var95 ? fmtPct(s.var.var95.pct) : "not enough history"}>
          {s.var.var95 ? <Money value={s.var.var95.amount} /> : "—"}
        </Stat>
        <Stat label="VaR 99% (1 day)" hint={s.var.var99 ? fmtPct(s.var.var99.pct) : "not enough history"}>
          {s.var.var99 ? <Money value={s.var.var99.amount} /> : "—"}
        </Stat>
        <Stat label="Drawdown" hint={breakerDd !== null ? `breaker at ${fmtPct(breakerDd, 1)}` : "from the peak"}>
          {fmtPct(s.breaker?.drawdownPct ?? s.drawdown.current ?? 0)}
        </Stat>
        <Stat label="Today's PnL" hint="realized, UTC day">
          <Pnl value={s.daily.pnl} />
        </Stat>
        <Stat label="Limits near" hint="above 75% of a limit">
          {warnings.length === 0 ? "none" : <span className="risk-warn-count">▲ {warnings.length}</span>}
        </Stat>
      </div>

      <Panel title="Limits">
        <LimitsTable limits={s.limits} />
        <p className="muted risk-note">Bars turn amber above 75% and red above 90% of a limit. Gate limits deny new orders; breaker limits halt trading.</p>
      </Panel>

      <div className="grid-2">
        <div>
          <Panel title="Exposure per symbol">
            <ExposureTable exposure={s.exposure} decimals={qtyDecimals} />
          </Panel>
          <Panel title="Exposure per venue">
            <GroupExposure rows={s.exposure.byVenue.map((r) => ({ ...r, name: r.venue }))} what="Venue" />
          </Panel>
          <Panel title="Exposure per strategy">
            <GroupExposure rows={s.exposure.byStrategy.map((r) => ({ ...r, name: r.strategy }))} what="Strategy" />
          </Panel>
          <Panel title="Exposure per symbol over time">
            {history.error ? (
              <ErrorText error={history.error} />
            ) : history.data ? (
              <>
                <ExposureChart points={history.data.points} symbols={history.data.symbols} hasOther={history.data.hasOther} />
                <p className="muted risk-note">
                  From the last {history.data.fills.toLocaleString("en-US")} fills: |net quantity| × the latest fill price, stepping at each fill (not marked to
                  market between fills); the current point uses the marks.
                </p>
              </>
            ) : (
              <Loading />
            )}
          </Panel>
          <Panel
            title="Drawdown"
            actions={
              <div className="risk-windows" role="group" aria-label="Drawdown window">
                {WINDOWS.map(([label, d]) => (
                  <button
                    key={label}
                    type="button"
                    className={`btn small${d === days ? " primary" : ""}`}
                    aria-pressed={d === days}
                    onClick={() => {
                      setDays(d);
                      setSince(Math.floor((Date.now() - d * 86_400_000) / 60_000) * 60_000);
                    }}
                  >
                    {label}
                  </button>
                ))}
              </div>
            }
          >
            <DrawdownChart points={s.drawdown.series} limitPct={breakerDd} />
            <p className="muted risk-note">
              Below the running equity peak. Deepest in the window:{" "}
              {s.drawdown.max
                ? `${fmtPct(s.drawdown.max.pct)} (equity ${money.fmt(s.drawdown.max.equity)} against a peak of ${money.fmt(s.drawdown.max.peak)})`
                : "—"}
              ; now {fmtPct(s.drawdown.current)}.
            </p>
          </Panel>
        </div>
        <div>
          <Panel title="Daily PnL vs loss limit">
            <DailyLoss daily={s.daily} />
          </Panel>
          <Panel title="Value at risk">
            <VarTable value={s.var} />
          </Panel>
          <BreakerPanel breaker={s.breaker} config={s.breakerConfig} tradingState={s.tradingState} />
        </div>
      </div>

      <PortfolioRiskSection />

      <RebalanceSection />

      <ProtectionsPanel />

      <BreakerHistory />

      {settings.error ? <ErrorText error={settings.error} /> : null}
      {settings.data ? (
        <>
          <SymbolSettingsPanel symbols={settings.data.symbols} />
          <RiskLimitsPanel limits={settings.data.limits} />
        </>
      ) : null}
      {isAdmin ? <DeskFilePanel /> : null}
    </div>
  );
}

type GroupRow = Omit<RouterOutputs["risk"]["summary"]["exposure"]["byVenue"][number], "venue"> & { name: string };

/** Gross exposure of the open positions per venue or per strategy, with its share of the book and of equity. */
function GroupExposure({ rows, what }: { rows: GroupRow[]; what: string }) {
  if (rows.length === 0) return <p className="muted">No open positions.</p>;
  return (
    <DataTable
      label={`Exposure per ${what.toLowerCase()}`}
      rows={rows}
      rowKey={(r) => r.name}
      columns={[
        { key: "name", header: what, rowHeader: true, cellClassName: "keep-case", cell: (r) => r.name },
        { key: "positions", header: "Positions", numeric: true, cell: (r) => r.positions },
        { key: "gross", header: "Gross", numeric: true, cell: (r) => <Money value={r.gross} /> },
        { key: "share", header: "Share", numeric: true, cell: (r) => (r.share === null ? "—" : fmtPct(r.share * 100, 1)) },
        { key: "equity", header: "% of equity", numeric: true, cell: (r) => fmtPct(r.pctOfEquity, 1) },
      ]}
    />
  );
}

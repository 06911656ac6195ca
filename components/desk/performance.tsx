"use client";
/**
 * Performance: the portfolio's ratios, the equity curve, daily PnL bars, the strategies side by side and the per-symbol
 * table over a window. The symbol and strategy filters (in the URL) narrow the two tables; the ratios and the curves
 * are the whole portfolio's (equity is not split by strategy).
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { EquityChart } from "../charts/equity-chart";
import { PnlBars } from "../charts/pnl-bars";
import { useTRPC } from "../trpc/client";
import type { RouterOutputs } from "../trpc/types";
import { currencyDecimals, fmtDuration, fmtMoneySigned, fmtNum, fmtPct, fmtSigned } from "../ui/format";
import { useMoney } from "../ui/currency";
import { type Column, DataTable } from "../ui/data-table";
import { asMoney, asPnl, ByCurrency, currencyHint, Empty, ErrorText, Loading, Money, Panel, Pnl, Stat } from "../ui/kit";
import { AttributionFilterBar, useAttributionFilter } from "./attribution-filters";
import { useWindowChoice, WindowHead, type WindowOption } from "./window-choice";

const PERF_FILTERS = ["symbol", "strategy"] as const;

const WINDOWS: WindowOption[] = [
  ["7d", "7 days", 7],
  ["30d", "30 days", 30],
  ["90d", "90 days", 90],
  ["all", "All time", null],
];

/** Profit factor: "∞" when there are wins and no losses, "—" without trades. */
function fmtPf(pf: number | null, grossProfit: string): string {
  if (pf !== null) return fmtNum(pf, 2);
  return Number(grossProfit) > 0 ? "∞" : "—";
}

type Summary = RouterOutputs["performance"]["summary"];
type StrategyRow = Summary["byStrategy"][number];
type SymbolRow = Summary["bySymbol"][number];
type Day = Summary["daily"][number];

/** What the per-strategy and per-symbol rows both carry: their closed trades' figures. */
type ClosedTradeStats = Pick<StrategyRow, "trades" | "winRatePct" | "wins" | "losses" | "netPnl" | "fees" | "avgDurationMs" | "profitFactor" | "grossProfit">;

/** A row's money in one quote currency: a symbol's row is its own (one currency), a strategy's or the portfolio's per currency. */
type CurrencyFigures = Pick<Summary["portfolio"]["byCurrency"][number], "currency" | "netPnl" | "fees" | "profitFactor" | "grossProfit">;

/** A row's profit factor, and ByCurrency's renderer of it (the text as it is: a ratio has no currency precision). */
const pfOf = (r: Pick<CurrencyFigures, "profitFactor" | "grossProfit">): string => fmtPf(r.profitFactor, r.grossProfit);
const asText = (text: string): string => text;
const tradesText = (n: number): string => `${n.toLocaleString("en-US")} ${n === 1 ? "trade" : "trades"}`;

/**
 * Trades, win rate, won / lost, net PnL and fees: the columns after the row's name in both tables; `currenciesOf`: the
 * row's money per quote currency (a line each when there are several).
 */
function tradeColumns<T extends ClosedTradeStats>(currenciesOf: (row: T) => readonly CurrencyFigures[]): Column<T>[] {
  return [
    { key: "trades", header: "Trades", numeric: true, cell: (r) => r.trades.toLocaleString("en-US") },
    { key: "winRate", header: "Win rate", numeric: true, cell: (r) => fmtPct(r.winRatePct, 1) },
    {
      key: "wonLost",
      header: "Won / lost",
      numeric: true,
      cell: (r) => (
        <>
          {r.wins} / {r.losses}
        </>
      ),
    },
    {
      key: "net",
      header: "Net PnL",
      numeric: true,
      cell: (r) => <ByCurrency rows={currenciesOf(r)} total={r.netPnl} pick={(c) => c.netPnl} render={asPnl} />,
    },
    { key: "fees", header: "Fees", numeric: true, cell: (r) => <ByCurrency rows={currenciesOf(r)} total={r.fees} pick={(c) => c.fees} render={asMoney} /> },
  ];
}

/** Average duration and profit factor: the last columns of both tables. */
function outcomeColumns<T extends ClosedTradeStats>(currenciesOf: (row: T) => readonly CurrencyFigures[]): Column<T>[] {
  return [
    { key: "duration", header: "Avg duration", numeric: true, cell: (r) => fmtDuration(r.avgDurationMs) },
    { key: "pf", header: "Profit factor", numeric: true, cell: (r) => <ByCurrency rows={currenciesOf(r)} total={pfOf(r)} pick={pfOf} render={asText} ratio /> },
  ];
}

export function PerformanceView() {
  const trpc = useTRPC();
  const money = useMoney();
  const { windowKey, from, choose } = useWindowChoice();
  const [daily, setDaily] = useState<"equity" | "realized">("equity");
  const summary = useQuery(trpc.performance.summary.queryOptions(from === undefined ? {} : { from }));
  const s = summary.data;
  const filter = useAttributionFilter(PERF_FILTERS);
  const bySymbol = s ? s.bySymbol.filter((r) => !filter.value.symbol || r.symbol === filter.value.symbol) : [];
  const byStrategy = s ? s.byStrategy.filter((r) => !filter.value.strategy || r.strategy === filter.value.strategy) : [];
  // The money cards: a line per quote currency when the trades are in several; in one, its precision.
  const currencies = s?.portfolio.byCurrency ?? [];
  // Realized bars are in one currency at a time when the trades are in several (a BTC and a USDT PnL do not add up).
  const [chosenCurrency, setRealizedCurrency] = useState<string | null>(null);
  const realizedCurrency = currencies.length > 1 ? (currencies.find((c) => c.currency === chosenCurrency) ?? currencies[0]!).currency : null;
  const realizedOf = (d: Day) =>
    realizedCurrency === null
      ? { realized: d.realized, trades: d.trades }
      : (d.byCurrency.find((c) => c.currency === realizedCurrency) ?? { realized: 0, trades: 0 });
  /** The realized PnL of a day as the equity view's tooltip says it: one figure, or one per currency. */
  const realizedText = (d: Day) =>
    realizedCurrency === null
      ? money.signed(d.realized)
      : d.byCurrency.map((c) => `${fmtMoneySigned(c.realized, c.currency)} ${c.currency}`).join(", ") || "nothing";
  /** The bars of the chosen view: each day's equity change, or its realized PnL (in the chosen currency). */
  const dailyBars = (days: readonly Day[]) =>
    daily === "equity"
      ? days
          .filter((d) => d.equityChange !== null)
          .map((d) => ({
            key: d.day,
            value: Number(d.equityChange),
            details: [
              `realized ${realizedText(d)} over ${tradesText(d.trades)}`,
              ...(d.equityChangePct !== null ? [`${fmtPct(d.equityChangePct, 2, true)} of the previous close`] : []),
            ],
          }))
      : days
          .map((d) => ({ d, own: realizedOf(d) }))
          .filter(({ own }) => own.trades > 0)
          .map(({ d, own }) => ({
            key: d.day,
            value: own.realized,
            details: [`${tradesText(own.trades)}; equity change ${d.equityChange === null ? "—" : money.signed(d.equityChange)}`],
          }));

  return (
    <>
      <WindowHead title="Performance" windows={WINDOWS} windowKey={windowKey} onChoose={choose} />
      {summary.error ? <ErrorText error={summary.error} /> : null}
      {!s ? (
        summary.error ? null : (
          <Loading />
        )
      ) : (
        <>
          <div className="stats">
            <Stat label="Net PnL" hint={currencyHint(currencies, `${s.portfolio.trades} closed trades`)}>
              <ByCurrency rows={currencies} total={s.portfolio.netPnl} pick={(c) => c.netPnl} render={asPnl} />
            </Stat>
            <Stat label="Win rate" hint={`${s.portfolio.wins} won · ${s.portfolio.losses} lost`}>
              {fmtPct(s.portfolio.winRatePct, 1)}
            </Stat>
            <Stat label="Profit factor" hint="gross profit / gross loss">
              <ByCurrency rows={currencies} total={pfOf(s.portfolio)} pick={pfOf} render={asText} ratio />
            </Stat>
            <Stat label="Sharpe" hint="daily equity returns, √365">
              {s.portfolio.sharpe === null ? "—" : fmtNum(s.portfolio.sharpe, 2)}
            </Stat>
            <Stat label="Max drawdown" hint="from the equity peak">
              {s.portfolio.maxDrawdownPct === null ? "—" : fmtPct(s.portfolio.maxDrawdownPct, 2)}
            </Stat>
            <Stat label="Avg duration" hint="entry to exit">
              {fmtDuration(s.portfolio.avgDurationMs)}
            </Stat>
            <Stat label="Equity change" hint={s.portfolio.equityStart ? `from ${money.fmt(s.portfolio.equityStart)}` : "no snapshots"}>
              <Pnl value={s.portfolio.equityChange} />
            </Stat>
            <Stat label="Fees" hint="closed trades">
              <ByCurrency rows={currencies} total={s.portfolio.fees} pick={(c) => c.fees} render={asMoney} />
            </Stat>
            <Stat
              label="Slippage cost"
              hint={
                s.portfolio.avgSlippageBps === null
                  ? "no requested prices recorded"
                  : `avg ${fmtSigned(s.portfolio.avgSlippageBps, 2)} bps · ${s.portfolio.slippageKnown} trades`
              }
            >
              <ByCurrency rows={currencies} total={s.portfolio.slippageCost} pick={(c) => c.slippageCost} render={asMoney} />
            </Stat>
            <Stat label="Total costs" hint="fees + slippage">
              <ByCurrency rows={currencies} total={s.portfolio.totalCost} pick={(c) => c.totalCost} render={asMoney} />
            </Stat>
          </div>
          <p className="muted perf-note">
            {s.exact
              ? "PnL, fees and profit factor are exact sums of the trades' decimals."
              : `More than ${s.exactTradeLimit.toLocaleString("en-US")} trades in this window: PnL, fees and profit factor are summed in the database as floating point (display values, accurate far below a cent).`}{" "}
            Slippage cost is an estimate (bps × notional where the requested price is known). Computed in {fmtNum(s.queryMs, 0)} ms.
          </p>

          <Panel title="Equity">
            <EquityChart points={s.equity} />
          </Panel>

          <Panel
            title="Daily PnL (UTC days)"
            actions={
              <div className="perf-seg-row">
                <div className="perf-seg" role="group" aria-label="Daily PnL source">
                  <button
                    type="button"
                    className={`btn small${daily === "equity" ? " active" : ""}`}
                    aria-pressed={daily === "equity"}
                    onClick={() => setDaily("equity")}
                  >
                    Equity change
                  </button>
                  <button
                    type="button"
                    className={`btn small${daily === "realized" ? " active" : ""}`}
                    aria-pressed={daily === "realized"}
                    onClick={() => setDaily("realized")}
                  >
                    Realized (closed trades)
                  </button>
                </div>
                {daily === "realized" && realizedCurrency !== null ? (
                  <div className="perf-seg" role="group" aria-label="Realized PnL currency">
                    {currencies.map((c) => (
                      <button
                        key={c.currency}
                        type="button"
                        className={`btn small${realizedCurrency === c.currency ? " active" : ""}`}
                        aria-pressed={realizedCurrency === c.currency}
                        onClick={() => setRealizedCurrency(c.currency)}
                      >
                        {c.currency || "no quote"}
                      </button>
                    ))}
                  </div>
                ) : null}
              </div>
            }
          >
            <PnlBars
              label={daily === "equity" ? "Daily equity change" : `Daily realized PnL${realizedCurrency ? ` in ${realizedCurrency}` : ""}`}
              {...(daily === "realized" && realizedCurrency !== null && { unit: realizedCurrency, dp: currencyDecimals(realizedCurrency) })}
              bars={dailyBars(s.daily)}
            />
            <p className="muted perf-note">
              {daily === "equity"
                ? "Change of the last equity snapshot of each UTC day against the previous day's: realized and unrealized PnL net of fees (the series the Sharpe ratio uses)."
                : realizedCurrency === null
                  ? "Net PnL of the trades closed on each UTC day (after fees)."
                  : `Net PnL of the trades closed on each UTC day (after fees), of the symbols quoted in ${realizedCurrency}: the trades are in ${currencies.length} quote currencies, which are not added up.`}
            </p>
          </Panel>

          <AttributionFilterBar
            label="Performance filters"
            keys={PERF_FILTERS}
            value={filter.value}
            facets={{ symbols: s.bySymbol.map((r) => r.symbol), strategies: s.byStrategy.map((r) => r.strategy) }}
            onChange={filter.set}
          />
          <Panel title="Strategies side by side">
            {byStrategy.length === 0 ? (
              <Empty>{filter.value.strategy ? "No closed trades of this strategy in this window." : "No closed trades in this window."}</Empty>
            ) : (
              <DataTable
                className="perf-strategies"
                label="Closed trades per strategy"
                rows={byStrategy}
                rowKey={(r) => r.strategy}
                columns={[
                  { key: "strategy", header: "Strategy", rowHeader: true, cellClassName: "keep-case", cell: (r) => r.strategy },
                  ...tradeColumns<StrategyRow>((r) => r.byCurrency),
                  ...outcomeColumns<StrategyRow>((r) => r.byCurrency),
                ]}
              />
            )}
          </Panel>

          <Panel title="By symbol">
            {bySymbol.length === 0 ? (
              <Empty>{filter.value.symbol ? "No closed trades of this symbol in this window." : "No closed trades in this window."}</Empty>
            ) : (
              <DataTable
                className="perf-symbols"
                rows={bySymbol}
                rowKey={(r) => r.symbol}
                columns={[
                  { key: "symbol", header: "Symbol", rowHeader: true, cell: (r) => r.symbol },
                  ...tradeColumns<SymbolRow>((r) => [r]),
                  {
                    key: "slippage",
                    header: "Slippage",
                    numeric: true,
                    cell: (r) => (r.slippageKnown > 0 ? <Money value={r.slippageCost} currency={r.currency || undefined} /> : "—"),
                  },
                  ...outcomeColumns<SymbolRow>((r) => [r]),
                ]}
                foot={
                  bySymbol.length > 1 && !filter.value.symbol ? (
                    <tr>
                      <th scope="row">All</th>
                      <td className="num">{s.portfolio.trades.toLocaleString("en-US")}</td>
                      <td className="num">{fmtPct(s.portfolio.winRatePct, 1)}</td>
                      <td className="num">
                        {s.portfolio.wins} / {s.portfolio.losses}
                      </td>
                      <td className="num">
                        <ByCurrency rows={currencies} total={s.portfolio.netPnl} pick={(c) => c.netPnl} render={asPnl} />
                      </td>
                      <td className="num">
                        <ByCurrency rows={currencies} total={s.portfolio.fees} pick={(c) => c.fees} render={asMoney} />
                      </td>
                      <td className="num">
                        {s.portfolio.slippageKnown > 0 ? (
                          <ByCurrency rows={currencies} total={s.portfolio.slippageCost} pick={(c) => c.slippageCost} render={asMoney} />
                        ) : (
                          "—"
                        )}
                      </td>
                      <td className="num">{fmtDuration(s.portfolio.avgDurationMs)}</td>
                      <td className="num">
                        <ByCurrency rows={currencies} total={pfOf(s.portfolio)} pick={pfOf} render={asText} ratio />
                      </td>
                    </tr>
                  ) : null
                }
              />
            )}
          </Panel>
        </>
      )}
    </>
  );
}

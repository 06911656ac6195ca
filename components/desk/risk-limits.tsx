"use client";
/** Risk page parts: usage bars, the limits table, exposure per symbol with concentration, daily loss, VaR. */
import type { RiskSummaryOut as RiskSummary } from "@/components/trpc/types";

type LimitUsage = RiskSummary["limits"][number];
type LimitLevel = LimitUsage["level"];
import { fmtNum, fmtPct } from "../ui/format";
import { DataTable } from "../ui/data-table";
import { Badge, Empty, Money, Pnl } from "../ui/kit";
import { useMoney } from "../ui/currency";

const LEVEL_WORD: Record<LimitLevel, string> = { ok: "OK", warn: "High", bad: "Near limit", off: "No limit" };
const LEVEL_TONE = { ok: "ok", warn: "warn", bad: "bad", off: "muted" } as const;

/** "37 / 50 (74%)" in the limit's unit; money at `moneyDp` (the desk currency's precision) unless `dp` says otherwise. */
export function usageText(row: Pick<LimitUsage, "used" | "limit" | "ratio" | "unit">, dp?: number, moneyDp = 2): string {
  const fmt = (v: string | null) => {
    if (v === null) return "—";
    if (row.unit === "pct") return fmtPct(v, dp ?? 2);
    if (row.unit === "money") return fmtNum(v, dp ?? moneyDp);
    return fmtNum(v, dp ?? (Number.isInteger(Number(v)) ? 0 : 5));
  };
  if (row.limit === null) return `${fmt(row.used)} (no limit)`;
  return `${fmt(row.used)} / ${fmt(row.limit)}${row.ratio !== null ? ` (${fmtPct(row.ratio * 100, 0)})` : ""}`;
}

/** A usage bar: role="meter" with the numbers in words; amber above 75%, red above 90%, with a word for each. */
export function UsageBar({ ratio, level, label, text }: { ratio: number | null; level: LimitLevel; label: string; text: string }) {
  const pct = ratio === null ? 0 : Math.max(0, ratio * 100);
  return (
    <div
      className={`meter meter-${level}`}
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.min(100, Math.round(pct))}
      aria-valuetext={`${text}${level === "bad" ? ", near the limit" : level === "warn" ? ", high" : ""}`}
    >
      <div className="meter-fill" style={{ width: `${Math.min(100, pct)}%` }} />
      <div className="meter-mark meter-mark-75" aria-hidden="true" />
      <div className="meter-mark meter-mark-90" aria-hidden="true" />
    </div>
  );
}

/** The status in words (colour is never the only cue): OK, High, Near limit, At limit, Over limit, No limit. */
export function LevelBadge({ level, ratio }: { level: LimitLevel; ratio?: number | null }) {
  const word = level === "bad" && ratio != null && ratio >= 1 ? (ratio > 1 ? "Over limit" : "At limit") : LEVEL_WORD[level];
  return (
    <Badge tone={LEVEL_TONE[level]}>
      {level === "bad" ? "▲ " : ""}
      {word}
    </Badge>
  );
}

export function LimitsTable({ limits }: { limits: LimitUsage[] }) {
  const money = useMoney();
  return (
    <DataTable
      className="risk-limits"
      rows={limits}
      rowKey={(l) => `${l.key}-${l.label}`}
      rowProps={(l) => ({ className: `risk-row-${l.level}` })}
      columns={[
        {
          key: "limit",
          header: "Limit",
          rowHeader: true,
          cellClassName: "risk-limit-name",
          cell: (l) => (
            <>
              {l.label}
              {l.detail ? <div className="muted risk-detail">{l.detail}</div> : null}
            </>
          ),
        },
        {
          key: "effect",
          header: "At the limit",
          headerProps: { className: "risk-effect" },
          cellClassName: "risk-effect",
          cell: (l) => (
            <>
              <span className={`risk-scope risk-scope-${l.scope}`}>{l.scope === "gate" ? "Gate" : "Breaker"}</span> {l.effect}
            </>
          ),
        },
        {
          key: "usage",
          header: "Usage",
          headerProps: { className: "risk-bar-col" },
          cellClassName: "risk-bar-col",
          cell: (l) =>
            l.limit === null ? (
              <span className="muted">not set</span>
            ) : (
              <UsageBar ratio={l.ratio} level={l.level} label={l.label} text={usageText(l, undefined, money.dp)} />
            ),
        },
        { key: "used", header: "Used / limit", numeric: true, cell: (l) => usageText(l, undefined, money.dp) },
        { key: "status", header: "Status", cell: (l) => <LevelBadge level={l.level} ratio={l.ratio} /> },
      ]}
    />
  );
}

export function ExposureTable({ exposure, decimals }: { exposure: RiskSummary["exposure"]; decimals: (symbol: string) => number }) {
  const money = useMoney();
  if (exposure.bySymbol.length === 0) return <Empty>No exposure: no open positions and no open orders that add exposure.</Empty>;
  return (
    <>
      <DataTable
        rows={exposure.bySymbol}
        rowKey={(r) => r.symbol}
        columns={[
          { key: "symbol", header: "Symbol", rowHeader: true, cell: (r) => r.symbol },
          {
            key: "netQty",
            header: "Net qty",
            numeric: true,
            cell: (r) => {
              const qty = Number(r.netQty);
              return (
                <>
                  {qty > 0 ? "+" : qty < 0 ? "−" : ""}
                  {fmtNum(Math.abs(qty), decimals(r.symbol))}
                </>
              );
            },
          },
          { key: "gross", header: "Gross", numeric: true, cell: (r) => <Money value={r.gross} /> },
          { key: "reserved", header: "Open orders", numeric: true, cell: (r) => <Money value={r.reserved} /> },
          { key: "share", header: "Share", numeric: true, cell: (r) => (r.share === null ? "—" : fmtPct(r.share * 100, 1)) },
          { key: "pctOfEquity", header: "% equity", numeric: true, cell: (r) => fmtPct(r.pctOfEquity, 1) },
          {
            key: "limit",
            header: "Symbol limit",
            headerProps: { className: "risk-bar-col" },
            cellClassName: "risk-bar-col",
            cell: (r) =>
              r.exposure.limit === null ? (
                <span className="muted">not set</span>
              ) : (
                <UsageBar ratio={r.exposure.ratio} level={r.exposure.level} label={`${r.symbol} exposure`} text={usageText(r.exposure, undefined, money.dp)} />
              ),
          },
          {
            key: "used",
            header: "Used / limit",
            numeric: true,
            cell: (r) => (
              <>
                {usageText(r.exposure, undefined, money.dp)}{" "}
                {r.exposure.level === "bad" || r.exposure.level === "warn" ? <LevelBadge level={r.exposure.level} ratio={r.exposure.ratio} /> : null}
              </>
            ),
          },
        ]}
        foot={
          <tr>
            <th scope="row">Total</th>
            <td />
            <td className="num">
              <Money value={exposure.gross} />
            </td>
            <td className="num">
              <Money value={exposure.reserved} />
            </td>
            <td className="num">100.0%</td>
            <td className="num">{fmtPct(exposure.pctOfEquity, 1)}</td>
            <td colSpan={2} />
          </tr>
        }
      />
      <p className="muted risk-note">
        Concentration: Herfindahl index <span className="num-text">{exposure.herfindahl === null ? "—" : fmtNum(exposure.herfindahl, 3)}</span>
        {exposure.effectiveSymbols !== null ? (
          <>
            {" "}
            (1 = one symbol; the book is worth <span className="num-text">{fmtNum(exposure.effectiveSymbols, 1)}</span> equal positions)
          </>
        ) : null}
        . Net long/short: <Pnl value={exposure.net} />. Share is of gross position exposure; the symbol limit also counts open orders.
      </p>
    </>
  );
}

export function DailyLoss({ daily }: { daily: RiskSummary["daily"] }) {
  const money = useMoney();
  if (daily.pnl === null) return <Empty>The breaker is off in this mode: no daily loss limit.</Empty>;
  const ratio = daily.ratio;
  const level: LimitLevel = ratio === null ? "off" : ratio > 0.9 ? "bad" : ratio > 0.75 ? "warn" : "ok";
  const loss = Math.max(0, -Number(daily.pnl));
  const text = daily.lossLimit === null ? "no daily loss limit" : `loss ${money.fmt(loss)} / ${money.fmt(daily.lossLimit)} (${fmtPct((ratio ?? 0) * 100, 0)})`;
  return (
    <div className="risk-daily">
      <div className="risk-daily-head">
        <span>
          Today&apos;s realized PnL <Pnl value={daily.pnl} />
        </span>
        <LevelBadge level={level} ratio={ratio} />
      </div>
      {daily.lossLimit !== null ? <UsageBar ratio={ratio} level={level} label="Daily loss against the daily loss limit" text={text} /> : null}
      <p className="muted risk-note">
        {text}.{" "}
        {daily.lossLimit !== null ? (
          <>
            Room left before the breaker trips: <span className="num-text">{money.fmt(daily.remaining)}</span>. The limit is the tighter of{" "}
            {daily.limitPct !== null ? `${daily.limitPct}% of the day-start equity ${money.fmt(daily.dayStartEquity)}` : "no % limit"} and{" "}
            {daily.limitAbs !== null ? money.fmt(daily.limitAbs) : "no absolute limit"}.
          </>
        ) : null}
      </p>
    </div>
  );
}

export function VarTable({ value }: { value: RiskSummary["var"] }) {
  return (
    <>
      {value.var95 || value.var99 ? (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Confidence</th>
              <th scope="col" className="num">
                1-day loss
              </th>
              <th scope="col" className="num">
                Amount
              </th>
            </tr>
          </thead>
          <tbody>
            {[value.var95, value.var99].map((v) =>
              v ? (
                <tr key={v.confidence}>
                  <th scope="row">VaR {Math.round(v.confidence * 100)}%</th>
                  <td className="num">{fmtPct(v.pct, 2)}</td>
                  <td className="num">
                    <Money value={v.amount} />
                  </td>
                </tr>
              ) : null,
            )}
          </tbody>
        </table>
      ) : null}
      <p className={value.var95 ? "muted risk-note" : "risk-note"}>{value.note}</p>
    </>
  );
}

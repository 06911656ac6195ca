"use client";
/** An equity curve (recharts): time on x, equity on y, in the desk's dark theme. */
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useMoney } from "../ui/currency";
import { fmtAxis, fmtMoney, fmtTime } from "../ui/format";
import { CHART_MARGIN, GRID_STROKE, TOOLTIP_STYLE, timeLabel, timeXAxis } from "./chart-theme";

/** `currency`: the curve's own (a backtest's quote); the desk's by default. */
export function EquityChart({
  points,
  height = 220,
  label = "Equity",
  currency,
}: {
  points: { ts: number; equity: number }[];
  height?: number;
  label?: string;
  currency?: string | null;
}) {
  const desk = useMoney();
  const money = currency === undefined ? desk : { fmt: (v: number) => fmtMoney(v, currency) };
  if (points.length < 2) return <p className="muted">Not enough equity history yet to draw a curve.</p>;
  const min = Math.min(...points.map((p) => p.equity));
  const max = Math.max(...points.map((p) => p.equity));
  const pad = Math.max((max - min) * 0.1, max * 0.0005);
  return (
    <div
      role="img"
      aria-label={`${label} chart from ${fmtTime(points[0]!.ts)} to ${fmtTime(points.at(-1)!.ts)}: ${money.fmt(points[0]!.equity)} to ${money.fmt(points.at(-1)!.equity)}`}
    >
      <ResponsiveContainer width="100%" height={height}>
        <AreaChart data={points} margin={CHART_MARGIN}>
          <defs>
            <linearGradient id="eq" x1="0" y1="0" x2="0" y2="1">
              <stop offset="0%" stopColor="#58a6ff" stopOpacity={0.35} />
              <stop offset="100%" stopColor="#58a6ff" stopOpacity={0} />
            </linearGradient>
          </defs>
          <CartesianGrid stroke={GRID_STROKE} vertical={false} />
          <XAxis {...timeXAxis(points[0]!.ts, points.at(-1)!.ts)} />
          <YAxis
            // Whole-number bounds only where whole numbers mean something: a 1 BTC curve lives between 0.99 and 1.01.
            domain={max - min >= 10 ? [Math.floor(min - pad), Math.ceil(max + pad)] : [min - pad, max + pad]}
            tickCount={5}
            allowDecimals={max - min < 10}
            tickFormatter={fmtAxis}
            stroke="#8b949e"
            fontSize={11}
            width={70}
          />
          <Tooltip contentStyle={TOOLTIP_STYLE} labelFormatter={timeLabel} formatter={(v) => [money.fmt(Number(v)), label]} />
          <Area type="monotone" dataKey="equity" stroke="#58a6ff" fill="url(#eq)" strokeWidth={1.5} isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}

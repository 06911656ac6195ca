"use client";
/** Exposure per symbol over time (recharts): one stacked area per charted symbol, the rest summed as "other". */
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useMoney } from "../ui/currency";
import { fmtAxis, fmtTime } from "../ui/format";
import { AXIS_STYLE, CHART_MARGIN, GRID_STROKE, TOOLTIP_STYLE, timeLabel, timeXAxis } from "./chart-theme";

// Distinct on the dark theme; repeats after ten (the chart names at most 20 symbols).
const COLORS = ["#58a6ff", "#3fb950", "#d29922", "#f778ba", "#a371f7", "#39c5cf", "#ff7b72", "#7ee787", "#e3b341", "#79c0ff"];

export function ExposureChart({
  points,
  symbols,
  hasOther,
  height = 240,
}: {
  points: ({ ts: number } & Record<string, number>)[];
  symbols: string[];
  hasOther: boolean;
  height?: number;
}) {
  const money = useMoney();
  if (points.length < 2 || symbols.length === 0) return <p className="muted">No fills yet: exposure over time appears after the first trade.</p>;
  const keys = hasOther ? [...symbols, "other"] : symbols;
  const first = points[0]!.ts;
  const last = points.at(-1)!.ts;
  return (
    <div role="img" aria-label={`Exposure per symbol from ${fmtTime(first)} to ${fmtTime(last)}: ${keys.join(", ")}`}>
      <ResponsiveContainer width="100%" height={height}>
        <AreaChart data={points} margin={CHART_MARGIN}>
          <CartesianGrid stroke={GRID_STROKE} vertical={false} />
          <XAxis {...timeXAxis(first, last)} />
          <YAxis tickCount={5} tickFormatter={fmtAxis} {...AXIS_STYLE} width={60} />
          <Tooltip contentStyle={TOOLTIP_STYLE} labelFormatter={timeLabel} formatter={(v, name) => [money.fmt(Number(v)), String(name)]} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          {keys.map((k, i) => (
            <Area
              key={k}
              type="stepAfter"
              dataKey={k}
              stackId="exposure"
              stroke={k === "other" ? "#8b949e" : COLORS[i % COLORS.length]}
              fill={k === "other" ? "#8b949e" : COLORS[i % COLORS.length]}
              fillOpacity={0.25}
              strokeWidth={1.2}
              isAnimationActive={false}
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}

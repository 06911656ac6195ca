"use client";
/** The drawdown ("underwater") chart: % below the running equity peak over time, with the breaker's limit as a line. */
import { Area, AreaChart, CartesianGrid, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { fmtNum, fmtPct, fmtTime } from "../ui/format";
import { AXIS_STYLE, CHART_MARGIN, GRID_STROKE, TOOLTIP_STYLE, timeLabel, timeXAxis } from "../charts/chart-theme";

export function DrawdownChart({
  points,
  limitPct,
  height = 200,
}: {
  points: { ts: number; ddPct: number; equity: number }[];
  limitPct: number | null;
  height?: number;
}) {
  if (points.length < 2) return <p className="muted">Not enough equity history yet to draw the drawdown.</p>;
  const data = points.map((p) => ({ ts: p.ts, dd: -p.ddPct, equity: p.equity }));
  const worst = Math.max(...points.map((p) => p.ddPct));
  const floor = -Math.max(worst, limitPct ?? 0, 0.5) * 1.1;
  return (
    <div
      role="img"
      aria-label={`Drawdown chart from ${fmtTime(points[0]!.ts)} to ${fmtTime(points.at(-1)!.ts)}: deepest ${fmtPct(worst)} below the peak, now ${fmtPct(points.at(-1)!.ddPct)}${limitPct !== null ? `; the breaker trips at ${fmtPct(limitPct)}` : ""}`}
    >
      <ResponsiveContainer width="100%" height={height}>
        <AreaChart data={data} margin={CHART_MARGIN}>
          <defs>
            <linearGradient id="dd" x1="0" y1="0" x2="0" y2="1">
              <stop offset="0%" stopColor="#f85149" stopOpacity={0} />
              <stop offset="100%" stopColor="#f85149" stopOpacity={0.35} />
            </linearGradient>
          </defs>
          <CartesianGrid stroke={GRID_STROKE} vertical={false} />
          <XAxis {...timeXAxis(points[0]!.ts, points.at(-1)!.ts)} />
          <YAxis domain={[floor, 0]} tickFormatter={(v: number) => `${fmtNum(v, 1)}%`} {...AXIS_STYLE} width={56} />
          <Tooltip
            contentStyle={TOOLTIP_STYLE}
            labelFormatter={timeLabel}
            formatter={(v, name) => (name === "dd" ? [`${fmtNum(Number(v), 2)}%`, "Drawdown"] : [fmtNum(Number(v), 2), "Equity"])}
          />
          {limitPct !== null ? (
            <ReferenceLine
              y={-limitPct}
              stroke="#d29922"
              strokeDasharray="4 3"
              label={{ value: `breaker −${fmtNum(limitPct, 1)}%`, fill: "#d29922", fontSize: 11, position: "insideBottomLeft" }}
            />
          ) : null}
          <Area type="stepAfter" dataKey="dd" stroke="#f85149" fill="url(#dd)" strokeWidth={1.5} isAnimationActive={false} baseValue={0} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}

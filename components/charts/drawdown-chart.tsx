"use client";
/** Drawdown from the running peak, in percent (≤ 0), as a red area under zero. */
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { fmtNum, fmtTime } from "../ui/format";

export function DrawdownChart({ points, height = 160 }: { points: { ts: number; pct: number }[]; height?: number }) {
  if (points.length < 2) return <p className="muted">Not enough points to draw a drawdown.</p>;
  const worst = Math.min(...points.map((p) => p.pct));
  return (
    <div role="img" aria-label={`Drawdown chart: deepest ${fmtNum(worst, 2)}% below the running peak`}>
      <ResponsiveContainer width="100%" height={height}>
        <AreaChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
          <CartesianGrid stroke="#21262d" vertical={false} />
          <XAxis
            dataKey="ts"
            type="number"
            domain={["dataMin", "dataMax"]}
            tickFormatter={(v: number) => fmtTime(v, false).slice(5, 10)}
            stroke="#8b949e"
            fontSize={11}
          />
          <YAxis domain={[Math.min(worst * 1.1, -0.01), 0]} tickFormatter={(v: number) => `${fmtNum(v, 1)}%`} stroke="#8b949e" fontSize={11} width={70} />
          <Tooltip
            contentStyle={{ background: "#161b22", border: "1px solid #30363d", color: "#e6edf3" }}
            labelFormatter={(v) => fmtTime(Number(v))}
            formatter={(v) => [`▼ ${fmtNum(Math.abs(Number(v)), 2)}% below peak`, "Drawdown"]}
          />
          <Area type="monotone" dataKey="pct" stroke="#f85149" fill="#f85149" fillOpacity={0.25} strokeWidth={1.2} isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}

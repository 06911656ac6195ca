"use client";
/**
 * Confidence calibration (recharts): per confidence bucket, the realized win rate beside the mean confidence the model
 * gave. A calibrated model's bars match. The numbers are also in the table beside it; colour is never the only cue.
 */
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface CalibrationPoint {
  from: number;
  to: number;
  trades: number;
  /** 0..1, null when the bucket is empty. */
  winRate: number | null;
  meanConfidence: number | null;
}

const pct = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 10);

export function CalibrationChart({ strategy, buckets, height = 200 }: { strategy: string; buckets: CalibrationPoint[]; height?: number }) {
  const judged = buckets.filter((b) => b.trades > 0);
  if (judged.length === 0) return <p className="muted">No closed trades of {strategy} with a known confidence yet.</p>;
  const data = buckets.map((b) => ({
    bucket: `${b.from.toFixed(1)}–${b.to.toFixed(1)}`,
    winRate: pct(b.winRate),
    confidence: pct(b.meanConfidence),
    trades: b.trades,
  }));
  const summary = judged.map((b) => `confidence ${b.from}–${b.to}: ${pct(b.winRate)}% won of ${b.trades}`).join("; ");
  return (
    <div role="img" aria-label={`Calibration of ${strategy}: ${summary}`}>
      <ResponsiveContainer width="100%" height={height}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#21262d" vertical={false} />
          <XAxis dataKey="bucket" stroke="#8b949e" fontSize={11} />
          <YAxis stroke="#8b949e" fontSize={11} width={40} domain={[0, 100]} tickFormatter={(v: number) => `${v}%`} />
          <Tooltip
            contentStyle={{ background: "#161b22", border: "1px solid #30363d" }}
            formatter={(value, name) => [value === null || value === undefined ? "—" : `${String(value)}%`, name]}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="winRate" name="Realized win rate" fill="#3fb950" isAnimationActive={false} maxBarSize={28} />
          <Bar dataKey="confidence" name="Mean confidence" fill="#58a6ff" isAnimationActive={false} maxBarSize={28} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

"use client";
/**
 * Signed bars (daily PnL): gains green above zero, losses red below, and the tooltip writes the sign and ▲/▼ so that
 * colour is never the only cue. Values are display numbers.
 */
import { Bar, BarChart, CartesianGrid, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useMoney } from "../ui/currency";
import { fmtAxis, fmtSigned } from "../ui/format";

export interface SignedBar {
  /** Unique key and x value, e.g. "2024-01-02". */
  key: string;
  value: number;
  /** Extra lines for the tooltip. */
  details?: string[];
}

interface Row extends SignedBar {
  up: number;
  down: number;
}

function BarTooltip({
  active,
  payload,
  label,
  unit,
  dp,
}: {
  active?: boolean;
  payload?: readonly { payload?: Row }[];
  label?: string | number;
  unit: string;
  dp: number;
}) {
  const row = payload?.[0]?.payload;
  if (!active || !row) return null;
  const sign = row.value > 0 ? "▲" : row.value < 0 ? "▼" : "•";
  return (
    <div className="chart-tooltip">
      <div className="muted">{String(label ?? row.key)}</div>
      <div className={row.value > 0 ? "pnl up" : row.value < 0 ? "pnl down" : "pnl flat"}>
        {sign} {fmtSigned(row.value, dp)} {unit}
      </div>
      {row.details?.map((d) => (
        <div key={d} className="muted">
          {d}
        </div>
      ))}
    </div>
  );
}

/** `dp` defaults to the desk currency's precision (bars are money unless told otherwise). */
export function PnlBars({
  bars,
  height = 200,
  label = "Daily PnL",
  unit = "",
  dp,
}: {
  bars: SignedBar[];
  height?: number;
  label?: string;
  unit?: string;
  dp?: number;
}) {
  const money = useMoney();
  const decimals = dp ?? money.dp;
  if (bars.length === 0) return <p className="muted">No days with PnL in this window.</p>;
  const data: Row[] = bars.map((b) => ({ ...b, up: b.value > 0 ? b.value : 0, down: b.value < 0 ? b.value : 0 }));
  const gains = bars.filter((b) => b.value > 0).length;
  const losses = bars.filter((b) => b.value < 0).length;
  return (
    <div role="img" aria-label={`${label}: ${bars.length} days, ${gains} up, ${losses} down, from ${bars[0]!.key} to ${bars.at(-1)!.key}`}>
      <ResponsiveContainer width="100%" height={height}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }} stackOffset="sign">
          <CartesianGrid stroke="#21262d" vertical={false} />
          <XAxis dataKey="key" stroke="#8b949e" fontSize={11} tickFormatter={(v: string) => v.slice(5)} minTickGap={12} />
          <YAxis stroke="#8b949e" fontSize={11} width={70} tickFormatter={fmtAxis} />
          <ReferenceLine y={0} stroke="#8b949e" />
          <Tooltip
            cursor={{ fill: "rgba(139,148,158,0.12)" }}
            content={(props) => <BarTooltip active={props.active} payload={props.payload} label={props.label} unit={unit} dp={decimals} />}
          />
          <Bar dataKey="up" stackId="pnl" fill="#3fb950" isAnimationActive={false} name="gain" maxBarSize={40} />
          <Bar dataKey="down" stackId="pnl" fill="#f85149" isAnimationActive={false} name="loss" maxBarSize={40} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

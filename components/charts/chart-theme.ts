/** The desk's dark chart theme (recharts props), shared so every time-series chart looks and reads the same. */
import { fmtAxisTime, fmtTime } from "../ui/format";

export const CHART_MARGIN = { top: 8, right: 8, bottom: 0, left: 8 };
export const GRID_STROKE = "#21262d";
/** Axis lines and tick labels. */
export const AXIS_STYLE = { stroke: "#8b949e", fontSize: 11 };
export const TOOLTIP_STYLE = { background: "#161b22", border: "1px solid #30363d", color: "#e6edf3" };

/** The x axis of a time series from `first` to `last` (epoch ms): ticks as "MM-DD HH:MM", or "HH:MM:SS" over a short span. */
export function timeXAxis(first: number, last: number) {
  return {
    dataKey: "ts",
    type: "number" as const,
    domain: ["dataMin", "dataMax"] as [string, string],
    tickFormatter: (v: number) => fmtAxisTime(v, last - first),
    ...AXIS_STYLE,
  };
}

/** The tooltip's heading: the point's time in full. */
export const timeLabel = (v: unknown): string => fmtTime(Number(v));

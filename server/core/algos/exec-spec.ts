/**
 * The backtest's `--exec ALGO` (the issue's contract): `market` (one order, today's behaviour), `twap:DURATION`,
 * `vwap:DURATION` (e.g. `twap:30m`), `iceberg:FRACTION` (the visible share of the order), `pov:RATE`. Parsed here,
 * and turned into the algorithm request each entry and exit asks for.
 */
import { err, ok, type Result } from "../errors";
import type { AlgoRequest } from "./request";

export type ExecSpec =
  { kind: "market" } | { kind: "twap" | "vwap"; horizonSeconds: number } | { kind: "iceberg"; fraction: number } | { kind: "pov"; rate: number };

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

export function parseExecSpec(text: string): Result<ExecSpec, "INVALID_EXEC"> {
  const refuse = () =>
    err(
      "INVALID_EXEC" as const,
      `--exec must be market, twap:DURATION, vwap:DURATION (e.g. twap:30m; s, m, h or d), iceberg:FRACTION (0 < f ≤ 1) or pov:RATE (0 < r ≤ 1), got '${text.slice(0, 40)}'.`,
    );
  if (text === "market") return ok({ kind: "market" });
  const [kind, value = ""] = text.split(":", 2);
  if (kind === "twap" || kind === "vwap") {
    const m = /^(\d+)([smhd])$/.exec(value);
    const seconds = m ? Number(m[1]) * UNITS[m[2]!]! : 0;
    return seconds >= 1 && seconds <= 7 * 86_400 ? ok({ kind, horizonSeconds: seconds }) : refuse();
  }
  if (kind === "iceberg" || kind === "pov") {
    const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
    if (!(n > 0 && n <= 1)) return refuse();
    return ok(kind === "iceberg" ? { kind, fraction: n } : { kind, rate: n });
  }
  return refuse();
}

export function execLabel(spec: ExecSpec): string {
  switch (spec.kind) {
    case "market":
      return "market";
    case "twap":
    case "vwap":
      return `${spec.kind}:${spec.horizonSeconds % 60 === 0 ? `${spec.horizonSeconds / 60}m` : `${spec.horizonSeconds}s`}`;
    case "iceberg":
      return `iceberg:${spec.fraction}`;
    case "pov":
      return `pov:${spec.rate}`;
  }
}

/**
 * The request for one order of `qty` on candles `candleMs` apart: TWAP/VWAP slice once per candle (at most 100
 * slices); an iceberg shows `fraction` of it at the arrival price for one horizon of 30 candles; POV takes `rate` of
 * the traded volume with no cap below the order. Null for `market`.
 */
export function execAlgoRequest(spec: ExecSpec, qty: string, candleMs: number): AlgoRequest | null {
  const candleSeconds = Math.max(1, Math.round(candleMs / 1000));
  switch (spec.kind) {
    case "market":
      return null;
    case "twap":
    case "vwap": {
      const interval = Math.min(spec.horizonSeconds, Math.max(candleSeconds, Math.ceil(spec.horizonSeconds / 100)));
      return { kind: spec.kind, horizonSeconds: spec.horizonSeconds, intervalSeconds: interval };
    }
    case "iceberg":
      return { kind: "iceberg", displayFraction: spec.fraction, horizonSeconds: 30 * candleSeconds };
    case "pov":
      return { kind: "pov", rate: spec.rate, maxSliceQty: qty, horizonSeconds: 30 * candleSeconds };
  }
}

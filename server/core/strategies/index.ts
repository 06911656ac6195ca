/** Built-in strategies and the registry the engine and the backtest CLI look them up in. */
import { type Result, err } from "../errors";
import { createRsiReversionStrategy } from "./rsi-reversion";
import { createSmaCrossStrategy } from "./sma-cross";
import { type Strategy } from "./types";

export * from "./types";
export * from "./sma-cross";
export * from "./rsi-reversion";

export const STRATEGY_NAMES = ["sma-cross", "rsi-reversion"] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}

/** A strategy by registry name with its parameters checked. */
export function createStrategy(name: string, params: Readonly<Record<string, unknown>>): Result<Strategy, "STRATEGY_UNKNOWN" | "STRATEGY_INVALID_PARAMS"> {
  switch (name) {
    case "sma-cross":
      return createSmaCrossStrategy({ fast: params.fast, slow: params.slow, decimals: params.decimals });
    case "rsi-reversion":
      return createRsiReversionStrategy({ period: params.period, oversold: params.oversold, exit: params.exit });
    default:
      return err("STRATEGY_UNKNOWN", `There is no strategy named '${name}'; the strategies are: ${STRATEGY_NAMES.join(", ")}.`, { name });
  }
}

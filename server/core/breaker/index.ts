export * from "./config";
export * from "./types";
export * from "./snapshot";
export { CircuitBreaker, HISTORY_LIMIT, formatDuration } from "./breaker";

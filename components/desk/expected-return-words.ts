/**
 * The Risk page's one line under the target weights saying where max Sharpe's and Kelly's expected returns came from:
 * which symbols a strategy's signal forecast and which fell back to the window's mean return (a weak forecast).
 * Null when no target used expected returns (nothing to say).
 */

export interface SourcedTarget {
  method: string;
  expectedReturnSource?: Record<string, "signal" | "history">;
}

const HOUR_MS = 60 * 60 * 1000;
const hours = (ms: number) => `${Number((ms / HOUR_MS).toFixed(1))} h`;

function split(source: Record<string, "signal" | "history">): { signals: string[]; history: string[] } {
  const entries = Object.entries(source);
  return { signals: entries.filter(([, s]) => s === "signal").map(([k]) => k), history: entries.filter(([, s]) => s === "history").map(([k]) => k) };
}

function clause(sources: { signals: string[]; history: string[] }, basis: { freshnessMs: number; horizonMs: number }): string {
  const parts: string[] = [];
  if (sources.signals.length > 0)
    parts.push(`from signals for ${sources.signals.join(", ")} (the freshest within ${hours(basis.freshnessMs)}, spread over ${hours(basis.horizonMs)})`);
  if (sources.history.length > 0)
    parts.push(
      sources.signals.length === 0
        ? "from each symbol's mean return over the window, no strategy signal gives one (a weak forecast)"
        : `from the window's mean return for ${sources.history.join(", ")} (a weak forecast)`,
    );
  return parts.join("; ");
}

export function expectedReturnLine(
  targets: readonly SourcedTarget[],
  basis: { freshnessMs: number; horizonMs: number },
  label: (method: string) => string,
): string | null {
  const sourced = targets.filter((t): t is Required<SourcedTarget> => t.expectedReturnSource !== undefined);
  if (sourced.length === 0) return null;
  const clauses = sourced.map((t) => clause(split(t.expectedReturnSource), basis));
  // The methods share one vector today: say it once; should they ever differ, per method.
  if (clauses.every((c) => c === clauses[0])) return `Expected returns (${sourced.map((t) => label(t.method)).join(", ")}): ${clauses[0]}.`;
  return `Expected returns — ${sourced.map((t, i) => `${label(t.method)}: ${clauses[i]}`).join(" · ")}.`;
}

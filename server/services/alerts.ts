/**
 * The Alerts page and the header badge: occurrences and counts read through Prisma (so they show while the engine is
 * down), and the acknowledgement (who and why, audited) through the running alert center.
 */
import { ALERT_SEVERITIES, severityRank, type AlertSeverity } from "../core/alerts";
import { DomainError } from "../core/errors";
import { alertChanges, alertRows, unacknowledgedBySeverity, type AlertFilter } from "../db/queries/alerts";
import type { DeskAlerts } from "../engine/alerts";
import type { Actor } from "../engine/types";
import { commandValue, requireRuntime } from "./engine";

function requireAlerts(): DeskAlerts {
  const alerts = requireRuntime().alerts;
  if (!alerts) throw new DomainError("ALERTS_UNAVAILABLE", "The alert center is not running in this process.");
  return alerts;
}

export async function listAlerts(input: AlertFilter & { limit: number }) {
  const [active, history] = await Promise.all([alertRows(false, input, input.limit), alertRows(true, input, input.limit)]);
  return { active, history };
}

export async function alertSummary() {
  const counts = await unacknowledgedBySeverity();
  const bySeverity = Object.fromEntries(ALERT_SEVERITIES.map((s) => [s, counts[s] ?? 0])) as Record<AlertSeverity, number>;
  const total = ALERT_SEVERITIES.reduce((sum, s) => sum + bySeverity[s], 0);
  const highest = [...ALERT_SEVERITIES].sort((a, b) => severityRank(b) - severityRank(a)).find((s) => bySeverity[s] > 0) ?? null;
  return { total, bySeverity, highest };
}

export async function alertHistory(id: string) {
  return { changes: await alertChanges(id, 200) };
}

export function acknowledgeAlert(id: string, actor: Actor, reason: string) {
  return commandValue(requireAlerts().acknowledge(id, actor, reason));
}

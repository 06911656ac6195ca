/** Words of the alert center's UI: the header badge's accessible name. */

const NAMED = ["critical", "warning"] as const;

/** "3 alerts, 1 critical, 2 warning", "1 alert", "No alerts": the count, then the serious ones by severity. */
export function alertBadgeName(total: number, bySeverity: Record<string, number>): string {
  if (total === 0) return "No alerts";
  const serious = NAMED.filter((s) => (bySeverity[s] ?? 0) > 0).map((s) => `${bySeverity[s]} ${s}`);
  return [`${total} alert${total === 1 ? "" : "s"}`, ...serious].join(", ");
}

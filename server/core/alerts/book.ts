/**
 * The alert book: one record per occurrence of a condition, deduplicated by key. A raise on a key whose latest
 * occurrence nobody acknowledged yet counts on it (count, last seen, the worst severity, ACTIVE again if it had
 * resolved); once acknowledged, the next raise opens a new occurrence (the old one stays in the history). A resolve
 * marks the latest ACTIVE occurrence RESOLVED; it still waits for a person's acknowledgement to leave the active list.
 *
 * Pure: ids and times come in. Every change is returned so the caller can persist it and its history row.
 */
import { err, type Refusal } from "../errors";
import type { IdGenerator } from "../ids";
import { maxSeverity, severityRank, type AlertKind, type AlertSeverity, type AlertSignal } from "./rules";

export type AlertStatus = "ACTIVE" | "RESOLVED";

export interface AlertRecord {
  id: string;
  key: string;
  kind: AlertKind;
  severity: AlertSeverity;
  subject: string;
  title: string;
  /** The latest message. */
  message: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
  status: AlertStatus;
  resolvedAt: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  acknowledgeReason: string | null;
}

export type AlertChangeKind = "RAISED" | "REPEATED" | "RESOLVED" | "ACKNOWLEDGED";

export interface AlertChange {
  change: AlertChangeKind;
  alert: AlertRecord;
  ts: number;
  /** The signal's (or the acknowledgement's) message. */
  message: string;
  actor: string | null;
}

export interface AlertSummary {
  /** Unacknowledged occurrences. */
  total: number;
  bySeverity: Record<AlertSeverity, number>;
  /** The worst severity among them; null when there are none. */
  highest: AlertSeverity | null;
}

export type AcknowledgeResult = { ok: true; change: AlertChange } | { ok: false; error: Refusal<"UNKNOWN_ALERT" | "ALREADY_ACKNOWLEDGED"> };

/** Counts of unacknowledged alerts by severity (the header badge). */
export function summarize(alerts: Iterable<Pick<AlertRecord, "severity" | "acknowledgedAt">>): AlertSummary {
  const bySeverity: Record<AlertSeverity, number> = { info: 0, warning: 0, critical: 0 };
  let total = 0;
  let highest: AlertSeverity | null = null;
  for (const alert of alerts) {
    if (alert.acknowledgedAt !== null) continue;
    total++;
    bySeverity[alert.severity]++;
    if (highest === null || severityRank(alert.severity) > severityRank(highest)) highest = alert.severity;
  }
  return { total, bySeverity, highest };
}

export class AlertBook {
  /** The latest occurrence of each key. */
  private readonly latest = new Map<string, AlertRecord>();
  private readonly byId = new Map<string, AlertRecord>();

  constructor(private readonly ids: IdGenerator) {}

  /** Occurrences from storage (the unacknowledged ones, and the latest of each key), oldest first. */
  restore(records: readonly AlertRecord[]): void {
    for (const record of records) {
      const copy = { ...record };
      this.byId.set(copy.id, copy);
      const current = this.latest.get(copy.key);
      if (!current || current.firstSeen <= copy.firstSeen) this.latest.set(copy.key, copy);
    }
  }

  apply(signal: AlertSignal): AlertChange | null {
    const current = this.latest.get(signal.key);
    if (signal.op === "resolve") {
      if (!current || current.status !== "ACTIVE") return null;
      current.status = "RESOLVED";
      current.resolvedAt = signal.ts;
      return { change: "RESOLVED", alert: { ...current }, ts: signal.ts, message: signal.message, actor: null };
    }
    if (current && current.acknowledgedAt === null) {
      current.count++;
      current.lastSeen = Math.max(current.lastSeen, signal.ts);
      current.severity = maxSeverity(current.severity, signal.severity);
      current.message = signal.message;
      current.title = signal.title;
      current.status = "ACTIVE";
      current.resolvedAt = null;
      return { change: "REPEATED", alert: { ...current }, ts: signal.ts, message: signal.message, actor: null };
    }
    const record: AlertRecord = {
      id: this.ids.next("alr"),
      key: signal.key,
      kind: signal.kind,
      severity: signal.severity,
      subject: signal.subject,
      title: signal.title,
      message: signal.message,
      firstSeen: signal.ts,
      lastSeen: signal.ts,
      count: 1,
      status: "ACTIVE",
      resolvedAt: null,
      acknowledgedAt: null,
      acknowledgedBy: null,
      acknowledgeReason: null,
    };
    // The acknowledged occurrence before it is history now: only the latest of a key is kept in memory.
    if (current) this.byId.delete(current.id);
    this.latest.set(record.key, record);
    this.byId.set(record.id, record);
    return { change: "RAISED", alert: { ...record }, ts: signal.ts, message: signal.message, actor: null };
  }

  acknowledge(id: string, by: string, reason: string, ts: number): AcknowledgeResult {
    const record = this.byId.get(id);
    if (!record) return err("UNKNOWN_ALERT", `There is no alert ${id} waiting for acknowledgement.`);
    if (record.acknowledgedAt !== null) {
      return err("ALREADY_ACKNOWLEDGED", `Alert ${id} was already acknowledged by ${record.acknowledgedBy ?? "someone"}.`);
    }
    record.acknowledgedAt = ts;
    record.acknowledgedBy = by;
    record.acknowledgeReason = reason;
    return { ok: true, change: { change: "ACKNOWLEDGED", alert: { ...record }, ts, message: reason, actor: by } };
  }

  get(id: string): AlertRecord | null {
    const record = this.byId.get(id);
    return record ? { ...record } : null;
  }

  /** Unacknowledged occurrences, newest last seen first. */
  unacknowledged(): AlertRecord[] {
    return [...this.byId.values()]
      .filter((r) => r.acknowledgedAt === null)
      .sort((a, b) => b.lastSeen - a.lastSeen)
      .map((r) => ({ ...r }));
  }

  summary(): AlertSummary {
    return summarize(this.byId.values());
  }
}

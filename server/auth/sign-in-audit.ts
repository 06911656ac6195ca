/**
 * Refused sign-ins are audited without letting a flood write a row each (the audit table refuses deletes, so what
 * is written stays forever).
 *
 * Per (username, address) and window (15 minutes): the first refusal is written at once with its reason; later
 * ones in the window are counted and written as one summary row ("N more refused sign-ins …") when the window has
 * passed (at the next sign-in event or the periodic flush). Across all pairs at most `maxRowsPerWindow` rows are
 * written per window; beyond that, refusals are counted in one overflow row per window (an attacker inventing a
 * new username per request cannot grow the table either). Successful sign-ins are always written, one row each.
 */
import { MINUTE_MS, type Clock } from "../core/clock";
import { recordAudit, type AuditEntry } from "../db/audit";
import { wallClock } from "./clock";

export interface RefusedSignIn {
  username: string;
  ip: string;
  /** The sentence the client was given. */
  detail: string;
}

interface PairState {
  username: string;
  ip: string;
  windowStart: number;
  /** Refusals since the row that opened the window, not yet written. */
  suppressed: number;
  lastDetail: string;
}

export interface RefusalAuditOptions {
  clock?: Clock;
  windowMs?: number;
  maxRowsPerWindow?: number;
  maxPairs?: number;
  write?: (entry: AuditEntry) => Promise<void>;
}

export class RefusedSignInAudit {
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly maxRowsPerWindow: number;
  private readonly maxPairs: number;
  private readonly write: (entry: AuditEntry) => Promise<void>;
  private readonly pairs = new Map<string, PairState>();
  private globalWindowStart = -Infinity;
  private rowsThisWindow = 0;
  /** Refusals not written one by one (row budget spent, or their pair was forgotten): one row per window. */
  private overflow = 0;
  private overflowSince = 0;

  constructor(opts: RefusalAuditOptions = {}) {
    this.clock = opts.clock ?? wallClock;
    this.windowMs = opts.windowMs ?? 15 * MINUTE_MS;
    this.maxRowsPerWindow = opts.maxRowsPerWindow ?? 100;
    this.maxPairs = opts.maxPairs ?? 10_000;
    this.write = opts.write ?? ((entry) => recordAudit(entry, this.clock));
  }

  private rollGlobalWindow(now: number, rows: AuditEntry[]): void {
    if (now < this.globalWindowStart + this.windowMs) return;
    if (this.overflow > 0) {
      rows.push({
        actor: "anonymous",
        role: "none",
        action: "sign_in",
        result: "REFUSED",
        params: { count: this.overflow, since: new Date(this.overflowSince).toISOString(), until: new Date(now).toISOString() },
        detail: `${this.overflow} more refused sign-ins (various usernames and addresses) were counted but not written one by one.`,
      });
      this.overflow = 0;
    }
    this.globalWindowStart = now;
    this.rowsThisWindow = 0;
  }

  private summary(p: PairState, now: number): AuditEntry {
    return {
      actor: p.username,
      role: "none",
      action: "sign_in",
      target: p.username,
      result: "REFUSED",
      params: { ip: p.ip, count: p.suppressed, since: new Date(p.windowStart).toISOString(), until: new Date(now).toISOString() },
      detail: `${p.suppressed} more refused sign-ins for "${p.username}" from ${p.ip} in 15 minutes; the last: ${p.lastDetail}`,
    };
  }

  /** Summary rows for windows that have ended. */
  private due(now: number, rows: AuditEntry[]): void {
    for (const [key, p] of this.pairs) {
      if (now < p.windowStart + this.windowMs) continue;
      if (p.suppressed > 0) rows.push(this.summary(p, now));
      this.pairs.delete(key);
    }
  }

  /** Queue a row against the window's budget (summaries and first refusals alike). */
  private budgeted(rows: AuditEntry[], count: number, now: number): AuditEntry[] {
    const out: AuditEntry[] = [];
    for (const row of rows) {
      if (this.rowsThisWindow < this.maxRowsPerWindow) {
        this.rowsThisWindow++;
        out.push(row);
      } else {
        if (this.overflow === 0) this.overflowSince = now;
        this.overflow += typeof row.params?.count === "number" ? row.params.count : count;
      }
    }
    return out;
  }

  private async writeAll(rows: AuditEntry[]): Promise<void> {
    for (const row of rows) await this.write(row);
  }

  /** Records one refused sign-in (the row is written now, or counted for a later summary). */
  async refused(r: RefusedSignIn): Promise<void> {
    const now = this.clock.now();
    const pending: AuditEntry[] = [];
    this.due(now, pending);
    const key = `${r.username}\n${r.ip}`;
    const p = this.pairs.get(key);
    if (p) {
      p.suppressed++;
      p.lastDetail = r.detail;
    } else {
      pending.push({ actor: r.username, role: "none", action: "sign_in", target: r.username, result: "REFUSED", params: { ip: r.ip }, detail: r.detail });
      this.pairs.set(key, { username: r.username, ip: r.ip, windowStart: now, suppressed: 0, lastDetail: r.detail });
      while (this.pairs.size > this.maxPairs) {
        const [oldestKey, oldest] = this.pairs.entries().next().value ?? [];
        if (oldestKey === undefined || !oldest) break;
        if (oldest.suppressed > 0) {
          if (this.overflow === 0) this.overflowSince = now;
          this.overflow += oldest.suppressed;
        }
        this.pairs.delete(oldestKey);
      }
    }
    this.rollGlobalWindow(now, pending);
    await this.writeAll(this.budgeted(pending, 1, now));
  }

  /** Writes the summaries of windows that have ended (called periodically and at each sign-in). */
  async flushDue(): Promise<void> {
    const now = this.clock.now();
    const pending: AuditEntry[] = [];
    this.due(now, pending);
    this.rollGlobalWindow(now, pending);
    await this.writeAll(this.budgeted(pending, 0, now));
  }

  /** Everything counted so far, written now (shutdown, tests). */
  async flushAll(): Promise<void> {
    const now = this.clock.now();
    const rows: AuditEntry[] = [];
    for (const p of this.pairs.values()) if (p.suppressed > 0) rows.push(this.summary(p, now));
    this.pairs.clear();
    if (this.overflow > 0) this.globalWindowStart = -Infinity;
    this.rollGlobalWindow(now, rows);
    await this.writeAll(rows);
  }
}

const globalForAudit = globalThis as unknown as { bastionRefusedSignInAudit?: RefusedSignInAudit; bastionRefusedSignInTimer?: ReturnType<typeof setInterval> };

/** The process-wide refusal audit (its summaries are also flushed once a minute). */
export function refusedSignInAudit(): RefusedSignInAudit {
  if (!globalForAudit.bastionRefusedSignInAudit) {
    const audit = new RefusedSignInAudit();
    globalForAudit.bastionRefusedSignInAudit = audit;
    const timer = setInterval(() => {
      audit.flushDue().catch((e: unknown) => console.error("audit: could not write refused sign-in summaries:", e));
    }, MINUTE_MS);
    timer.unref();
    globalForAudit.bastionRefusedSignInTimer = timer;
  }
  return globalForAudit.bastionRefusedSignInAudit;
}

/** Tests: replace the process-wide refusal audit (undefined → a fresh default one on next use). */
export function setRefusedSignInAuditForTests(audit: RefusedSignInAudit | undefined): void {
  if (globalForAudit.bastionRefusedSignInTimer) clearInterval(globalForAudit.bastionRefusedSignInTimer);
  globalForAudit.bastionRefusedSignInTimer = undefined;
  globalForAudit.bastionRefusedSignInAudit = audit;
}

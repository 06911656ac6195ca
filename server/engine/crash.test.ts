/**
 * Crash test (DESIGN.md invariants 2 and 3 under SIGKILL): a child process (test/crash/child.ts) runs the
 * engine on the durable simulated venue under a random stream of quotes, signals, limit orders, cancels
 * and closes, and is killed with SIGKILL at random moments, many times. After a final restart that only
 * recovers and reconciles, Bastion's database and the venue's own file must agree:
 * - no clientOrderId sent twice: one intent per order, no DUPLICATE_CLIENT_ORDER_ID anywhere, every
 *   order the venue knows is one we journaled, and no order we marked NEVER_SENT reached the venue;
 * - no fill lost or doubled: Bastion's fills are exactly the venue's fills, once each, with the same
 *   order, quantity and price;
 * - every fill belongs to a known order, each order's filledQty = Σ its fills, and each position's
 *   quantity = Σ its signed fills (open and closed positions);
 * - no order still works for a closed position (a kill right after a position's closing fill leaves the cancels of its
 *   other orders unsent: the restart sends them);
 * - order statuses and filled quantities agree with the venue's for every order the venue knows;
 * - the journal holds one applied `fill` event per fill row;
 * - a signal retried after a restart never makes a second order (it is refused as a duplicate);
 * - parent orders: each child id is `<parent>.<n>` and sent once; a parent's filled quantity is the sum of its children's
 *   booked fills (never more than its target), whatever moment the kill came at;
 * - reconciliation only caught up (missed fills, never-sent orders, statuses, undelivered cancels):
 *   no orphan fill, overfill, unknown order or event.
 * Every fifth run is killed as soon as READY is read; the others 30–300 ms into the stream (seeded).
 */
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { parseStoredParent } from "../core/algos/serialize";
import { D, type Decimal, ZERO } from "../core/money";
import { TERMINAL_STATUSES, type OrderStatus } from "../core/orders/types";
import { seededRng } from "../core/rng";
import { createMigratedDb } from "../../test/db";
import { crashKills, runCrashChild, type RunOutcome } from "../../test/crash/run-child";

const CHILD = join(import.meta.dirname, "..", "..", "test", "crash", "child.ts");
/** `npm run chaos` runs 100 (BASTION_CRASH_KILLS=100); CI runs the default. */
const KILLS = crashKills(process.env.BASTION_CRASH_KILLS, 22);

/**
 * Runs the child; in `run` mode SIGKILLs it as its `killAfterTicks`-th TICK line is read (0 = as READY is read).
 * Counted in ticks, not milliseconds: on a busy machine the child does as much work before the kill as on an idle
 * one (and the kill still lands wherever the child has got to by then).
 */
function runChild(args: string[], killAfterTicks: number | null): Promise<RunOutcome> {
  return runCrashChild(CHILD, args, { nodeArgs: ["--import", "tsx"], guardMs: 20_000, kill: killAfterTicks === null ? null : { afterTicks: killAfterTicks } });
}

// ── the two files, read-only ─────────────────────────────────────────────────────────────────────
interface OrderRow {
  clientOrderId: string;
  signalId: string | null;
  status: string;
  filledQty: string;
  positionId: string | null;
  data: string;
}
interface FillRow {
  tradeId: string;
  clientOrderId: string;
  side: string;
  qty: string;
  price: string;
  positionId: string | null;
}
interface PositionRow {
  id: string;
  side: string;
  state: string;
  quantity: string;
}
interface EventRow {
  clientOrderId: string;
  type: string;
  applied: number;
  payload: string;
}
interface ParentRow {
  id: string;
  status: string;
  targetQty: string;
  filledQty: string;
  state: string;
  progress: string | null;
}
interface VenueFillRow {
  trade_id: string;
  client_order_id: string;
  qty: string;
  price: string;
}
interface VenueOrder {
  clientOrderId: string;
  status: string;
  filled: string;
}

function readBastion(path: string) {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return {
      orders: db.prepare("SELECT clientOrderId, signalId, status, filledQty, positionId, data FROM orders").all() as OrderRow[],
      fills: db.prepare("SELECT tradeId, clientOrderId, side, qty, price, positionId FROM fills WHERE venue = 'sim'").all() as FillRow[],
      allFills: (db.prepare("SELECT COUNT(*) AS n FROM fills").get() as { n: number }).n,
      positions: db.prepare("SELECT id, side, state, quantity FROM positions").all() as PositionRow[],
      events: db.prepare("SELECT clientOrderId, type, applied, payload FROM order_events ORDER BY seq").all() as EventRow[],
      retries: db.prepare("SELECT status, denyCode FROM signals WHERE source = 'crash-test-retry'").all() as { status: string; denyCode: string | null }[],
      drifts: db.prepare("SELECT kind, COUNT(*) AS n FROM reconciliation_drifts GROUP BY kind").all() as { kind: string; n: number }[],
      parents: db.prepare("SELECT id, status, targetQty, filledQty, state, progress FROM parent_orders").all() as ParentRow[],
      parentChildren: db.prepare("SELECT parentId, state FROM parent_order_children ORDER BY parentId, slice").all() as { parentId: string; state: string }[],
    };
  } finally {
    db.close();
  }
}

function readVenue(path: string) {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const fills = db.prepare("SELECT trade_id, client_order_id, qty, price FROM sim_fills ORDER BY seq").all() as VenueFillRow[];
    // Finished orders from sim_orders, overridden by the snapshot's records (the current open orders).
    const orders = new Map<string, VenueOrder>();
    for (const { record } of db.prepare("SELECT record FROM sim_orders").all() as { record: string }[]) {
      const r = JSON.parse(record) as VenueOrder;
      orders.set(r.clientOrderId, r);
    }
    const { snapshot } = db.prepare("SELECT snapshot FROM sim_state WHERE id = 1").get() as { snapshot: string };
    for (const r of (JSON.parse(snapshot) as { orders: VenueOrder[] }).orders) orders.set(r.clientOrderId, r);
    return { fills, orders };
  } finally {
    db.close();
  }
}

const countBy = <T>(items: T[], key: (item: T) => string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};
const repeated = (counts: Map<string, number>): string[] => [...counts].filter(([, n]) => n !== 1).map(([k, n]) => `${k}×${n}`);

/**
 * Twice: the simulator in its own file (the desk's replay and paper venue today), and with its tables in Bastion's database
 * (SimVenue's `desk`: a new order's intent, the venue's rows and its acceptance commit in one transaction).
 */
describe.each([
  { where: "its own file", shared: false },
  { where: "Bastion's database", shared: true },
])("crash test: SIGKILL at random moments, then restart (the venue's state in $where)", ({ shared }) => {
  const dbPath = createMigratedDb();
  const dir = dirname(dbPath);
  const venuePath = shared ? dbPath : join(dir, "venue.db");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    `keeps the journal, orders, fills and positions in agreement with the venue across ${KILLS} kills`,
    async () => {
      const rng = seededRng(20_240_817);
      const runs: RunOutcome[] = [];
      for (let i = 0; i < KILLS; i++) {
        // Mostly 1–20 ticks (10–200 loop steps) into the stream; every fifth run right as READY is read (its first steps).
        const killAfter = i % 5 === 4 ? 0 : 1 + Math.floor(rng.next() * 20);
        const run = await runChild([dbPath, venuePath, String(1000 + i), "run"], killAfter);
        expect(run.stderr, `run ${i} stderr`).toBe("");
        expect(run.ready, `run ${i} never printed READY: ${run.stdout.join(" | ")}`).toBe(true);
        expect(run.signal, `run ${i} was not killed (exit code ${String(run.code)})`).toBe("SIGKILL");
        runs.push(run);
      }
      const verify = await runChild([dbPath, venuePath, "1", "verify"], null);
      expect(verify.stderr).toBe("");
      expect(verify.code).toBe(0);
      const summary = JSON.parse(verify.stdout.at(-1) ?? "{}") as { drifts: number; tradingState: string };

      const bastion = readBastion(dbPath);
      const venue = readVenue(venuePath);

      // Not vacuous: the kills landed mid-stream, and the stream did real work.
      expect(runs.filter((r) => r.ticks > 0).length).toBeGreaterThanOrEqual(KILLS / 2);
      // (thresholds for 22 kills, scaled to the number run)
      const scale = KILLS / 22;
      expect(bastion.orders.length).toBeGreaterThan(Math.floor(200 * scale));
      expect(bastion.fills.length).toBeGreaterThan(Math.floor(100 * scale));
      expect(venue.orders.size).toBeGreaterThan(Math.floor(200 * scale));

      // ── no clientOrderId sent twice ──
      const orders = new Map(bastion.orders.map((o) => [o.clientOrderId, o]));
      const intents = countBy(
        bastion.events.filter((e) => e.type === "intent"),
        (e) => e.clientOrderId,
      );
      expect(repeated(intents), "orders journaled more than once").toEqual([]);
      expect(
        [...orders.keys()].filter((id) => !intents.has(id)),
        "orders without an intent",
      ).toEqual([]);
      expect(
        [...intents.keys()].filter((id) => !orders.has(id)),
        "intents without an order",
      ).toEqual([]);
      expect(bastion.events.filter((e) => e.payload.includes("DUPLICATE_CLIENT_ORDER_ID")).map((e) => e.clientOrderId)).toEqual([]);
      expect(bastion.orders.filter((o) => o.data.includes("DUPLICATE_CLIENT_ORDER_ID")).map((o) => o.clientOrderId)).toEqual([]);
      expect(
        [...venue.orders.keys()].filter((id) => !orders.has(id)),
        "venue orders Bastion never journaled",
      ).toEqual([]);
      const neverSent = bastion.orders.filter((o) => o.status === "REJECTED" && o.data.includes("NEVER_SENT")).map((o) => o.clientOrderId);
      expect(
        neverSent.filter((id) => venue.orders.has(id)),
        "orders marked NEVER_SENT that the venue has",
      ).toEqual([]);

      // A signal sent again after a restart (a webhook retry) never makes a second order.
      const bySignal = countBy(
        bastion.orders.filter((o) => o.signalId !== null),
        (o) => o.signalId ?? "",
      );
      expect(repeated(bySignal), "signals that made more than one entry order").toEqual([]);
      expect(bastion.retries, "retried signals are recorded only under their first source").toEqual([]);
      const retried = runs.flatMap((r) => r.stdout.filter((line) => line.startsWith("RETRY ")));
      expect(retried.length).toBeGreaterThan(Math.floor(10 * scale));
      expect(retried.filter((line) => line !== "RETRY DUPLICATE_SIGNAL")).toEqual([]);

      // ── no fill lost or doubled ──
      expect(bastion.allFills).toBe(bastion.fills.length);
      expect(repeated(countBy(bastion.fills, (f) => f.tradeId)), "fills booked twice").toEqual([]);
      expect(repeated(countBy(venue.fills, (f) => f.trade_id)), "venue fills twice").toEqual([]);
      const ours = new Map(bastion.fills.map((f) => [f.tradeId, f]));
      expect(
        venue.fills.filter((f) => !ours.has(f.trade_id)).map((f) => f.trade_id),
        "venue fills Bastion lost",
      ).toEqual([]);
      const theirs = new Set(venue.fills.map((f) => f.trade_id));
      expect(
        bastion.fills.filter((f) => !theirs.has(f.tradeId)).map((f) => f.tradeId),
        "fills the venue never made",
      ).toEqual([]);
      const fillMismatch = venue.fills.flatMap((v) => {
        const f = ours.get(v.trade_id);
        return f && (f.clientOrderId !== v.client_order_id || !D(f.qty).eq(v.qty) || !D(f.price).eq(v.price)) ? [v.trade_id] : [];
      });
      expect(fillMismatch, "fills that differ from the venue's").toEqual([]);

      // ── fills → orders → positions ──
      expect(
        bastion.fills.filter((f) => !orders.has(f.clientOrderId)).map((f) => f.tradeId),
        "fills of unknown orders",
      ).toEqual([]);
      const filledByOrder = new Map<string, Decimal>();
      for (const f of bastion.fills) filledByOrder.set(f.clientOrderId, (filledByOrder.get(f.clientOrderId) ?? ZERO).plus(f.qty));
      const qtyMismatch = bastion.orders.flatMap((o) => {
        const sum = filledByOrder.get(o.clientOrderId) ?? ZERO;
        return sum.toString() === D(o.filledQty).toString() ? [] : [`${o.clientOrderId}: filledQty ${o.filledQty} ≠ Σ fills ${sum.toString()}`];
      });
      expect(qtyMismatch).toEqual([]);
      const positions = new Map(bastion.positions.map((p) => [p.id, p]));
      expect(
        bastion.fills.filter((f) => f.positionId === null || !positions.has(f.positionId)).map((f) => f.tradeId),
        "fills without a position",
      ).toEqual([]);
      const signed = new Map<string, Decimal>();
      for (const f of bastion.fills) {
        const position = positions.get(f.positionId ?? "");
        if (!position) continue;
        const adds = (position.side === "LONG") === (f.side === "BUY");
        signed.set(position.id, (signed.get(position.id) ?? ZERO)[adds ? "plus" : "minus"](f.qty));
      }
      const positionMismatch = bastion.positions.flatMap((p) => {
        const sum = signed.get(p.id) ?? ZERO;
        const problems: string[] = [];
        if (sum.toString() !== D(p.quantity).toString()) problems.push(`${p.id} (${p.state}): quantity ${p.quantity} ≠ Σ signed fills ${sum.toString()}`);
        if (p.state === "CLOSED" && !D(p.quantity).isZero()) problems.push(`${p.id}: CLOSED with quantity ${p.quantity}`);
        return problems;
      });
      expect(positionMismatch).toEqual([]);
      // A kill between a position's closing fill and the cancels of its other orders leaves them working: the restart
      // cancels them (reconciliation.ts, cancelOrdersOfClosedPositions), else one fills later for no position (ORPHAN_FILL).
      const closedPositions = new Set(bastion.positions.filter((p) => p.state === "CLOSED").map((p) => p.id));
      expect(
        bastion.orders
          .filter((o) => !TERMINAL_STATUSES.has(o.status as OrderStatus) && o.positionId !== null && closedPositions.has(o.positionId))
          .map((o) => o.clientOrderId),
        "orders still working for a closed position",
      ).toEqual([]);

      // ── statuses agree with the venue (after verify's reconcile) ──
      const statusMismatch = [...venue.orders.values()].flatMap((v) => {
        const o = orders.get(v.clientOrderId);
        if (!o) return [];
        const problems: string[] = [];
        if (o.status !== v.status) problems.push(`${v.clientOrderId}: ours ${o.status}, venue ${v.status}`);
        if (!D(o.filledQty).eq(v.filled)) problems.push(`${v.clientOrderId}: filled ours ${o.filledQty}, venue ${v.filled}`);
        return problems;
      });
      expect(statusMismatch).toEqual([]);

      // ── one applied fill event in the journal per fill row ──
      const fillEvents = countBy(
        bastion.events.filter((e) => e.type === "fill" && e.applied === 1),
        (e) => `${e.clientOrderId} ${String((JSON.parse(e.payload) as { tradeId?: unknown }).tradeId)}`,
      );
      expect(
        bastion.fills.filter((f) => fillEvents.get(`${f.clientOrderId} ${f.tradeId}`) !== 1).map((f) => f.tradeId),
        "fills without exactly one applied journal event",
      ).toEqual([]);
      expect(fillEvents.size).toBe(bastion.fills.length);

      // ── recovery only ever had to catch up, never to paper over a disagreement ──
      // (an orphan fill, an overfill, an unknown order or event would mean the books and the venue parted ways)
      const expectedDrifts = new Set(["MISSED_FILL", "NEVER_SENT", "STATUS_MISMATCH", "CANCEL_NOT_DELIVERED"]);
      expect(
        bastion.drifts.filter((d) => !expectedDrifts.has(d.kind)),
        "unexpected reconciliation drifts",
      ).toEqual([]);
      expect(summary.tradingState).toBe("ACTIVE");

      // ── parent orders: children sent once each, and a parent's fills are exactly its children's ──
      expect(bastion.parents.length, "the stream started parent orders").toBeGreaterThan(0);
      const childrenOf = new Map<string, OrderRow[]>();
      for (const order of bastion.orders) {
        const parentId = (JSON.parse(order.data) as { tags?: { parentId?: string } }).tags?.parentId;
        if (parentId) childrenOf.set(parentId, [...(childrenOf.get(parentId) ?? []), order]);
      }
      const fillsByOrder = new Map<string, Decimal>();
      for (const f of bastion.fills) fillsByOrder.set(f.clientOrderId, (fillsByOrder.get(f.clientOrderId) ?? ZERO).plus(D(f.qty)));
      const parentMismatch: string[] = [];
      // A parent is stored whole once, then in parts (its progress and each changed child): read back as the engine does.
      expect(bastion.parentChildren.length, "parents saved their steps in parts").toBeGreaterThan(0);
      const savedChildren = new Map<string, string[]>();
      for (const row of bastion.parentChildren) savedChildren.set(row.parentId, [...(savedChildren.get(row.parentId) ?? []), row.state]);
      for (const parent of bastion.parents) {
        const state = parseStoredParent({ state: parent.state, progress: parent.progress, children: savedChildren.get(parent.id) ?? [] });
        if (!state.ok) {
          parentMismatch.push(`${parent.id}: ${state.error.message}`);
          continue;
        }
        if (!state.value.filledQty.equals(D(parent.filledQty)))
          parentMismatch.push(`${parent.id}: its row says filled ${parent.filledQty}, its state ${state.value.filledQty.toString()}`);
        const ids = state.value.children.map((c) => c.clientOrderId);
        if (new Set(ids).size !== ids.length || ids.some((id, i) => id !== `${parent.id}.${i + 1}`))
          parentMismatch.push(`${parent.id}: child ids ${ids.join(",")}`);
        const booked = (childrenOf.get(parent.id) ?? []).reduce((sum, o) => sum.plus(fillsByOrder.get(o.clientOrderId) ?? ZERO), ZERO);
        if (!booked.equals(D(parent.filledQty))) parentMismatch.push(`${parent.id}: parent filled ${parent.filledQty}, children's fills ${booked.toString()}`);
        if (D(parent.filledQty).greaterThan(D(parent.targetQty)))
          parentMismatch.push(`${parent.id}: filled ${parent.filledQty} over its target ${parent.targetQty}`);
        for (const child of childrenOf.get(parent.id) ?? [])
          if (!ids.includes(child.clientOrderId)) parentMismatch.push(`${parent.id}: order ${child.clientOrderId} unknown to it`);
      }
      expect(parentMismatch, "parents that disagree with their children's books").toEqual([]);

      // `npm run chaos` reads the figures of a passed run from here (written only when every verdict above held).
      const reportPath = process.env.BASTION_CRASH_REPORT;
      if (reportPath) {
        writeFileSync(
          reportPath,
          JSON.stringify({
            kills: KILLS,
            killedMidStream: runs.filter((r) => r.ticks > 0).length,
            orders: bastion.orders.length,
            ordersAtVenue: venue.orders.size,
            fills: bastion.fills.length,
            retriedSignals: retried.length,
            parents: bastion.parents.length,
            drifts: Object.fromEntries(bastion.drifts.map((d) => [d.kind, d.n])),
          }),
        );
      }
    },
    Math.max(180_000, KILLS * 8_000),
  );
});

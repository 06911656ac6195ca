/**
 * Arbitrage crash test (DESIGN.md invariants 2 and 3 under SIGKILL, for the arbitrage room): a child process
 * (test/crash/arb-child.ts) runs one pair across two durable simulated venues, each in its own file, and is killed with
 * SIGKILL while a round trip is open (one TICK line per round trip, at a seeded step of its life), several times. After a final restart that
 * lets the room finish what the kills left, Bastion's database and both venues' files must agree:
 * - no leg re-sent: each leg's clientOrderId reached at most one venue once, journaled once; no order at a venue that
 *   Bastion did not journal; no DUPLICATE_CLIENT_ORDER_ID anywhere;
 * - every round trip ended: done (balanced, repaired or not), failed (nothing traded) or escalated to a person;
 *   a done one bought what it sold; each leg's fills are its order's booked fills;
 * - the books agree with the venues: the same fills once each, order statuses and filled quantities, positions equal
 *   to their signed fills, and the pair's net position across both venues equal to what its round trips left unmatched.
 * Odd runs trade maker-taker, even ones taker-taker (seeded); every fourth run is killed as READY is read.
 */
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createMigratedDb } from "../../test/db";
import { crashKills, runCrashChild, type RunOutcome } from "../../test/crash/run-child";
import { D, type Decimal, ZERO } from "../core/money";
import { seededRng } from "../core/rng";
import { decodeJson } from "../db/codec";
import type { RoundTrip } from "./arbitrage";

const CHILD = join(import.meta.dirname, "..", "..", "test", "crash", "arb-child.ts");
const VENUES = ["sim-a", "sim-b"] as const;
/** BASTION_CRASH_KILLS raises it (e.g. 10: about 12 s); the default keeps the test under 10 s. */
const KILLS = crashKills(process.env.BASTION_CRASH_KILLS, 5);

function runChild(args: string[], killAfterTicks: number | null): Promise<RunOutcome> {
  return runCrashChild(CHILD, args, { nodeArgs: ["--import", "tsx"], guardMs: 20_000, kill: killAfterTicks === null ? null : { afterTicks: killAfterTicks } });
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
      orders: db.prepare("SELECT clientOrderId, venue, status, filledQty, positionId, data FROM orders").all() as {
        clientOrderId: string;
        venue: string;
        status: string;
        filledQty: string;
        positionId: string | null;
        data: string;
      }[],
      fills: db.prepare("SELECT venue, tradeId, clientOrderId, side, qty, price, positionId FROM fills").all() as {
        venue: string;
        tradeId: string;
        clientOrderId: string;
        side: string;
        qty: string;
        price: string;
        positionId: string | null;
      }[],
      positions: db.prepare("SELECT id, side, state, quantity FROM positions").all() as { id: string; side: string; state: string; quantity: string }[],
      events: db.prepare("SELECT clientOrderId, type, payload FROM order_events ORDER BY seq").all() as {
        clientOrderId: string;
        type: string;
        payload: string;
      }[],
      trips: (db.prepare("SELECT id, status, data FROM arb_round_trips").all() as { id: string; status: string; data: string }[]).map((row) => ({
        ...row,
        trip: decodeJson<RoundTrip>(row.data),
      })),
      drifts: db.prepare("SELECT kind, COUNT(*) AS n FROM reconciliation_drifts GROUP BY kind").all() as { kind: string; n: number }[],
    };
  } finally {
    db.close();
  }
}

function readVenue(path: string) {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const fills = db.prepare("SELECT trade_id, client_order_id, qty, price FROM sim_fills ORDER BY seq").all() as {
      trade_id: string;
      client_order_id: string;
      qty: string;
      price: string;
    }[];
    // Every order row (finished and open), overridden by the snapshot's records where it still holds some.
    const rows = (db.prepare("SELECT record FROM sim_orders").all() as { record: string }[]).map(({ record }) => JSON.parse(record) as VenueOrder);
    const orders = new Map<string, VenueOrder>(rows.map((r) => [r.clientOrderId, r]));
    const { snapshot } = db.prepare("SELECT snapshot FROM sim_state WHERE id = 1").get() as { snapshot: string };
    for (const r of (JSON.parse(snapshot) as { orders?: VenueOrder[] }).orders ?? []) orders.set(r.clientOrderId, r);
    return { fills, orders, rows };
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

describe("arbitrage crash test: SIGKILL while a round trip is open, then restart", () => {
  const dbPath = createMigratedDb();
  const dir = dirname(dbPath);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`no leg is sent twice, every round trip ends, and the books agree with both venues across ${KILLS} kills`, async () => {
    const rng = seededRng(20_261_207);
    const runs: RunOutcome[] = [];
    for (let i = 0; i < KILLS; i++) {
      const killAfter = i % 4 === 3 ? 0 : 1 + Math.floor(rng.next() * 6);
      const run = await runChild([dbPath, dir, String(1000 + i), "run"], killAfter);
      expect(run.stderr, `run ${i} stderr`).toBe("");
      expect(run.ready, `run ${i} never printed READY: ${run.stdout.slice(-5).join(" | ")}`).toBe(true);
      expect(run.signal, `run ${i} was not killed (exit code ${String(run.code)})`).toBe("SIGKILL");
      runs.push(run);
    }
    const verify = await runChild([dbPath, dir, "1", "verify"], null);
    expect(verify.stderr).toBe("");
    expect(verify.code).toBe(0);
    const summary = JSON.parse(verify.stdout.at(-1) ?? "{}") as { tradingState: string; open: number };
    expect(summary).toMatchObject({ tradingState: "ACTIVE", open: 0 });

    const bastion = readBastion(dbPath);
    const venues = Object.fromEntries(VENUES.map((id) => [id, readVenue(join(dir, `${id}.db`))])) as Record<
      (typeof VENUES)[number],
      ReturnType<typeof readVenue>
    >;

    // Not vacuous: kills landed while round trips were open, and some of those were resumed by the next start.
    expect(runs.filter((r) => r.ticks > 0).length).toBeGreaterThanOrEqual(Math.ceil(KILLS / 2));
    expect(bastion.trips.length).toBeGreaterThan(KILLS);
    const resumed = bastion.trips.filter((t) => t.trip.events.some((e) => e.text === "resumed after a restart"));
    expect(resumed.length, "round trips open at a kill and resumed after it").toBeGreaterThan(0);
    expect(bastion.fills.length).toBeGreaterThan(0);

    // ── no leg re-sent ──
    const orders = new Map(bastion.orders.map((o) => [o.clientOrderId, o]));
    expect(
      repeated(
        countBy(
          bastion.events.filter((e) => e.type === "intent"),
          (e) => e.clientOrderId,
        ),
      ),
      "orders journaled more than once",
    ).toEqual([]);
    const atVenues = VENUES.flatMap((id) => venues[id].rows.map((r) => ({ venue: id, clientOrderId: r.clientOrderId })));
    expect(repeated(countBy(atVenues, (o) => o.clientOrderId)), "orders at the venues more than once (either venue)").toEqual([]);
    expect(
      atVenues.filter((o) => orders.get(o.clientOrderId)?.venue !== o.venue).map((o) => `${o.venue} ${o.clientOrderId}`),
      "venue orders Bastion never journaled (for that venue)",
    ).toEqual([]);
    expect(bastion.events.filter((e) => e.payload.includes("DUPLICATE_CLIENT_ORDER_ID")).map((e) => e.clientOrderId)).toEqual([]);
    const legIds = bastion.trips.flatMap((t) => t.trip.legs.map((leg) => leg.clientOrderId));
    expect(repeated(countBy(legIds, (id) => id)), "a clientOrderId used by two legs").toEqual([]);
    // Every arbitrage order is a leg its round trip lists (a leg sent again under a new id would show here).
    const tripOf = new Map(bastion.trips.map((t) => [t.id, t.trip]));
    const stray = bastion.orders.flatMap((o) => {
      const arbId = (JSON.parse(o.data) as { tags?: { arbId?: string } }).tags?.arbId;
      if (!arbId) return [`${o.clientOrderId}: not an arbitrage order`];
      return tripOf.get(arbId)?.legs.some((leg) => leg.clientOrderId === o.clientOrderId) ? [] : [`${o.clientOrderId}: not a leg of ${arbId}`];
    });
    expect(stray).toEqual([]);

    // ── every round trip ended ──
    expect(
      bastion.trips.filter((t) => !["done", "failed", "escalated"].includes(t.status)).map((t) => `${t.id} ${t.status}`),
      "round trips that did not end",
    ).toEqual([]);
    const fillsOf = new Map<string, Decimal>();
    for (const f of bastion.fills) fillsOf.set(f.clientOrderId, (fillsOf.get(f.clientOrderId) ?? ZERO).plus(D(f.qty)));
    const tripProblems = bastion.trips.flatMap(({ id, status, trip }) => {
      const problems: string[] = [];
      for (const leg of trip.legs) {
        const booked = fillsOf.get(leg.clientOrderId) ?? ZERO;
        if (!D(leg.filledQty).equals(booked))
          problems.push(
            `${id} ${leg.role}: leg filled ${D(leg.filledQty).toString()}, books ${booked.toString()} [${status}: ${JSON.stringify(trip.legs.map((l) => [l.role, l.status, l.reason]))} ${trip.events.map((e) => e.text).join(" / ")}]`,
          );
        if (leg.status === "sent" || leg.status === "working") problems.push(`${id} ${leg.role}: still ${leg.status}`);
      }
      const side = (s: string) => trip.legs.filter((leg) => leg.side === s).reduce((sum, leg) => sum.plus(D(leg.filledQty)), ZERO);
      if (!side("BUY").equals(D(trip.boughtQty)) || !side("SELL").equals(D(trip.soldQty))) problems.push(`${id}: bought/sold not its legs' fills`);
      if (status === "done" && !D(trip.boughtQty).equals(D(trip.soldQty)))
        problems.push(`${id}: done with ${D(trip.boughtQty).toString()} bought, ${D(trip.soldQty).toString()} sold`);
      if (status === "failed" && !(D(trip.boughtQty).isZero() && D(trip.soldQty).isZero())) problems.push(`${id}: failed but traded`);
      if (trip.pnl === null) problems.push(`${id}: no PnL booked`);
      return problems;
    });
    expect(tripProblems).toEqual([]);

    // ── the books agree with both venues ──
    expect(repeated(countBy(bastion.fills, (f) => `${f.venue} ${f.tradeId}`)), "fills booked twice").toEqual([]);
    for (const id of VENUES) {
      const ours = new Map(bastion.fills.filter((f) => f.venue === id).map((f) => [f.tradeId, f]));
      const theirs = venues[id].fills;
      expect(
        theirs.filter((f) => !ours.has(f.trade_id)).map((f) => f.trade_id),
        `${id} fills Bastion lost`,
      ).toEqual([]);
      expect(ours.size, `${id}: fills the venue never made`).toBe(theirs.length);
      const mismatch = theirs.flatMap((v) => {
        const f = ours.get(v.trade_id)!;
        return f.clientOrderId !== v.client_order_id || !D(f.qty).eq(v.qty) || !D(f.price).eq(v.price) ? [v.trade_id] : [];
      });
      expect(mismatch, `${id} fills that differ`).toEqual([]);
      const statusMismatch = [...venues[id].orders.values()].flatMap((v) => {
        const o = orders.get(v.clientOrderId);
        if (!o) return [];
        return o.status === v.status && D(o.filledQty).eq(v.filled)
          ? []
          : [`${v.clientOrderId}: ours ${o.status} ${o.filledQty}, ${id} ${v.status} ${v.filled}`];
      });
      expect(statusMismatch).toEqual([]);
    }
    const positions = new Map(bastion.positions.map((p) => [p.id, p]));
    const signed = new Map<string, Decimal>();
    for (const f of bastion.fills) {
      const position = positions.get(f.positionId ?? "");
      if (!position) continue;
      signed.set(position.id, (signed.get(position.id) ?? ZERO)[(position.side === "LONG") === (f.side === "BUY") ? "plus" : "minus"](D(f.qty)));
    }
    expect(
      bastion.positions.filter((p) => !(signed.get(p.id) ?? ZERO).equals(D(p.quantity))).map((p) => `${p.id}: ${p.quantity}`),
      "positions that are not their signed fills",
    ).toEqual([]);
    // Across both venues the pair holds exactly what its round trips left unmatched (none, unless escalated).
    const net = bastion.positions.reduce((sum, p) => (p.side === "LONG" ? sum.plus(D(p.quantity)) : sum.minus(D(p.quantity))), ZERO);
    const unmatched = bastion.trips.reduce((sum, t) => sum.plus(D(t.trip.boughtQty)).minus(D(t.trip.soldQty)), ZERO);
    expect(net.toString()).toBe(unmatched.toString());
    const expectedDrifts = new Set(["MISSED_FILL", "NEVER_SENT", "STATUS_MISMATCH", "CANCEL_NOT_DELIVERED"]);
    expect(
      bastion.drifts.filter((d) => !expectedDrifts.has(d.kind)),
      "unexpected reconciliation drifts",
    ).toEqual([]);
  }, 120_000);
});

/** strategies.metrics and GET /api/strategies/export over a real SQLite file: the books read, measured and shaped. */
import { TRPCError } from "@trpc/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GET as exportStrategies } from "@/app/api/strategies/export/route";
import { type Context } from "../api/context";
import { createCaller } from "../api/root";
import { createSession } from "../auth/sessions";
import { createUser } from "../auth/users";
import { D } from "../core/money";
import { FAST_SCRYPT, useFreshDb, type TestDb } from "../../test/auth-support";

let tdb: TestDb;
const T0 = Date.UTC(2024, 0, 1);

const viewer: Context = {
  user: { id: "u1", username: "viewer1", role: "viewer" },
  sessionToken: null,
  ip: "127.0.0.1",
  resHeaders: new Headers(),
  secureCookies: false,
};

async function seedSignal(
  id: string,
  over: { strategy?: string; status?: string; denyCode?: string; confidence?: number; expectedReturn?: number; at?: number },
) {
  await tdb.client.signal.create({
    data: {
      id,
      symbol: "BTC/USDT",
      action: "BUY",
      confidence: over.confidence ?? 0.5,
      expectedReturn: over.expectedReturn ?? null,
      strategy: over.strategy ?? "model-a",
      ts: over.at ?? T0,
      receivedAt: over.at ?? T0,
      source: "webhook",
      status: over.status ?? "ACCEPTED",
      denyCode: over.denyCode ?? null,
    },
  });
}

/** One unit long from 100 to `exit`, fee 0.1. */
async function seedTrade(id: string, exit: string, over: { strategy?: string | null; signalId?: string | null; at?: number }) {
  const gross = D(exit).minus(100);
  const pnl = gross.minus("0.1");
  await tdb.client.trade.create({
    data: {
      id,
      positionId: `p-${id}`,
      symbol: "BTC/USDT",
      side: "LONG",
      quantity: "1",
      entryPrice: "100",
      exitPrice: exit,
      entryTime: (over.at ?? T0) - 60_000,
      exitTime: over.at ?? T0,
      durationMs: 60_000,
      fees: "0.1",
      grossPnl: gross.toFixed(),
      pnl: pnl.toFixed(),
      pnlNum: pnl.toNumber(),
      pnlPct: 0,
      outcome: pnl.greaterThan(0) ? "WIN" : "LOSS",
      exitReason: "signal",
      strategy: over.strategy === undefined ? "model-a" : over.strategy,
      signalId: over.signalId === undefined ? null : over.signalId,
    },
  });
}

beforeEach(async () => {
  tdb = useFreshDb();
  await seedSignal("s1", { confidence: 0.9, expectedReturn: 0.05 });
  await seedSignal("s2", { confidence: 0.7, expectedReturn: 0.01 });
  await seedSignal("s3", { status: "DENIED", denyCode: "SYMBOL_LOCKED" });
  await seedSignal("s4", { strategy: "model-b", status: "DENIED", denyCode: "MIN_CONFIDENCE", at: T0 + 86_400_000 });
  await seedTrade("t1", "104", { signalId: "s1" }); // +3.9
  await seedTrade("t2", "99", { signalId: "s2" }); // −1.1
  await seedTrade("t3", "101", { strategy: null }); // a person's: +0.9
});
afterEach(async () => {
  await tdb.close();
});

describe("strategies.metrics", () => {
  it("measures each strategy from the books, money as exact strings", async () => {
    const r = await createCaller(viewer).strategies.metrics();
    expect(r).toMatchObject({ signalCount: 4, tradeCount: 3, truncated: false });
    const a = r.strategies.find((s) => s.strategy === "model-a")!;
    expect(a.signals).toEqual({ received: 3, accepted: 2, denied: 1, failed: 0, refusedByCode: [{ code: "SYMBOL_LOCKED", count: 1 }] });
    expect(a.direction).toMatchObject({ hits: 1, misses: 1, hitRate: 0.5 });
    expect(a.pnl).toMatchObject({ trades: 2, netPnl: "2.8", fees: "0.2", avgWin: "3.9", avgLoss: "-1.1" });
    expect(a.expectedReturn.pairs).toBe(2);
    expect(a.expectedReturn.meanRealized).toBeCloseTo((0.039 - 0.011) / 2, 12);
    expect(a.calibration.map((b) => [b.trades, b.wins])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
      [1, 0],
      [1, 1],
    ]);
    expect(r.strategies.map((s) => s.strategy)).toEqual(["manual", "model-a", "model-b"]);
  });

  it("narrows to a window and a strategy", async () => {
    const caller = createCaller(viewer);
    const later = await caller.strategies.metrics({ from: T0 + 1 });
    expect(later.strategies.map((s) => [s.strategy, s.signals.received, s.pnl.trades])).toEqual([["model-b", 1, 0]]);
    const manual = await caller.strategies.metrics({ strategy: "manual" });
    expect(manual.strategies.map((s) => [s.strategy, s.pnl.netPnl])).toEqual([["manual", "0.9"]]);
  });

  it("refuses a window that ends before it starts, and a stranger", async () => {
    await expect(createCaller(viewer).strategies.metrics({ from: T0, to: T0 })).rejects.toThrow(/from must be before to/);
    await expect(createCaller({ ...viewer, user: null }).strategies.metrics()).rejects.toBeInstanceOf(TRPCError);
  });
});

describe("GET /api/strategies/export", () => {
  const get = (query: string, cookie?: string) =>
    exportStrategies(new Request(`http://127.0.0.1/api/strategies/export${query}`, { headers: cookie ? { cookie } : {} }));
  const signIn = async () => {
    const u = await createUser({ username: "viewer1", password: "violet tractor harbour", role: "viewer" }, { scrypt: FAST_SCRYPT });
    return `bastion_session=${(await createSession(u.id)).token}`;
  };

  it("answers 401 without a session and 400 with words for bad parameters", async () => {
    expect((await get("?format=csv")).status).toBe(401);
    const cookie = await signIn();
    const bad = await get("?format=xml&buckets=99", cookie);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/buckets must be at most 20.*format must be json or csv/);
  });

  it("CSV: one row per signal with the trade it opened", async () => {
    const res = await get("?format=csv", await signIn());
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const lines = (await res.text()).split("\r\n");
    expect(lines[0]).toBe("signalId,strategy,action,confidence,expectedReturn,status,denyCode,tradeId,symbol,realizedReturn,directionHit,pnl,win");
    expect(lines[1]).toBe("s1,model-a,BUY,0.9,0.05,ACCEPTED,,t1,BTC/USDT,0.039,1,3.9,1");
    expect(lines[3]).toBe("s3,model-a,BUY,0.5,,DENIED,SYMBOL_LOCKED,,,,,,");
    expect(lines).toHaveLength(6); // header, four signals, the final CRLF
  });

  it("JSON: the metrics and the outcomes", async () => {
    const res = await get(`?strategy=model-a&buckets=2`, await signIn());
    const body = (await res.json()) as { strategies: { strategy: string; calibration: unknown[] }[]; outcomes: { signalId: string; pnl: string | null }[] };
    expect(body.strategies.map((s) => [s.strategy, s.calibration.length])).toEqual([["model-a", 2]]);
    expect(body.outcomes.map((o) => [o.signalId, o.pnl])).toEqual([
      ["s1", "3.9"],
      ["s2", "-1.1"],
      ["s3", null],
    ]);
  });
});

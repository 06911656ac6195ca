import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { D } from "../core/money";
import { PrismaClient } from "./generated/client";
import { StoreError } from "./store";
import { SqliteStore, openSqliteStore, sqlitePathFromUrl } from "./sqlite-store";
import { makeOrder, makeTrade, richOrder, runStoreContract } from "../../test/store-contract";
import { createMigratedDb } from "../../test/db";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "bastion-store-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

runStoreContract("SqliteStore", () => openSqliteStore({ path: createMigratedDb(tempDir()) }));

const meta = { venue: "sim", positionId: "pos-1", requestedPrice: D("3107.49") };

describe("openSqliteStore", () => {
  it.each([
    ["a file: URL relative to the working directory", (dir: string) => `file:./${relative(process.cwd(), join(dir, "bastion.db"))}`],
    ["an absolute file: URL", (dir: string) => `file:${join(dir, "bastion.db")}`],
    ["a file:// URL", (dir: string) => `file://${join(dir, "bastion.db")}`],
    ["a plain path", (dir: string) => join(dir, "bastion.db")],
  ])("opens %s", (_label, urlFor) => {
    const dir = tempDir();
    const path = createMigratedDb(dir);
    const store = openSqliteStore({ url: urlFor(dir) });
    expect(store.path).toBe(path);
    store.close();
  });

  it("strips a query string, decodes file:// URLs and refuses an empty one", () => {
    expect(sqlitePathFromUrl("file:/tmp/x.db?connection_limit=1")).toBe("/tmp/x.db");
    expect(sqlitePathFromUrl("file:///tmp/a%20b.db")).toBe("/tmp/a b.db");
    expect(() => sqlitePathFromUrl("file:")).toThrow(expect.objectContaining({ code: "BAD_DATABASE_URL" }));
  });

  it.each([
    ["NORMAL (default)", undefined, 1],
    ["FULL", "FULL" as const, 2],
  ])("sets WAL, busy_timeout, foreign keys and synchronous=%s", (_label, synchronous, level) => {
    const store = openSqliteStore({ path: createMigratedDb(tempDir()), synchronous });
    const db = (store as unknown as { db: Database.Database }).db;
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(db.pragma("synchronous", { simple: true })).toBe(level);
    store.close();
  });

  it("creates the parent directory, then refuses an unmigrated database with a clear error", () => {
    const path = join(tempDir(), "nested", "deeper", "bastion.db");
    let error: unknown;
    try {
      openSqliteStore({ url: `file:${path}` });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: "DB_NOT_MIGRATED" });
    expect((error as Error).message).toContain("database is not migrated: run npx prisma migrate deploy");
    expect(existsSync(join(path, ".."))).toBe(true);
  });

  it("refuses a partly migrated database and names the missing tables", () => {
    const path = join(tempDir(), "partial.db");
    const db = new Database(path);
    db.exec(`CREATE TABLE orders (clientOrderId TEXT PRIMARY KEY)`);
    db.close();
    expect(() => openSqliteStore({ path })).toThrow(/not migrated.*order_events/);
  });
});

describe("SqliteStore across connections", () => {
  it("a second connection to the same file sees committed data, not uncommitted data", () => {
    const path = createMigratedDb(tempDir());
    const writer = openSqliteStore({ path });
    const reader = openSqliteStore({ path });
    writer.saveOrder(richOrder(), meta);
    expect(reader.getOrder("o-rich")).toEqual({ order: richOrder(), meta });

    writer.transaction(() => {
      writer.setState("tradingState", "HALTED");
      expect(reader.getState("tradingState")).toBeNull(); // not committed yet
    });
    expect(reader.getState("tradingState")).toBe("HALTED");
    writer.close();
    reader.close();
  });

  it("the holder's lease refuses a second store on another connection until it goes stale", () => {
    const path = createMigratedDb(tempDir());
    const a = openSqliteStore({ path });
    const b = openSqliteStore({ path });
    const req = (ownerId: string, now: number) => ({ ownerId, pid: 1, host: "h", now, staleAfterMs: 1_000 });
    expect(a.acquireLease(req("A", 0))).toEqual({ ok: true });
    expect(b.acquireLease(req("B", 500)).ok).toBe(false);
    expect(b.acquireLease(req("B", 1_001))).toEqual({ ok: true });
    expect(a.heartbeat("A", 1_002)).toBe(false);
    a.close();
    b.close();
  });

  it("fences every write: once another engine took the lease over, the old holder's transactions and single writes fail and write nothing", () => {
    const path = createMigratedDb(tempDir());
    const a = openSqliteStore({ path });
    const b = openSqliteStore({ path });
    const req = (ownerId: string, now: number) => ({ ownerId, pid: ownerId === "A" ? 1 : 2, host: "h", now, staleAfterMs: 1_000 });
    expect(a.acquireLease(req("A", 0))).toEqual({ ok: true });
    a.setState("k", "from A");
    a.transaction(() => a.appendJournal({ clientOrderId: "o-1", type: "intent", source: "engine", payload: {}, applied: true, ts: 1 }));
    expect(b.acquireLease(req("B", 1_001))).toEqual({ ok: true }); // A's heartbeat went stale
    const lost = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof StoreError ? `${e.code}: ${e.message}` : String(e);
      }
      return "written";
    };
    expect(
      lost(() => a.transaction(() => a.appendJournal({ clientOrderId: "o-2", type: "intent", source: "engine", payload: {}, applied: true, ts: 2 }))),
    ).toBe("LEASE_LOST: This process no longer holds the engine lease (another engine, pid 2 on h, took over the database): nothing more is written here.");
    expect(lost(() => a.setState("k", "A again"))).toMatch(/^LEASE_LOST/);
    expect(lost(() => a.saveOrder(makeOrder("o-3"), meta))).toMatch(/^LEASE_LOST/);
    expect(a.heartbeat("A", 1_002)).toBe(false);
    expect(b.journalFor("o-2")).toEqual([]);
    expect(b.getOrder("o-3")).toBeNull();
    expect(b.getState("k")).toBe("from A");
    // The new holder writes; a store that never took a lease is not fenced (tools, tests).
    b.setState("k", "from B");
    expect(b.getState("k")).toBe("from B");
    a.close();
    b.close();
  });

  it("a lease lost and taken again by the same owner is a new epoch: the old fence does not hold", () => {
    const path = createMigratedDb(tempDir());
    const a = openSqliteStore({ path });
    const b = openSqliteStore({ path });
    const req = (ownerId: string, now: number) => ({ ownerId, pid: 1, host: "h", now, staleAfterMs: 1_000 });
    expect(a.acquireLease(req("A", 0))).toEqual({ ok: true });
    expect(b.acquireLease(req("B", 1_001))).toEqual({ ok: true });
    b.releaseLease("B");
    // Another connection takes the lease with A's owner id (a restarted process reusing it): A's old epoch is not it.
    const c = openSqliteStore({ path });
    expect(c.acquireLease(req("A", 2_000))).toEqual({ ok: true });
    expect(() => a.setState("k", "stale A")).toThrow(/no longer holds the engine lease/);
    expect(a.heartbeat("A", 2_001)).toBe(false);
    expect(c.heartbeat("A", 2_002)).toBe(true);
    c.setState("k", "fresh A");
    expect(a.getState("k")).toBe("fresh A");
    a.close();
    b.close();
    c.close();
  });

  it("exactly one of several processes racing for a free lease wins", async () => {
    const dir = tempDir();
    const path = createMigratedDb(dir);
    const script = join(dir, "race.ts");
    writeFileSync(
      script,
      `import { openSqliteStore } from ${JSON.stringify(join(import.meta.dirname, "sqlite-store.ts"))};
       const store = openSqliteStore({ path: ${JSON.stringify(path)} });
       process.stdout.write("ready\\n");
       process.stdin.once("data", () => {
         const result = store.acquireLease({ ownerId: process.argv[2]!, pid: process.pid, host: "h", now: Date.now(), staleAfterMs: 60_000 });
         store.close();
         process.stdout.write(JSON.stringify(result) + "\\n");
         process.exit(0);
       });`,
    );
    const tsx = join(process.cwd(), "node_modules", ".bin", "tsx");
    const racers = ["r1", "r2", "r3", "r4"].map((id) => {
      const child = spawn(tsx, [script, id], { stdio: ["pipe", "pipe", "inherit"] });
      let out = "";
      const ready = new Promise<void>((resolve) => {
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("ready\n")) resolve();
        });
      });
      const done = new Promise<{ ok: boolean }>((resolve, reject) => {
        child.on("error", reject);
        child.on("exit", (code) => {
          if (code !== 0) reject(new Error(`racer ${id} exited with ${String(code)}`));
          else resolve(JSON.parse(out.split("\n").filter(Boolean).at(-1)!) as { ok: boolean });
        });
      });
      return { child, ready, done };
    });
    await Promise.all(racers.map((r) => r.ready));
    for (const r of racers) r.child.stdin.write("go\n");
    const results = await Promise.all(racers.map((r) => r.done));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toHaveLength(3);
  }, 60_000);
});

describe("SqliteStore rows read through Prisma", () => {
  it("Prisma reads orders, trades and SystemState written by the store", async () => {
    const path = createMigratedDb(tempDir());
    const clock = new ManualClock(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    const store = openSqliteStore({ path, clock });
    const order = richOrder();
    store.saveOrder(order, meta);
    store.saveOrder(makeOrder("o-plain"), { venue: "sim", positionId: null, requestedPrice: null });
    store.insertTrade(makeTrade("tr-1", "p1"));
    store.setState("tradingState", "HALTED");
    store.close();

    const prisma = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: `file:${path}` }) });
    try {
      const row = await prisma.order.findUniqueOrThrow({ where: { clientOrderId: "o-rich" } });
      expect(row).toMatchObject({
        venueOrderId: "V-9",
        venue: "sim",
        symbol: "ETH/USDT",
        side: "SELL",
        type: "TRAILING_STOP_LIMIT",
        quantity: "1.234567890123456789012345",
        price: order.price?.toString() ?? null,
        triggerPrice: "3107.5",
        reduceOnly: true,
        status: "PARTIALLY_FILLED",
        filledQty: "0.2",
        avgFillPrice: "3106.75",
        feesPaid: "0.000123",
        positionId: "pos-1",
        signalId: "sig-1",
        strategy: "momentum",
        listId: "L1",
        parentClientOrderId: "o-entry",
        requestedPrice: "3107.49",
        createdAt: order.createdAt,
        updatedAt: order.updatedAt,
      });
      expect(await prisma.order.count({ where: { status: { notIn: ["FILLED", "CANCELED"] } } })).toBe(2);
      const plain = await prisma.order.findUniqueOrThrow({ where: { clientOrderId: "o-plain" } });
      expect([plain.reduceOnly, plain.positionId, plain.requestedPrice, plain.avgFillPrice]).toEqual([false, null, null, null]);

      const trade = await prisma.trade.findUniqueOrThrow({ where: { positionId: "p1" } });
      expect(trade).toMatchObject({ id: "tr-1", pnl: "299.715", pnlNum: 299.715, durationMs: 60_000, outcome: "WIN", exitSlippageBps: null });

      const state = await prisma.systemState.findUniqueOrThrow({ where: { key: "tradingState" } });
      expect(JSON.parse(state.value)).toBe("HALTED");
      expect(state.updatedAt).toBeInstanceOf(Date);
      expect(state.updatedAt.getTime()).toBe(clock.now());

      // and the store reads a row Prisma wrote
      await prisma.systemState.update({ where: { key: "tradingState" }, data: { value: JSON.stringify("ACTIVE") } });
    } finally {
      await prisma.$disconnect();
    }
    const again = openSqliteStore({ path });
    expect(again.getState("tradingState")).toBe("ACTIVE");
    again.close();
  });
});

describe("SqliteStore specifics", () => {
  it("close is idempotent", () => {
    const store = openSqliteStore({ path: createMigratedDb(tempDir()) });
    store.close();
    expect(() => store.close()).not.toThrow();
    expect(store.isOpen).toBe(false);
    expect(store).toBeInstanceOf(SqliteStore);
  });

  it("fills the query columns of positions and equity", () => {
    const path = createMigratedDb(tempDir());
    const store = openSqliteStore({ path, clock: new ManualClock(123) });
    store.appendEquity({ ts: 1, equity: D("10012.5"), cash: D(1), unrealized: D(0), realized: D(0), fees: D(0), exposure: D(0), cause: "start" });
    store.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT equity, equityNum FROM equity_snapshots").get()).toEqual({ equity: "10012.5", equityNum: 10012.5 });
    db.close();
  });
});

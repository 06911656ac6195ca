/**
 * The replay desk's simulated exchange: on a new desk its tables live in Bastion's database (one commit per resting order
 * for the intent, the exchange and its acceptance); a desk that already has a sim-venue.db keeps it (the exchange does
 * not forget its orders). Both survive a restart of the runtime.
 */
import Database from "better-sqlite3";
import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMigratedDb } from "../../test/db";
import { ensureRuntime, runtimeState } from "./runtime";

const tina = { username: "tina", role: "trader" as const };
const saved = { ...process.env };
const dirs: string[] = [];

afterEach(async () => {
  await runtimeState().runtime?.stop();
  (globalThis as Record<string, unknown>).__bastionRuntime = undefined;
  process.env = { ...saved };
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newDesk(): { dbPath: string; simFile: string } {
  const dbPath = createMigratedDb();
  dirs.push(dirname(dbPath));
  (globalThis as Record<string, unknown>).__bastionRuntime = undefined;
  Object.assign(process.env, { DATABASE_URL: `file:${dbPath}`, BASTION_STRATEGY: "off", BASTION_MODE: "replay", BASTION_SYMBOL: "BTC/USDT" });
  delete process.env.BASTION_CONFIG;
  delete process.env.BASTION_SIM_STATE;
  return { dbPath, simFile: join(dirname(dbPath), "sim-venue.db") };
}

/** Places one resting limit far below the market and waits for the exchange to accept it (the desk's venue has latency); its id. */
async function placeResting(): Promise<string> {
  const runtime = await ensureRuntime();
  expect(runtimeState().error).toBeNull();
  const engine = runtime!.engine;
  let accept = (_id: string) => undefined as void;
  const accepted = new Promise<string>((resolve) => (accept = resolve));
  engine.bus.subscribe((e) => {
    if (e.type === "order" && e.order.status === "ACCEPTED") accept(e.order.clientOrderId);
  });
  const placed = await engine.execute({
    kind: "manualOrder",
    order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "10000" },
    actor: tina,
    reason: null,
  });
  expect(placed, JSON.stringify(placed)).toMatchObject({ ok: true });
  const id = String(placed.ok && placed.data?.clientOrderId);
  expect(await accepted).toBe(id);
  return id;
}

async function restartAndOpenOrders(): Promise<string[]> {
  await runtimeState().runtime?.stop();
  (globalThis as Record<string, unknown>).__bastionRuntime = undefined;
  const runtime = await ensureRuntime();
  expect(runtimeState().error).toBeNull();
  return runtime!.engine.state().openOrders.map((o) => `${o.clientOrderId} ${o.status}`);
}

const simOrders = (path: string): string[] => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT client_order_id FROM sim_orders WHERE done = 0").all() as { client_order_id: string }[]).map((r) => r.client_order_id);
  } finally {
    db.close();
  }
};

describe("the replay desk's simulated exchange", () => {
  it("on a new desk keeps its tables in Bastion's database, and its orders across a restart", async () => {
    const { dbPath, simFile } = newDesk();
    const id = await placeResting();
    expect(existsSync(simFile)).toBe(false);
    expect(simOrders(dbPath)).toEqual([id]);
    expect(await restartAndOpenOrders()).toEqual([`${id} ACCEPTED`]);
  });

  it("keeps using a sim-venue.db that is already there", async () => {
    const { dbPath, simFile } = newDesk();
    // A desk that ran with an exchange file of its own (named, as before it was the default), then starts without the setting.
    process.env.BASTION_SIM_STATE = simFile;
    const id = await placeResting();
    delete process.env.BASTION_SIM_STATE;
    expect(await restartAndOpenOrders()).toEqual([`${id} ACCEPTED`]);
    await runtimeState().runtime?.stop();
    // The order lives in the file (read once the runtime let go of it), and Bastion's database has no exchange tables.
    expect(simOrders(simFile)).toEqual([id]);
    const inDesk = new Database(dbPath, { readonly: true });
    const tables = inDesk.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'sim_%'").all();
    inDesk.close();
    expect(tables).toEqual([]);
  });
});

/**
 * The simulated exchange's saved state: its own SQLite file (better-sqlite3, WAL), or its tables in Bastion's database
 * (`host`: the engine's store, its connection and its fenced `transaction`; a commit made while the engine's transaction
 * is open becomes a savepoint of it, so the engine's rows and the exchange's commit together or not at all).
 * Every commit is one transaction, so the state is always consistent:
 *
 *  - `sim_state` (one row): the venue-wide part of the simulator's snapshot as JSON — balances, id and rank
 *    counters, market state per symbol, requests in flight — with `"ordersInRows": true` and no orders or
 *    order lists. Its size does not grow with the open orders.
 *  - `sim_orders`: the latest record of every order (JSON), one row each, `done` = finished. A commit writes
 *    the rows of the orders that call changed (MatchingEngine.takeTouched). A restore reads the open rows and
 *    rebuilds the full snapshot (snapshotFromParts: the order lists follow from each record's phase, price
 *    and ranks); the newest finished rows become its history. Finished rows beyond `maxFinishedOrders` are pruned.
 *  - `sim_fills`: append-only, every fill ever made (fetchFills reads it).
 *
 * So a write costs O(orders and fills the call changed + symbols), not O(open orders). Files written before
 * (a full snapshot in `sim_state`, orders included, no `ordersInRows`) still load as they are; the venue then
 * rewrites every open order's row once and continues in this format.
 *
 * A file of its own is opened in EXCLUSIVE locking mode: one process at a time owns the exchange. A second
 * opener fails with SIM_STATE_LOCKED; the lock goes away with the process, even on SIGKILL. In Bastion's database the
 * engine's lease plays that part (every write goes through the store's lease-checked transaction).
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { snapshotFromParts, type SimFillRecord, type SimOrderRecord, type SimVenueSnapshot } from "../../core/sim/snapshot";

/** A problem with the simulated exchange's state file; the message is a sentence starting with the code. */
export class SimStateError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "SimStateError";
  }
}

export interface SimStateOptions {
  /** SQLite `synchronous` in WAL mode. FULL (default) survives power loss; NORMAL only process crashes. */
  synchronous?: "FULL" | "NORMAL";
  /** How long to wait for another process's lock before SIM_STATE_LOCKED. Default 2000 ms. */
  lockTimeoutMs?: number;
  /** Finished orders kept in the file (the newest). Default 50 000. */
  maxFinishedOrders?: number;
}

/**
 * The desk's database, when the exchange's tables live in it (the engine's store): its connection, and its `transaction`
 * (BEGIN IMMEDIATE with the lease check; a savepoint inside an open transaction).
 */
export interface SimStateHost {
  readonly database: Database.Database;
  transaction<T>(fn: () => T): T;
}

export interface SimStateLoad {
  snapshot: SimVenueSnapshot;
  /** False for a file written before orders had rows of their own: the caller should write them all once. */
  ordersInRows: boolean;
  /** Finished orders (oldest first) and the newest fills, to put back into the snapshot's history. */
  finished: SimOrderRecord[];
  fills: SimFillRecord[];
}

export interface SimStateCommit {
  /** A full snapshot, or (`ordersInRows`) the venue-wide head whose orders live in their rows. */
  snapshot: SimVenueSnapshot;
  ordersInRows?: boolean;
  fills: SimFillRecord[];
  orders: { record: SimOrderRecord; done: boolean }[];
  now: number;
}

interface FillRow {
  trade_id: string;
  client_order_id: string;
  symbol: string;
  side: SimFillRecord["side"];
  qty: string;
  price: string;
  fee: string;
  fee_currency: string;
  liquidity: SimFillRecord["liquidity"];
  ts: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sim_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  venue_id TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sim_fills (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  trade_id TEXT NOT NULL UNIQUE,
  client_order_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  side TEXT NOT NULL,
  qty TEXT NOT NULL,
  price TEXT NOT NULL,
  fee TEXT NOT NULL,
  fee_currency TEXT NOT NULL,
  liquidity TEXT NOT NULL,
  ts INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sim_fills_ts ON sim_fills (ts);
CREATE TABLE IF NOT EXISTS sim_orders (
  client_order_id TEXT NOT NULL PRIMARY KEY,
  done INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sim_orders_done ON sim_orders (done);
`;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED";
}

export class SimStateFile {
  private readonly db: Database.Database;
  private readonly maxFinished: number;
  private finishedWrites = 0;
  private readonly stmts: {
    saveState: Database.Statement<[string, string, number]>;
    insertFill: Database.Statement<[string, string, string, string, string, string, string, string, string, number]>;
    saveOrder: Database.Statement<[string, number, string]>;
    prune: Database.Statement<[number]>;
    fillsSince: Database.Statement<[number], FillRow>;
  };
  /** The rows of one commit (in a transaction: `commitTx`, or the desk's). */
  private readonly write: (commit: SimStateCommit) => void;
  private readonly commitTx: (commit: SimStateCommit) => void;

  /** The desk's database this file's tables live in, when they share it (`SimStateFile.inDesk`); null for a file of its own. */
  private readonly host: SimStateHost | null;

  constructor(
    readonly path: string,
    private readonly venueId: string,
    options: SimStateOptions = {},
    host: SimStateHost | null = null,
  ) {
    this.maxFinished = Math.max(0, options.maxFinishedOrders ?? 50_000);
    this.host = host;
    let db: Database.Database;
    if (host) {
      // The desk's connection: its lease, not a file lock, makes this process the only one that runs the exchange.
      db = host.database;
      host.transaction(() => db.exec(SCHEMA));
    } else {
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { timeout: options.lockTimeoutMs ?? 2000 });
      try {
        db.pragma("locking_mode = EXCLUSIVE");
        db.pragma("journal_mode = WAL");
        db.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
        // The first write takes the exclusive lock and keeps it until close.
        db.exec(`BEGIN IMMEDIATE; ${SCHEMA} COMMIT;`);
      } catch (error) {
        db.close();
        if (isBusy(error)) throw new SimStateError("SIM_STATE_LOCKED", `the simulated exchange's state file ${path} is in use by another process.`);
        throw error;
      }
    }
    this.db = db;
    this.stmts = {
      saveState: db.prepare(
        "INSERT INTO sim_state (id, venue_id, snapshot, updated_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at",
      ),
      insertFill: db.prepare(
        "INSERT INTO sim_fills (trade_id, client_order_id, symbol, side, qty, price, fee, fee_currency, liquidity, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      // REPLACE gives the row a new, highest rowid: rowid order is last-update order.
      saveOrder: db.prepare("INSERT OR REPLACE INTO sim_orders (client_order_id, done, record) VALUES (?, ?, ?)"),
      prune: db.prepare(
        "DELETE FROM sim_orders WHERE done = 1 AND rowid < (SELECT MIN(rowid) FROM (SELECT rowid FROM sim_orders WHERE done = 1 ORDER BY rowid DESC LIMIT ?))",
      ),
      fillsSince: db.prepare<[number], FillRow>("SELECT * FROM sim_fills WHERE ts >= ? ORDER BY seq"),
    };
    this.write = (commit: SimStateCommit) => {
      this.stmts.saveState.run(this.venueId, JSON.stringify(commit.ordersInRows ? { ...commit.snapshot, ordersInRows: true } : commit.snapshot), commit.now);
      for (const f of commit.fills) {
        this.stmts.insertFill.run(f.tradeId, f.clientOrderId, f.symbol, f.side, f.qty, f.price, f.fee, f.feeCurrency, f.liquidity, f.ts);
      }
      let finished = 0;
      for (const { record, done } of commit.orders) {
        this.stmts.saveOrder.run(record.clientOrderId, done ? 1 : 0, JSON.stringify(record));
        if (done) finished += 1;
      }
      this.finishedWrites += finished;
      // Pruning scans the finished orders: do it once per ~1000 finished-order writes, not on every commit.
      if (this.finishedWrites >= 1000) {
        this.finishedWrites = 0;
        if (this.maxFinished > 0) this.stmts.prune.run(this.maxFinished);
        else this.db.exec("DELETE FROM sim_orders WHERE done = 1");
      }
    };
    this.commitTx = db.transaction(this.write);
  }

  /** The saved state, or null for a new file. */
  load(fillHistory: number): SimStateLoad | null {
    const row = this.db.prepare<[], { venue_id: string; snapshot: string }>("SELECT venue_id, snapshot FROM sim_state WHERE id = 1").get();
    if (!row) return null;
    if (row.venue_id !== this.venueId) {
      throw new SimStateError("SIM_STATE_MISMATCH", `the state file ${this.path} belongs to venue "${row.venue_id}", not "${this.venueId}".`);
    }
    const { ordersInRows, ...saved } = JSON.parse(row.snapshot) as SimVenueSnapshot & { ordersInRows?: boolean };
    const snapshot = ordersInRows
      ? snapshotFromParts(
          saved,
          this.db
            .prepare<[], { record: string }>("SELECT record FROM sim_orders WHERE done = 0")
            .all()
            .map((r) => JSON.parse(r.record) as SimOrderRecord),
        )
      : saved;
    const finished = this.db
      .prepare<[number], { record: string }>("SELECT record FROM sim_orders WHERE done = 1 ORDER BY rowid DESC LIMIT ?")
      .all(this.maxFinished)
      .reverse()
      .map((r) => JSON.parse(r.record) as SimOrderRecord);
    const fills = this.db.prepare<[number], FillRow>("SELECT * FROM sim_fills ORDER BY seq DESC LIMIT ?").all(fillHistory).reverse().map(fromRow);
    return { snapshot, ordersInRows: ordersInRows === true, finished, fills };
  }

  /**
   * Saves the snapshot, appends the fills and saves the order records, in one transaction. In the desk's database,
   * through the desk's own `transaction` (its lease check included): inside a transaction the desk has open, the rows
   * commit with it (a savepoint), so the desk's rows and the exchange's commit together or not at all.
   */
  commit(commit: SimStateCommit): void {
    if (this.host) this.host.transaction(() => this.write(commit));
    else this.commitTx(commit);
  }

  /** Whether a transaction of the desk is open now (a commit then joins it: see SimVenue.rolledBack). */
  joinsOpenTransaction(): boolean {
    return this.host !== null && this.db.inTransaction;
  }

  fillsSince(since: number): SimFillRecord[] {
    return this.stmts.fillsSince.all(since).map(fromRow);
  }

  /** Releases the file (the desk's connection is the desk's to close). */
  close(): void {
    if (this.host === null && this.db.open) this.db.close();
  }
}

function fromRow(row: FillRow): SimFillRecord {
  return {
    tradeId: row.trade_id,
    clientOrderId: row.client_order_id,
    symbol: row.symbol,
    side: row.side,
    qty: row.qty,
    price: row.price,
    fee: row.fee,
    feeCurrency: row.fee_currency,
    liquidity: row.liquidity,
    ts: row.ts,
  };
}

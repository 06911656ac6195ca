/**
 * The migration that gives trades their venue, on a database that has trades from before it: each takes its closing
 * order's venue, else its symbol's listing, else none; rows keep their rowids (the History totals' rollup reads by them).
 */
import Database from "better-sqlite3";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { migrationNames, migrationSqlOf } from "../../test/db";

const MIGRATION = "20261208010000_trade_venue";

function tradeRow(id: string, symbol: string) {
  return {
    id,
    positionId: `pos-${id}`,
    symbol,
    side: "LONG",
    quantity: "1",
    entryPrice: "100",
    exitPrice: "101",
    entryTime: 1_000,
    exitTime: 2_000,
    durationMs: 1_000,
    fees: "0.1",
    grossPnl: "1",
    pnl: "0.9",
    pnlNum: 0.9,
    pnlPct: 0.9,
    outcome: "WIN",
    exitReason: "signal",
  };
}

describe("the trade venue migration", () => {
  it("fills each old trade's venue from its closing order, else its symbol's listing, and keeps the rowids", () => {
    const names = migrationNames();
    expect(names).toContain(MIGRATION);
    const db = new Database(join(mkdtempSync(join(tmpdir(), "bastion-migration-")), "bastion.db"));
    try {
      for (const name of names.filter((n) => n < MIGRATION)) db.exec(migrationSqlOf(name));
      const insertTrade = db.prepare(
        `INSERT INTO trades (rowid, id, positionId, symbol, side, quantity, entryPrice, exitPrice, entryTime, exitTime, durationMs, fees,
           grossPnl, pnl, pnlNum, pnlPct, outcome, exitReason)
         VALUES (@rowid, @id, @positionId, @symbol, @side, @quantity, @entryPrice, @exitPrice, @entryTime, @exitTime, @durationMs, @fees,
           @grossPnl, @pnl, @pnlNum, @pnlPct, @outcome, @exitReason)`,
      );
      const insertOrder = db.prepare(
        `INSERT INTO orders (clientOrderId, venue, symbol, side, type, quantity, timeInForce, reduceOnly, status, filledQty, feesPaid,
           positionId, data, createdAt, updatedAt)
         VALUES (?, ?, ?, ?, 'MARKET', '1', 'GTC', 0, 'FILLED', '1', '0', ?, '{}', ?, ?)`,
      );
      db.prepare(
        `INSERT INTO instruments (symbol, venue, venueSymbol, base, quote, kind, priceTick, qtyStep, minQty, minNotional, makerFee, takerFee, updatedAt)
         VALUES ('ETH/USDT', 'kraken', 'ETHUSDT', 'ETH', 'USDT', 'spot', '0.01', '0.001', '0.001', '5', '0.001', '0.001', 0)`,
      ).run();
      // BTC/USDT traded on two venues: no listing says which, its orders do (the newest order is the closing one).
      insertTrade.run({ rowid: 7, ...tradeRow("t-a", "BTC/USDT") });
      insertOrder.run("o-a-entry", "binance", "BTC/USDT", "BUY", "pos-t-a", 1_000, 1_000);
      insertOrder.run("o-a-exit", "binance", "BTC/USDT", "SELL", "pos-t-a", 2_000, 2_000);
      insertTrade.run({ rowid: 9, ...tradeRow("t-b", "BTC/USDT") });
      insertOrder.run("o-b-exit", "bitget", "BTC/USDT", "SELL", "pos-t-b", 2_000, 2_000);
      // No orders left: the listing. Neither: none.
      insertTrade.run({ rowid: 12, ...tradeRow("t-c", "ETH/USDT") });
      insertTrade.run({ rowid: 13, ...tradeRow("t-d", "XRP/USDT") });

      db.exec(migrationSqlOf(MIGRATION));

      expect(db.prepare("SELECT rowid AS r, id, venue, pnl FROM trades ORDER BY rowid").all()).toEqual([
        { r: 7, id: "t-a", venue: "binance", pnl: "0.9" },
        { r: 9, id: "t-b", venue: "bitget", pnl: "0.9" },
        { r: 12, id: "t-c", venue: "kraken", pnl: "0.9" },
        { r: 13, id: "t-d", venue: null, pnl: "0.9" },
      ]);
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'trades'").all() as { name: string }[];
      expect(indexes.map((i) => i.name)).toContain("trades_venue_exitTime_idx");
    } finally {
      db.close();
    }
  });
});

/**
 * History over venues and currencies: each trade shows the venue it traded on (BTC/USDT here on the desk's venue and on
 * another), the venue filter narrows to that venue's trades, and totals over trades in two quote currencies are one line
 * per currency instead of a BTC and a USDT amount added together. The trades are written into the desk's database
 * beforehand (closed in 2020, so they sort after everything the other specs close) as the engine would have booked them.
 */
import Database from "better-sqlite3";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { signIn } from "./auth-helpers";

const DB_FILE = "e2e/.tmp/e2e.db";
const T0 = Date.UTC(2020, 5, 1, 12, 0, 0);

interface SeedTrade {
  id: string;
  symbol: string;
  venue: string;
  pnl: string;
  fees: string;
  exitTime: number;
}

const TRADES: SeedTrade[] = [
  { id: "e2e-hv-1", symbol: "BTC/USDT", venue: "kraken", pnl: "12.5", fees: "0.4", exitTime: T0 },
  { id: "e2e-hv-2", symbol: "ETH/BTC", venue: "kraken", pnl: "-0.00012345", fees: "0.00000321", exitTime: T0 + 60_000 },
];

function seed(): void {
  const db = new Database(DB_FILE);
  try {
    db.pragma("busy_timeout = 5000");
    const insert = db.prepare(
      `INSERT OR IGNORE INTO trades (id, positionId, symbol, side, quantity, entryPrice, exitPrice, entryTime, exitTime, durationMs,
         fees, grossPnl, pnl, pnlNum, pnlPct, outcome, exitReason, strategy, venue)
       VALUES (@id, @positionId, @symbol, 'LONG', '1', '100', '101', @entryTime, @exitTime, 60000,
         @fees, @pnl, @pnl, @pnlNum, 1, @outcome, 'signal', 'e2e-venues', @venue)`,
    );
    for (const t of TRADES) {
      insert.run({ ...t, positionId: `pos-${t.id}`, entryTime: t.exitTime - 60_000, pnlNum: Number(t.pnl), outcome: Number(t.pnl) > 0 ? "WIN" : "LOSS" });
    }
  } finally {
    db.close();
  }
}

/** The totals card whose label is `label`. */
const totalsCard = (page: Page, label: string): Locator =>
  page
    .getByLabel("Totals for the filtered trades")
    .locator(".stat")
    .filter({ has: page.locator(".stat-label").getByText(label, { exact: true }) });

test("History shows each trade's venue, filters by it, and totals each quote currency apart", async ({ page }) => {
  seed();
  await signIn(page);
  await page.getByRole("navigation", { name: "Desk" }).getByRole("link", { name: "History" }).click();
  await expect(page.getByRole("heading", { name: "History", level: 1 })).toBeVisible();

  // The venue filter offers kraken (from the trades), and narrows the list to its two trades.
  await page.getByRole("combobox", { name: "Venue", exact: true }).selectOption("kraken");
  await expect(page).toHaveURL(/venue=kraken/);
  const rows = page.locator("table.history-table tbody tr");
  await expect(rows).toHaveCount(2);
  for (const row of await rows.all()) await expect(row.locator("td").nth(1)).toHaveText("kraken");

  // Two quote currencies: a line each, at its own precision.
  const net = totalsCard(page, "Net PnL");
  await expect(net).toContainText("per quote currency");
  await expect(net).toContainText("−0.00012345 BTC");
  await expect(net).toContainText("+12.50 USDT");
  await expect(totalsCard(page, "Fees")).toContainText("0.00000321 BTC");
  await expect(totalsCard(page, "Fees")).toContainText("0.40 USDT");

  // One symbol: one currency, its figures.
  await page.getByRole("combobox", { name: "Symbol", exact: true }).selectOption("BTC/USDT");
  await expect(rows).toHaveCount(1);
  await expect(net).toContainText("+12.50");
  await expect(net).toContainText("after fees, in USDT");

  // The trade's page names its venue.
  await rows
    .first()
    .getByRole("link", { name: /^Detail of trade/ })
    .click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Trade BTC/USDT on kraken LONG");
});

test("Performance's realized daily bars are in one quote currency at a time when the trades are in several", async ({ page }) => {
  seed();
  await signIn(page);
  await page.getByRole("navigation", { name: "Desk" }).getByRole("link", { name: "Performance" }).click();
  await expect(page.getByRole("heading", { name: "Performance", level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "All time", exact: true }).click();
  const daily = page.getByRole("region", { name: "Daily PnL (UTC days)" });
  // The equity change needs no choice of currency (equity is the desk's).
  await expect(daily.getByRole("group", { name: "Realized PnL currency" })).toHaveCount(0);
  await daily.getByRole("button", { name: "Realized (closed trades)" }).click();
  const currencies = daily.getByRole("group", { name: "Realized PnL currency" });
  await expect(currencies.getByRole("button")).toHaveText(["BTC", "USDT"]);
  await currencies.getByRole("button", { name: "BTC" }).click();
  await expect(currencies.getByRole("button", { name: "BTC" })).toHaveAttribute("aria-pressed", "true");
  // The ETH/BTC trade's day alone, and its loss in BTC (not added to the day's USDT trade).
  await expect(daily.getByRole("img")).toHaveAttribute("aria-label", "Daily realized PnL in BTC: 1 days, 0 up, 1 down, from 2020-06-01 to 2020-06-01");
  await expect(daily).toContainText("of the symbols quoted in BTC");
  await currencies.getByRole("button", { name: "USDT" }).click();
  await expect(daily.getByRole("img")).toHaveAttribute("aria-label", /^Daily realized PnL in USDT: \d+ days/);
});

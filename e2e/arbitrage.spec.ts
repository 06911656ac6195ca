/**
 * The Arbitrage page on the arbitrage desk (run with playwright.arbitrage.config.ts: config/desk.arbitrage.example.yaml,
 * BTC/USDC on a simulated Binance.US against BTC/USD on a simulated Kraken, replayed from two recorded hours before the
 * USDC de-peg of 2023-03-11 at 600×): the pair with both venues' live quotes, opportunities skipped with the reason
 * while the books agree, then taken ones and round trips with their legs and PnL net of fees once BTC/USDC leaves par.
 * Screenshots at 1280 and 390 px go to test-results/screenshots/.
 */
import { expect, test } from "@playwright/test";
import { signIn } from "./auth-helpers";
import { shot, trpcQuery } from "./desk-helpers";

interface ArbView {
  pairs: { id: string; quotes: { bid: number | null }[] }[];
  opportunities: { outcome: string; code: string }[];
  roundTrips: { id: string; status: string; pnl: string | null }[];
}

test("the Arbitrage page shows the pair, skipped and taken opportunities, and round trips with PnL net of fees", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page);
  await page.getByRole("navigation").getByRole("link", { name: "Arbitrage" }).click();
  await expect(page).toHaveURL(/\/arbitrage$/);
  await expect(page.getByRole("heading", { name: "Arbitrage", level: 1 })).toBeVisible();

  const pairs = page.getByRole("table", { name: "Arbitrage pairs" });
  const pair = pairs.getByRole("row", { name: /btc-usdc-usd/ });
  await expect(pair).toContainText("enabled");
  await expect(pair).toContainText("sim-binanceus BTC/USDC");
  await expect(pair).toContainText("sim-kraken BTC/USD");

  // While the two books agree, looks are skipped with the reason.
  const opportunities = page.getByRole("table", { name: "Arbitrage opportunities" });
  await expect(opportunities.locator('tr[data-outcome="skipped"]').filter({ hasText: "BELOW_THRESHOLD" }).first()).toBeVisible({ timeout: 30_000 });
  await expect(opportunities).toContainText("is below 30 bps");

  // The de-peg: taken opportunities and round trips (the desk replays ten recorded minutes a second).
  await expect(opportunities.locator('tr[data-outcome="taken"]').first()).toBeVisible({ timeout: 60_000 });
  const trips = page.getByRole("table", { name: "Arbitrage round trips" });
  const firstTrip = trips.locator("tbody tr[data-round-trip]").first();
  await expect(firstTrip).toBeVisible();
  await expect(firstTrip).toContainText("sim-kraken BTC/USD");
  await expect(firstTrip).toContainText("sim-binanceus BTC/USDC");
  // A finished round trip shows its PnL net of fees.
  await expect(trips.getByTestId("round-trip-pnl").filter({ hasText: /[▲▼•]/ }).first()).toBeVisible({ timeout: 30_000 });

  const view = await trpcQuery<ArbView>(page.request, "arbitrage.view", { opportunities: 200, roundTrips: 200 });
  expect(view.pairs.map((p) => p.id)).toEqual(["btc-usdc-usd"]);
  expect(view.opportunities.some((o) => o.outcome === "taken")).toBe(true);
  expect(view.roundTrips.some((t) => t.pnl !== null)).toBe(true);

  // A round trip's legs and what happened, one click away.
  const id = (await firstTrip.getAttribute("data-round-trip"))!;
  await trips.getByRole("button", { name: `Show legs of ${id}` }).click();
  const legs = page.getByRole("table", { name: `Legs of ${id}` });
  await expect(legs.getByRole("rowheader", { name: "buy" })).toBeVisible();
  await expect(legs.getByRole("rowheader", { name: "sell" })).toBeVisible();
  await expect(page.getByRole("list", { name: `What happened in ${id}` })).toContainText("opened: buy sim-kraken BTC/USD");
  await page.screenshot({ path: shot("arbitrage-1280"), fullPage: true });

  // Usable on a phone: the tables scroll inside their panels, the page itself does not scroll sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(page.getByRole("heading", { name: "Arbitrage", level: 1 })).toBeVisible();
  await expect(page.getByRole("table", { name: "Arbitrage round trips" })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  await page.screenshot({ path: shot("arbitrage-390"), fullPage: true });
});

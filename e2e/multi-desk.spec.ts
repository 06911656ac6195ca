/**
 * The dashboard over several venues, symbols and strategies (issue 11 §4): Positions and Orders show venue, symbol
 * and strategy columns and filter by strategy through select boxes whose options come from the data, the filter is
 * in the URL (a reload keeps it), and no page overflows a phone's width. Works whatever the desk trades: it filters by
 * the strategies the select offers. Screenshots of the main pages at 1280 and 390 px go to /tmp/shots/dash-*.png.
 * Leaves the desk as it found it (no open position, no working order) for the specs that follow.
 */
import { mkdirSync } from "node:fs";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { signIn } from "./auth-helpers";
import { apiSignIn, calmExitRules, closeLong, openLong, restingLimit, trpcMutation } from "./desk-helpers";

const SHOTS = "/tmp/shots";

/** The cells of the column headed `header` in `table`, one per body row. */
async function columnTexts(table: Locator, header: string): Promise<string[]> {
  const headers = (await table.locator("thead th").allInnerTexts()).map((h) => h.trim().toLowerCase());
  const index = headers.indexOf(header.toLowerCase());
  expect(index, `a "${header}" column in ${headers.join(" | ")}`).toBeGreaterThanOrEqual(0);
  return (await table.locator(`tbody tr > :nth-child(${index + 1})`).allInnerTexts()).map((t) => t.trim());
}

/** The values a filter select offers (its "All …" option left out). */
async function optionValues(select: Locator): Promise<string[]> {
  return (await select.locator("option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))).filter((v) => v !== "");
}

async function settled(page: Page): Promise<void> {
  await expect(page.locator("main").getByText("Loading…")).toHaveCount(0);
}

/** Nothing wider than the viewport: the document does not scroll sideways (tables scroll inside their wrap). */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `page ${page.url()} is ${overflow}px wider than the viewport`).toBeLessThanOrEqual(0);
}

test("positions and orders: venue, symbol and strategy columns; filter by strategy from the data, kept in the URL", async ({ page, request }) => {
  test.setTimeout(120_000);
  mkdirSync(SHOTS, { recursive: true });
  await apiSignIn(request);
  await calmExitRules(request);
  // A closed round trip (History), a strategy's open position, and a person's resting order: two strategies at least.
  await openLong(request);
  await closeLong(request);
  await openLong(request);
  await restingLimit(request);

  try {
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page);

    // Positions: the columns, and every strategy the select offers filters the rows to that strategy.
    await page.goto("/positions");
    await settled(page);
    const positions = page.locator("table.po-table");
    await expect(positions.locator("tbody tr").first()).toBeVisible();
    for (const header of ["Venue", "Symbol", "Strategy"]) await expect(positions.locator("thead th", { hasText: header }).first()).toBeVisible();
    const strategySelect = page.getByRole("combobox", { name: "Strategy" });
    const strategies = await optionValues(strategySelect);
    expect(strategies.length).toBeGreaterThan(0);
    const allRows = await positions.locator("tbody tr").count();
    for (const strategy of strategies) {
      await strategySelect.selectOption(strategy);
      await expect(page).toHaveURL(new RegExp(`[?&]strategy=${encodeURIComponent(strategy)}`));
      await expect(positions.locator("tbody tr").first()).toBeVisible();
      await expect.poll(async () => [...new Set(await columnTexts(positions, "Strategy"))]).toEqual([strategy]);
      expect(await positions.locator("tbody tr").count()).toBeLessThanOrEqual(allRows);
    }
    // The venue and symbol columns hold what the selects offer.
    const venues = await optionValues(page.getByRole("combobox", { name: "Venue" }));
    for (const v of await columnTexts(positions, "Venue")) expect(venues).toContain(v);
    // A shared link: the filter survives a reload.
    await page.reload();
    await expect(page.getByRole("combobox", { name: "Strategy" })).toHaveValue(strategies.at(-1)!);
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect(page).not.toHaveURL(/strategy=/);

    // Orders: the person's resting order is `manual`; filtering by it leaves only manual rows in both tables.
    await page.goto("/orders");
    await settled(page);
    const orderStrategy = page.getByRole("combobox", { name: "Strategy" });
    const orderStrategies = await optionValues(orderStrategy);
    expect(orderStrategies).toContain("manual");
    expect(orderStrategies.length).toBeGreaterThanOrEqual(2);
    const openTable = page.getByRole("region", { name: /^Open orders/ }).locator("table");
    const allTable = page.getByRole("region", { name: "All orders" }).locator("table");
    for (const header of ["Venue", "Symbol", "Strategy"]) await expect(allTable.locator("thead th", { hasText: header }).first()).toBeVisible();
    for (const strategy of orderStrategies) {
      await orderStrategy.selectOption(strategy);
      await expect(page).toHaveURL(new RegExp(`[?&]strategy=${encodeURIComponent(strategy)}`));
      await settled(page);
      await expect.poll(async () => [...new Set(await columnTexts(allTable, "Strategy"))]).toEqual([strategy]);
      if (strategy === "manual") await expect.poll(async () => [...new Set(await columnTexts(openTable, "Strategy"))]).toEqual(["manual"]);
    }

    // Screenshots at desk and phone width; at 390 px nothing scrolls sideways.
    const pages: [name: string, path: string][] = [
      ["overview", "/"],
      ["positions", "/positions"],
      ["orders", "/orders"],
      ["history", "/history"],
      ["performance", "/performance"],
      ["risk", "/risk"],
      ["audit", "/audit"],
    ];
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, path] of pages) {
        await page.goto(path);
        await settled(page);
        await page.screenshot({ path: `${SHOTS}/dash-${name}-${width}.png`, fullPage: true });
        if (width === 390) await expectNoSidewaysScroll(page);
      }
    }
  } finally {
    // Leave no position and no working order behind for the specs after this one.
    await trpcMutation(request, "orders.cancelAll", { reason: "e2e multi-desk cleanup" });
    await closeLong(request);
  }
});

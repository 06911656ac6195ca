/**
 * The Risk page's Portfolio section (risk.portfolio).
 *
 * The zero-config replay desk trades one symbol (BTC/USDT): the section must say that a one-symbol portfolio has no
 * correlation to show, and still show the current weights. The ten-symbol view is shown with the recorded Bittrex
 * portfolio: the page's risk.portfolio and risk.portfolioHistory answers are replaced by e2e/fixtures/portfolio-risk.json,
 * the service's own output on data/market/portfolio/ (server/services/portfolio-risk.test.ts checks the fixture has
 * the shape the service returns), since the multi-symbol replay desk does not exist yet.
 * Screenshots at 1280 and 390 px go to /tmp/shots/ (and test-results/screenshots/).
 */
import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./auth-helpers";
import { apiSignIn, calmExitRules, openLong, shot } from "./desk-helpers";

const FIXTURE = JSON.parse(readFileSync("e2e/fixtures/portfolio-risk.json", "utf8")) as { portfolio: unknown; history: unknown };
const REPLACED: Record<string, unknown> = { "risk.portfolio": FIXTURE.portfolio, "risk.portfolioHistory": FIXTURE.history };

/** Answers risk.portfolio / risk.portfolioHistory with the fixture inside tRPC's batched responses; everything else is the server's. */
async function serveRecordedPortfolio(page: Page): Promise<void> {
  await page.route("**/api/trpc/**", async (route) => {
    const url = new URL(route.request().url());
    const paths = decodeURIComponent(url.pathname.replace(/^\/api\/trpc\//, "")).split(",");
    if (!paths.some((p) => p in REPLACED)) return route.continue();
    const response = await route.fetch();
    const body = (await response.json()) as unknown;
    const batched = Array.isArray(body);
    const items = (batched ? body : [body]) as { result?: { data?: { json: unknown } } }[];
    paths.forEach((p, i) => {
      if (p in REPLACED) items[i] = { result: { data: { json: REPLACED[p] } } };
    });
    await route.fulfill({ response, json: batched ? items : items[0] });
  });
}

async function screenshots(page: Page, name: string): Promise<void> {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const section = page.getByRole("region", { name: "Portfolio" });
    await section.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `/tmp/shots/${name}-${width}.png`, fullPage: true });
    await section.screenshot({ path: `/tmp/shots/${name}-section-${width}.png` });
    await page.screenshot({ path: shot(`${name}-${width}`), fullPage: true });
  }
}

test("a one-symbol desk: the section says there is no correlation to show and lists the current weight", async ({ page, request }) => {
  test.setTimeout(60_000);
  await apiSignIn(request);
  await calmExitRules(request);
  await openLong(request);
  await signIn(page);
  await page.goto("/risk");
  const section = page.getByRole("region", { name: "Portfolio" });
  await expect(section).toContainText("a one-symbol portfolio has no correlation to show");
  await expect(section.getByRole("table", { name: "Correlation heat map" })).toHaveCount(0);
  const weights = section.getByRole("table", { name: "Current and target weights" });
  await expect(weights.getByRole("row", { name: /BTC\/USDT/ })).toContainText("100.0%");
  // Another bar size is another computation on the same history: daily returns over 30 days.
  await section.getByLabel("Bars").selectOption({ label: "1 day" });
  await expect(section).toContainText(/daily returns, \d+ of 30 bars/);
  await screenshots(page, "portfolio-one-symbol");
});

test("the recorded ten-symbol portfolio: heat map table, VaR by position, the cluster and the target weights", async ({ page }) => {
  test.setTimeout(60_000);
  await serveRecordedPortfolio(page);
  await signIn(page);
  await page.goto("/risk");
  const section = page.getByRole("region", { name: "Portfolio" });

  const heatmap = section.getByRole("table", { name: "Correlation heat map" });
  await expect(heatmap.getByRole("columnheader")).toHaveCount(10);
  await expect(heatmap.getByRole("rowheader")).toHaveCount(10);
  // The numbers are in the cells (readable without colour): ADA/BTC against itself, and against XLM/BTC.
  const ada = heatmap.getByRole("row", { name: /^ADA\/BTC/ });
  await expect(ada.getByRole("cell").first()).toHaveText("1.00");
  await expect(ada.getByRole("cell").nth(7)).toHaveText(/^0\.\d\d$/);

  await expect(section.getByText("VaR 95% (1 day)")).toBeVisible();
  await expect(section.getByRole("table").filter({ hasText: "Component VaR" }).getByRole("rowheader", { name: "ETH/BTC" })).toBeVisible();
  await expect(section.getByRole("table").filter({ hasText: "Gross exposure" })).toContainText("ADA/BTC, POWR/BTC, XLM/BTC");

  const weights = section.getByRole("table", { name: "Current and target weights" });
  for (const method of ["Risk parity", "Min variance", "Max Sharpe", "Half Kelly"])
    await expect(weights.getByRole("columnheader", { name: method })).toBeVisible();
  await expect(weights.getByRole("rowheader")).toHaveCount(10);
  await expect(
    section
      .getByRole("img", { name: /Current and Risk parity target weights/ })
      .locator(".recharts-bar-rectangle")
      .first(),
  ).toBeVisible();
  await section.getByRole("button", { name: "Min variance" }).click();
  await expect(section.getByRole("img", { name: /Current and Min variance target weights/ })).toBeVisible();
  await expect(section.getByRole("img", { name: /^VaR history/ }).locator(".recharts-line")).toHaveCount(4);
  await screenshots(page, "portfolio-recorded");
  // The page keeps polling: a request still in the route when the test ends must not fail the run.
  await page.unrouteAll({ behavior: "ignoreErrors" });
});

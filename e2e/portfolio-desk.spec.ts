/**
 * The zero-config desk (issue 11, "Done means"): started with nothing configured, it replays ten Bittrex X/BTC pairs
 * with two built-in strategies. This spec measures its first trade against the engine's start (≤ 15 s), waits for
 * positions on at least three symbols, filters Positions by each strategy, checks money is shown at BTC's precision
 * (and equity also in USDT), then takes every page at 390 px (no sideways scroll, the nav folded behind Menu), and
 * finally serves Positions 500 rows on 50 symbols (a fixture inside the real answer) to show paging and filters at scale.
 * Runs on its own server: playwright.portfolio.config.ts. Screenshots go to test-results/screenshots/ and /tmp/shots/.
 */
import { mkdirSync } from "node:fs";
import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";
import { PORTFOLIO_E2E } from "../playwright.portfolio.config";
import { signIn } from "./auth-helpers";
import { apiSignIn, shot, trpcQuery } from "./desk-helpers";

test.skip(({ baseURL }) => baseURL !== PORTFOLIO_E2E.appUrl, "the zero-config desk needs playwright.portfolio.config.ts (npm run test:e2e runs it)");

const SHOTS = "/tmp/shots";
const PAGES = ["/", "/positions", "/orders", "/history", "/risk", "/performance", "/reconciliation", "/notifications", "/audit", "/backtests"];

interface Summary {
  desk: { startedAt: number; firstFillAt: number | null };
  money: { currency: string; equityUsdt: string | null; mark: { pair: string; covers: boolean } | null };
  equity: { equity: string };
}
interface PositionsList {
  positions: { id: string; symbol: string; strategy: string; quantity: string }[];
  facets: { symbols: string[]; strategies: string[]; venues: string[] };
  totals: Record<string, unknown>;
  instruments: { symbol: string }[];
}

async function settled(page: Page): Promise<void> {
  await expect(page.locator("main").getByText("Loading…")).toHaveCount(0);
}

async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${page.url()} is ${overflow}px wider than the viewport`).toBeLessThanOrEqual(0);
}

/**
 * The cells of the positions table's column headed `header`, one per body row; null while the table is not on the page.
 * The live page drops the table whenever no position is open, so the table, its headers and its rows are read in one
 * go: read in steps (columnTexts), the table could go between them.
 */
async function liveColumnTexts(page: Page, header: string): Promise<string[] | null> {
  return page.evaluate((wanted) => {
    const positions = document.querySelector("table.po-table");
    if (!positions) return null;
    // innerText, as columnTexts reads (allInnerTexts): the text a person sees.
    const headers = [...positions.querySelectorAll<HTMLElement>("thead th")].map((th) => th.innerText.trim().toLowerCase());
    const at = headers.indexOf(wanted.toLowerCase());
    if (at < 0) throw new Error(`no "${wanted}" column in ${headers.join(" | ")}`);
    return [...positions.querySelectorAll("tbody tr")].map((row) => ((row.children[at] as HTMLElement | undefined)?.innerText ?? "").trim());
  }, header);
}

/** The cells of the column headed `header`, one per body row. */
async function columnTexts(table: Locator, header: string): Promise<string[]> {
  const headers = (await table.locator("thead th").allInnerTexts()).map((h) => h.trim().toLowerCase());
  const index = headers.indexOf(header.toLowerCase());
  expect(index, `a "${header}" column in ${headers.join(" | ")}`).toBeGreaterThanOrEqual(0);
  return (await table.locator(`tbody tr > :nth-child(${index + 1})`).allInnerTexts()).map((t) => t.trim());
}

async function both(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: shot(name), fullPage: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

const openSymbols = async (request: APIRequestContext) =>
  new Set((await trpcQuery<PositionsList>(request, "positions.list", {})).positions.filter((p) => p.quantity !== "0").map((p) => p.symbol));

test("zero config: a first trade within 15 s of the start, positions on ≥ 3 symbols, Positions filtered by each strategy", async ({ page, request }) => {
  // Three symbols open at once can take a few recorded hours of replay (a bar a second at 300×): wait on the data.
  test.setTimeout(420_000);
  await apiSignIn(request);

  const first = await expect
    .poll(async () => (await trpcQuery<Summary>(request, "overview.summary")).desk.firstFillAt, { timeout: 60_000, intervals: [500] })
    .not.toBeNull()
    .then(() => trpcQuery<Summary>(request, "overview.summary"));
  const delayMs = first.desk.firstFillAt! - first.desk.startedAt;
  console.log(`first trade ${delayMs} ms after the engine started`);
  expect(delayMs, "the first fill after the engine's start").toBeLessThanOrEqual(15_000);
  expect(first.money.currency).toBe("BTC");

  await expect
    .poll(async () => (await openSymbols(request)).size, { timeout: 360_000, intervals: [1_000], message: "open positions on at least 3 symbols" })
    .toBeGreaterThanOrEqual(3);
  // Both strategies have traded today (the Overview's per-strategy rows): attribution is visible.
  await expect
    .poll(
      async () =>
        (await trpcQuery<{ strategies: { strategy: string; signalsAccepted: number }[] }>(request, "overview.summary")).strategies
          .filter((r) => r.signalsAccepted > 0)
          .map((r) => r.strategy)
          .sort(),
      { timeout: 120_000, intervals: [1_000] },
    )
    .toEqual(expect.arrayContaining(["rsi-reversion", "sma-cross"]));

  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page);
  await settled(page);
  // Money at BTC's precision, and equity also in USDT at a recorded mark that says what it is.
  await expect(page.getByText(/^\d+\.\d{8} BTC$/).first()).toBeVisible();
  await expect(page.getByTestId("equity-usdt")).toContainText(/≈ [\d,]+\.\d{2} USDT at BTC\/USDT [\d,]+\.\d{2}/);
  await expect(page.getByTestId("desk-started")).toContainText("first trade");
  await both(page, "ui11-overview-1280");
  // So is the venue's exposure (it was rounded to cents: 0.29979744 BTC showed as 0.30).
  expect(await columnTexts(page.getByRole("table", { name: "Venues" }), "Exposure")).toEqual([expect.stringMatching(/^\d+\.\d{8}$/)]);
  // The per-strategy money too: fees at BTC's precision (they were rounded to cents, 0.00599331 BTC showing as 0.01).
  await page.goto("/strategies");
  const strategyPnl = page.getByRole("table", { name: "PnL per strategy" });
  await expect(strategyPnl.getByRole("row").filter({ hasText: "sma-cross" })).toBeVisible();
  const fees = await columnTexts(strategyPnl, "Fees");
  expect(fees.length).toBeGreaterThan(0);
  for (const fee of fees) expect(fee).toMatch(/^\d+\.\d{8}$/);

  await page.goto("/positions");
  await settled(page);
  // The strategies open and close all the time: wait until the page itself shows three symbols at once (it updates live).
  const symbolsShown = async () => new Set((await liveColumnTexts(page, "Symbol")) ?? []).size;
  await expect.poll(symbolsShown, { timeout: 240_000, intervals: [500] }).toBeGreaterThanOrEqual(3);
  await both(page, "ui11-positions-1280");

  // The select offers the strategies that hold positions now (its options come from the data): filter by each.
  const select = page.getByRole("combobox", { name: "Strategy" });
  const offered = (await select.locator("option").evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value))).filter((v) => v !== "");
  expect(offered.length).toBeGreaterThan(0);
  expect(
    offered.every((s) => ["sma-cross", "rsi-reversion"].includes(s)),
    offered.join(", "),
  ).toBe(true);
  for (const strategy of offered) {
    await select.selectOption(strategy);
    await expect(page).toHaveURL(new RegExp(`strategy=${strategy}`));
    await settled(page);
    // Every row left is that strategy's (a close between polls may empty the table: then it says so).
    await expect
      .poll(async () => {
        if ((await page.getByText("No open positions match these filters.").count()) > 0) return true;
        const strategies = await liveColumnTexts(page, "Strategy");
        return strategies !== null && strategies.length > 0 && strategies.every((s) => s === strategy);
      })
      .toBe(true);
    await both(page, `ui11-positions-${strategy}`);
  }
  await select.selectOption("");
  await expect(page).not.toHaveURL(/strategy=/);
});

test("every page at 390 px: nothing wider than the phone, the nav folds behind Menu", async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page);
  for (const path of PAGES) {
    await page.goto(path);
    await settled(page);
    await expectNoSidewaysScroll(page);
    await both(page, `ui11-phone${path === "/" ? "-overview" : path.replace(/\//g, "-")}`);
  }
  const menu = page.getByRole("button", { name: /Backtests/ });
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await expect(page.getByRole("link", { name: "Positions", exact: true })).toBeHidden();
  await menu.click();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  await page.getByRole("link", { name: "Positions", exact: true }).click();
  await expect(page).toHaveURL(/\/positions/);
  await expect(page.getByRole("button", { name: /Positions/ })).toHaveAttribute("aria-expanded", "false");
});

/** 50 symbols × 10 positions, two strategies, cloned from a real row so every field has the server's shape. */
function atScale(real: PositionsList, input: { symbol?: string; strategy?: string }): PositionsList {
  const template = real.positions[0]!;
  const symbols = Array.from({ length: 50 }, (_, i) => `C${String(i + 1).padStart(2, "0")}/BTC`);
  const strategies = ["sma-cross", "rsi-reversion"];
  const all = Array.from({ length: 500 }, (_, i) => ({ ...template, id: `scale-${i + 1}`, symbol: symbols[i % 50]!, strategy: strategies[i % 2]! }));
  const positions = all.filter((p) => (!input.symbol || p.symbol === input.symbol) && (!input.strategy || p.strategy === input.strategy));
  const instrument = real.instruments[0]!;
  return {
    ...real,
    positions,
    totals: { ...real.totals, count: positions.length, long: positions.length, short: 0 },
    instruments: symbols.map((symbol) => ({ ...instrument, symbol })),
    facets: { ...real.facets, symbols, strategies },
  };
}

test("500 positions on 50 symbols: 50 rows a page, filters usable, at 1280 and 390 px", async ({ page, request }) => {
  test.setTimeout(120_000);
  await apiSignIn(request);
  // A real answer with a row to clone (the desk is flat now and then): the fixture keeps the server's shapes.
  let template: PositionsList | null = null;
  await expect
    .poll(
      async () => {
        const list = await trpcQuery<PositionsList>(request, "positions.list", {});
        if (list.positions.length > 0 && list.instruments.length > 0) template = list;
        return template !== null;
      },
      { timeout: 120_000, intervals: [500] },
    )
    .toBe(true);
  await page.route("**/api/trpc/**", async (route) => {
    const url = new URL(route.request().url());
    const paths = decodeURIComponent(url.pathname.replace(/^\/api\/trpc\//, "")).split(",");
    if (!paths.includes("positions.list")) return route.continue();
    const inputs = JSON.parse(url.searchParams.get("input") ?? "{}") as Record<string, { json?: { symbol?: string; strategy?: string } }>;
    const response = await route.fetch();
    const body = (await response.json()) as unknown;
    const batched = Array.isArray(body);
    const items = (batched ? body : [body]) as { result?: { data?: { json: PositionsList } } }[];
    paths.forEach((p, i) => {
      // Every answer is replaced, empty ones too: the server has no C07/BTC to filter by.
      const real = template;
      if (p === "positions.list" && items[i]?.result && real) {
        // Batched calls send {"0": {json}, "1": …}; a single call sends {json}.
        const input = (url.searchParams.has("batch") ? inputs[String(i)] : (inputs as { json?: { symbol?: string; strategy?: string } }))?.json ?? {};
        items[i] = { result: { data: { json: atScale(real, input) } } };
      }
    });
    await route.fulfill({ response, json: batched ? items : items[0] });
  });
  try {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      if (width === 1280) await signIn(page);
      await page.goto("/positions");
      await settled(page);
      const pager = page.getByRole("navigation", { name: "open positions pages" });
      await expect(pager).toContainText("Rows 1–50 of 500");
      await expect(page.locator("table.po-table tbody tr")).toHaveCount(50);
      await expectNoSidewaysScroll(page);
      await both(page, `ui11-scale-positions-${width}`);
      await pager.getByRole("button", { name: "Next page of open positions" }).click();
      await expect(pager).toContainText("Rows 51–100 of 500");
      // Filters over 50 symbols: a symbol narrows to its 10 rows (no pager), a strategy to 250 (5 pages).
      const symbol = page.getByRole("combobox", { name: "Symbol" });
      await expect(symbol.locator("option")).toHaveCount(51);
      await symbol.selectOption("C07/BTC");
      await expect(page).toHaveURL(/symbol=C07/);
      await expect(page.locator("table.po-table tbody tr")).toHaveCount(10);
      await expect(page.getByRole("navigation", { name: "open positions pages" })).toHaveCount(0);
      await symbol.selectOption("");
      // Each filter rewrites the URL from the one before: wait for it (as a person would) before the next.
      await expect(page).not.toHaveURL(/symbol=/);
      await expect(pager).toContainText("of 500");
      await page.getByRole("combobox", { name: "Strategy" }).selectOption("rsi-reversion");
      await expect(page).toHaveURL(/strategy=rsi-reversion/);
      await expect(pager).toContainText("of 250");
      expect(new Set(await columnTexts(page.locator("table.po-table"), "Strategy"))).toEqual(new Set(["rsi-reversion"]));
      await expectNoSidewaysScroll(page);
      await page.getByRole("combobox", { name: "Strategy" }).selectOption("");
      await expect(page).not.toHaveURL(/strategy=/);
    }
  } finally {
    // The page keeps polling: a request still in the route when the test ends must not fail the run.
    await page.unrouteAll({ behavior: "ignoreErrors" });
  }
});

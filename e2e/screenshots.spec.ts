/**
 * A screenshot of every page with something on it (a few closed trades, a live position, a resting order, a
 * backtest run), saved under test-results/screenshots/: overview, positions, orders, an order's detail, history, a
 * trade's detail, risk, performance, reconciliation, audit, backtests, a backtest's report, sign-in, and the overview at phone
 * width. Runs last (file order); docs/screenshots/ holds copies of a few for the README.
 */
import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./auth-helpers";
import { apiSignIn, calmExitRules, closeLong, openLong, restingLimit, shot, trpcMutation } from "./desk-helpers";

/** Waits until nothing on the page says "Loading…" (and a chart has drawn, when the page has one), then takes a full-page screenshot. */
async function capture(page: Page, name: string, options: { chart?: boolean } = {}): Promise<void> {
  const main = page.locator("main");
  await expect(main.getByText("Loading…")).toHaveCount(0);
  if (options.chart) await expect(main.locator(".recharts-surface").first()).toBeVisible();
  await expect(page.locator(".stale-banner")).toHaveCount(0);
  await page.screenshot({ path: shot(name), fullPage: true });
}

test("screenshots of every page", async ({ page, request, browser }) => {
  test.setTimeout(120_000);
  await apiSignIn(request);
  await calmExitRules(request);

  // A short history: three round trips through the webhook, then a position left open and a resting order.
  for (let i = 0; i < 3; i++) {
    await openLong(request);
    await closeLong(request);
  }
  await openLong(request);
  const orderId = await restingLimit(request);

  await page.setViewportSize({ width: 1440, height: 900 });
  await signIn(page);

  // Overview: the live position on it, the equity chart drawn.
  // The strategy's long and the person's resting entry (a `manual` position of its own).
  await expect(page.getByRole("region", { name: "Open positions" }).locator("tbody tr")).toHaveCount(2);
  await expect(page.getByRole("region", { name: "Market data" })).toContainText("replaying BTC/USDT");
  await capture(page, "overview", { chart: true });

  await page.goto("/positions");
  await expect(page.locator("table.po-table tbody tr")).toHaveCount(2);
  await capture(page, "positions");

  await page.goto("/orders");
  await expect(page.getByRole("region", { name: /^Open orders/ }).locator("tbody tr")).toHaveCount(1);
  await capture(page, "orders");

  await page.goto(`/orders/${encodeURIComponent(orderId)}`);
  await expect(
    page
      .getByRole("region", { name: /^Timeline/ })
      .locator("tbody tr")
      .first(),
  ).toBeVisible();
  await capture(page, "order-detail");

  await page.goto("/history");
  await expect(page.locator("table.history-table tbody tr").first()).toBeVisible();
  await expect(page.getByLabel("Totals for the filtered trades")).toBeVisible();
  await capture(page, "history");

  await page
    .locator("table.history-table tbody tr")
    .first()
    .getByRole("link", { name: /^Detail of trade/ })
    .click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Trade BTC/USDT");
  await capture(page, "trade-detail");

  await page.goto("/risk");
  await expect(page.getByRole("heading", { name: "Risk", level: 1 })).toBeVisible();
  await capture(page, "risk");

  await page.goto("/performance");
  await expect(page.getByRole("heading", { name: "Performance", level: 1 })).toBeVisible();
  await capture(page, "performance", { chart: true });

  await page.goto("/reconciliation");
  await expect(page.getByRole("heading", { name: "Reconciliation", level: 1 })).toBeVisible();
  await capture(page, "reconciliation");

  await page.goto("/audit");
  await expect(page.locator("table.audit-table tbody tr").first()).toBeVisible();
  await capture(page, "audit");

  // Backtests: run one on the shipped 5-minute file from the form, then open its report.
  await page.goto("/backtests");
  const form = page.getByRole("form", { name: "Run a backtest" });
  await form.getByRole("button", { name: "Run backtest" }).click();
  const done = page.getByRole("status").filter({ hasText: "Open the report" });
  await expect(done).toBeVisible({ timeout: 30_000 });
  await capture(page, "backtests");
  const runId = /Backtest (bt-\S+?):/.exec((await done.textContent()) ?? "")?.[1];
  expect(runId, "the run's id in the form's answer").toBeTruthy();
  await done.getByRole("link", { name: /Open the report/ }).click();
  await expect(page).toHaveURL(new RegExp(`/backtests/${runId}$`));
  await expect(page.getByRole("heading", { level: 1 })).toContainText(runId!);
  await expect(page.locator(".stat").filter({ hasText: "Final equity" })).toBeVisible();
  await capture(page, "backtest-detail", { chart: true });

  // The overview at phone width.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/");
  // The strategy's long and the person's resting entry (a `manual` position of its own).
  await expect(page.getByRole("region", { name: "Open positions" }).locator("tbody tr")).toHaveCount(2);
  await capture(page, "overview-phone", { chart: true });

  // The sign-in page, without a session.
  const visitor = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const signin = await visitor.newPage();
  await signin.goto("/signin");
  await expect(signin.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await signin.screenshot({ path: shot("signin"), fullPage: true });
  await visitor.close();

  // The pages issue 9 changed, at a laptop's and a phone's width (the LIVE run adds them with an order in doubt).
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    for (const [path, name] of [
      ["/", "overview"],
      ["/orders", "orders"],
      ["/reconciliation", "reconciliation"],
    ] as const) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await capture(page, `${name}-${width}`);
    }
    const guest = await browser.newContext({ viewport: { width, height: 900 } });
    const door = await guest.newPage();
    await door.goto("/signin");
    await expect(door.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await door.screenshot({ path: shot(`signin-${width}`), fullPage: true });
    // A refused sign-in (a viewer's made-up name, so the admin's attempts are not counted against it).
    await door.getByLabel("Username").fill(`nobody${width}`);
    await door.getByLabel("Password").fill("not the password at all");
    await door.getByRole("button", { name: "Sign in" }).click();
    await expect(door.locator("p.signin-error")).toBeVisible(); // (Next.js route announcer is an empty alert too)
    await door.screenshot({ path: shot(`signin-refused-${width}`), fullPage: true });
    await guest.close();
  }

  await trpcMutation(request, "positions.closeAll", { reason: "e2e: screenshots taken" });
  await trpcMutation(request, "orders.cancelAll", { reason: "e2e: screenshots taken" });
});

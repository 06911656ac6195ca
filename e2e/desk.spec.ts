/**
 * The desk end to end, in order, on one fresh server (replay feed, the built-in strategy off, positions opened by
 * webhook signals): live positions, close → History, cancel an order, emergency stop → HALTED, reset as admin,
 * and a viewer who can change nothing. Every step clicks the real buttons and checks the UI and the API.
 */
import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./auth-helpers";
import {
  acceptedSignal,
  apiSignIn,
  calmExitRules,
  confirmDialog,
  E2E_VIEWER,
  markPrice,
  openLong,
  postSignal,
  restingLimit,
  shot,
  trpcMutation,
  trpcQuery,
} from "./desk-helpers";

test.describe.configure({ mode: "serial" });

interface PositionList {
  positions: { id: string; symbol: string; side: string; venue: string }[];
}

const positionsTable = (page: Page) => page.getByRole("region", { name: /^Open positions/ }).locator("tbody tr");

test("the replay feed is live on the overview", async ({ page, request }) => {
  await apiSignIn(request);
  await calmExitRules(request);
  await signIn(page);
  const feed = page.getByRole("region", { name: "Market data" });
  await expect(feed).toContainText("replaying BTC/USDT");
  await expect(feed.getByText("LIVE", { exact: true })).toBeVisible();
  // The candle counter moves on its own: the page is fed, not a still picture.
  const before = (await feed.locator("p").first().textContent()) ?? "";
  await expect(feed.locator("p").first()).not.toHaveText(before, { timeout: 15_000 });
});

test("a webhook BUY appears on the Positions page without a reload, and on the overview", async ({ page, request }) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Desk" }).getByRole("link", { name: "Positions" }).click();
  await expect(page.getByRole("heading", { name: "Positions", level: 1 })).toBeVisible();
  await expect(page.getByText("No open positions.")).toBeVisible();

  await acceptedSignal(request, "BUY");

  // Pushed by the live SSE stream: the same page, no navigation.
  const rows = positionsTable(page);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("BTC/USDT");
  await expect(rows.first()).toContainText("LONG");
  await expect(page.getByRole("button", { name: /^Close BTC\/USDT long pos/ })).toBeEnabled();

  await page.getByRole("navigation", { name: "Desk" }).getByRole("link", { name: "Overview" }).click();
  const overviewPositions = page.getByRole("region", { name: "Open positions" });
  await expect(overviewPositions.locator("tbody tr")).toHaveCount(1);
  await expect(overviewPositions).toContainText("BTC/USDT");
});

test("closing it from the Positions page puts it in History with exit reason manual", async ({ page, request }) => {
  await apiSignIn(request);
  const [position] = (await trpcQuery<PositionList>(request, "positions.list")).positions;
  expect(position, "the previous test's position").toBeDefined();

  await signIn(page);
  await page.goto("/positions");
  await page.getByRole("button", { name: `Close BTC/USDT long ${position!.id}`, exact: true }).click();
  await confirmDialog(page, "Close BTC/USDT long", "Close at market", "e2e: take it off");
  await expect(page.getByText("No open positions.")).toBeVisible();

  await page.getByRole("navigation", { name: "Desk" }).getByRole("link", { name: "History" }).click();
  const row = page.locator("table.history-table tbody tr").first();
  await expect(row).toContainText("BTC/USDT");
  await expect(row).toContainText("Manual");

  await row.getByRole("link", { name: /^Detail of trade/ }).click();
  // The venue it traded on is part of the title (the desk's one venue here).
  await expect(page.getByRole("heading", { level: 1 })).toContainText(`Trade BTC/USDT on ${position!.venue} LONG`);
  await expect(page.locator(".stat").filter({ hasText: "Exit reason" })).toContainText("Manual");
  await expect(page.getByRole("region", { name: /^Fills \(/ }).locator("tbody tr")).toHaveCount(2);

  // The API agrees: the newest trade left for a manual reason.
  const trades = await trpcQuery<{ rows: { positionId: string; exitReason: string }[] }>(request, "trades.list", {
    sort: { by: "exitTime", dir: "desc" },
    pageSize: 5,
    withTotals: false,
  });
  expect(trades.rows[0]).toMatchObject({ positionId: position!.id, exitReason: "manual" });
});

test("a resting limit order placed from the Orders page is canceled from the open orders table", async ({ page, request }) => {
  await apiSignIn(request);
  const limit = String(Math.floor((await markPrice(request)) * 0.7));

  await signIn(page);
  await page.goto("/orders");
  await expect(page.getByText("No working orders.")).toBeVisible();
  const form = page.getByRole("region", { name: "Place order" });
  await form.getByLabel("Type").selectOption("LIMIT");
  await form.getByLabel(/^Quantity/).fill("0.002");
  await form.getByLabel(/^Limit price/).fill(limit);
  await form.getByRole("button", { name: "Review buy order" }).click();
  await confirmDialog(page, "Send this order?", "Send buy order", "e2e: resting bid");

  const open = page.getByRole("region", { name: /^Open orders/ });
  const row = open.locator("tbody tr");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("ACCEPTED");
  const clientOrderId = ((await row.locator("td").nth(1).textContent()) ?? "").trim();
  expect(clientOrderId).not.toBe("");

  await open.getByRole("button", { name: `Cancel order ${clientOrderId}` }).click();
  await confirmDialog(page, `Cancel order ${clientOrderId}`, "Cancel order", "e2e: no longer wanted");
  await expect(open.getByText("No working orders.")).toBeVisible();
  const all = page.getByRole("region", { name: "All orders" });
  await expect(all.locator("tbody tr").filter({ hasText: clientOrderId })).toContainText("CANCELED");

  const detail = await trpcQuery<{ order: { status: string } }>(request, "orders.detail", { clientOrderId });
  expect(detail.order.status).toBe("CANCELED");

  await all.getByRole("link", { name: clientOrderId }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(clientOrderId);
  const timeline = page.getByRole("region", { name: /^Timeline/ });
  const events = timeline.locator("tbody tr");
  await expect(events.filter({ hasText: "Intent journaled" })).toHaveCount(1);
  await expect(events.filter({ hasText: "Accepted" })).toHaveCount(1);
  await expect(events.filter({ hasText: "Cancel requested" })).toHaveCount(1);
  await expect(events.filter({ has: page.getByRole("cell", { name: "Canceled", exact: true }) })).toHaveCount(1);
});

test("EMERGENCY STOP halts the desk: HALTED, breaker tripped, no open orders, new signals refused", async ({ page, request }) => {
  await apiSignIn(request);
  await openLong(request);
  await restingLimit(request);

  await signIn(page);
  await page.goto("/orders");
  await expect(page.getByRole("region", { name: /^Open orders/ }).locator("tbody tr")).toHaveCount(1);
  await expect(page.getByLabel("trading state").first()).toHaveText("ACTIVE");
  await expect(page.getByLabel("breaker status")).toHaveText("BREAKER OK");

  await page.getByRole("button", { name: "EMERGENCY STOP" }).click();
  await confirmDialog(page, "Emergency stop", "Stop everything", "e2e: venue looks wrong");

  await expect(page.getByLabel("trading state").first()).toHaveText("HALTED");
  const breaker = page.getByLabel("breaker status");
  await expect(breaker).toContainText("TRIPPED");
  await expect(breaker).toHaveClass(/\bopen\b/);
  // Red: the tripped badge is filled with the theme's red (a closed breaker is a green outline).
  const background = await breaker.evaluate((el) => getComputedStyle(el).backgroundColor);
  const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
  expect(r!, `breaker badge background ${background}`).toBeGreaterThan(Math.max(g!, b!) + 60);
  await expect(page.getByRole("region", { name: /^Open orders/ }).getByText("No working orders.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Reset breaker" })).toBeVisible();

  // Flattened too: no open position left.
  await expect.poll(async () => (await trpcQuery<PositionList>(request, "positions.list")).positions.length).toBe(0);

  const res = await postSignal(request, "BUY");
  expect(res.status()).toBe(422);
  expect(await res.json()).toMatchObject({ status: "DENIED", error: "TRADING_HALTED" });

  await page.goto("/");
  await expect(page.getByLabel("trading state").first()).toHaveText("HALTED");
  await page.screenshot({ path: shot("overview-halted"), fullPage: true });
});

test("an admin resets the breaker with a reason; the Audit page records the stop and the reset", async ({ page }) => {
  await signIn(page);
  await expect(page.getByLabel("trading state").first()).toHaveText("HALTED");
  await page.getByRole("button", { name: "Reset breaker" }).click();
  await confirmDialog(page, "Reset the breaker", "Reset", "e2e: checked, safe to trade");
  await expect(page.getByLabel("trading state").first()).toHaveText("ACTIVE");
  await expect(page.getByLabel("breaker status")).toHaveText("BREAKER OK");
  await expect(page.getByRole("button", { name: "Reset breaker" })).toHaveCount(0);

  await page.getByRole("navigation", { name: "Desk" }).getByRole("link", { name: "Audit" }).click();
  const rows = page.locator("table.audit-table tbody tr");
  const stop = rows.filter({ hasText: "emergency_stop" }).first();
  await expect(stop).toContainText("admin");
  await expect(stop).toContainText("e2e: venue looks wrong");
  await expect(stop).toContainText("OK");
  const reset = rows.filter({ hasText: "reset_breaker" }).first();
  await expect(reset).toContainText("admin");
  await expect(reset).toContainText("e2e: checked, safe to trade");
  await expect(reset).toContainText("OK");
});

test("a viewer sees the desk without a single control, and the API answers FORBIDDEN", async ({ page, request }) => {
  // As admin over the API: the viewer account, and something to act on (a position and a resting order).
  await apiSignIn(request);
  try {
    await trpcMutation(request, "auth.users.create", { username: E2E_VIEWER.username, password: E2E_VIEWER.password, role: "viewer" });
  } catch (e) {
    if (!/exists|taken/i.test(String(e))) throw e;
  }
  await openLong(request);
  await restingLimit(request);

  await signIn(page, E2E_VIEWER.username, E2E_VIEWER.password);
  await expect(page.getByLabel("signed in as")).toContainText("viewer");
  // The strategy's filled long and the person's resting entry, which is the person's own (`manual`) position.
  const openRows = page.getByRole("region", { name: "Open positions" }).locator("tbody tr");
  await expect(openRows).toHaveCount(2);
  await expect(openRows.filter({ hasText: "manual" })).toHaveCount(1);
  const noControls = async () => {
    await expect(page.getByRole("button", { name: "EMERGENCY STOP" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: /^(Pause entries|Trip breaker|Reset breaker|Resume)$/ })).toHaveCount(0);
    await expect(page.getByRole("button", { name: /^(Close|Partial|Cancel)/ })).toHaveCount(0);
  };
  await noControls();

  await page.goto("/positions");
  await expect(positionsTable(page)).toHaveCount(2);
  await noControls();
  await expect(page.getByRole("button", { name: "Close all" })).toHaveCount(0);

  await page.goto("/orders");
  await expect(page.getByRole("region", { name: /^Open orders/ }).locator("tbody tr")).toHaveCount(1);
  await noControls();
  await expect(page.getByRole("region", { name: "Place order" })).toHaveCount(0);

  // Every other page: read-only as well (no edit, run or reset buttons either).
  for (const [path, heading] of [
    ["/history", "History"],
    ["/risk", "Risk"],
    ["/performance", "Performance"],
    ["/reconciliation", "Reconciliation"],
    ["/audit", "Audit log"],
    ["/backtests", "Backtests"],
  ] as const) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
    await expect(page.locator("main").getByText("Loading…")).toHaveCount(0);
    await noControls();
    await expect(page.locator("main").getByRole("button", { name: /^(Edit|Run backtest|Save|Reset|Adopt|Acknowledge)/ })).toHaveCount(0);
  }
  await expect(page.getByText("Starting a backtest needs the trader role")).toBeVisible();

  // The server refuses too, whatever the UI shows: the viewer's own session cookie on a trader mutation.
  const res = await page.request.post("/api/trpc/breaker.emergencyStop", { data: { json: { reason: "x-viewer", flatten: true } } });
  expect(res.status()).toBe(403);
  const body = (await res.json()) as { error: { json: { message: string; data: { code: string } } } };
  expect(body.error.json.data.code).toBe("FORBIDDEN");
  const close = await page.request.post("/api/trpc/positions.closeAll", { data: { json: { reason: "viewer tries" } } });
  expect(close.status()).toBe(403);

  // Nothing changed: still ACTIVE, the strategy's position and the person's resting entry (its own position) still there.
  const status = await trpcQuery<{ tradingState: string }>(request, "breaker.status");
  expect(status.tradingState).toBe("ACTIVE");
  expect((await trpcQuery<PositionList>(request, "positions.list")).positions).toHaveLength(2);

  // Tidy up for the specs that follow (as admin).
  await trpcMutation(request, "positions.closeAll", { reason: "e2e: tidy up" });
  await trpcMutation(request, "orders.cancelAll", { reason: "e2e: tidy up" });
});

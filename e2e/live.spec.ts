/**
 * LIVE mode end to end (playwright.live.config.ts): the app trades on the Binance-compatible test exchange through
 * ccxt. Sign in, see the LIVE banner and the venue connected, send a BUY signal through the webhook, see the
 * position, close it from the Positions page, pull the emergency stop and see HALTED with no open orders — in the
 * books and at the exchange.
 */
import { createHmac } from "node:crypto";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { LIVE_E2E } from "../playwright.live.config";
import { signIn } from "./auth-helpers";
import { confirmDialog } from "./desk-helpers";

// playwright.config.ts's run (replay mode) also finds this file: it runs only against the live config's app.
test.skip(({ baseURL }) => baseURL !== LIVE_E2E.appUrl, "LIVE mode needs playwright.live.config.ts (npm run test:e2e runs both)");
test.describe.configure({ mode: "serial" });

/** A tRPC mutation over HTTP (superjson's envelope), with the signed-in browser's session cookie. */
async function trpcMutation(request: APIRequestContext, path: string, input: unknown): Promise<Record<string, unknown>> {
  const res = await request.post(`/api/trpc/${path}`, { data: { json: input } });
  const body = (await res.json()) as { result?: { data?: { json?: Record<string, unknown> } }; error?: { json?: { message?: string } } };
  if (!res.ok()) throw new Error(`${path} failed (${res.status()}): ${body.error?.json?.message ?? JSON.stringify(body)}`);
  return body.result?.data?.json ?? {};
}

/** An order placed at the exchange behind Bastion's back (as on the exchange's web site): a signed Binance request. */
async function placeAtExchange(request: APIRequestContext, params: Record<string, string>): Promise<void> {
  const query = new URLSearchParams({ ...params, recvWindow: "10000", timestamp: String(Date.now()) }).toString();
  const signature = createHmac("sha256", LIVE_E2E.apiSecret).update(query).digest("hex");
  const res = await request.post(`${LIVE_E2E.exchangeUrl}/api/v3/order?${query}&signature=${signature}`, { headers: { "X-MBX-APIKEY": LIVE_E2E.apiKey } });
  expect(res.status(), await res.text()).toBe(200);
}

/** Open orders as the exchange itself counts them (the test server's admin endpoint). */
async function exchangeOpenOrders(request: APIRequestContext): Promise<number> {
  const res = await request.get(`${LIVE_E2E.exchangeUrl}/__admin/state`);
  return ((await res.json()) as { openOrders: number }).openOrders;
}

test("GET /api/health: live mode, the engine running, the venue binance connected", async ({ request }) => {
  await expect
    .poll(
      async () => {
        const body = (await (await request.get("/api/health")).json()) as {
          mode: string;
          engine: { running: boolean; error: string | null };
          venue: { id: string; connected: boolean } | null;
        };
        return { mode: body.mode, running: body.engine.running, error: body.engine.error, venue: body.venue?.id, connected: body.venue?.connected };
      },
      { timeout: 60_000 },
    )
    .toEqual({ mode: "live", running: true, error: null, venue: "binance", connected: true });
});

/** The test exchange's admin endpoint (test/binance-test-server/server.ts): one-shot faults and its state. */
async function exchangeAdmin(request: APIRequestContext, method: "POST" | "DELETE", path: string, data?: unknown): Promise<void> {
  const res = await request.fetch(`${LIVE_E2E.exchangeUrl}/__admin/${path}`, { method, ...(data !== undefined ? { data } : {}) });
  expect(res.status(), await res.text()).toBe(200);
}

async function exchangeRequests(request: APIRequestContext, endpoint: string): Promise<number> {
  const res = await request.get(`${LIVE_E2E.exchangeUrl}/__admin/state`);
  return ((await res.json()) as { requests: Record<string, number> }).requests[endpoint] ?? 0;
}

/** A LIMIT BUY far below the market (it rests), placed through the Orders page's form; returns its clientOrderId. */
async function placeRestingBuyByHand(page: Page, reason: string): Promise<string> {
  await page.goto("/orders");
  const open = page.getByRole("region", { name: /^Open orders/ });
  const before = new Set((await open.locator("tbody tr td:nth-child(2)").allTextContents()).map((t) => t.trim()));
  const form = page.getByRole("region", { name: "Place order" });
  await form.getByLabel("Type").selectOption("LIMIT");
  await form.getByLabel(/^Quantity/).fill("0.002");
  await form.getByLabel(/^Limit price/).fill("10000");
  await form.getByRole("button", { name: "Review buy order" }).click();
  await confirmDialog(page, "Send this order?", "Send buy order", reason);
  await expect(form.getByRole("status")).toContainText(/./);
  let coid = "";
  await expect
    .poll(async () => {
      const ids = (await open.locator("tbody tr td:nth-child(2)").allTextContents()).map((t) => t.trim());
      coid = ids.find((id) => id !== "" && !before.has(id)) ?? "";
      return coid;
    })
    .not.toBe("");
  return coid;
}

/** The audit log's rows for one action on one target (the Audit page, filtered by action). */
async function auditRows(page: Page, action: string, target: string) {
  await page.goto("/audit");
  const entries = page.getByRole("region", { name: "Entries" });
  await entries.getByLabel("Action").selectOption(action);
  return entries.locator("tbody tr").filter({ hasText: target });
}

test("a manual order the exchange answers 'status unknown' (-1007) for: IN DOUBT, never re-sent; a trader marks it not placed, and a retried confirm acts once", async ({
  page,
}) => {
  await signIn(page);
  await expect(page.getByLabel("trading state").first()).toHaveText("ACTIVE");
  await exchangeAdmin(page.request, "DELETE", "faults");
  const postsBefore = await exchangeRequests(page.request, "POST /api/v3/order");
  // Binance's -1007 "execution status unknown", and the exchange never executes it.
  await exchangeAdmin(page.request, "POST", "faults", { endpoint: "POST /api/v3/order", kind: "statusUnknownNotExecuted" });
  const coid = await placeRestingBuyByHand(page, "e2e: the answer will be lost");

  const row = page
    .getByRole("region", { name: /^Open orders/ })
    .locator("tbody tr")
    .filter({ hasText: coid });
  await expect(row.getByText("IN DOUBT", { exact: true })).toBeVisible();
  await expect(row).toContainText("SUBMITTED");
  await expect(page.getByText(/1 order\(s\) in doubt/)).toBeVisible();

  // The Reconciliation page lists it; after three lookups that found nothing it needs a person.
  await page.goto("/reconciliation");
  const doubts = page.getByRole("region", { name: /^Orders in doubt/ });
  const doubtRow = doubts.locator("tbody tr").filter({ hasText: coid });
  await expect(doubtRow.getByText("NEEDS A PERSON")).toBeVisible({ timeout: 30_000 });
  await expect(doubtRow).toContainText("TIMEOUT");

  // Mark it not placed. The first confirm's answer is lost on the way back (the server acted); the trader confirms
  // again in the same dialog: the same idempotency key gets the first answer, and the order is not settled twice.
  let lost = 0;
  await page.route("**/api/trpc/reconciliation.markNotPlaced**", async (route) => {
    if (lost > 0) return route.continue();
    lost++;
    await route.fetch();
    await route.abort("connectionreset");
  });
  await doubtRow.getByRole("button", { name: `Mark order ${coid} not placed` }).click();
  const dialog = page.getByRole("dialog", { name: `Mark order ${coid} not placed` });
  await dialog.getByLabel("Reason").fill("e2e: checked the exchange's order history");
  await dialog.getByRole("button", { name: "Mark not placed", exact: true }).click();
  await expect(dialog.getByRole("alert")).toBeVisible();
  await dialog.getByRole("button", { name: "Mark not placed", exact: true }).click();
  await expect(dialog).toBeHidden();
  await page.unroute("**/api/trpc/reconciliation.markNotPlaced**");
  await expect(doubts.getByRole("status")).toContainText(coid);
  await expect(doubts.getByText("None: the venue answered for every order.")).toBeVisible();

  // The order ended REJECTED (never placed), it was sent to the exchange once, and nothing rests there.
  await page.goto("/orders");
  await expect(page.getByRole("region", { name: "All orders" }).locator("tbody tr").filter({ hasText: coid })).toContainText("REJECTED");
  await expect(
    page
      .getByRole("region", { name: /^Open orders/ })
      .locator("tbody tr")
      .filter({ hasText: coid }),
  ).toHaveCount(0);
  expect(await exchangeRequests(page.request, "POST /api/v3/order")).toBe(postsBefore + 1);
  expect(await exchangeOpenOrders(page.request)).toBe(0);

  // The audit log shows the trader's decision once, with the reason.
  const audited = await auditRows(page, "in_doubt_not_placed", coid);
  await expect(audited).toHaveCount(1);
  await expect(audited).toContainText("checked the exchange's order history");
  await expect(audited).toContainText("OK");
});

test("an order the exchange placed after answering 'status unknown', while lookups failed: a trader adopts what the venue shows", async ({ page }) => {
  await signIn(page);
  await exchangeAdmin(page.request, "DELETE", "faults");
  const postsBefore = await exchangeRequests(page.request, "POST /api/v3/order");
  // -1007, and the exchange places the order 1 s later; lookups by clientOrderId answer 503 until the faults are cleared.
  await exchangeAdmin(page.request, "POST", "faults", { endpoint: "POST /api/v3/order", kind: "statusUnknown", delayMs: 1000 });
  await exchangeAdmin(page.request, "POST", "faults", { endpoint: "GET /api/v3/order", kind: "unavailable", times: 1000 });
  const coid = await placeRestingBuyByHand(page, "e2e: placed late");
  await expect.poll(() => exchangeOpenOrders(page.request)).toBe(1);
  await expect(
    page
      .getByRole("region", { name: /^Open orders/ })
      .locator("tbody tr")
      .filter({ hasText: coid })
      .getByText("IN DOUBT", { exact: true }),
  ).toBeVisible();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: "test-results/screenshots/live-orders-in-doubt-1280.png", fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: "test-results/screenshots/live-orders-in-doubt-390.png", fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.goto("/reconciliation");
  const doubts = page.getByRole("region", { name: /^Orders in doubt/ });
  const doubtRow = doubts.locator("tbody tr").filter({ hasText: coid });
  // Lookups go 1 s, 2 s, 4 s, 8 s, 16 s apart: right after the fourth one the next is 16 s away, and scheduled
  // reconciliation leaves orders younger than 30 s alone. So the trader's adopt, not an automatic lookup, finds it.
  await expect(doubtRow.locator("td.num")).toHaveText(/^[4-9]$/, { timeout: 40_000 });
  await page.screenshot({ path: "test-results/screenshots/live-reconciliation-in-doubt-1280.png", fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: "test-results/screenshots/live-reconciliation-in-doubt-390.png", fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await exchangeAdmin(page.request, "DELETE", "faults");
  await doubtRow.getByRole("button", { name: `Adopt what the venue shows for order ${coid}` }).click();
  await confirmDialog(page, `Adopt order ${coid} as the venue shows it`, "Look up and adopt", "e2e: it is on the exchange");
  await expect(doubts.getByRole("status")).toContainText(`Order ${coid} adopted`);
  await expect(doubts.getByText("None: the venue answered for every order.")).toBeVisible();

  // Now an ordinary resting order; it was sent once. Cancel it, so the next test starts with nothing open.
  await page.goto("/orders");
  const open = page.getByRole("region", { name: /^Open orders/ });
  const row = open.locator("tbody tr").filter({ hasText: coid });
  await expect(row).toContainText("ACCEPTED");
  await expect(row.getByText("IN DOUBT", { exact: true })).toHaveCount(0);
  expect(await exchangeRequests(page.request, "POST /api/v3/order")).toBe(postsBefore + 1);
  await open.getByRole("button", { name: `Cancel order ${coid}` }).click();
  await confirmDialog(page, `Cancel order ${coid}`, "Cancel order", "e2e: done with it");
  await expect(row).toHaveCount(0);
  await expect.poll(() => exchangeOpenOrders(page.request)).toBe(0);

  const audited = await auditRows(page, "in_doubt_adopt", coid);
  await expect(audited).toHaveCount(1);
  await expect(audited).toContainText("it is on the exchange");
});

test("a signal trades on the exchange; the position is closed by hand; the emergency stop halts with nothing open", async ({ page }) => {
  test.setTimeout(180_000); // the cancel-all is answered 25 s late on purpose (below)
  await signIn(page);
  const banner = page.getByLabel("mode live");
  await expect(banner).toHaveText("LIVE");
  await expect(banner).toHaveClass(/mode-live/);
  await expect(page.getByText("binance connected")).toBeVisible();
  await expect(page.getByLabel("trading state").first()).toHaveText("ACTIVE");

  // No exits on the desk's symbol for this run: the replayed market moves fast and must not close the position first.
  await trpcMutation(page.request, "settings.setSymbol", {
    symbol: LIVE_E2E.symbol,
    settings: { sizing: { method: "fixed_fraction", fraction: 0.05 }, stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null },
  });

  // A BUY signal through the webhook.
  const signal = await page.request.post("/api/signals", {
    headers: { authorization: `Bearer ${LIVE_E2E.signalSecret}` },
    data: { id: `e2e-live-${Date.now()}`, symbol: LIVE_E2E.symbol, action: "BUY", confidence: 0.9, strategy: "e2e" },
  });
  expect(signal.status()).toBe(202);
  const accepted = (await signal.json()) as { status: string; clientOrderId: string };
  expect(accepted.status).toBe("ACCEPTED");

  // The position, filled at the exchange, on the Positions page.
  await page.goto("/positions");
  const close = page.getByRole("button", { name: /^Close BTC\/USDT long / });
  await expect(close).toBeEnabled({ timeout: 30_000 });

  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(page.getByText("binance connected")).toBeVisible();
  await expect(page.getByRole("region", { name: "Open positions" }).getByText("BTC/USDT")).toBeVisible();
  await page.screenshot({ path: "test-results/screenshots/live-overview.png", fullPage: true });

  // Close it from the Positions page.
  await page.goto("/positions");
  await page.getByRole("button", { name: /^Close BTC\/USDT long / }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Close at market" }).click();
  await expect(page.getByText("No open positions.")).toBeVisible({ timeout: 30_000 });

  // A resting order at the exchange, so the emergency stop has something to cancel.
  await trpcMutation(page.request, "orders.place", {
    symbol: LIVE_E2E.symbol,
    side: "BUY",
    type: "LIMIT",
    quantity: "0.002",
    price: "10000",
    reason: "e2e resting order",
  });
  await expect.poll(() => exchangeOpenOrders(page.request), { timeout: 20_000 }).toBe(1);

  // An order someone placed on the exchange directly: the scheduled reconciliation shows it; a trader adopts it.
  await placeAtExchange(page.request, {
    symbol: "BTCUSDT",
    side: "BUY",
    type: "LIMIT",
    timeInForce: "GTC",
    quantity: "0.003",
    price: "11000",
    newClientOrderId: "web-e2e-1",
  });
  await page.goto("/reconciliation");
  const unknown = page.getByRole("region", { name: /^Unknown orders at the venue/ });
  await expect(unknown.getByRole("cell", { name: "web-e2e-1", exact: true })).toBeVisible({ timeout: 30_000 });
  await page.screenshot({ path: "test-results/screenshots/live-reconciliation.png", fullPage: true });
  await unknown.getByRole("button", { name: "Adopt order web-e2e-1" }).click();
  await page.getByRole("dialog", { name: "Adopt order web-e2e-1" }).getByRole("button", { name: "Adopt order", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Order web-e2e-1 adopted" })).toBeVisible();
  await expect(unknown.getByText("None: every open order at binance is in Bastion's books.")).toBeVisible();
  await page.getByLabel("Drift status").selectOption("resolved");
  await expect(page.getByRole("region", { name: /^Drifts/ }).getByRole("cell", { name: "adopted by admin" })).toBeVisible();
  await expect.poll(() => exchangeOpenOrders(page.request)).toBe(2);

  // The emergency stop. The exchange leaves the first cancel-all unanswered and unexecuted ("hang"), so the stop is
  // certainly still running when the trader presses it a second time, however busy the machine (with a late answer to
  // a cancel that had executed at once, the poll could confirm the cancels before a slow second press): the second
  // press shows the running stop's progress and does not start another one. The desk's request timeout is 20 s in this
  // run (playwright.live.config.ts); then the stop sends the cancel again, and it goes through.
  await exchangeAdmin(page.request, "POST", "faults", { endpoint: "DELETE /api/v3/openOrders", kind: "hang", times: 1 });
  await page.goto("/orders");
  const press = async (reason: string) => {
    await page.getByRole("button", { name: "EMERGENCY STOP" }).click();
    const dialog = page.getByRole("dialog", { name: "Emergency stop" });
    await dialog.getByLabel("Reason").fill(reason);
    const answer = page.waitForResponse((r) => r.url().includes("/api/trpc/breaker.emergencyStop"));
    await dialog.getByRole("button", { name: "Stop everything" }).click();
    await expect(dialog).toBeHidden();
    // The tRPC client batches: the answer is a list with this call's envelope.
    type Envelope = { result?: { data?: { json?: { message?: string; data?: { alreadyRunning?: boolean } } } } };
    const body = (await (await answer).json()) as Envelope | Envelope[];
    const json = (Array.isArray(body) ? body[0] : body)?.result?.data?.json;
    expect(json, "the emergency stop's answer").toBeDefined();
    return json!;
  };
  const first = await press("e2e: live emergency drill");
  expect(first.data?.alreadyRunning).toBeUndefined();
  expect(first.message).not.toMatch(/already running/);
  await expect(page.getByLabel("trading state").first()).toHaveText("HALTED");
  const progress = page.getByRole("status").filter({ hasText: /^Emergency stop running: / });
  await expect(progress).toContainText("waiting for binance to confirm 2");
  const second = await press("e2e: pressed again");
  await page.screenshot({ path: "test-results/screenshots/live-stop-running.png", fullPage: true });
  expect(second).toMatchObject({ data: { alreadyRunning: true }, message: expect.stringMatching(/^An emergency stop is already running: /) });
  await expect(progress).toBeVisible();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: "test-results/screenshots/live-stop-running-390.png" });
  await page.setViewportSize({ width: 1280, height: 900 });
  // Bastion's resting order and the adopted one: both canceled.
  await expect(page.getByText("No working orders.")).toBeVisible({ timeout: 60_000 });
  await expect.poll(() => exchangeOpenOrders(page.request), { timeout: 20_000 }).toBe(0);
  await page.screenshot({ path: "test-results/screenshots/live-halted.png", fullPage: true });
  await expect(progress).toHaveCount(0);
  // One run: trading was halted once (the first press's reason), both presses are in the audit log.
  await page.goto("/");
  const alerts = page.getByRole("region", { name: "Alerts" });
  await expect(alerts.getByText(/Trading HALTED by admin: emergency stop by admin: e2e: live emergency drill/)).toHaveCount(1);
  await expect(alerts.getByText(/pressed again/)).toHaveCount(0);
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `test-results/screenshots/live-overview-halted-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  const stops = await auditRows(page, "emergency_stop", "");
  await expect(stops).toHaveCount(2);
  await expect(stops.filter({ hasText: "pressed again" })).toContainText("already running");
});

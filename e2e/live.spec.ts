/**
 * LIVE mode end to end (playwright.live.config.ts): the app trades on the Binance-compatible test exchange through
 * ccxt. Sign in, see the LIVE banner and the venue connected, send a BUY signal through the webhook, see the
 * position, close it from the Positions page, pull the emergency stop and see HALTED with no open orders — in the
 * books and at the exchange.
 */
import { createHmac } from "node:crypto";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { LIVE_E2E } from "../playwright.live.config";
import { signIn } from "./auth-helpers";

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
    .poll(async () => {
      const body = (await (await request.get("/api/health")).json()) as { mode: string; engine: { running: boolean; error: string | null }; venue: { id: string; connected: boolean } | null };
      return { mode: body.mode, running: body.engine.running, error: body.engine.error, venue: body.venue?.id, connected: body.venue?.connected };
    }, { timeout: 60_000 })
    .toEqual({ mode: "live", running: true, error: null, venue: "binance", connected: true });
});

test("a signal trades on the exchange; the position is closed by hand; the emergency stop halts with nothing open", async ({ page }) => {
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
  await trpcMutation(page.request, "orders.place", { symbol: LIVE_E2E.symbol, side: "BUY", type: "LIMIT", quantity: "0.002", price: "10000", reason: "e2e resting order" });
  await expect.poll(() => exchangeOpenOrders(page.request), { timeout: 20_000 }).toBe(1);

  // An order someone placed on the exchange directly: the scheduled reconciliation shows it; a trader adopts it.
  await placeAtExchange(page.request, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.003", price: "11000", newClientOrderId: "web-e2e-1" });
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

  // The emergency stop.
  await page.goto("/orders");
  await page.getByRole("button", { name: "EMERGENCY STOP" }).click();
  const dialog = page.getByRole("dialog", { name: "Emergency stop" });
  await dialog.getByLabel("Reason").fill("e2e: live emergency drill");
  await dialog.getByRole("button", { name: "Stop everything" }).click();
  await expect(page.getByLabel("trading state").first()).toHaveText("HALTED");
  // Bastion's resting order and the adopted one: both canceled.
  await expect(page.getByText("No working orders.")).toBeVisible({ timeout: 30_000 });
  await expect.poll(() => exchangeOpenOrders(page.request), { timeout: 20_000 }).toBe(0);
  await page.screenshot({ path: "test-results/screenshots/live-halted.png", fullPage: true });
});

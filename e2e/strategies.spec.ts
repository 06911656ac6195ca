/**
 * The Strategies page as a viewer of the desk sees it: a strategy (`e2e-model`) sends a BUY with an expectedReturn, closes
 * it, and sends a CLOSE with nothing open (refused NO_POSITION); the page shows it in each metric group, the calibration
 * chart has an accessible summary, the CSV export holds one row per signal, and the page works at 390 px.
 */
import { expect, test } from "@playwright/test";
import { signIn } from "./auth-helpers";
import { apiSignIn, calmExitRules, postSignal, shot, trpcQuery } from "./desk-helpers";

const STRATEGY = "e2e-model";

test("a strategy's signals, direction, calibration and PnL show on the Strategies page and in the export", async ({ page, request }) => {
  await apiSignIn(request);
  await calmExitRules(request);
  const send = async (action: "BUY" | "CLOSE", status: string) => {
    await expect(async () => {
      const body = (await (await postSignal(request, action, { strategy: STRATEGY, confidence: 0.8, expectedReturn: 0.01 })).json()) as { status?: string };
      expect(body.status).toBe(status);
    }).toPass({ timeout: 20_000, intervals: [250, 500, 1000] });
  };
  await send("BUY", "ACCEPTED");
  await expect
    .poll(
      async () => (await trpcQuery<{ positions: { quantity: string }[] }>(request, "positions.list")).positions.filter((p) => Number(p.quantity) > 0).length,
      {
        timeout: 15_000,
      },
    )
    .toBeGreaterThan(0);
  await send("CLOSE", "ACCEPTED");
  await expect.poll(async () => (await trpcQuery<{ positions: unknown[] }>(request, "positions.list")).positions.length, { timeout: 15_000 }).toBe(0);
  await send("CLOSE", "DENIED"); // nothing left to close: refused NO_POSITION

  await signIn(page);
  await page.getByRole("navigation", { name: "Desk" }).getByRole("link", { name: "Strategies" }).click();
  await expect(page.getByRole("heading", { name: "Strategies", level: 1 })).toBeVisible();

  const signals = page.getByRole("table", { name: "Signals per strategy" }).getByRole("row").filter({ hasText: STRATEGY });
  await expect(signals).toContainText("NO_POSITION ×1");
  await expect(signals.getByRole("cell").nth(0)).toHaveText("3"); // received
  await expect(signals.getByRole("cell").nth(1)).toHaveText("2"); // accepted
  const pnl = page.getByRole("table", { name: "PnL per strategy" }).getByRole("row").filter({ hasText: STRATEGY });
  await expect(pnl.getByRole("cell").nth(0)).toHaveText("1"); // one closed trade
  await expect(
    page.getByRole("table", { name: "Expected return against realized return per strategy" }).getByRole("row").filter({ hasText: STRATEGY }),
  ).toContainText("+1.00%");
  await page.getByRole("combobox", { name: "Strategy" }).selectOption(STRATEGY);
  await expect(page.getByRole("img", { name: /Calibration of e2e-model: confidence 0\.8–1: \d+% won of 1/ })).toBeVisible();
  await expect(page.getByRole("table", { name: "Calibration of e2e-model" }).getByRole("row").filter({ hasText: "0.8–1.0" })).toContainText("80.0%");

  const csv = await (await page.request.get("/api/strategies/export?format=csv&strategy=e2e-model")).text();
  expect(csv.split("\r\n").filter(Boolean)).toHaveLength(4); // header + three signals
  expect(csv).toContain(",e2e-model,CLOSE,0.8,0.01,DENIED,NO_POSITION,");

  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: shot("strategies"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByRole("heading", { name: "Strategies", level: 1 })).toBeVisible();
  // At 390 px the page does not scroll sideways: wide tables scroll inside their own frame.
  // Polled: the page lays itself out again after the resize, and a one-shot read can still see the 1280 px layout.
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: shot("strategies-390"), fullPage: true });
});

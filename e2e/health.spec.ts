import { expect, test } from "@playwright/test";
import { signIn } from "./auth-helpers";

test("GET /api/health answers with mode, trading state and database", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status: "ok", mode: "replay", tradingState: "ACTIVE", db: "ok" });
});

test("the overview shows the live desk once signed in", async ({ page }) => {
  await signIn(page);
  await expect(page.getByText("BASTION", { exact: true })).toBeVisible();
  await expect(page.getByLabel("mode replay")).toHaveText("REPLAY");
  await expect(page.getByLabel("trading state").first()).toHaveText("ACTIVE");
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  const feed = page.getByRole("region", { name: "Market data" });
  await expect(feed).toContainText("replaying BTC/USDT");
  await expect(page.getByRole("button", { name: "EMERGENCY STOP" })).toBeVisible();
});

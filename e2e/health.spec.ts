import { expect, test } from "@playwright/test";
import { signIn } from "./auth-helpers";

test("GET /api/health answers with mode, trading state and database", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status: "ok", mode: "replay", tradingState: "ACTIVE", db: "ok" });
});

test("the home page shows the desk's health once signed in", async ({ page }) => {
  await signIn(page);
  await expect(page.getByText("BASTION", { exact: true })).toBeVisible();
  await expect(page.getByLabel("mode replay")).toHaveText("REPLAY");
  await expect(page.getByLabel("trading state")).toHaveText("ACTIVE");
  const health = page.getByRole("region", { name: "Health" });
  await expect(health.getByRole("row", { name: /Database/ })).toContainText("ok");
  await page.screenshot({ path: "test-results/screenshots/home.png", fullPage: true });
});

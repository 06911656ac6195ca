/**
 * Allocation and the correlation limit on the ten-symbol portfolio desk (run with playwright.allocation.config.ts):
 * the Risk page shows the correlation heat map and the target weights from the desk's own recorded history; an admin
 * turns the correlated-exposure limit on in the Risk limits dialog, the Portfolio section shows the cap the gate now
 * enforces (it said "off"), and an entry into the ADA/XLM cluster is refused with CORRELATED_EXPOSURE. The Rebalancing
 * section lists the orders toward the targets. Screenshots go to /tmp/shots/ and test-results/screenshots/.
 */
import { expect, test } from "@playwright/test";
import { signIn } from "./auth-helpers";
import { shot, trpcQuery } from "./desk-helpers";

test("heat map and target weights; an admin sets the correlated exposure limit and an entry in the cluster is refused", async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page);
  await page.goto("/risk");
  const section = page.getByRole("region", { name: "Portfolio" });
  const heatmap = section.getByRole("table", { name: "Correlation heat map" });
  await expect(heatmap.getByRole("columnheader")).toHaveCount(10, { timeout: 30_000 });
  await expect(heatmap.getByRole("rowheader")).toHaveCount(10);
  const weights = section.getByRole("table", { name: "Current and target weights" });
  await expect(weights.getByRole("columnheader", { name: "Risk parity" })).toBeVisible();
  await expect(weights.getByRole("row", { name: /^ADA\/BTC/ })).toContainText(/\d+\.\d%/);
  await expect(section.getByRole("img", { name: /Current and Risk parity target weights/ })).toBeVisible();
  const limitNote = section.getByTestId("cluster-limit");
  await expect(limitNote).toHaveText("Correlated exposure limit (what the gate enforces): off.");
  await page.screenshot({ path: "/tmp/shots/allocation-before-1280.png", fullPage: true });

  // The admin turns the limit on: clusters at ρ > 0.5, each capped at 2 % of equity.
  await page.getByRole("button", { name: "Edit limits" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit the risk limits" });
  await dialog.getByLabel(/^Max correlated exposure/).fill("2");
  await dialog.getByLabel(/^Correlation threshold/).fill("0.5");
  await dialog.getByRole("button", { name: "Save (audited)" }).click();
  await expect(dialog).toBeHidden();
  await page.reload();
  await expect(section.getByTestId("cluster-limit")).toHaveText("Correlated exposure limit (what the gate enforces): 2.00% of equity per cluster.", {
    timeout: 30_000,
  });
  const clusters = section.locator("table.portfolio-clusters");
  await expect(clusters.getByRole("rowheader", { name: /ADA\/BTC/ })).toBeVisible();

  // An entry of about 5 % of equity in ADA/BTC: its cluster would pass the 2 % cap.
  const open = await trpcQuery<{ marks: Record<string, number> }>(page.request, "orders.open");
  const mark = open.marks["ADA/BTC"]!;
  const quantity = String(Math.floor(0.05 / mark));
  const res = await page.request.post("/api/trpc/orders.place", {
    data: { json: { symbol: "ADA/BTC", side: "BUY", type: "MARKET", quantity, reason: "e2e cluster entry" } },
  });
  const body = (await res.json()) as { error?: { json: { message: string; data: { domainCode: string | null } } } };
  expect(res.ok()).toBe(false);
  expect(body.error?.json.data.domainCode).toBe("CORRELATED_EXPOSURE");
  expect(body.error?.json.message).toMatch(
    /^Exposure in the correlated cluster [A-Z/, ]*ADA\/BTC[A-Z/, ]* \(correlation above 0\.5\) would be [\d.]+, above the maximum of 2% of equity/,
  );

  // The audit log has the admin's change and the refused order.
  await page.goto("/audit");
  await expect(page.getByRole("table").first()).toContainText("set_risk_limits");

  await page.goto("/risk");
  const rebalancing = page.getByRole("region", { name: "Rebalancing" });
  await expect(rebalancing.getByRole("table", { name: "Proposed rebalancing orders" })).toBeVisible({ timeout: 30_000 });
  await expect(rebalancing.getByRole("button", { name: /^Send \d+ orders?$/ })).toBeVisible();
  // The schedule records a point a minute (playwright.allocation.config.ts): the target weights' history appears.
  await expect(async () => {
    await page.reload();
    await expect(section.getByRole("table", { name: "Target weights over time" })).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 150_000, intervals: [5_000, 10_000] });
  await expect(section.getByRole("table", { name: "Target weights over time" }).getByRole("columnheader", { name: "ADA" })).toBeVisible();
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await section.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `/tmp/shots/allocation-${width}.png`, fullPage: true });
    await section.screenshot({ path: `/tmp/shots/allocation-portfolio-${width}.png` });
    await rebalancing.screenshot({ path: `/tmp/shots/allocation-rebalancing-${width}.png` });
    await page.screenshot({ path: shot(`allocation-${width}`), fullPage: true });
  }
});

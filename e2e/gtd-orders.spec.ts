/**
 * A GTD (good-till-date) order from the Orders page: the time-in-force select shows an "Expires at (UTC)" field, a GTD
 * without an expiry is refused in words before anything is sent, and a placed one rests with its expiry in the TIF column
 * and in the API.
 */
import { expect, test } from "@playwright/test";
import { signIn } from "./auth-helpers";
import { apiSignIn, confirmDialog, markPrice, shot, trpcMutation, trpcQuery } from "./desk-helpers";

interface OpenOut {
  orders: { clientOrderId: string; timeInForce: string; expireAt: number | null; status: string }[];
}

test("a GTD limit order from the Orders page rests with its expiry", async ({ page, request }) => {
  await apiSignIn(request);
  const limit = String(Math.floor((await markPrice(request)) * 0.7));
  await signIn(page);
  await page.goto("/orders");
  const form = page.getByRole("region", { name: "Place order" });
  await form.getByLabel("Type").selectOption("LIMIT");
  await form.getByLabel(/^Quantity/).fill("0.002");
  await form.getByLabel(/^Limit price/).fill(limit);
  await expect(form.getByLabel("Expires at (UTC)")).toHaveCount(0);
  await form.getByLabel("Time in force").selectOption("GTD");
  await form.getByRole("button", { name: "Review buy order" }).click();
  await expect(form.getByRole("alert")).toContainText("A GTD order needs an expiry");

  // Ten minutes from now, in UTC as the desk shows every time (minutes only: a datetime-local value).
  const expiresAt = Math.floor((Date.now() + 10 * 60_000) / 60_000) * 60_000;
  await form.getByLabel("Expires at (UTC)").fill(new Date(expiresAt).toISOString().slice(0, 16));
  await page.screenshot({ path: shot("gtd-order-form"), fullPage: true });
  await form.getByRole("button", { name: "Review buy order" }).click();
  await expect(page.getByRole("dialog", { name: "Send this order?" })).toContainText(
    `GTD until ${new Date(expiresAt).toISOString().slice(0, 16).replace("T", " ")} UTC`,
  );
  await confirmDialog(page, "Send this order?", "Send buy order", "e2e: GTD bid");
  await expect(form.getByRole("status")).toContainText("sent");

  const open = page.getByRole("region", { name: /^Open orders/ });
  await expect(open.locator("tbody tr").filter({ hasText: "GTD ·" })).toHaveCount(1);
  // The venue's acceptance comes after its simulated latency: wait for it rather than race it.
  await expect
    .poll(async () => (await trpcQuery<OpenOut>(request, "orders.open")).orders.find((o) => o.timeInForce === "GTD"), { timeout: 15_000 })
    .toMatchObject({ expireAt: expiresAt, status: "ACCEPTED" });
  await page.screenshot({ path: shot("gtd-order-resting"), fullPage: true });
  await trpcMutation(request, "orders.cancelAll", { reason: "e2e: clean up the GTD bid", idempotencyKey: `e2e-gtd-${Date.now()}` });
});

/**
 * Order lists end to end: a bracket placed from the Orders page form shows as one unit (its stop-loss and take-profit
 * waiting for the entry), the entry is amended to a marketable price from its row, and the legs appear as it fills;
 * then Cancel list ends the unit. Every step clicks the real controls and checks the page and the API.
 */
import { expect, test } from "@playwright/test";
import { signIn } from "./auth-helpers";
import { apiSignIn, calmExitRules, confirmDialog, markPrice, shot, trpcMutation, trpcQuery } from "./desk-helpers";

interface ListsOut {
  lists: { listId: string; status: string; legs: { role: string; order: { status: string } | null }[] }[];
}

test("a bracket from the Orders page: its legs appear when the entry fills, and Cancel list ends it", async ({ page, request }) => {
  await apiSignIn(request);
  await calmExitRules(request);
  const mark = await markPrice(request);
  await signIn(page);
  await page.getByRole("navigation", { name: "Desk" }).getByRole("link", { name: "Orders" }).click();
  await expect(page.getByRole("heading", { name: "Orders", level: 1 })).toBeVisible();

  const form = page.getByRole("form", { name: "Bracket or OCO order" });
  await form.getByLabel("List quantity").fill("0.002");
  // Checked before anything is sent: a stop above the take-profit is refused in words.
  await form.getByLabel("Entry limit price").fill(String(Math.floor(mark * 0.7)));
  await form.getByLabel("Stop-loss trigger price").fill(String(Math.floor(mark * 1.5)));
  await form.getByLabel("Take-profit limit price").fill(String(Math.floor(mark * 1.3)));
  await form.getByRole("button", { name: "Review bracket" }).click();
  await expect(form.getByRole("alert")).toContainText("the stop-loss must be below the take-profit");

  await form.getByLabel("Stop-loss trigger price").fill(String(Math.floor(mark * 0.5)));
  await form.getByRole("button", { name: "Review bracket" }).click();
  await confirmDialog(page, "Place this bracket?", "Place bracket", "e2e bracket");
  await expect(form.getByRole("status")).toContainText(/BRACKET list lst-\S+ placed/);

  const lists = page.getByRole("table", { name: "Order lists" });
  const unit = lists.getByRole("rowgroup", { name: /^BRACKET list / });
  await expect(unit).toHaveCount(1);
  await expect(unit.getByRole("row").nth(1)).toContainText("entry");
  await expect(unit.getByRole("row").nth(1)).toContainText("ACCEPTED");
  await expect(unit.getByRole("row").nth(2)).toContainText("sent when the entry fills");
  await expect(unit.getByRole("row").nth(3)).toContainText("sent when the entry fills");
  await page.screenshot({ path: shot("order-lists-waiting"), fullPage: true });

  // Amend the entry to a marketable price from its row: it fills, and the stop-loss and take-profit go out.
  await page.getByRole("button", { name: /^Amend order / }).click();
  const amend = page.getByRole("dialog", { name: /^Amend order / });
  await amend.getByLabel("New price").fill(String(Math.ceil(mark * 1.03)));
  await amend.getByRole("button", { name: "Amend order", exact: true }).click();
  await expect(amend).toBeHidden();

  await expect(unit.getByRole("row").nth(1)).toContainText("FILLED", { timeout: 20_000 });
  await expect(unit.getByRole("row").nth(2)).toContainText("stop-loss");
  await expect(unit.getByRole("row").nth(2)).toContainText("EMULATED");
  await expect(unit.getByRole("row").nth(3)).toContainText("take-profit");
  await expect(unit.getByRole("row").nth(3)).toContainText("ACCEPTED");
  await page.screenshot({ path: shot("order-lists-legs"), fullPage: true });
  const api = await trpcQuery<ListsOut>(request, "orders.lists");
  expect(api.lists[0]!.legs.map((l) => [l.role, l.order?.status])).toEqual([
    ["entry", "FILLED"],
    ["stop_loss", "EMULATED"],
    ["take_profit", "ACCEPTED"],
  ]);

  await unit.getByRole("button", { name: /^Cancel list / }).click();
  await confirmDialog(page, /^Cancel list /, "Cancel list", "e2e done");
  await expect(unit).toContainText("CANCELED");
  await expect.poll(async () => (await trpcQuery<ListsOut>(request, "orders.lists")).lists.length).toBe(0);

  // Clean up: the bracket's position is a person's.
  await trpcMutation(request, "positions.closeAll", { reason: "e2e: clean up the bracket's position", idempotencyKey: `e2e-lists-${Date.now()}` });
});

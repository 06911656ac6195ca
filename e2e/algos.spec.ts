/**
 * Parent orders on the Orders page: a TWAP started from the form progresses slice by slice (the desk's engine runs on
 * the wall clock: a one-minute TWAP sends a slice every 5 s), and an iceberg resting under the market is cancelled from its
 * row (after a confirmation), its resting child with it. Screenshots go to test-results/screenshots/.
 */
import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./auth-helpers";
import { apiSignIn, calmExitRules, confirmDialog, markPrice, shot, trpcMutation, trpcQuery } from "./desk-helpers";

interface ParentsOut {
  parents: {
    id: string;
    algo: string;
    status: string;
    filledQty: string;
    targetQty: string;
    childrenSent: number;
    children: { clientOrderId: string; status: string }[];
  }[];
}

const parentsTable = (page: Page) => page.getByRole("table", { name: "Parent orders" });

test("start a TWAP from the Orders page and watch it progress", async ({ page, request }) => {
  test.setTimeout(150_000);
  await apiSignIn(request);
  await calmExitRules(request);
  await markPrice(request);
  await signIn(page);
  await page.goto("/orders");
  const form = page.getByRole("form", { name: "Start an algorithm" });
  await form.getByLabel("Algorithm", { exact: true }).selectOption("twap");
  await form.getByLabel("Total quantity").fill("0.012");
  await form.getByLabel("Horizon (minutes)").fill("1");
  await form.getByLabel("Interval (seconds)").fill("5");
  await form.getByRole("button", { name: "Review algorithm" }).click();
  await confirmDialog(page, "Start this algorithm?", "Start algorithm", "e2e twap");
  await expect(page.getByRole("status").filter({ hasText: /twap 1m\/5s BUY 0.012 BTC\/USDT started as par-/ })).toBeVisible();

  const parents = await trpcQuery<ParentsOut>(request, "orders.parents");
  const twap = parents.parents.find((p) => p.algo === "twap")!;
  const row = parentsTable(page).getByRole("row", { name: new RegExp(twap.id) });
  await expect(row).toContainText("twap 1m/5s");
  // Progress: the filled quantity grows as slices go out, until the whole target is done.
  const filled = async () => Number((await row.getByTestId("parent-progress").innerText()).split("/")[0]);
  await expect.poll(filled, { timeout: 30_000 }).toBeGreaterThan(0);
  const first = await filled();
  await page.screenshot({ path: shot("algos-twap-working"), fullPage: true });
  await expect.poll(filled, { timeout: 20_000 }).toBeGreaterThan(first);
  await expect(row).toContainText("done", { timeout: 75_000 });
  await expect(row.getByTestId("parent-progress")).toHaveText("0.012 / 0.012");
  await row.getByRole("button", { name: `Show children of ${twap.id}` }).click();
  const children = page.getByRole("table", { name: `Child orders of ${twap.id}` });
  await expect(children.getByRole("row", { name: new RegExp(`${twap.id}\\.1 `) })).toContainText("filled");
  expect(await children.locator("tbody tr").count()).toBeGreaterThanOrEqual(2);
  await page.screenshot({ path: shot("algos-twap-done"), fullPage: true });
  // The TWAP bought a manual position: close it, so the specs after this one start flat.
  await trpcMutation(request, "positions.closeAll", { reason: "e2e: clean up the TWAP's position", idempotencyKey: `e2e-algos-${Date.now()}` });
  await expect.poll(async () => (await trpcQuery<{ positions: unknown[] }>(request, "positions.list")).positions.length, { timeout: 15_000 }).toBe(0);
});

test("cancel an iceberg: it asks first, then cancels the resting child and stops", async ({ page, request }) => {
  test.setTimeout(60_000);
  await apiSignIn(request);
  const price = Math.floor((await markPrice(request)) * 0.7);
  const started = await trpcMutation<{ data?: { parentId?: string } }>(request, "orders.startParent", {
    symbol: "BTC/USDT",
    side: "BUY",
    quantity: "0.01",
    limitPrice: String(price),
    algo: { kind: "iceberg", displayQty: "0.002" },
    reason: "e2e iceberg",
  });
  const id = started.data!.parentId!;
  await signIn(page);
  await page.goto("/orders");
  const row = parentsTable(page).getByRole("row", { name: new RegExp(id) });
  await expect(row).toContainText("working");
  // The visible part rests at the venue as an ordinary working order.
  await expect(page.getByRole("link", { name: `${id}.1` }).first()).toBeVisible();
  await row.getByRole("button", { name: `Cancel ${id}` }).click();
  await page.screenshot({ path: shot("algos-iceberg-confirm"), fullPage: true });
  await confirmDialog(page, `Cancel parent order ${id}`, "Cancel parent order", "e2e: enough");
  await expect(row).toContainText("cancelled");
  const after = await trpcQuery<ParentsOut>(request, "orders.parents");
  expect(after.parents.find((p) => p.id === id)!.children[0]!.status).toBe("cancelled");
  const open = await trpcQuery<{ orders: { clientOrderId: string }[] }>(request, "orders.open");
  expect(open.orders.map((o) => o.clientOrderId)).not.toContain(`${id}.1`);
  await page.screenshot({ path: shot("algos-iceberg-cancelled"), fullPage: true });
});

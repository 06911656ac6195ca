/**
 * Notifications as an admin sees them: the env-configured webhook channel (host only) pointing at a receiver this
 * spec starts, "Send test message", the signed delivery arriving at the receiver and shown as delivered on the page.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdirSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { verifyWebhookSignature } from "../server/notify/webhook";
import { signIn } from "./auth-helpers";
import { E2E_WEBHOOK_PORT, E2E_WEBHOOK_SECRET } from "./notify-helpers";

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
const received: Received[] = [];
let arrived: (request: Received) => void = () => undefined;

test.beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = { url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(request);
      arrived(request);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(E2E_WEBHOOK_PORT, "127.0.0.1", resolve));
});
test.afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test("an admin sends a test message to the env-configured webhook and sees it delivered", async ({ page }) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Desk" }).getByRole("link", { name: "Notifications" }).click();
  await expect(page.getByRole("heading", { name: "Notifications", level: 1 })).toBeVisible();

  const channels = page.getByRole("region", { name: "Channels" });
  const row = channels.getByRole("row").filter({ hasText: "webhook-env" });
  await expect(row).toContainText(`127.0.0.1:${E2E_WEBHOOK_PORT}`);
  await expect(row).toContainText("emergency, breaker, protection, test");
  // Host only: the path (and anything in it) never reaches the page.
  await expect(channels).not.toContainText("/bastion-hook");

  const delivered = new Promise<Received>((resolve) => {
    arrived = (request) => {
      if (request.body.includes('"kind":"test"')) resolve(request);
    };
  });
  await row.getByRole("button", { name: "Send test message to webhook-env" }).click();
  await expect(row.getByRole("status")).toContainText("Test message to webhook-env queued");

  const request = await delivered;
  expect(request.url).toBe("/bastion-hook");
  expect(verifyWebhookSignature(String(request.headers["x-bastion-signature"]), request.body, E2E_WEBHOOK_SECRET, Date.now())).toMatchObject({ ok: true });
  expect(JSON.parse(request.body)).toMatchObject({ kind: "test", severity: "info", title: "Test message from Bastion (webhook-env)" });

  const deliveries = page.getByRole("region", { name: "Recent deliveries" });
  const deliveredRow = deliveries.getByRole("row").filter({ hasText: "webhook-env" }).filter({ hasText: "test" }).filter({ hasText: "delivered" });
  // Both tables poll every 2 s: the recorded delivery shows within a few polls.
  await expect(deliveredRow.first()).toBeVisible({ timeout: 15_000 });
  await expect(row).not.toContainText("never", { timeout: 15_000 });

  mkdirSync("/tmp/shots", { recursive: true });
  await page.screenshot({ path: "/tmp/shots/notifications.png", fullPage: true });
});

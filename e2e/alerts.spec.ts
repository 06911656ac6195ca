/**
 * The replay demo of the alert center: in the zero-config replay (the ten-pair portfolio of January 2018, whose crash
 * moves several pairs more than 5 % within one desk minute — five recorded hours at speed 300 — in the first seconds),
 * the FLASH_MOVE protection fires on the recorded prices; a local webhook receiver gets the signed message, and the
 * alert shows in the header badge and on the Alerts page, where an admin acknowledges it with a reason.
 *
 * The shared e2e server runs the one-symbol BTC/USDT desk, where the first 5 % move of the recording comes after about
 * 45 minutes: this spec starts its own zero-config server (fresh database, port E2E_PORT + 2) and receiver (E2E_PORT + 3).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { createServer, get as httpGet, type IncomingHttpHeaders, type Server } from "node:http";
import { expect, test } from "@playwright/test";
import { verifyWebhookSignature } from "../server/notify/webhook";
import { E2E_ADMIN_PASSWORD, signIn } from "./auth-helpers";

const basePort = Number(process.env.E2E_PORT ?? 3199);
const port = basePort + 2;
const hookPort = basePort + 3;
const SECRET = "e2e-alerts-secret-copper-harbour";
const dir = "e2e/.tmp-alerts";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let receiver: Server;
let app: ChildProcess | null = null;
const received: Received[] = [];
let appLog = "";

/** The environment of the zero-config desk: no BASTION_* of the shared e2e server (no symbol, no strategy switch). */
function zeroConfigEnv(): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("BASTION_") && name !== "DATABASE_URL") env[name] = value;
  return {
    ...env,
    NODE_ENV: "production",
    DATABASE_URL: `file:./${dir}/alerts.db`,
    BASTION_MODE: "replay",
    BASTION_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
    BASTION_NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/alerts-hook`,
    BASTION_NOTIFY_WEBHOOK_SECRET: SECRET,
    NEXT_TELEMETRY_DISABLED: "1",
  };
}

/**
 * Whether the server answers, on a fresh connection each time: fetch's keep-alive pool would hold one socket open, the
 * stopping server waits for its connections to close, and the probe would keep it answering.
 */
function probeHealth(): Promise<"up" | "down"> {
  return new Promise((resolve) => {
    const req = httpGet({ host: "127.0.0.1", port, path: "/api/health", agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      resolve("up");
    });
    req.on("error", () => resolve("down"));
    req.on("timeout", () => {
      req.destroy();
      resolve("down");
    });
  });
}

/** A shell command in a process group of its own, so that stopping it stops the servers it started too. */
function run(command: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn("sh", ["-c", command], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout?.on("data", (chunk: Buffer) => (appLog = (appLog + chunk.toString()).slice(-4000)));
  child.stderr?.on("data", (chunk: Buffer) => (appLog = (appLog + chunk.toString()).slice(-4000)));
  return child;
}

test.use({ baseURL: `http://127.0.0.1:${port}` });
test.describe.configure({ timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(hookPort, "127.0.0.1", resolve));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  app = run(`npx prisma migrate deploy && npx next start -H 127.0.0.1 -p ${port}`, zeroConfigEnv());
  const started = app;
  const stopped = new Promise<never>((_, reject) => started.once("exit", (code) => reject(new Error(`the zero-config server stopped (${code}): ${appLog}`))));
  const healthy = expect
    .poll(
      () =>
        fetch(`http://127.0.0.1:${port}/api/health`).then(
          (r) => r.status,
          () => 0,
        ),
      { timeout: 150_000, intervals: [1_000] },
    )
    .toBe(200);
  await Promise.race([healthy, stopped]);
});

test.afterAll(async () => {
  const group = app?.pid;
  if (app && group !== undefined) {
    try {
      process.kill(-group, "SIGTERM"); // the group this spec started: sh, npx and the Next.js server under it
    } catch {
      // already gone
    }
    // The server stops its engine and exits; wait until nothing of the group answers on the port.
    await expect.poll(() => probeHealth(), { timeout: 90_000 }).toBe("down");
  }
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

test("a protection fires on the recorded crash: signed webhook, header badge, Alerts page, acknowledged", async ({ page }) => {
  // 1. The receiver gets the protection firing, signed with the desk's secret.
  await expect.poll(() => received.filter((r) => r.body.includes('"kind":"protection"')).length, { timeout: 60_000 }).toBeGreaterThan(0);
  const hook = received.find((r) => r.body.includes('"kind":"protection"'))!;
  expect(verifyWebhookSignature(String(hook.headers["x-bastion-signature"]), hook.body, SECRET, Date.now())).toMatchObject({ ok: true });
  expect(verifyWebhookSignature(String(hook.headers["x-bastion-signature"]), hook.body, "another-secret-of-enough-length", Date.now())).toMatchObject({
    ok: false,
  });
  const body = JSON.parse(hook.body) as { title: string; severity: string };
  const [, rule, symbol] = /^Protection (\w+) fired on (\S+):/.exec(body.title) ?? [];
  expect(rule).toBe("FLASH_MOVE");

  // 2. The header's badge counts it and links to the Alerts page.
  await signIn(page);
  const badge = page.getByRole("banner").getByRole("link", { name: /^\d+ alerts?(, \d+ (critical|warning))+$/ });
  await expect(badge).toBeVisible({ timeout: 15_000 });
  mkdirSync("/tmp/shots", { recursive: true });
  await page.getByRole("banner").screenshot({ path: "/tmp/shots/alerts-header.png" });
  await badge.screenshot({ path: "/tmp/shots/alerts-badge.png" });
  await badge.click();
  await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();
  await expect(page).toHaveURL(/\/alerts$/);

  // 3. The same firing is an active alert, counted per symbol.
  const active = page.getByRole("table", { name: "Active alerts" });
  const row = active.getByRole("row").filter({ hasText: `Protection FLASH_MOVE fired on ${symbol} (ALERT)` });
  await expect(row).toBeVisible({ timeout: 15_000 });
  await expect(row).toContainText("protection");
  await page.screenshot({ path: "/tmp/shots/alerts-page.png", fullPage: true });

  // Filters: kind "breaker" hides it; back to all kinds shows it again.
  await page.getByLabel("Kind").selectOption("BREAKER");
  await expect(page.getByRole("table", { name: "Active alerts" }).getByRole("row").filter({ hasText: "FLASH_MOVE" })).toHaveCount(0);
  await page.getByLabel("Kind").selectOption("");
  await expect(row).toBeVisible();

  // 4. Acknowledged with a reason: it moves to the history with who and why.
  await row.getByRole("button", { name: `Acknowledge Protection FLASH_MOVE fired on ${symbol} (ALERT)` }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Reason").fill("recorded crash, expected in the demo");
  await dialog.getByRole("button", { name: "Acknowledge" }).click();
  await expect(page.getByRole("status").filter({ hasText: "acknowledged" })).toBeVisible();
  const history = page.getByRole("table", { name: "Acknowledged alerts" });
  await expect(
    history
      .getByRole("row")
      .filter({ hasText: `fired on ${symbol}` })
      .filter({ hasText: "recorded crash, expected in the demo" }),
  ).toContainText("admin");
  await page.screenshot({ path: "/tmp/shots/alerts-page-acknowledged.png", fullPage: true });

  // 5. The Risk page lists the newest ten firings (the crash fires dozens) and all of them on request.
  await page.goto("/risk");
  const firings = page.getByRole("table", { name: "Recent protection firings" });
  const showAll = page.getByRole("button", { name: /^Show all \d+ firings$/ });
  await expect(showAll).toBeVisible({ timeout: 60_000 });
  await expect(firings.getByRole("row")).toHaveCount(1 + 10);
  const total = Number(/\d+/.exec((await showAll.textContent()) ?? "")?.[0]);
  expect(total).toBeGreaterThan(10);
  await showAll.click();
  // More may fire while the page refetches (every 10 s); the engine keeps the last 50.
  await expect.poll(() => firings.getByRole("row").count()).toBeGreaterThanOrEqual(1 + total);
  expect(await firings.getByRole("row").count()).toBeLessThanOrEqual(1 + 50);
  await page.getByRole("button", { name: "Show the 10 newest" }).click();
  await expect(firings.getByRole("row")).toHaveCount(1 + 10);
});

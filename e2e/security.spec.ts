import { expect, test } from "@playwright/test";
import { signIn } from "./auth-helpers";

test("pages carry a nonce CSP that the app runs under without a single violation", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy|Refused to (execute|load|apply)/i.test(msg.text())) violations.push(msg.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  const res = await page.goto("/signin");
  const headers = res!.headers();
  expect(headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  expect(headers["x-frame-options"]).toBe("DENY");
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await page.getByRole("link", { name: "Orders" }).first().click();
  await expect(page).toHaveURL(/\/orders$/);
  await page.getByRole("link", { name: "Performance" }).first().click();
  await expect(page).toHaveURL(/\/performance$/);
  expect(violations).toEqual([]);
});

test("the front door refuses form posts, other sites and other host names", async ({ request }) => {
  const form = await request.post("/api/trpc/auth.signIn", { form: { username: "admin", password: "x" } });
  expect(form.status()).toBe(415);
  const crossSite = await request.post("/api/trpc/auth.signIn", {
    data: { json: { username: "admin", password: "x" } },
    headers: { origin: "http://evil.example" },
  });
  expect(crossSite.status()).toBe(403);
  const rebound = await request.get("/", { headers: { host: "rebound.example" } });
  expect(rebound.status()).toBe(421);
  const api = await request.get("/api/health");
  expect(api.headers()["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");
});

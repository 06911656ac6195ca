import { expect, test } from "@playwright/test";
import { E2E_ADMIN_PASSWORD, signIn } from "./auth-helpers";

test("the desk sends visitors without a session to the sign-in page", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});

test("a wrong password shows an error in plain words", async ({ page }) => {
  await page.goto("/signin");
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("not the right password");
  await page.getByRole("button", { name: "Sign in" }).click();
  // (Next.js adds an empty route-announcer alert of its own)
  await expect(page.getByRole("alert").filter({ hasText: /\S/ })).toHaveText("Wrong username or password.");
  await expect(page).toHaveURL(/\/signin$/);
});

test("the right password lands on the desk with an HttpOnly, SameSite=Strict cookie; sign out returns to /signin", async ({ page, context }) => {
  await signIn(page);
  await expect(page.getByLabel("signed in as")).toContainText("admin");
  const cookie = (await context.cookies()).find((c) => c.name === "bastion_session");
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });

  await page.goto("/signin"); // already signed in: back to the desk
  await expect(page).toHaveURL(/\/$/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin$/);
  expect((await context.cookies()).find((c) => c.name === "bastion_session")).toBeUndefined();
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin$/);
});

test("a tRPC call without a session answers UNAUTHORIZED", async ({ request }) => {
  const res = await request.get("/api/trpc/auth.users.list");
  expect(res.status()).toBe(401);
  const body = (await res.json()) as { error: { json: { message: string; data: { code: string } } } };
  expect(body.error.json.message).toBe("Sign in first.");
  expect(body.error.json.data.code).toBe("UNAUTHORIZED");

  const me = await request.get("/api/trpc/auth.me");
  expect(me.status()).toBe(200);
});

test("signIn over HTTP sets the session cookie", async ({ request }) => {
  const res = await request.post("/api/trpc/auth.signIn", { data: { json: { username: "admin", password: E2E_ADMIN_PASSWORD } } });
  expect(res.status()).toBe(200);
  const setCookie = res.headers()["set-cookie"] ?? "";
  expect(setCookie).toMatch(/^bastion_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\//);
});

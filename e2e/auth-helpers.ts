import { expect, type Page } from "@playwright/test";

/** The first admin's password on the e2e server (playwright.config.ts passes it as BASTION_ADMIN_PASSWORD). */
export const E2E_ADMIN_PASSWORD = "e2e granite orchard lantern";

/** Signs in as `admin` through the sign-in page and waits for the desk. */
export async function signIn(page: Page, username = "admin", password = E2E_ADMIN_PASSWORD): Promise<void> {
  await page.goto("/signin");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
}

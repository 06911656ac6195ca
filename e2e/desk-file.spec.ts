/**
 * The desk file on the Risk page, as an admin clicks it: export (a real download), a refused import with its line
 * and key in words, an import chosen as a file → the differences → confirm → applied and audited, and the exported
 * file imported back (the desk is as it was, so the specs after this one see the defaults).
 */
import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { signIn } from "./auth-helpers";
import { apiSignIn, confirmDialog, shot, trpcQuery } from "./desk-helpers";

interface Settings {
  limits: { maxOpenPositions?: number };
}

test("an admin exports the desk file, previews an import, applies it, and imports the export back", async ({ page, request }) => {
  await apiSignIn(request);
  await signIn(page);
  await page.goto("/risk");
  const panel = page.getByRole("region", { name: "Desk file" });
  await expect(panel).toBeVisible();

  // Export: a real download of the live settings.
  const downloading = page.waitForEvent("download");
  await panel.getByRole("button", { name: "Export desk file" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^desk-\d{4}-\d{2}-\d{2}\.yaml$/);
  const exported = readFileSync(await download.path(), "utf8");
  expect(exported).toContain("max_open_positions: 10");
  expect(exported).toContain("BTC/USDT:");

  // A typo is refused in words, with the line and the key, and nothing can be applied.
  const text = panel.getByLabel("Desk file to import (YAML)");
  await text.fill("risk:\n  max_open_positons: 4\n");
  await panel.getByRole("button", { name: "Preview import" }).click();
  await expect(panel.getByRole("alert")).toContainText("the imported file line 2, risk.max_open_positons: unknown setting; did you mean max_open_positions?");
  await expect(panel.getByRole("button", { name: /^Apply/ })).toHaveCount(0);

  // A file chosen from disk: the differences, field by field, then confirm.
  await panel.getByLabel("Choose a desk file to import").setInputFiles({
    name: "desk.yaml",
    mimeType: "application/yaml",
    buffer: Buffer.from("risk:\n  max_open_positions: 4\n  default_stop_loss: 0.03\n"),
  });
  await expect(text).toHaveValue(/max_open_positions: 4/);
  await panel.getByRole("button", { name: "Preview import" }).click();
  const diff = panel.getByRole("table", { name: "Differences between the live settings and the desk file" });
  await expect(diff.locator("tbody tr")).toHaveCount(2);
  await expect(diff.getByRole("row", { name: /risk\.max_open_positions\s+10\s+4\s+now, on apply/ })).toBeVisible();
  await expect(diff.getByRole("row", { name: /risk\.default_stop_loss\s+0\.02\s+0\.03\s+at the next start/ })).toBeVisible();
  await page.screenshot({ path: shot("risk-desk-file-preview"), fullPage: true });
  await panel.getByRole("button", { name: "Apply 1 change" }).click();
  await confirmDialog(page, "Apply the desk file", "Apply");
  await expect(panel.getByRole("status")).toHaveText("Applied: risk limits.");
  expect((await trpcQuery<Settings>(request, "settings.get")).limits.maxOpenPositions).toBe(4);
  await expect(page.getByRole("region", { name: "Risk limits" })).toContainText("4");

  // The exported file puts everything back; previewing it again shows no difference.
  await text.fill(exported);
  await panel.getByRole("button", { name: "Preview import" }).click();
  await expect(diff.getByRole("row", { name: /risk\.max_open_positions\s+4\s+10/ })).toBeVisible();
  await panel.getByRole("button", { name: "Apply 1 change" }).click();
  await confirmDialog(page, "Apply the desk file", "Apply");
  await expect(panel.getByRole("status")).toHaveText("Applied: risk limits.");
  await panel.getByRole("button", { name: "Preview import" }).click();
  await expect(panel.getByRole("status")).toHaveText("No differences: the live settings already match this file.");
  expect((await trpcQuery<Settings>(request, "settings.get")).limits.maxOpenPositions).toBe(10);
});

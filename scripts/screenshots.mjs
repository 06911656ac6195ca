// Signs in and takes a screenshot of every desk page: `node scripts/screenshots.mjs [baseUrl] [outDir]`.
// WIDTH=390 takes them at a phone's width (files end in -phone); PAGES=/,/positions picks the pages.
// Uses Debian's chromium (CHROMIUM_PATH to override). BASTION_USER / BASTION_PASSWORD give the account.
import { chromium } from "@playwright/test";
import { mkdirSync } from "node:fs";

const base = process.argv[2] ?? "http://127.0.0.1:3000";
const out = process.argv[3] ?? "test-results/screens";
const pages = (process.env.PAGES ?? "/,/positions,/orders,/history,/risk,/performance,/audit,/backtests").split(",");
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const width = Number(process.env.WIDTH ?? 1440);
const page = await browser.newPage({ viewport: { width, height: 900 } });
await page.goto(`${base}/signin`);
await page.getByLabel("Username").fill(process.env.BASTION_USER ?? "admin");
await page.getByLabel("Password").fill(process.env.BASTION_PASSWORD ?? "");
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(`${base}/`);
for (const path of pages) {
  await page.goto(`${base}${path}`);
  await page.waitForTimeout(Number(process.env.SETTLE_MS ?? 2500));
  const name = path === "/" ? "overview" : path.slice(1).replace(/\//g, "-");
  const file = `${out}/${name}${width < 800 ? "-phone" : ""}.png`;
  await page.screenshot({ path: file, fullPage: true });
  console.log(file);
}
await browser.close();

/** `npm run sim` as a person runs it: one JSON object on stdout with --json, usage and exit code 2 on bad arguments. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const MICRO = "/work/shared/data/market/microstructure";
const dir = mkdtempSync(join(tmpdir(), "bastion-sim-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sim(args: string[]) {
  return spawnSync("npm", ["run", "-s", "sim", "--", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
}

describe("npm run sim", () => {
  it("prints each order's fills as one JSON object", () => {
    const orders = join(dir, "orders.json");
    writeFileSync(orders, JSON.stringify([{ ts: 1723161300000, side: "SELL", type: "MARKET", qty: 0.25 }]));
    const run = sim(["--book", `${MICRO}/btc-usdt_binance-spot_book-snapshot-25_2024-08-08_2024-08-09.csv`, "--orders", orders, "--latency", "5", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      orders: { arrivalTs: number; status: string; fills: { ts: number; price: string; qty: string; liquidity: string }[] }[];
    };
    expect(report.orders).toHaveLength(1);
    expect(report.orders[0]).toMatchObject({ arrivalTs: 1723161300005, status: "FILLED" });
    for (const fill of report.orders[0]!.fills) expect(Object.keys(fill)).toEqual(["ts", "price", "qty", "liquidity"]);
  });

  it("explains bad arguments and exits with 2", () => {
    const run = sim(["--orders", "nope.json"]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("--book is required");
    expect(run.stderr).toContain("Usage: npm run sim");
  });
});

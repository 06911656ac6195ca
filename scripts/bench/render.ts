/**
 * Time to first render of the desk with 500 open positions: a temp migrated database holding 500 filled BTC/USDT
 * positions (written through the store before the server starts, so the engine restores them), the built app
 * (`next start`, replay mode, the built-in strategy off) on a free port, Debian's chromium signed in as admin.
 *
 * Each page is loaded 1 + N times (the first load, with a cold browser cache, is reported apart); a load is timed
 * from navigation start to the moment the page shows its data: `/positions` — the positions table has all 500
 * rows; `/` — the overview's stats are on screen with "Open positions 500". The median (and min/max) in ms.
 *
 * Needs a build (`npm run build`): without `.next/BUILD_ID` (or `$NEXT_DIST_DIR/BUILD_ID`) it answers `{ skipped }`
 * instead of building.
 *
 *   npx tsx scripts/bench/render.ts [--positions 500] [--loads 5] [--screenshots <dir>]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Page } from "@playwright/test";
import { applyFill, openPosition } from "../../server/core/positions/book";
import { openSqliteStore } from "../../server/db/sqlite-store";
import { createMigratedDb } from "../../test/db";

export interface RenderBenchOptions {
  name?: string;
  positions?: number;
  loads?: number;
  /** The repository root (where `.next/` is); defaults to the working directory. */
  root?: string;
  /** A directory to save a screenshot of each page in (after the timed loads). */
  screenshots?: string;
  log?: (line: string) => void;
}

interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  loads: number;
}

const ADMIN_PASSWORD = "bench cobalt juniper lighthouse";
const SYMBOL = "BTC/USDT";
const round = (x: number) => Math.round(x * 10) / 10;

function summarize(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianMs: round(sorted[Math.floor(sorted.length / 2)]!), minMs: round(sorted[0]!), maxMs: round(sorted.at(-1)!), loads: sorted.length };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** `count` filled long positions (0.0001 BTC each, entries around the replay's first prices), no exit rules. */
export function seedOpenPositions(dbPath: string, count: number): void {
  const store = openSqliteStore({ path: dbPath });
  const t0 = Date.now() - count * 60_000;
  try {
    store.transaction(() => {
      for (let i = 0; i < count; i++) {
        const ts = t0 + i * 60_000;
        const id = `pos-bench-${String(i + 1).padStart(4, "0")}`;
        const opened = openPosition({ id, symbol: SYMBOL, side: "LONG", ts });
        const filled = applyFill(opened, {
          tradeId: `bench-fill-${i + 1}`,
          side: "BUY",
          qty: "0.0001",
          price: (16_500 + (i % 400)).toFixed(2),
          fee: "0.00165",
          ts,
        });
        if (!filled.ok) throw new Error(`BENCH_POSITION: ${filled.error.message}`);
        store.savePosition(filled.value.position, { state: null, entryOrderId: null, stopLoss: null, takeProfit: null }, { strategy: "bench", signalId: null });
      }
    });
  } finally {
    store.close();
  }
}

async function waitForHealth(url: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`next start exited with code ${server.exitCode}`);
    try {
      const res = await fetch(url);
      const body = (await res.json()) as { engine?: { running?: boolean }; tradingState?: string };
      last = JSON.stringify(body);
      if (res.ok && (body.engine?.running ?? true) && body.tradingState) return;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the server did not become healthy in ${timeoutMs} ms (last answer: ${last})`);
}

/**
 * Loads `url` and returns ms from navigation start until `ready(n)` answers a time (checked every frame). `ready` is a
 * function, not a string: Playwright runs a string predicate through the page's `eval`, which the desk's Content
 * Security Policy (no 'unsafe-eval') refuses. It runs in the page, so it takes `n` as its argument (no closure).
 */
async function timedLoad(page: Page, url: string, ready: (n: number) => number | false, n: number): Promise<number> {
  await page.goto(url, { waitUntil: "commit" });
  const handle = await page.waitForFunction(ready, n, { polling: "raf", timeout: 60_000 });
  return Number(await handle.jsonValue());
}

/**
 * The positions page is ready when its table says it holds all `n` and shows its first page of rows (50 a page, as
 * components/desk/positions.tsx pages them): answers the time it saw that.
 */
const POSITIONS_READY = (n: number): number | false => {
  const rows = document.querySelectorAll("table.po-table tbody tr").length;
  const titled = [...document.querySelectorAll(".panel-head h2")].some((h) => h.textContent?.includes(`Open positions (${n}`));
  return rows >= Math.min(n, 50) && titled ? performance.now() : false;
};
/** The overview is ready when its stat cards are there and "Open positions" says `n`. */
const OVERVIEW_READY = (n: number): number | false => {
  const stats = [...document.querySelectorAll(".stats .stat")];
  const open = stats.find((s) => s.querySelector(".stat-label")?.textContent === "Open positions");
  return stats.length >= 8 && open?.querySelector(".stat-value")?.textContent === String(n) ? performance.now() : false;
};

export async function renderBench(options: RenderBenchOptions = {}) {
  const name = options.name ?? "render_first_ms_500_positions";
  const count = options.positions ?? 500;
  const loads = options.loads ?? 5;
  const root = resolve(options.root ?? process.cwd());
  const log = options.log ?? (() => {});
  // next.config.js builds into NEXT_DIST_DIR when set; the server started below reads the same variable.
  const distDir = process.env.NEXT_DIST_DIR ?? ".next";
  if (!existsSync(join(root, distDir, "BUILD_ID"))) {
    return { name, skipped: `no build in ${distDir}/: run \`npm run build\` first (this bench measures the built app; it does not build)` };
  }
  const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(chromiumPath)) return { name, skipped: `no chromium at ${chromiumPath} (set CHROMIUM_PATH)` };

  const dir = mkdtempSync(join(tmpdir(), "bastion-render-"));
  let server: ChildProcess | null = null;
  const serverLog: string[] = [];
  try {
    const dbPath = createMigratedDb(dir);
    log(`render: seeding ${count} open positions`);
    seedOpenPositions(dbPath, count);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    log(`render: next start on ${base}`);
    const startedAt = performance.now();
    server = spawn(process.execPath, [join(root, "node_modules", "next", "dist", "bin", "next"), "start", "-H", "127.0.0.1", "-p", String(port)], {
      cwd: root,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        DATABASE_URL: `file:${dbPath}`,
        BASTION_MODE: "replay",
        BASTION_STRATEGY: "off",
        BASTION_SIM_STATE: join(dir, "sim-venue.db"),
        BASTION_ADMIN_PASSWORD: ADMIN_PASSWORD,
        NEXT_TELEMETRY_DISABLED: "1",
        NODE_ENV: "production",
      },
    });
    const keep = (chunk: Buffer) => {
      serverLog.push(chunk.toString());
      if (serverLog.length > 200) serverLog.shift();
    };
    server.stdout?.on("data", keep);
    server.stderr?.on("data", keep);
    await waitForHealth(`${base}/api/health`, server, 90_000);
    const serverStartMs = Math.round(performance.now() - startedAt);

    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(`${base}/signin`);
      await page.getByLabel("Username").fill("admin");
      await page.getByLabel("Password").fill(ADMIN_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${base}/`);

      const measure = async (path: string, ready: (n: number) => number | false) => {
        const first = await timedLoad(page, `${base}${path}`, ready, count);
        const samples: number[] = [];
        for (let i = 0; i < loads; i++) samples.push(await timedLoad(page, `${base}${path}`, ready, count));
        return { firstLoadMs: round(first), ...summarize(samples) };
      };
      const shoot = async (file: string) => {
        if (options.screenshots) await page.screenshot({ path: join(options.screenshots, file), fullPage: false });
      };
      log(`render: /positions × ${loads + 1}`);
      const positionsPage = await measure("/positions", POSITIONS_READY);
      const positionRows = await page.evaluate(() => document.querySelectorAll("table.po-table tbody tr").length);
      await shoot("render-positions.png");
      log(`render: / × ${loads + 1}`);
      const overview = await measure("/", OVERVIEW_READY);
      await shoot("render-overview.png");
      return {
        name,
        positions: count,
        unit: "ms from navigation start (median of warm loads)",
        overview,
        positionsPage,
        serverStartMs,
        // The first page of rows (50 a page) of the `positions` the table counts.
        check: { positionRows },
      };
    } finally {
      await browser.close();
    }
  } catch (e) {
    const tail = serverLog.join("").split("\n").slice(-15).join("\n");
    throw new Error(`${e instanceof Error ? e.message : String(e)}${tail ? `\n--- server log (tail) ---\n${tail}` : ""}`, { cause: e });
  } finally {
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((r) => server!.once("exit", r));
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (server.exitCode === null) {
        try {
          process.kill(-server.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const screenshots = arg("screenshots");
  renderBench({
    positions: Number(arg("positions") ?? 500),
    loads: Number(arg("loads") ?? 5),
    ...(screenshots ? { screenshots } : {}),
    log: (l) => process.stderr.write(`${l}\n`),
  })
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((e: unknown) => {
      process.stderr.write(`render bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    });
}

/**
 * What the Playwright configs share: one worker in order on the `e2e` folder, the system chromium with the flags
 * that keep it quiet and offline, and the built app served on 127.0.0.1 on a fresh SQLite file. Each config
 * (playwright.config.ts, playwright.live.config.ts, playwright.portfolio.config.ts, playwright.allocation.config.ts,
 * playwright.arbitrage.config.ts)
 * adds only what makes its desk different: the port, the database folder, the BASTION_* variables, the specs it runs.
 */
import type { PlaywrightTestConfig } from "@playwright/test";

type WebServer = Extract<NonNullable<PlaywrightTestConfig["webServer"]>, { command: string }>;

/** The address a server started by a config listens on. */
export const localUrl = (port: number): string => `http://127.0.0.1:${port}`;

/** The built app on one port (after `npm run build`). */
export const nextStart = (port: number): string => `npx next start -H 127.0.0.1 -p ${port}`;

/** The specs run one at a time, in file order, without retries: they share one server and one database. */
export const serialRun = {
  testDir: "e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
} satisfies PlaywrightTestConfig;

/** The browser: the system chromium (CHROMIUM_PATH overrides it), headless, with no network of its own beyond the app. */
export function chromiumUse(baseURL: string): NonNullable<PlaywrightTestConfig["use"]> {
  return {
    baseURL,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  };
}

/** A server the run starts and stops itself (never one already running), quiet on stdout, its errors shown. */
export function server(shape: { command: string; url: string; timeout: number; env?: Record<string, string> }): WebServer {
  return { ...shape, reuseExistingServer: false, stdout: "ignore", stderr: "pipe" };
}

/** The app on `port`, up once its health route answers; `prepare` makes the fresh database (and files) first. */
export function appServer(port: number, prepare: string, env: Record<string, string>): WebServer {
  return server({
    command: `${prepare} && npx prisma migrate deploy && ${nextStart(port)}`,
    url: `${localUrl(port)}/api/health`,
    timeout: 120_000,
    env: { NEXT_TELEMETRY_DISABLED: "1", ...env },
  });
}

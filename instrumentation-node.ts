/**
 * What the Next.js server does once when it starts (instrumentation.ts calls it under the Node.js runtime only).
 * First start creates the user `admin` (server/auth/bootstrap.ts); then the trading engine starts
 * (server/engine/runtime.ts) — one per process, alive whether or not a browser is open.
 * A bad BASTION_* variable (server/config.ts), or a BASTION_ADMIN_PASSWORD that fails the password policy, stops the
 * server with a clear message.
 */
export async function startServer(): Promise<void> {
  // Every BASTION_* variable is checked before anything starts: a bad one stops the server, named.
  const { appConfig, ConfigError } = await import("./server/config");
  let engineOn: boolean;
  try {
    engineOn = appConfig().engineOn;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    process.exit(1);
  }
  const { bootstrapOnStart } = await import("./server/auth/bootstrap");
  await bootstrapOnStart();
  if (!engineOn) return;
  const { ensureRuntime } = await import("./server/engine/runtime");
  await ensureRuntime();
  // The portfolio risk figures' history (VaR, ES, cluster exposure, target weights): a point every few minutes while the server runs.
  const everyMs = appConfig().intervals.portfolioPointMinutes * 60_000;
  void import("./server/services/portfolio-risk").then(({ startPortfolioRiskHistory }) => startPortfolioRiskHistory({ everyMs }));
  // Warm the History totals cache in the background (batched, yields to the engine) so the first visit is fast.
  void import("./server/db/queries/trade-totals")
    .then(async ({ warmTradeTotals }) => {
      const { db } = await import("./server/db/client");
      await warmTradeTotals(db());
    })
    .catch((e: unknown) => console.warn("history totals warm-up failed:", e));
}

/**
 * The app router at /api/trpc (DESIGN.md): auth, overview, positions, orders, trades, risk, breaker, signals,
 * audit, backtests, settings, reconciliation, notifications, protections, alerts, strategies, arbitrage. Routers are thin: input schema, authorization (the procedure), one service call.
 */
import { alertsRouter } from "./routers/alerts";
import { arbitrageRouter } from "./routers/arbitrage";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { backtestsRouter } from "./routers/backtests";
import { notificationsRouter } from "./routers/notifications";
import { breakerRouter } from "./routers/breaker";
import { ordersRouter } from "./routers/orders";
import { overviewRouter } from "./routers/overview";
import { performanceRouter } from "./routers/performance";
import { positionsRouter } from "./routers/positions";
import { protectionsRouter } from "./routers/protections";
import { reconciliationRouter } from "./routers/reconciliation";
import { riskRouter } from "./routers/risk";
import { settingsRouter } from "./routers/settings";
import { signalsRouter } from "./routers/signals";
import { strategiesRouter } from "./routers/strategies";
import { tradesRouter } from "./routers/trades";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  overview: overviewRouter,
  breaker: breakerRouter,
  signals: signalsRouter,
  trades: tradesRouter,
  performance: performanceRouter,
  audit: auditRouter,
  backtests: backtestsRouter,
  positions: positionsRouter,
  orders: ordersRouter,
  risk: riskRouter,
  settings: settingsRouter,
  reconciliation: reconciliationRouter,
  notifications: notificationsRouter,
  protections: protectionsRouter,
  alerts: alertsRouter,
  strategies: strategiesRouter,
  arbitrage: arbitrageRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls (tests, server components): `createCaller(ctx)`. */
export const createCaller = createCallerFactory(appRouter);

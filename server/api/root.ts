/**
 * The app router at /api/trpc (DESIGN.md): auth, overview, positions, orders, trades, risk, breaker, signals,
 * audit, backtests, settings. Routers are thin: input schema, authorization (the procedure), one service call.
 */
import { authRouter } from "./routers/auth";
import { breakerRouter } from "./routers/breaker";
import { overviewRouter } from "./routers/overview";
import { signalsRouter } from "./routers/signals";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  overview: overviewRouter,
  breaker: breakerRouter,
  signals: signalsRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls (tests, server components): `createCaller(ctx)`. */
export const createCaller = createCallerFactory(appRouter);

/**
 * The app router at /api/trpc. Routers are thin: input schema, authorization (the procedure), one service call.
 * To come (DESIGN.md): overview, positions, orders, trades, risk, breaker, signals, audit, backtests, settings.
 */
import { authRouter } from "./routers/auth";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls (tests, server components): `createCaller(ctx)`. */
export const createCaller = createCallerFactory(appRouter);

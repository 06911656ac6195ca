/**
 * Runs once when the Next.js server starts (not during `next build`). Node.js runtime only: the work is in
 * instrumentation-node.ts, imported only under that runtime, so the Edge build of this file compiles none of it.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") await import("./instrumentation-node").then(({ startServer }) => startServer());
}

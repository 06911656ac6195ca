/**
 * Runs once when the Next.js server starts (not during `next build`). Node.js runtime only.
 * First start: creates the user `admin` (server/auth/bootstrap.ts). A BASTION_ADMIN_PASSWORD that fails the
 * password policy stops the server with a clear message.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { bootstrapOnStart } = await import("./server/auth/bootstrap");
    await bootstrapOnStart();
  }
}

import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  resolve: { alias: { "@": fileURLToPath(new URL(".", import.meta.url)) } },
  test: {
    include: ["server/**/*.test.ts", "scripts/**/*.test.ts", "components/**/*.test.ts"],
    environment: "node",
    pool: "forks",
    // Shared, noisy 2-core machines: a slow run is not a failure (speed lives in `npm run bench`).
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Where secrets and the engine live, the module says so: Next refuses to bundle it into a client component.
 * (Vitest aliases the marker to its empty module; CLIs run with `tsx -C react-server`.)
 */
const SERVER_ONLY = [
  "server/config.ts",
  "server/engine/runtime.ts",
  "server/venues/ccxt/live-config.ts",
  "server/auth/sessions.ts",
  "server/auth/users.ts",
  "server/auth/password.ts",
  "server/auth/bootstrap.ts",
];

describe("server-only markers", () => {
  it.each(SERVER_ONLY)("%s imports server-only", (file) => {
    const source = readFileSync(join(import.meta.dirname, "..", file), "utf8");
    expect(source).toMatch(/^import "server-only";$/m);
  });
});

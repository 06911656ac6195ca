// server/core is pure domain logic (DESIGN.md). ESLint enforces it while editing; this test makes CI fail too.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const CORE = join(import.meta.dirname, "..", "server", "core");
const FORBIDDEN = /from\s+["'](next|react|react-dom|@trpc|@prisma|ccxt|better-sqlite3|(node:)?(fs|net|http|https|child_process))(\/[^"']*)?["']/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("server/core purity", () => {
  const files = sourceFiles(CORE);

  it("has source files to check", () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files.map((f) => [f.slice(CORE.length + 1), f]))("%s imports no I/O, framework or database module", (_name, file) => {
    const source = readFileSync(file, "utf8");
    expect(source.match(FORBIDDEN)?.[0] ?? null).toBeNull();
    expect(/\bDate\.now\(|\bMath\.random\(/.test(source)).toBe(false);
  });

  it("the pattern catches what it must", () => {
    for (const line of [
      'import ccxt from "ccxt";',
      "import { readFileSync } from 'node:fs';",
      'import { x } from "@prisma/client";',
      'import { y } from "next/server";',
    ]) {
      expect(FORBIDDEN.test(line)).toBe(true);
    }
    expect(FORBIDDEN.test('import { D } from "../money";')).toBe(false);
  });
});

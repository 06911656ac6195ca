/** The render bench's parts that need no build or browser: the seeded positions, and the skip without a build. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../server/db/sqlite-store";
import { createMigratedDb } from "../../test/db";
import { renderBench, seedOpenPositions } from "./render";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("render bench", () => {
  it("seeds filled open positions the engine restores on start", () => {
    const path = createMigratedDb();
    dirs.push(dirname(path));
    seedOpenPositions(path, 25);
    const store = openSqliteStore({ path });
    try {
      const open = store.loadOpenPositions();
      expect(open).toHaveLength(25);
      expect(new Set(open.map((p) => p.position.id)).size).toBe(25);
      for (const { position } of open) {
        expect(position).toMatchObject({ symbol: "BTC/USDT", side: "LONG", state: "OPEN" });
        expect(position.quantity.toString()).toBe("0.0001");
      }
    } finally {
      store.close();
    }
  });

  it("answers with a note instead of building when there is no build", async () => {
    const root = mkdtempSync(join(tmpdir(), "bastion-render-nobuild-"));
    dirs.push(root);
    const result = await renderBench({ root });
    expect(result.name).toBe("render_first_ms_500_positions");
    expect("skipped" in result ? result.skipped : null).toMatch(/npm run build/);
  });
});

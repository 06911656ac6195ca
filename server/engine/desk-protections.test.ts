/** A desk file's `protections:` reach the engine in every mode (runtime.ts builds them with deskProtections). */
import { resultMessage } from "./context";
import { afterEach, describe, expect, it } from "vitest";
import { openTestDesk, type TestDesk } from "../../test/desk-support";
import { parseDeskFile } from "./desk-file";
import { deskProtections, REPLAY_PROTECTIONS } from "./replay-desk";

let desk: TestDesk | null = null;
afterEach(async () => {
  await desk?.close();
  desk = null;
});

const FILE = parseDeskFile("protections:\n  flash_move: { move_pct: 3, window_seconds: 60, action: LOCK_SYMBOL, lock_minutes: 10 }\n", {
  source: "desk.yaml",
}).protections;

describe("deskProtections", () => {
  it.each([
    { mode: "replay", file: null, want: REPLAY_PROTECTIONS },
    { mode: "paper", file: null, want: {} },
    { mode: "replay", file: FILE, want: { ...REPLAY_PROTECTIONS, flashMove: FILE!.flashMove } },
    { mode: "live", file: FILE, want: { flashMove: FILE!.flashMove } },
  ])("$mode, file: $file", ({ mode, file, want }) => {
    expect(deskProtections(mode, file)).toEqual(want);
  });

  it.each(["replay", "paper", "live"])("in %s, the file's flash move (3 %% in a minute) locks the symbol against new entries", async (mode) => {
    desk = await openTestDesk({ engine: { protections: deskProtections(mode, FILE) } });
    await desk.quote(20_700); // +3.5 % one second after 20 000
    const refused = await desk.trySignal("BUY");
    expect(refused).toMatchObject({ ok: false, error: { code: "PROTECTION_LOCK" } });
    expect(resultMessage(refused)).toMatch(/BTC\/USDT/);
    // ETH/USDT did not move: its entries pass.
    expect(await desk.trySignal("BUY", { symbol: "ETH/USDT" })).toMatchObject({ ok: true });
  });
});

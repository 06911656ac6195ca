import { describe, expect, it } from "vitest";
import { DAY_MS, ManualClock, utcDayStart } from "./clock";
import { isValidClientOrderId, sequentialIds, timeOrderedIds } from "./ids";
import { err, ok } from "./errors";
import { seededRng } from "./rng";

describe("ManualClock", () => {
  it("moves only forward", () => {
    const clock = new ManualClock(1000);
    clock.advance(500);
    expect(clock.now()).toBe(1500);
    clock.set(2000);
    expect(clock.now()).toBe(2000);
    expect(() => clock.set(1999)).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it("finds the UTC day start", () => {
    const t = Date.UTC(2023, 0, 5, 23, 59, 59, 999);
    expect(utcDayStart(t)).toBe(Date.UTC(2023, 0, 5));
    expect(utcDayStart(t + 1)).toBe(Date.UTC(2023, 0, 6));
    expect(utcDayStart(t + 1) - utcDayStart(t)).toBe(DAY_MS);
  });
});

describe("ids", () => {
  it("sequential ids are reproducible and per prefix", () => {
    const ids = sequentialIds();
    expect([ids.next("ord"), ids.next("ord"), ids.next("pos")]).toEqual(["ord-1", "ord-2", "pos-1"]);
    expect(sequentialIds("bt").next("ord")).toBe("ord-bt-1");
  });

  it("time-ordered ids are unique and valid clientOrderIds", () => {
    const rng = seededRng(7);
    const ids = timeOrderedIds(
      () => 1_700_000_000_000,
      () => rng.next(),
    );
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = ids.next("bst");
      expect(isValidClientOrderId(id)).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBe(10_000);
  });

  it.each([
    ["bst-abc_1.2:3/4", true],
    ["", false],
    ["x".repeat(37), false],
    ["has space", false],
    ["emoji-✓", false],
    ["x".repeat(36), true],
    ["a\n", false],
    ["a\u0100", false],
    ["ç", false],
    ["A-Z_a.z:0/9", true],
    ["a+b", false],
    ["a,b", false],
  ])("clientOrderId %j valid=%s", (id, valid) => {
    expect(isValidClientOrderId(id)).toBe(valid);
  });
});

describe("seededRng", () => {
  it("is deterministic per seed and in [0, 1)", () => {
    const a = seededRng(42);
    const b = seededRng(42);
    const c = seededRng(43);
    const seqA = Array.from({ length: 100 }, () => a.next());
    const seqB = Array.from({ length: 100 }, () => b.next());
    const seqC = Array.from({ length: 100 }, () => c.next());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe("result", () => {
  it("builds ok and err values", () => {
    expect(ok(1)).toEqual({ ok: true, value: 1 });
    expect(err("X", "bad")).toEqual({ ok: false, error: { code: "X", message: "bad" } });
    expect(err("X", "bad", { a: 1 })).toEqual({ ok: false, error: { code: "X", message: "bad", details: { a: 1 } } });
  });
});

describe("isValidClientOrderId against its pattern", () => {
  it("answers as /^[A-Za-z0-9._:/-]{1,36}$/ for every character and length", () => {
    const pattern = /^[A-Za-z0-9._:/-]{1,36}$/;
    for (let code = 0; code < 400; code++) {
      const c = String.fromCharCode(code);
      for (const id of [c, `a${c}`, `${c}b`, c.repeat(36), c.repeat(37)]) expect([id, isValidClientOrderId(id)]).toEqual([id, pattern.test(id)]);
    }
  });
});

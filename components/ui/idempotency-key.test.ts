import { describe, expect, it } from "vitest";
import { IDEMPOTENCY_KEY } from "@/server/api/idempotency";
import { newIdempotencyKey } from "./confirm-dialog";

describe("the confirm dialog's idempotency key", () => {
  it("is what the server accepts, and new for every dialog", () => {
    const keys = new Set(Array.from({ length: 200 }, () => newIdempotencyKey()));
    expect(keys.size).toBe(200);
    for (const key of keys) expect(key).toMatch(IDEMPOTENCY_KEY);
  });
});

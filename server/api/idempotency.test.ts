/** A retried click with the same idempotency key returns the first answer and does not act twice (over HTTP). */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type HttpDesk, openHttpDesk } from "../../test/http-support";

let desk: HttpDesk;
beforeEach(async () => {
  desk = await openHttpDesk();
});
afterEach(async () => {
  await desk.close();
});

const order = { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01", reason: "by hand" };

describe("idempotency keys on manual mutations", () => {
  it("the same key twice: one order, the same answer", async () => {
    const first = await desk.call("orders.place", { ...order, idempotencyKey: "click-0001" }, { role: "trader" });
    const again = await desk.call("orders.place", { ...order, idempotencyKey: "click-0001" }, { role: "trader" });
    expect(first.status).toBe(200);
    expect(again).toEqual(first);
    expect(await desk.tdb.client.order.count()).toBe(1);
    expect(await desk.tdb.client.auditLog.count({ where: { action: "manual_order" } })).toBe(1);
    // a new click (a new key) is a new order
    expect((await desk.call("orders.place", { ...order, idempotencyKey: "click-0002" }, { role: "trader" })).status).toBe(200);
    expect(await desk.tdb.client.order.count()).toBe(2);
  });

  it("two requests with the same key at once act once", async () => {
    const input = { reason: "two tabs", idempotencyKey: "click-0003" };
    const [a, b] = await Promise.all([desk.call("positions.closeAll", input, { role: "trader" }), desk.call("positions.closeAll", input, { role: "trader" })]);
    expect(a.status).toBe(200);
    expect(b).toEqual(a);
    expect(await desk.tdb.client.auditLog.count({ where: { action: "close_all" } })).toBe(1);
  });

  it("a refusal is replayed too; the key with another input is a conflict; a malformed key is a 400", async () => {
    const cancel = { clientOrderId: "nope-1", idempotencyKey: "click-0004" };
    const first = await desk.call("orders.cancel", cancel, { role: "trader" });
    const again = await desk.call("orders.cancel", cancel, { role: "trader" });
    expect(first.status).toBe(404);
    expect(again.error?.message).toBe(first.error?.message);
    expect(again.error?.data.domainCode).toBe(first.error?.data.domainCode);
    expect(await desk.tdb.client.auditLog.count({ where: { action: "cancel_order" } })).toBe(1);
    const reused = await desk.call("orders.cancel", { ...cancel, clientOrderId: "nope-2" }, { role: "trader" });
    expect(reused.status).toBe(409);
    expect(reused.error?.data.domainCode).toBe("IDEMPOTENCY_KEY_REUSED");
    const bad = await desk.call("breaker.pause", { idempotencyKey: "x" }, { role: "trader" });
    expect(bad.status).toBe(400);
    expect(desk.engine.state().tradingState).toBe("ACTIVE");
  });

  it("user management keeps no answer: a generated password is never stored", async () => {
    const answer = await desk.call("auth.users.create", { username: "newbie", role: "viewer", idempotencyKey: "click-0006" }, { role: "admin" });
    expect(answer.data).toMatchObject({ generatedPassword: expect.any(String) as unknown });
    expect(await desk.tdb.client.idempotencyKey.count()).toBe(0);
  });

  it("keys belong to their user: another trader's same key acts", async () => {
    expect((await desk.call("breaker.pause", { idempotencyKey: "click-0005" }, { role: "trader" })).status).toBe(200);
    expect((await desk.call("breaker.resume", { idempotencyKey: "click-0005" }, { role: "admin" })).status).toBe(200);
    expect(desk.engine.state().tradingState).toBe("ACTIVE");
  });
});

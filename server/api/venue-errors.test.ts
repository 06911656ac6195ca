import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GET as health } from "@/app/api/health/route";
import { runtimeState } from "../engine/runtime";
import { classifyCcxtError } from "../venues/ccxt/errors";
import { callerFor, openTestDesk, type TestDesk } from "../../test/desk-support";
import { createCallerFactory, router, viewerProcedure } from "./trpc";
import { scrubDeep, scrubVenueText } from "./venue-errors";

// ccxt's classes are recognised by name (errors.ts): these stand in for them.
class InsufficientFunds extends Error {}
class ExchangeNotAvailable extends Error {}
class AuthenticationError extends Error {}

const RAW_FUNDS =
  'binance POST https://api.binance.com/api/v3/order?symbol=BTCUSDT&timestamp=1 400 {"code":-2010,"msg":"Account has insufficient balance for requested action. Balance 1234.56 USDT"}';

describe("scrubVenueText", () => {
  const ctx = { exchange: "binance", kind: "create" as const, action: "placing order ord-1" };
  it.each([
    [classifyCcxtError(new InsufficientFunds(RAW_FUNDS), ctx).message, "INSUFFICIENT_FUNDS: the exchange refused it: not enough funds."],
    [
      classifyCcxtError(new ExchangeNotAvailable("binance GET https://api.binance.com/api/v3/order 503 Service Unavailable"), { ...ctx, kind: "read" }).message,
      "EXCHANGE_UNAVAILABLE: the exchange was unavailable.",
    ],
    [
      classifyCcxtError(new AuthenticationError('binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action, request ip: 203.0.113.9"}'), ctx)
        .message,
      "AUTHENTICATION_FAILED: the exchange refused our credentials.",
    ],
    [
      "REJECTED: " + classifyCcxtError(new InsufficientFunds(RAW_FUNDS), ctx).message,
      "REJECTED: INSUFFICIENT_FUNDS: the exchange refused it: not enough funds.",
    ],
    [
      "outcome unknown: in doubt, looked up by clientOrderId, never re-sent (TIMEOUT: binance did not answer POST https://api.binance.com/api/v3/order in 10000 ms)",
      "outcome unknown: in doubt, looked up by clientOrderId, never re-sent (TIMEOUT: the exchange did not answer in time; the outcome is unknown and is looked up; nothing is sent again.)",
    ],
    ["order failed at https://api.binance.com (INSUFFICIENT_FUNDS: x)", "The exchange reported an error (traders and admins see the details)."],
    ["connect ECONNREFUSED 10.0.0.2:443", "The exchange reported an error (traders and admins see the details)."],
    ["TRADING_HALTED: trading is halted; only cancels are allowed.", "TRADING_HALTED: trading is halted; only cancels are allowed."],
    ["rejected by the exchange", "rejected by the exchange"],
    ["EXPIRED", "EXPIRED"],
    ["EMERGENCY stop by tina: flatten", "EMERGENCY stop by tina: flatten"],
    ["take profit at 20000 (level 1)", "take profit at 20000 (level 1)"],
    ["Error: boom\n    at submit (/srv/bastion/server/engine/engine.ts:12:3)", "The exchange reported an error (traders and admins see the details)."],
  ])("%s → %s", (raw, safe) => {
    expect(scrubVenueText(raw)).toBe(safe);
    expect(scrubVenueText(raw)).not.toMatch(/1234\.56|203\.0\.113\.9|api\.binance\.com/);
  });

  it("walks plain objects and arrays, and leaves other values alone", () => {
    const when = new Date(0);
    expect(scrubDeep({ a: [{ reason: RAW_FUNDS, n: 1 }], when, ok: true })).toEqual({
      a: [{ reason: "The exchange reported an error (traders and admins see the details).", n: 1 }],
      when,
      ok: true,
    });
  });
});

describe("viewers read exchange errors scrubbed; traders and admins whole", () => {
  it("applies to every viewer procedure", async () => {
    const r = router({
      echo: viewerProcedure.query(() => ({
        reason: classifyCcxtError(new InsufficientFunds(RAW_FUNDS), { exchange: "binance", kind: "create", action: "placing order ord-1" }).message,
      })),
    });
    const call = createCallerFactory(r);
    const ctx = (role: "viewer" | "trader" | "admin") => ({
      user: { id: `u-${role}`, username: role, role },
      sessionToken: null,
      ip: "unknown",
      resHeaders: new Headers(),
      secureCookies: false,
    });
    expect((await call(ctx("viewer")).echo()).reason).toBe("INSUFFICIENT_FUNDS: the exchange refused it: not enough funds.");
    expect((await call(ctx("trader")).echo()).reason).toContain("Account has insufficient balance for requested action. Balance 1234.56 USDT");
    expect((await call(ctx("admin")).echo()).reason).toContain("1234.56");
  });

  describe("on a desk", () => {
    let desk: TestDesk;
    beforeEach(async () => {
      desk = await openTestDesk();
      const runtime = runtimeState().runtime!;
      runtime.venueStatus = () => ({
        connected: false,
        latencyMs: null,
        lastError: classifyCcxtError(new InsufficientFunds(RAW_FUNDS), { exchange: "binance", kind: "create", action: "placing order ord-1" }).message,
      });
    });
    afterEach(async () => {
      vi.restoreAllMocks();
      await desk.close();
    });

    it("overview.summary: the venue's last error", async () => {
      expect((await callerFor("viewer").overview.summary()).venue.lastError).toBe("INSUFFICIENT_FUNDS: the exchange refused it: not enough funds.");
      expect((await callerFor("trader").overview.summary()).venue.lastError).toContain("1234.56 USDT");
    });

    it("GET /api/health lists every venue with its exchange and connection", async () => {
      vi.spyOn(console, "warn").mockImplementation(() => undefined);
      const body = (await (await health()).json()) as {
        venues: { id: string; exchange: string; connected: boolean; latencyMs: number | null; lastError: string | null }[];
      };
      expect(body.venues).toHaveLength(1);
      expect(Object.keys(body.venues[0]!).sort()).toEqual(["connected", "exchange", "id", "lastError", "latencyMs"]);
      expect(body.venues[0]!.id).toBe(runtimeState().runtime!.engine.venueId());
    });

    it("GET /api/health says what is down in our words, never the raw text", async () => {
      vi.spyOn(console, "warn").mockImplementation(() => undefined);
      const res = await health();
      const body = (await res.json()) as { status: string; db: string; down: string[]; venue: { lastError: string | null } };
      expect(res.status).toBe(200);
      expect(body.down).toEqual(["venue"]);
      expect(body.venue.lastError).toBe("INSUFFICIENT_FUNDS: the exchange refused it: not enough funds.");
      expect(JSON.stringify(body)).not.toMatch(/1234\.56|api\.binance\.com/);

      runtimeState().runtime = null;
      runtimeState().error = "SqliteError: SQLITE_CANTOPEN: unable to open database file /home/ops/secret/bastion.db";
      try {
        const down = (await (await health()).json()) as { status: string; down: string[]; engine: { running: boolean; error: string | null } };
        expect(down.down).toContain("engine");
        expect(down.engine).toEqual({ running: false, error: "The engine is not running; the server log has the reason.", degraded: false, stopped: null });
        expect(JSON.stringify(down)).not.toContain("/home/ops");
      } finally {
        runtimeState().error = null;
      }
    });
  });
});

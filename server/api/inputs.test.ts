/**
 * What the fuzz of every procedure found (issue 9 §6), each over real HTTP through the route handler:
 * superjson types smuggled in through `meta`, lone surrogates, odd values in the breaker config, absurd settings,
 * echoed megabytes. Each answer is a clear 400 and nothing changes.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AUDIT_LIMITS } from "../core/bounded-json";
import { type HttpDesk, openHttpDesk } from "../../test/http-support";

let desk: HttpDesk;
beforeEach(async () => {
  desk = await openHttpDesk({ engine: { breaker: {} } });
});
afterEach(async () => {
  await desk.close();
});

const LIMITS = { maxOpenPositions: 7, minNotional: "12", maxSlippageBps: 80 };

function envelope(json: unknown, values: unknown): string {
  return JSON.stringify({ json, meta: { values, v: 1 } });
}

describe("inputs are plain JSON (superjson meta cannot make a Date, Map, Set, RegExp or BigInt)", () => {
  it.each([
    ["Date", envelope("2024-01-01T00:00:00.000Z", ["Date"])],
    ["Map", envelope([], ["map"])],
    ["Set", envelope([], ["set"])],
    ["RegExp", envelope("/x/", ["regexp"])],
    ["BigInt", envelope("1", ["bigint"])],
  ])("settings.setRiskLimits with a %s root is a 400 that keeps every limit", async (_type, body) => {
    expect((await desk.call("settings.setRiskLimits", LIMITS, { role: "admin" })).status).toBe(200);
    const answer = await desk.raw("settings.setRiskLimits", body, { role: "admin" });
    expect(answer.status).toBe(400);
    expect(answer.error?.data.domainCode).toBe("VALIDATION");
    expect(answer.error?.message).toMatch(/plain JSON/);
    expect(desk.engine.riskSettings().limits).toEqual(LIMITS);
  });

  it("settings.setSymbol with a Date as settings does not reset the symbol to its defaults", async () => {
    const mine = { minConfidence: 0.8, stopLossPct: 3 };
    expect((await desk.call("settings.setSymbol", { symbol: "BTC/USDT", settings: mine }, { role: "admin" })).status).toBe(200);
    const answer = await desk.raw("settings.setSymbol", envelope({ symbol: "BTC/USDT", settings: "2024-01-01T00:00:00.000Z" }, { settings: ["Date"] }), {
      role: "admin",
    });
    expect(answer.status).toBe(400);
    expect(desk.engine.riskSettings().symbolSettings["BTC/USDT"]).toMatchObject(mine);
  });

  it("an unregistered type is refused before superjson reads it (no stack overflow), without signing in", async () => {
    for (const values of [["class", "Foo"], ["custom", "x"], { username: ["class", "Foo"] }, [["custom", "y"], {}]]) {
      const answer = await desk.raw("auth.signIn", envelope({ username: "x", password: "y" }, values));
      expect(answer.status).toBe(400);
      expect(answer.error?.message).toMatch(/plain JSON/);
    }
  });

  it("a reference cycle through referentialEqualities is dropped, not built", async () => {
    const body = JSON.stringify({ json: { config: { maxDailyLossPct: 4 } }, meta: { referentialEqualities: { "": ["config.self"] }, v: 1 } });
    const answer = await desk.raw("breaker.setConfig", body, { role: "admin" });
    expect(answer.status).toBe(200);
    expect(desk.engine.riskSettings().breakerConfig?.maxDailyLossPct).toBe(4);
  });

  it("what the dashboard sends still works: omitted optional values (meta undefined), no input at all", async () => {
    expect((await desk.call("breaker.pause", { reason: undefined }, { role: "trader" })).status).toBe(200);
    expect((await desk.call("risk.summary", undefined, { role: "viewer", method: "GET" })).status).toBe(200);
    expect((await desk.call("orders.list", { symbol: undefined, limit: 5 }, { role: "viewer", method: "GET" })).status).toBe(200);
  });

  it("deep nesting is a 400, not a stack overflow or a 500", async () => {
    const deep = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
    const answer = await desk.raw("breaker.setConfig", `{"json":{"config":${deep}}}`, { role: "admin" });
    expect(answer.status).toBe(400);
    expect(answer.error?.message).toMatch(/nested too deeply/);
  });
});

describe("text is well-formed Unicode (a lone surrogate is a 400, not a 500)", () => {
  const lone = "ab\ud800cd";
  it.each([
    ["auth.signIn", null, { username: lone, password: "x" }],
    ["auth.users.create", "admin", { username: lone, role: "viewer" }],
    ["auth.users.disable", "admin", { username: lone }],
    ["trades.detail", "viewer", { id: lone }],
    ["audit.list", "viewer", { actor: lone }],
    ["reconciliation.drifts", "viewer", { subject: lone }],
    ["positions.closeAll", "trader", { reason: `stop ${lone}` }],
    ["signals.submit", "trader", { id: "s-1", symbol: "BTC/USDT", action: "BUY", confidence: 0.9, strategy: lone }],
  ] as const)("%s", async (path, role, input) => {
    const method = path.startsWith("trades.") || path.startsWith("audit.") || path.startsWith("reconciliation.drifts") ? "GET" : "POST";
    const answer = await desk.call(path, input, { role, method });
    expect(answer.status).toBe(400);
    expect(answer.error?.message).toMatch(/broken character/);
  });

  it("reasons and names a person reads refuse control characters", async () => {
    for (const reason of ["line\nbreak", "bell\u0007", "rtl\u202eevil"]) {
      const answer = await desk.call("breaker.trip", { reason }, { role: "trader" });
      expect(answer.status).toBe(400);
      expect(answer.error?.message).toMatch(/control characters/);
    }
    expect(desk.engine.state().tradingState).toBe("ACTIVE");
  });
});

describe("breaker.setConfig and the audit log", () => {
  it("a BigInt, an unknown field or a nested value is a 400 with the field named", async () => {
    const bigint = await desk.raw("breaker.setConfig", envelope({ config: { maxDailyLossPct: "1" } }, { "config.maxDailyLossPct": ["bigint"] }), {
      role: "admin",
    });
    expect(bigint.status).toBe(400);
    const nested = await desk.call("breaker.setConfig", { config: { maxDailyLossPct: { a: { b: 1 } } } }, { role: "admin" });
    expect(nested.status).toBe(400);
    expect(nested.error?.message).toMatch(/maxDailyLossPct/);
    const unknown = await desk.call("breaker.setConfig", { config: { whatever: 1 } }, { role: "admin" });
    expect(unknown.status).toBe(400);
    expect(unknown.error?.message).toMatch(/Unknown breaker setting/);
  });

  it("the engine records a refusal of a huge, circular or BigInt input as a bounded summary, and answers", async () => {
    const circular: Record<string, unknown> = { maxDailyLossPct: 5, big: 10n, text: "x".repeat(2_000_000) };
    circular.self = circular;
    const result = await desk.engine.execute({ kind: "setBreakerConfig", config: circular, actor: { username: "ada", role: "admin" } });
    expect(result.ok).toBe(false);
    const rows = await desk.tdb.client.auditLog.findMany({ where: { action: "set_breaker_config" } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.result).toBe("REFUSED");
    expect(rows[0]!.params!.length).toBeLessThanOrEqual(AUDIT_LIMITS.maxChars);
    expect((rows[0]!.detail ?? "").length).toBeLessThanOrEqual(1_100);
    expect(JSON.parse(rows[0]!.params!)).toMatchObject({ maxDailyLossPct: 5, big: "10n", self: "[circular]" });
  });
});

describe("every setting has a sane range, said in words", () => {
  it.each([
    ["breaker.setConfig", { config: { cooldownMinutes: 1e300 } }, /cooldownMinutes must be from 0 to 43,200 minutes/],
    ["breaker.setConfig", { config: { maxDailyLossPct: 5e-324 } }, /maxDailyLossPct must be a percentage from 0.01 to 100/],
    ["settings.setBreakerConfig", { autoResetAfterMinutes: 1e9 }, /autoResetAfterMinutes must be from 1 to 43,200/],
    ["settings.setBreakerConfig", { maxConsecutiveLosses: 1e15 }, /maxConsecutiveLosses must be a whole number from 1 to 1,000/],
    ["settings.setRiskLimits", { minNotional: `0.${"0".repeat(40)}1` }, /minNotional must be from 0.01 to 1,000,000/],
    ["settings.setRiskLimits", { maxPortfolioExposure: "9".repeat(40) }, /maxPortfolioExposure must be from 0.01 to 1,000,000,000,000/],
    ["settings.setRiskLimits", { maxSlippageBps: 5e-324 }, /maxSlippageBps must be from 0.1 to 10,000 basis points/],
    ["settings.setSymbol", { symbol: "BTC/USDT", settings: { maxPositionQty: "9".repeat(40) } }, /maxPositionQty must be from/],
    ["settings.setSymbol", { symbol: "BTC/USDT", settings: { stopLossPct: 1e-300 } }, /stopLossPct must be from 0.01 to 99 %/],
    ["settings.setSymbol", { symbol: "BTC/USDT", settings: { sizing: { method: "fixed_fraction", fraction: 5e-324 } } }, /fraction/],
  ] as const)("%s %j", async (path, input, message) => {
    const before = desk.engine.riskSettings();
    const answer = await desk.call(path, input, { role: "admin" });
    expect(answer.status).toBe(400);
    expect(answer.error?.message).toMatch(message);
    expect(desk.engine.riskSettings()).toEqual(before);
  });

  it("sane values are still saved", async () => {
    expect((await desk.call("breaker.setConfig", { config: { cooldownMinutes: 60, maxDailyLossPct: 0.5 } }, { role: "admin" })).status).toBe(200);
    expect((await desk.call("settings.setRiskLimits", { minNotional: "0.5", maxPortfolioExposure: 250000 }, { role: "admin" })).status).toBe(200);
    expect(desk.engine.riskSettings().limits).toEqual({ minNotional: "0.5", maxPortfolioExposure: "250000" });
  });
});

describe("errors do not echo huge inputs", () => {
  it("a 200 KB value comes back as a short message", async () => {
    const huge = "9".repeat(200_000);
    for (const [path, input] of [
      ["orders.place", { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: `x${huge}` }],
      ["settings.setRiskLimits", { maxPortfolioExposure: `x${huge}` }],
      ["breaker.setConfig", { config: { tripAction: huge } }],
      ["positions.close", { positionId: huge }],
    ] as const) {
      const answer = await desk.call(path, input, { role: "admin" });
      // 413 if a body limit in front (256 KiB) ever comes below this size; either way a short answer
      expect([400, 413]).toContain(answer.status);
      expect(answer.text.length).toBeLessThan(5_000);
    }
  });
});

describe("long URLs", () => {
  it("a GET over 8 KiB gets a clear 414 in tRPC's error shape, not an empty 431", async () => {
    const answer = await desk.call("trades.detail", { id: "x".repeat(9_000) }, { role: "viewer", method: "GET" });
    expect(answer.status).toBe(414);
    expect(answer.error?.data.domainCode).toBe("URL_TOO_LONG");
    expect(answer.error?.message).toMatch(/at most 8192 are accepted/);
    expect((await desk.call("trades.detail", { id: "x".repeat(100) }, { role: "viewer", method: "GET" })).status).toBe(404);
  });
});

describe("superjson meta that points nowhere", () => {
  it("is a clear 400", async () => {
    const answer = await desk.raw(
      "breaker.pause",
      JSON.stringify({ json: {}, meta: { values: { "a.b.c": ["undefined"], "__proto__.x": ["undefined"] }, v: 1 } }),
      { role: "trader" },
    );
    expect(answer.status).toBe(400);
    expect(desk.engine.state().tradingState).toBe("ACTIVE");
  });
});

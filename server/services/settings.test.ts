import superjson from "superjson";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GET, POST } from "@/app/api/trpc/[trpc]/route";
import { createSession } from "../auth/sessions";
import { FAST_SCRYPT } from "../../test/auth-support";
import { createUser } from "../auth/users";
import { callerFor, trpcError } from "../../test/desk-support";
import { DEFAULT_BREAKER_CONFIG } from "../core/breaker/config";
import { DEFAULT_SYMBOL_SETTINGS } from "../engine/settings";
import { openRiskDesk, type RiskDesk } from "../../test/risk-support";

let desk: RiskDesk;
beforeEach(async () => {
  desk = await openRiskDesk();
});
afterEach(async () => {
  await desk.close();
});

const LIMITS = { maxOpenPositions: 3, maxPortfolioExposurePct: 100, maxSymbolExposurePct: 50, maxOrdersPerMinute: 60, minNotional: "10" };
const BTC_SETTINGS = { ...DEFAULT_SYMBOL_SETTINGS, minConfidence: 0.6, maxPositionQty: "0.5", sizing: { method: "fixed_fraction" as const, fraction: 0.05 } };

/** The issue messages of a BAD_REQUEST (input) refusal, or its message. */
function problems(e: { cause?: unknown; message: string }): string {
  const issues = (e.cause as { issues?: { message: string; path: unknown[] }[] } | undefined)?.issues;
  return issues ? issues.map((i) => `${i.path.join(".")}: ${i.message}`).join(" | ") : e.message;
}

describe("settings.get", () => {
  it("shows the limits, every instrument's settings (stored or defaults) and the breaker config to a viewer", async () => {
    await callerFor("admin").settings.setSymbol({ symbol: "BTC/USDT", settings: BTC_SETTINGS });
    const s = await callerFor("viewer").settings.get();
    expect(s.limits).toEqual(LIMITS);
    expect(s.symbols.map((r) => [r.symbol, r.stored, r.updatedBy])).toEqual([
      ["BTC/USDT", true, "ada"],
      ["ETH/USDT", false, null],
    ]);
    expect(s.symbols[0]!.settings).toMatchObject({ minConfidence: 0.6, maxPositionQty: "0.5" });
    expect(s.symbols[1]!.settings).toEqual(s.symbolDefaults);
    expect(s.breakerConfig).toMatchObject({ maxDailyLossPct: 5, maxDailyLossAbs: 400, maxConsecutiveLosses: 3, tripAction: "HALT_CANCEL" });
    expect(s.breakerEnabled).toBe(true);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});

describe("role enforcement", () => {
  it.each(["viewer", "trader"] as const)("a %s is FORBIDDEN on every settings change, and nothing changes or is audited", async (role) => {
    const caller = callerFor(role);
    for (const call of [
      caller.settings.setRiskLimits({ ...LIMITS, maxOpenPositions: 1 }),
      caller.settings.setSymbol({ symbol: "BTC/USDT", settings: BTC_SETTINGS }),
      caller.settings.setBreakerConfig({ ...DEFAULT_BREAKER_CONFIG, maxDrawdownPct: 50 }),
      // even a malformed input is refused for the role first
      caller.settings.setRiskLimits({ maxOpenPositions: -1 }),
    ]) {
      const e = await trpcError(call);
      expect(e.code).toBe("FORBIDDEN");
      expect(e.message).toMatch(/needs the admin role/);
    }
    expect(desk.engine.riskSettings().limits).toEqual(LIMITS);
    expect(desk.engine.riskSettings().stored).toEqual([]);
    expect(desk.engine.riskSettings().breakerConfig?.maxDrawdownPct).toBe(10);
    expect(await desk.tdb.client.auditLog.count()).toBe(0);
  });

  it("needs a session even to read", async () => {
    expect((await trpcError(callerFor(null).settings.get())).code).toBe("UNAUTHORIZED");
  });
});

describe("validation refusals name the field and the reason", () => {
  const admin = () => callerFor("admin");
  it.each([
    [
      "negative limit",
      () => admin().settings.setRiskLimits({ ...LIMITS, maxOpenPositions: -1 }),
      /maxOpenPositions: maxOpenPositions must be from 1 to 10,000 \(got -1\)/,
    ],
    [
      "NaN limit",
      () => admin().settings.setRiskLimits({ ...LIMITS, maxOrdersPerMinute: Number.NaN }),
      /maxOrdersPerMinute: maxOrdersPerMinute must be a finite number \(got NaN\)/,
    ],
    [
      "fractional count",
      () => admin().settings.setRiskLimits({ ...LIMITS, maxOpenPositions: 2.5 }),
      /maxOpenPositions: maxOpenPositions must be a whole number from 1 to 10,000 \(got 2.5\)/,
    ],
    [
      "Infinity",
      () => admin().settings.setRiskLimits({ ...LIMITS, maxPortfolioExposurePct: Number.POSITIVE_INFINITY }),
      /maxPortfolioExposurePct: maxPortfolioExposurePct must be a finite number \(got Infinity\)/,
    ],
    [
      "negative decimal",
      () => admin().settings.setRiskLimits({ ...LIMITS, minNotional: "-5" }),
      /minNotional: minNotional must be from 0.01 to 1,000,000, with at most 8 decimals \(got '-5'\)/,
    ],
    ["unknown limit", () => admin().settings.setRiskLimits({ ...LIMITS, maxLeverage: 10 } as never), /unknown setting: maxLeverage/],
    [
      "breaker % above 100",
      () => admin().settings.setBreakerConfig({ ...DEFAULT_BREAKER_CONFIG, maxDrawdownPct: 150 }),
      /maxDrawdownPct must be a percentage from 0.01 to 100 \(got 150\)/,
    ],
    [
      "breaker negative count",
      () => admin().settings.setBreakerConfig({ ...DEFAULT_BREAKER_CONFIG, maxConsecutiveLosses: -2 }),
      /maxConsecutiveLosses must be a whole number from 1 to 1,000 \(got -2\)/,
    ],
    ["breaker NaN", () => admin().settings.setBreakerConfig({ ...DEFAULT_BREAKER_CONFIG, maxDailyLossAbs: Number.NaN }), /maxDailyLossAbs/],
    [
      "breaker unknown key",
      () => admin().settings.setBreakerConfig({ ...DEFAULT_BREAKER_CONFIG, maxLeverage: 3 } as never),
      /Unknown breaker setting: maxLeverage/,
    ],
    [
      "breaker unknown action",
      () => admin().settings.setBreakerConfig({ ...DEFAULT_BREAKER_CONFIG, tripAction: "PANIC" } as never),
      /tripAction must be one of HALT, HALT_CANCEL, HALT_CANCEL_FLATTEN/,
    ],
    [
      "symbol confidence above 1",
      () => admin().settings.setSymbol({ symbol: "BTC/USDT", settings: { ...BTC_SETTINGS, minConfidence: 1.5 } }),
      /settings.minConfidence: minConfidence must be from 0 to 1 \(got 1.5\)/,
    ],
    [
      "symbol stop-loss 150%",
      () => admin().settings.setSymbol({ symbol: "BTC/USDT", settings: { ...BTC_SETTINGS, stopLossPct: 150 } }),
      /settings.stopLossPct: stopLossPct must be from 0.01 to 99 % \(got 150\)/,
    ],
    [
      "symbol NaN fraction",
      () => admin().settings.setSymbol({ symbol: "BTC/USDT", settings: { ...BTC_SETTINGS, sizing: { method: "fixed_fraction", fraction: Number.NaN } } }),
      /settings.sizing.fraction: fraction \(a share of equity\) must be a finite number \(got NaN\)/,
    ],
    [
      "symbol unknown key",
      () => admin().settings.setSymbol({ symbol: "BTC/USDT", settings: { ...BTC_SETTINGS, leverage: 5 } as never }),
      /settings: unknown setting: leverage/,
    ],
  ])("refuses %s", async (_name, call, message) => {
    const e = await trpcError(call());
    expect(e.code).toBe("BAD_REQUEST");
    expect(problems(e)).toMatch(message);
    expect(desk.engine.riskSettings().limits).toEqual(LIMITS);
    expect(desk.engine.riskSettings().breakerConfig?.maxDrawdownPct).toBe(10);
  });

  it("refuses an unknown symbol as VALIDATION on the symbol field, and audits the refusal", async () => {
    const e = await trpcError(callerFor("admin").settings.setSymbol({ symbol: "DOGE/USDT", settings: BTC_SETTINGS }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.domainCode).toBe("VALIDATION");
    expect(e.message).toBe("symbol: DOGE/USDT is not traded on sim (traded: BTC/USDT, ETH/USDT).");
    expect(await desk.tdb.client.auditLog.findMany({ select: { actor: true, action: true, target: true, result: true } })).toEqual([
      { actor: "ada", action: "set_symbol_settings", target: "DOGE/USDT", result: "REFUSED" },
    ]);
  });

  it("over HTTP: BAD_REQUEST with domainCode VALIDATION, field errors, and a sentence", async () => {
    const user = await createUser({ username: "ada", password: "violet tractor harbour", role: "admin" }, { scrypt: FAST_SCRYPT });
    const { token } = await createSession(user.id);
    const body = JSON.stringify(superjson.serialize({ ...LIMITS, maxOpenPositions: 0, maxSymbolExposurePct: 20_000 }));
    const res = await POST(
      new Request("http://127.0.0.1:3000/api/trpc/settings.setRiskLimits", {
        method: "POST",
        headers: { "content-type": "application/json", cookie: `bastion_session=${token}` },
        body,
      }),
    );
    expect(res.status).toBe(400);
    const json = (await res.json()) as {
      error: { json: { message: string; data: { domainCode: string; zodError: { fieldErrors: Record<string, string[]> } } } };
    };
    expect(json.error.json.data.domainCode).toBe("VALIDATION");
    expect(json.error.json.data.zodError.fieldErrors).toEqual({
      maxOpenPositions: ["maxOpenPositions must be from 1 to 10,000 (got 0)"],
      maxSymbolExposurePct: ["maxSymbolExposurePct must be from 0.01 to 10,000 % (got 20000)"],
    });
    expect(json.error.json.message).toBe(
      "Invalid input: maxOpenPositions: maxOpenPositions must be from 1 to 10,000 (got 0). maxSymbolExposurePct: maxSymbolExposurePct must be from 0.01 to 10,000 % (got 20000).",
    );
    // and a viewer's session reads the settings
    const viewer = await createUser({ username: "vera", password: "violet tractor harbour", role: "viewer" }, { scrypt: FAST_SCRYPT });
    const v = await createSession(viewer.id);
    const read = await GET(new Request("http://127.0.0.1:3000/api/trpc/settings.get", { headers: { cookie: `bastion_session=${v.token}` } }));
    expect(read.status).toBe(200);
  });
});

describe("changes take effect through the engine and are audited", () => {
  it("lowering maxOpenPositions makes the next entry DENIED with MAX_OPEN_POSITIONS", async () => {
    expect(await desk.signal("BUY")).toMatchObject({ ok: true });
    const result = await callerFor("admin").settings.setRiskLimits({ ...LIMITS, maxOpenPositions: 1 });
    expect(result.message).toBe("Risk limits saved.");
    expect(await desk.signal("BUY", { symbol: "ETH/USDT" })).toMatchObject({ ok: false, error: { code: "MAX_OPEN_POSITIONS" } });
    expect((await callerFor("viewer").settings.get()).limits.maxOpenPositions).toBe(1);
    const audit = await desk.tdb.client.auditLog.findMany({ where: { action: "set_risk_limits" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "ada", role: "admin", result: "OK" });
    expect(JSON.parse(audit[0]!.params!)).toMatchObject({ maxOpenPositions: 1 });
    // the risk page shows the new limit at once
    const summary = await callerFor("viewer").risk.summary();
    expect(summary.limits.find((l) => l.key === "maxOpenPositions")).toMatchObject({ used: "1", limit: "1", level: "bad" });
  });

  it("a symbol's settings apply to its next signal (minConfidence) and are stored", async () => {
    await callerFor("admin").settings.setSymbol({ symbol: "BTC/USDT", settings: { ...BTC_SETTINGS, minConfidence: 0.95 } });
    expect(await desk.signal("BUY", { confidence: 0.9 })).toMatchObject({ ok: false, error: { code: "MIN_CONFIDENCE" } });
    expect(await desk.signal("BUY", { symbol: "ETH/USDT", confidence: 0.9 })).toMatchObject({ ok: true });
    const row = await desk.tdb.client.symbolSetting.findUnique({ where: { symbol: "BTC/USDT" } });
    expect(JSON.parse(row!.settings)).toMatchObject({ minConfidence: 0.95 });
    expect(await desk.tdb.client.auditLog.count({ where: { action: "set_symbol_settings", result: "OK" } })).toBe(1);
  });

  it("a breaker config change is saved, shown and audited", async () => {
    const config = { ...DEFAULT_BREAKER_CONFIG, maxDrawdownPct: 8, maxDailyLossAbs: 250, tripAction: "HALT_CANCEL_FLATTEN" as const };
    await callerFor("admin").settings.setBreakerConfig(config);
    expect((await callerFor("viewer").settings.get()).breakerConfig).toEqual(config);
    const summary = await callerFor("viewer").risk.summary();
    expect(summary.limits.find((l) => l.key === "breaker.maxDrawdownPct")).toMatchObject({ limit: "8" });
    expect(summary.daily.lossLimit).toBe("250");
    expect(await desk.tdb.client.auditLog.count({ where: { action: "set_breaker_config", actor: "ada", result: "OK" } })).toBe(1);
  });
});

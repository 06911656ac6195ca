import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerFor, trpcError } from "../../../test/desk-support";
import { openRiskDesk, type RiskDesk } from "../../../test/risk-support";
import { DESK_FILE_ACTOR, parseDeskFile } from "../../engine/desk-file";
import { putDeskInForce } from "../../engine/desk-changes";

let desk: RiskDesk;
beforeEach(async () => {
  desk = await openRiskDesk();
});
afterEach(async () => {
  await desk.close();
});

const admin = () => callerFor("admin");

const IMPORT = [
  "risk:",
  "  max_open_positions: 5",
  "  max_portfolio_exposure: 0.8",
  "breaker:",
  "  max_drawdown_pct: 12",
  "symbols:",
  "  BTC/USDT:",
  "    stop_loss_pct: 1.5",
  "    max_position_size: 0.25",
  "",
].join("\n");

describe("settings.exportDesk", () => {
  it("gives the live settings as a desk file that imports again without a difference", async () => {
    const { yaml, fileName } = await admin().settings.exportDesk();
    expect(fileName).toMatch(/^desk-\d{4}-\d{2}-\d{2}\.yaml$/);
    expect(yaml).toContain("max_open_positions: 3");
    expect(yaml).toContain("max_daily_loss_abs: 400");
    expect(yaml).toMatch(/symbols:\n {2}BTC\/USDT:\n/);
    const preview = await admin().settings.previewDeskImport({ yaml });
    expect(preview).toEqual({ ok: true, rows: [], liveChanges: 0, notActedUpon: [] });
  });

  it.each(["viewer", "trader"] as const)("is for admins only (a %s is FORBIDDEN)", async (role) => {
    expect((await trpcError(callerFor(role).settings.exportDesk())).code).toBe("FORBIDDEN");
    expect((await trpcError(callerFor(role).settings.previewDeskImport({ yaml: IMPORT }))).code).toBe("FORBIDDEN");
    expect((await trpcError(callerFor(role).settings.applyDeskImport({ yaml: IMPORT }))).code).toBe("FORBIDDEN");
    expect(desk.engine.riskSettings().limits.maxOpenPositions).toBe(3);
    expect(await desk.tdb.client.auditLog.count()).toBe(0);
  });
});

describe("settings.previewDeskImport", () => {
  it("lists each difference in the file's units, changes nothing and audits nothing", async () => {
    const preview = await admin().settings.previewDeskImport({ yaml: IMPORT });
    expect(preview).toEqual({
      ok: true,
      liveChanges: 5,
      notActedUpon: [],
      rows: [
        { key: "risk.max_open_positions", current: "3", proposed: "5", effect: "live" },
        { key: "risk.max_portfolio_exposure", current: "1", proposed: "0.8", effect: "live" },
        { key: "breaker.max_drawdown_pct", current: "10", proposed: "12", effect: "live" },
        { key: "symbols.BTC/USDT.max_position_size", current: "none", proposed: "0.25", effect: "live" },
        { key: "symbols.BTC/USDT.stop_loss_pct", current: "none", proposed: "1.5", effect: "live" },
      ],
    });
    expect(desk.engine.riskSettings().limits.maxOpenPositions).toBe(3);
    expect(await desk.tdb.client.auditLog.count()).toBe(0);
  });

  it.each<[string, string, string]>([
    [
      "a value out of range",
      "risk:\n  max_portfolio_exposure: 300\n",
      "the imported file line 2, risk.max_portfolio_exposure: must be a number from 0.0001 to 100",
    ],
    ["a typo", "breaker:\n  max_drawdown_pc: 12\n", "the imported file line 2, breaker.max_drawdown_pc: unknown setting; did you mean max_drawdown_pct?"],
    ["a secret", "venues:\n  - { id: a, exchange: binance, mode: ccxt, api_key: xyz }\n", "venues[0].api_key: secrets are refused in the desk file"],
    ["an empty file", "  \n", "The file is empty: paste a desk file or choose one."],
  ])("a bad file (%s) gives its problems in words", async (_name, yaml, problem) => {
    const preview = await admin().settings.previewDeskImport({ yaml });
    expect(preview.ok).toBe(false);
    if (!preview.ok) expect(preview.problems[0]).toContain(problem);
  });

  it("refuses a file over 64 KB in words before parsing it", async () => {
    const e = await trpcError(admin().settings.previewDeskImport({ yaml: `# ${"x".repeat(70 * 1024)}` }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toContain("the desk file is 71 KB; at most 64 KB is accepted");
  });

  it("says which differences apply only at start and which are ignored", async () => {
    const preview = await admin().settings.previewDeskImport({
      yaml: "desk:\n  mode: paper\nrisk:\n  default_stop_loss: 0.03\n  order_timeout_seconds: 30\nsymbols:\n  SOL/USDT:\n    stop_loss_pct: 1\n",
    });
    if (!preview.ok) throw new Error(preview.problems.join());
    expect(preview.liveChanges).toBe(0);
    expect(preview.rows.map((r) => [r.key, r.effect])).toEqual([
      ["risk.default_stop_loss", "start"],
      ["symbols.SOL/USDT", "ignored"],
      ["desk.mode", "start"],
    ]);
    expect(preview.notActedUpon).toEqual(["risk.order_timeout_seconds"]);
  });
});

describe("settings.applyDeskImport", () => {
  it("applies through the audited settings paths, and applying the same file again changes nothing", async () => {
    const first = await admin().settings.applyDeskImport({ yaml: IMPORT });
    expect(first).toEqual({ message: "Applied: risk limits, breaker, settings of BTC/USDT.", applied: ["risk limits", "breaker", "settings of BTC/USDT"] });
    const settings = desk.engine.riskSettings();
    expect(settings.limits).toMatchObject({ maxOpenPositions: 5, maxPortfolioExposurePct: 80, maxSymbolExposurePct: 50, minNotional: "10" });
    expect(settings.breakerConfig).toMatchObject({ maxDrawdownPct: 12, maxDailyLossAbs: 400 });
    expect(settings.symbolSettings["BTC/USDT"]).toMatchObject({
      stopLossPct: 1.5,
      maxPositionQty: "0.25",
      sizing: { method: "fixed_fraction", fraction: 0.05 },
    });
    expect(settings.stored).toEqual(["BTC/USDT"]);
    const audit = await desk.tdb.client.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.actor, a.action, a.target, a.result])).toEqual([
      ["ada", "set_risk_limits", null, "OK"],
      ["ada", "set_breaker_config", null, "OK"],
      ["ada", "set_symbol_settings", "BTC/USDT", "OK"],
    ]);

    const again = await admin().settings.applyDeskImport({ yaml: IMPORT });
    expect(again).toEqual({ message: "Nothing to change: the live settings already match the file.", applied: [] });
    expect(await desk.tdb.client.auditLog.count()).toBe(3);
    expect(await admin().settings.previewDeskImport({ yaml: IMPORT })).toMatchObject({ ok: true, rows: [] });
  });

  it("refuses a bad file in words and changes nothing", async () => {
    const e = await trpcError(admin().settings.applyDeskImport({ yaml: "risk:\n  max_open_positions: 0\n" }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toContain("the imported file line 2, risk.max_open_positions: must be a whole number from 1 to 10,000 (got 0)");
    expect(desk.engine.riskSettings().limits.maxOpenPositions).toBe(3);
    expect(await desk.tdb.client.auditLog.count()).toBe(0);
  });
});

describe("the desk file at start (putDeskInForce)", () => {
  it("puts the file's settings in force over stored ones, audited as desk-file, and a second start writes nothing", async () => {
    await admin().settings.setRiskLimits({ maxOpenPositions: 7, minNotional: "10" });
    const file = parseDeskFile(IMPORT, { source: "config/desk.yaml" });
    const running = { mode: "replay", symbols: ["BTC/USDT", "ETH/USDT"] };
    expect(await putDeskInForce(desk.engine, file, running, DESK_FILE_ACTOR)).toEqual({ changed: 3, refused: [] });
    // keys the file leaves out keep their stored value
    expect(desk.engine.riskSettings().limits).toEqual({ maxOpenPositions: 5, maxPortfolioExposurePct: 80, minNotional: "10" });
    const audit = await desk.tdb.client.auditLog.findMany({ where: { actor: "desk-file" } });
    expect(audit.map((a) => a.action)).toEqual(["set_risk_limits", "set_breaker_config", "set_symbol_settings"]);
    expect(await putDeskInForce(desk.engine, file, running, DESK_FILE_ACTOR)).toEqual({ changed: 0, refused: [] });
    expect(await desk.tdb.client.auditLog.count({ where: { actor: "desk-file" } })).toBe(3);
  });
});

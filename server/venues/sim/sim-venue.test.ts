import { describe, it, expect, vi, afterAll, afterEach } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ManualClock } from "../../core/clock";
import { type VenueEvent } from "../venue";
import { SimStateFile } from "./sim-state";
import { SimVenue } from "./sim-venue";
import { MatchingEngine } from "../../core/sim/matching-engine";
import { applyStep, scenarioConfig, scenarioSteps, simConfig, type SimStep } from "../../../test/sim/test-scenario";

const ROOT = join(import.meta.dirname, "..", "..", "..");

const tempDirs: string[] = [];
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "bastion-sim-"));
  tempDirs.push(dir);
  return join(dir, "state", "sim.db");
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Events as JSON (Decimals as strings): exact comparison. */
function json(events: VenueEvent[]): unknown {
  return JSON.parse(JSON.stringify(events)) as unknown;
}

function lines(events: VenueEvent[]): string[] {
  return events.map(({ clientOrderId, event }) => {
    if (event.type === "fill") return `${clientOrderId} fill ${String(event.qty)}@${String(event.price)} ${event.tradeId}`;
    if ("reason" in event && event.reason !== undefined) return `${clientOrderId} ${event.type} ${event.reason.split(":")[0]!}`;
    return `${clientOrderId} ${event.type}`;
  });
}

function runSteps(venue: SimVenue, steps: SimStep[]): VenueEvent[] {
  return steps.flatMap((step) => applyStep(venue, step));
}

/** Everything a venue reports, as comparable JSON. */
async function observe(venue: SimVenue, ids: string[] = []): Promise<unknown> {
  const orders = await Promise.all(ids.map((id) => venue.fetchOrder(id)));
  return JSON.parse(
    JSON.stringify({
      open: await venue.fetchOpenOrders(),
      balances: await venue.fetchBalances(),
      fills: await venue.fetchFills(0),
      orders,
    }),
  ) as unknown;
}

const open: SimVenue[] = [];
function track(venue: SimVenue): SimVenue {
  open.push(venue);
  return venue;
}
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const venue of open.splice(0)) await venue.close();
});

const quote = (bid: number, ask: number, symbol = "BTC/USDT") => ({ kind: "quote" as const, symbol, bid, ask });
const trade = (price: number, qty = 5, symbol = "BTC/USDT") => ({ kind: "trade" as const, symbol, price, qty });

describe.each([
  ["in memory", () => track(new SimVenue(simConfig()))],
  ["durable", () => track(new SimVenue(simConfig(), { statePath: tempPath() }))],
])("the Venue contract (%s)", (_mode, make) => {
  it("is a sim venue with id sim, its instruments, always connected", async () => {
    const venue = make();
    expect([venue.id, venue.kind]).toEqual(["sim", "sim"]);
    expect(venue.instruments().map((i) => i.symbol)).toEqual(["BTC/USDT", "ETH/USDT"]);
    expect(venue.status()).toEqual({ connected: true, latencyMs: 0, lastError: null });
    await venue.close();
    expect(venue.status().connected).toBe(false);
    expect(() => venue.submit({ clientOrderId: "x", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "1" }, 0)).toThrow("VENUE_CLOSED");
    await expect(venue.fetchOpenOrders()).rejects.toThrow("VENUE_CLOSED");
  });

  it.each<[string, SimStep[], string[]]>([
    [
      "submit and cancel a limit; a second cancel is refused",
      [
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29000", quantity: "1" }, t: 1 },
        { cancel: "a", t: 2 },
        { cancel: "a", t: 3 },
      ],
      ["a accept", "a cancel", "a cancelReject ORDER_CLOSED"],
    ],
    [
      "cancelAll cancels trigger orders too, of one symbol",
      [
        { md: trade(30000), t: 0 },
        { md: trade(2000, 5, "ETH/USDT"), t: 0 },
        { submit: { clientOrderId: "s", side: "SELL", type: "STOP_MARKET", triggerPrice: "29000", quantity: "1" }, t: 1 },
        { submit: { clientOrderId: "tp", side: "SELL", type: "TAKE_PROFIT_LIMIT", triggerPrice: "31000", price: "31000", quantity: "1" }, t: 1 },
        { submit: { clientOrderId: "e", symbol: "ETH/USDT", side: "BUY", type: "LIMIT", price: "1900", quantity: "1" }, t: 1 },
        { cancelAll: "BTC/USDT", t: 2 },
        { md: trade(28000), t: 3 },
      ],
      ["s accept", "tp accept", "e accept", "s cancel canceled by cancel-all", "tp cancel canceled by cancel-all"],
    ],
    [
      "cancelAll of every symbol",
      [
        { md: trade(30000), t: 0 },
        { submit: { clientOrderId: "s", side: "SELL", type: "STOP_MARKET", triggerPrice: "29000", quantity: "1" }, t: 1 },
        { submit: { clientOrderId: "e", symbol: "ETH/USDT", side: "BUY", type: "LIMIT", price: "1900", quantity: "1" }, t: 1 },
        { cancelAll: null, t: 2 },
      ],
      ["s accept", "e accept", "s cancel canceled by cancel-all", "e cancel canceled by cancel-all"],
    ],
    [
      "modify moves a limit, market data fills it at the new price",
      [
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29000", quantity: "1" }, t: 1 },
        { modify: "a", changes: { price: "29500" }, t: 2 },
        { md: trade(29400), t: 3 },
      ],
      ["a accept", "a modified", "a fill 1@29500 sim-1"],
    ],
    [
      "a stop triggers on a trade and fills at it",
      [
        { md: trade(30000), t: 0 },
        { submit: { clientOrderId: "s", side: "SELL", type: "STOP_MARKET", triggerPrice: "29900", quantity: "1" }, t: 1 },
        { md: trade(29950), t: 2 },
        { md: trade(29880), t: 3 },
      ],
      ["s accept", "s fill 1@29880 sim-1"],
    ],
    [
      "a market order fills against the quote; an unknown symbol is refused",
      [
        { md: quote(29999, 30001), t: 0 },
        { submit: { clientOrderId: "m", side: "BUY", type: "MARKET", quantity: "2" }, t: 1 },
        { submit: { clientOrderId: "x", symbol: "DOGE/USDT", side: "BUY", type: "MARKET", quantity: "2" }, t: 1 },
      ],
      ["m accept", "m fill 2@30001 sim-1", "x reject UNKNOWN_SYMBOL"],
    ],
  ])("%s", (_name, steps, expected) => {
    expect(lines(runSteps(make(), steps))).toEqual(expected);
  });

  it("fetchOrder, fetchOpenOrders, fetchFills and fetchBalances report the venue's view", async () => {
    const venue = make();
    runSteps(venue, [
      { md: quote(29999, 30001), t: 0 },
      { submit: { clientOrderId: "m", side: "BUY", type: "MARKET", quantity: "1" }, t: 10 },
      { submit: { clientOrderId: "l", side: "SELL", type: "LIMIT", price: "30100", quantity: "0.5" }, t: 20 },
      { submit: { clientOrderId: "s", side: "SELL", type: "STOP_MARKET", triggerPrice: "29000", quantity: "0.5" }, t: 20 },
      { md: trade(30150, 0.2), t: 30 },
    ]);
    expect(await venue.fetchOrder("nope")).toBeNull();
    const m = (await venue.fetchOrder("m"))!;
    expect([m.status, m.filledQty.toString(), m.avgFillPrice?.toString(), m.venueOrderId]).toEqual(["FILLED", "1", "30001", "sim-o-1"]);
    const l = (await venue.fetchOrder("l"))!;
    expect([l.status, l.filledQty.toString(), l.price?.toString()]).toEqual(["PARTIALLY_FILLED", "0.2", "30100"]);
    expect((await venue.fetchOpenOrders()).map((o) => `${o.clientOrderId} ${o.type} ${o.status}`)).toEqual([
      "l LIMIT PARTIALLY_FILLED",
      "s STOP_MARKET ACCEPTED",
    ]);
    const fills = await venue.fetchFills(0);
    expect(
      fills.map(
        (f) =>
          `${f.tradeId} ${f.clientOrderId} ${f.symbol} ${f.side} ${f.qty.toString()}@${f.price.toString()} ${f.fee.toString()} ${f.feeCurrency} ${f.liquidity} t${f.ts}`,
      ),
    ).toEqual(["sim-1 m BTC/USDT BUY 1@30001 60.002 USDT TAKER t10", "sim-2 l BTC/USDT SELL 0.2@30100 6.02 USDT MAKER t30"]);
    expect((await venue.fetchFills(11)).map((f) => f.tradeId)).toEqual(["sim-2"]);
    expect([venue.freeBalance("BTC")?.toString(), venue.freeBalance("DOGE")]).toEqual(["10", null]);
    const balances = await venue.fetchBalances();
    expect(balances.map((b) => `${b.currency} ${b.free.toString()}/${b.reserved.toString()}/${b.total.toString()}`)).toEqual([
      "BTC 10/0.8/10.8",
      "ETH 10/0/10",
      // 1 000 000 − 30 001 − 60.002 + 6 020 − 6.02
      "USDT 975952.978/0/975952.978",
    ]);
  });

  it("the timer advances the venue and delivers what that produces to the sink", () => {
    vi.useFakeTimers();
    const venue = track(new SimVenue(simConfig({ latencyMs: 50 })));
    const delivered: VenueEvent[][] = [];
    venue.setEventSink((events) => delivered.push(events));
    const clock = new ManualClock(1000);
    const stop = venue.startTimer(clock, 10);
    expect(venue.submit({ clientOrderId: "a", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", price: "29000", quantity: "1" }, 1000)).toEqual([]);
    vi.advanceTimersByTime(30);
    expect(delivered).toEqual([]);
    clock.set(1050);
    vi.advanceTimersByTime(10);
    expect(delivered.map(lines)).toEqual([["a accept"]]);
    stop();
    clock.set(2000);
    vi.advanceTimersByTime(100);
    expect(delivered).toHaveLength(1);
    expect(venue.status().latencyMs).toBe(50);
  });
});

describe("durability", () => {
  const steps = scenarioSteps();
  const ids = [...new Set(steps.flatMap((s) => ("submit" in s ? [s.submit.clientOrderId] : [])))];

  it("the scenario exercises fills, cancels, triggers and expiry", () => {
    const events = runSteps(track(new SimVenue(scenarioConfig())), steps);
    const types = new Set(events.map((e) => e.event.type));
    expect([...types].sort()).toEqual(["accept", "cancel", "cancelReject", "expire", "fill", "modified"]);
    expect(events.filter((e) => e.event.type === "fill").length).toBeGreaterThan(20);
  });

  it.each([10, 57, 120, 181])("close and reopen after %i steps: same state, and it goes on exactly like a venue that never stopped", async (split) => {
    const path = tempPath();
    const reference = track(new SimVenue(scenarioConfig()));
    const first = new SimVenue(scenarioConfig(), { statePath: path });
    expect(json(runSteps(first, steps.slice(0, split)))).toEqual(json(runSteps(reference, steps.slice(0, split))));
    const before = await observe(first, ids);
    await first.close();

    const reopened = track(new SimVenue(scenarioConfig(), { statePath: path }));
    expect(await observe(reopened, ids)).toEqual(before);
    expect(await observe(reopened, ids)).toEqual(await observe(reference, ids));
    expect(json(runSteps(reopened, steps.slice(split)))).toEqual(json(runSteps(reference, steps.slice(split))));
    expect(await observe(reopened, ids)).toEqual(await observe(reference, ids));
  });

  it("a new file starts from the configured balances; a reopened one ignores them", async () => {
    const path = tempPath();
    const first = new SimVenue(simConfig(), { statePath: path });
    runSteps(first, [
      { md: quote(29999, 30001), t: 0 },
      { submit: { clientOrderId: "m", side: "BUY", type: "MARKET", quantity: "1" }, t: 1 },
    ]);
    await first.close();
    const reopened = track(new SimVenue(simConfig({ initialBalances: { USDT: "5" } }), { statePath: path }));
    expect((await reopened.fetchBalances()).map((b) => `${b.currency} ${b.total.toString()}`)).toEqual(["BTC 11", "ETH 10", "USDT 969938.998"]);
  });

  it("writes when state changed, not for market data that only moves prices", () => {
    const commit = vi.spyOn(SimStateFile.prototype, "commit");
    const venue = track(new SimVenue(simConfig(), { statePath: tempPath() }));
    expect(commit).toHaveBeenCalledTimes(1); // the initial state
    venue.onMarketData(trade(30000), 0);
    venue.onMarketData(quote(29999, 30001), 1);
    expect(commit).toHaveBeenCalledTimes(1);
    venue.submit({ clientOrderId: "t", symbol: "BTC/USDT", side: "SELL", type: "TRAILING_STOP_MARKET", trailingOffset: "100", quantity: "1" }, 2);
    expect(commit).toHaveBeenCalledTimes(2);
    venue.onMarketData(trade(30050), 3); // the trailing stop moves up: no event, but state to keep
    expect(commit).toHaveBeenCalledTimes(3);
    venue.onMarketData(trade(30020), 4);
    expect(commit).toHaveBeenCalledTimes(3);
    venue.cancel("nope", 5); // a refusal is an event, and the request passed through the venue
    expect(commit).toHaveBeenCalledTimes(4);
  });

  it("a second process (or instance) cannot open a file in use", async () => {
    const path = tempPath();
    const first = new SimVenue(simConfig(), { statePath: path });
    expect(() => new SimVenue(simConfig(), { statePath: path, lockTimeoutMs: 0 })).toThrow("SIM_STATE_LOCKED");
    await first.close();
    track(new SimVenue(simConfig(), { statePath: path, lockTimeoutMs: 0 }));
  });

  it("a file of another venue id is refused", async () => {
    const path = tempPath();
    await new SimVenue(simConfig(), { statePath: path }).close();
    expect(() => new SimVenue(simConfig(), { statePath: path, id: "other" })).toThrow("SIM_STATE_MISMATCH");
  });

  it("a failed write stops the venue instead of running ahead of its file", async () => {
    const path = tempPath();
    const venue = track(new SimVenue(simConfig(), { statePath: path }));
    vi.spyOn(SimStateFile.prototype, "commit").mockImplementationOnce(() => {
      throw new Error("disk I/O error");
    });
    expect(() => venue.submit({ clientOrderId: "a", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", price: "29000", quantity: "1" }, 1)).toThrow(
      "SIM_STATE_WRITE_FAILED",
    );
    expect(venue.status()).toMatchObject({ connected: false, lastError: expect.stringContaining("SIM_STATE_WRITE_FAILED") as unknown });
    expect(() => venue.onMarketData(trade(30000), 2)).toThrow("SIM_STATE_WRITE_FAILED");
    await expect(venue.fetchOpenOrders()).rejects.toThrow("SIM_STATE_WRITE_FAILED");
    await venue.close();
    // The restarted exchange never got the order.
    const restarted = track(new SimVenue(simConfig(), { statePath: path }));
    expect(await restarted.fetchOrder("a")).toBeNull();
    expect(await restarted.fetchOpenOrders()).toEqual([]);
  });
});

describe("incremental state file (a write costs what the call changed, not the open orders)", () => {
  /** Random requests and market data over both symbols: many limits at few prices (time priority), stops, trailing stops, modifies, cancels, partial fills. */
  function randomSteps(seed: number, count: number): SimStep[] {
    let state = seed;
    const rng = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
    const steps: SimStep[] = [];
    const ids: string[] = [];
    let btc = 30000;
    let eth = 2000;
    for (let i = 0; i < count; i++) {
      const t = i * 10;
      const roll = rng();
      const symbol = rng() < 0.7 ? "BTC/USDT" : "ETH/USDT";
      const mid = symbol === "BTC/USDT" ? btc : eth;
      const side = rng() < 0.5 ? ("BUY" as const) : ("SELL" as const);
      const away = (ticks: number) => String(side === "BUY" ? mid - ticks : mid + ticks);
      if (roll < 0.4) {
        const id = `l${i}`;
        ids.push(id);
        steps.push({
          submit: { clientOrderId: id, symbol, side, type: "LIMIT", price: away(1 + Math.floor(rng() * 4)), quantity: pick(["0.3", "1", "1.7"]) },
          t,
        });
      } else if (roll < 0.48) {
        const id = `s${i}`;
        ids.push(id);
        const kind = pick(["STOP_MARKET", "STOP_LIMIT", "TRAILING_STOP_MARKET"] as const);
        const trigger = String(side === "BUY" ? mid + 3 : mid - 3);
        const spec =
          kind === "TRAILING_STOP_MARKET"
            ? { clientOrderId: id, symbol, side, type: kind, trailingOffset: "4", quantity: "0.5" }
            : { clientOrderId: id, symbol, side, type: kind, triggerPrice: trigger, ...(kind === "STOP_LIMIT" ? { price: trigger } : {}), quantity: "0.5" };
        steps.push({ submit: spec, t });
      } else if (roll < 0.56 && ids.length > 0) {
        steps.push({ cancel: pick(ids), t });
      } else if (roll < 0.64 && ids.length > 0) {
        steps.push({ modify: pick(ids), changes: rng() < 0.5 ? { quantity: "2" } : { price: away(2) }, t });
      } else if (roll < 0.66) {
        steps.push({ cancelAll: rng() < 0.5 ? null : symbol, t });
      } else {
        const move = Math.round((rng() - 0.5) * 6);
        if (symbol === "BTC/USDT") btc += move;
        else eth += move;
        const price = symbol === "BTC/USDT" ? btc : eth;
        steps.push({ md: rng() < 0.6 ? trade(price, 1 + Math.floor(rng() * 3), symbol) : quote(price - 0.5, price + 0.5, symbol), t });
      }
    }
    return steps;
  }

  it.each([3, 17, 29])("reopened at random points (seed %i), it goes on exactly like a venue that never stopped", async (seed) => {
    const steps = randomSteps(seed, 600);
    const ids = [...new Set(steps.flatMap((s) => ("submit" in s ? [s.submit.clientOrderId] : [])))];
    const path = tempPath();
    const config = () => simConfig({ latencyMs: 5, participationCap: 0.5 });
    const reference = track(new SimVenue(config()));
    let durable = new SimVenue(config(), { statePath: path });
    let from = 0;
    let mostOpen = 0;
    for (const split of [90, 200, 260, 390, 480, 600]) {
      expect(json(runSteps(durable, steps.slice(from, split))), `steps ${from}-${split}`).toEqual(json(runSteps(reference, steps.slice(from, split))));
      expect(await observe(durable, ids)).toEqual(await observe(reference, ids));
      mostOpen = Math.max(mostOpen, (await reference.fetchOpenOrders()).length);
      await durable.close();
      durable = new SimVenue(config(), { statePath: path });
      expect(await observe(durable, ids), `reopened after step ${split}`).toEqual(await observe(reference, ids));
      from = split;
    }
    await durable.close();
    const events = runSteps(track(new SimVenue(config())), steps);
    const types = new Set(events.map((e) => e.event.type));
    expect([...types].sort()).toEqual(expect.arrayContaining(["accept", "cancel", "fill", "modified", "trigger"]));
    expect(mostOpen).toBeGreaterThan(5);
  });

  it("each write holds the venue-wide state and the rows of the orders the call changed, whatever the number of open orders", () => {
    const commit = vi.spyOn(SimStateFile.prototype, "commit");
    const venue = track(new SimVenue(simConfig(), { statePath: tempPath() }));
    venue.onMarketData(quote(29999, 30001), 0);
    const place = (i: number) =>
      venue.submit({ clientOrderId: `r${i}`, symbol: "BTC/USDT", side: "BUY", type: "LIMIT", price: String(20000 + (i % 7)), quantity: "0.01" }, i + 1);
    place(0);
    const first = commit.mock.calls.at(-1)![0];
    for (let i = 1; i < 300; i++) place(i);
    const last = commit.mock.calls.at(-1)![0];
    expect(first.orders.map((o) => o.record.clientOrderId)).toEqual(["r0"]);
    expect(last.orders.map((o) => o.record.clientOrderId)).toEqual(["r299"]);
    // Counters grow by a few digits; 299 more open orders add nothing.
    expect(JSON.stringify(last.snapshot).length - JSON.stringify(first.snapshot).length).toBeLessThan(40);
  });

  it("a file written as one full snapshot (before orders had rows) loads, and goes on in rows", async () => {
    const steps = randomSteps(3, 400);
    const config = () => simConfig({ latencyMs: 5, participationCap: 0.5 });
    const path = tempPath();
    const reference = track(new SimVenue(config()));
    runSteps(reference, steps.slice(0, 120));
    const core = new MatchingEngine(config());
    for (const step of steps.slice(0, 120)) applyStep(core as unknown as Parameters<typeof applyStep>[0], step);
    const full = core.toSnapshot({ history: false });
    delete full.rankSeq;
    for (const order of full.orders) {
      delete order.listRank;
      delete order.openRank;
    }
    expect(full.open.length).toBeGreaterThan(2);
    const file = new SimStateFile(path, "sim");
    // As the old writer left it: finished orders in their rows, open ones in the snapshot.
    const finished = core
      .toSnapshot()
      .orders.filter((o) => o.phase === "DONE")
      .map((record) => ({ record, done: true }));
    file.commit({ snapshot: full, fills: [], orders: finished, now: 0 });
    file.close();
    const reopened = new SimVenue(config(), { statePath: path });
    expect((await reopened.fetchOpenOrders()).map((o) => o.clientOrderId)).toEqual((await reference.fetchOpenOrders()).map((o) => o.clientOrderId));
    expect(json(runSteps(reopened, steps.slice(120, 150)))).toEqual(json(runSteps(reference, steps.slice(120, 150))));
    await reopened.close();
    const again = track(new SimVenue(config(), { statePath: path }));
    expect(json(runSteps(again, steps.slice(150)))).toEqual(json(runSteps(reference, steps.slice(150))));
  });
});

interface ChildLine {
  step: number;
  events: VenueEvent[];
}

/** Runs crash-child.ts; SIGKILLs it once `killWhen` says so; returns the lines it printed. */
function runChild(path: string, stopAfter: string, killWhen: (line: ChildLine | "READY") => boolean): Promise<ChildLine[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "..", "..", "test", "sim", "crash-child.ts"), path, stopAfter], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const seen: ChildLine[] = [];
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on("line", (text) => {
      const line = text === "READY" ? "READY" : (JSON.parse(text) as ChildLine);
      if (line !== "READY") seen.push(line);
      if (!child.killed && killWhen(line)) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(seen);
      else reject(new Error(`the child exited with ${String(code)} before it was killed: ${stderr}`));
    });
  });
}

describe("abrupt stop (a child process killed with SIGKILL)", () => {
  const steps = scenarioSteps();
  const fillsOf = (events: VenueEvent[]) =>
    events.flatMap(({ clientOrderId, event }) =>
      event.type === "fill" ? [`${event.tradeId} ${clientOrderId} ${String(event.qty)}@${String(event.price)} t${String(event.ts)}`] : [],
    );

  it("killed after a step: the reopened venue has every fill it returned and goes on like one that never stopped", async () => {
    // Stop right after a step that produced events, so the saved market state is current too.
    const probe = track(new SimVenue(scenarioConfig()));
    const split = 1 + steps.slice(0, 150).reduce((last, step, i) => (applyStep(probe, step).length > 0 ? i : last), -1);
    expect(split).toBeGreaterThan(100);
    const path = tempPath();
    const seen = await runChild(path, String(split), (line) => line === "READY");
    expect(seen).toHaveLength(split);
    expect(existsSync(path)).toBe(true);

    const reference = track(new SimVenue(scenarioConfig()));
    const expected = runSteps(reference, steps.slice(0, split));
    expect(seen.flatMap((line) => line.events)).toEqual(json(expected));

    const reopened = track(new SimVenue(scenarioConfig(), { statePath: path }));
    const fills = (await reopened.fetchFills(0)).map((f) => `${f.tradeId} ${f.clientOrderId} ${f.qty.toString()}@${f.price.toString()} t${f.ts}`);
    expect(fills).toEqual(fillsOf(expected));
    expect(fills.length).toBeGreaterThan(10);
    const ids = [...new Set(steps.flatMap((s) => ("submit" in s ? [s.submit.clientOrderId] : [])))];
    expect(await observe(reopened, ids)).toEqual(await observe(reference, ids));
    // The last step the child ran produced events, so the venue goes on exactly as if it never stopped.
    expect(json(runSteps(reopened, steps.slice(split)))).toEqual(json(runSteps(reference, steps.slice(split))));
  }, 30_000);

  it("killed mid-run: every fill the parent saw is in the reopened venue, and what it kept is a prefix of the true history", async () => {
    const path = tempPath();
    const seen = await runChild(path, "all", (line) => line !== "READY" && line.step >= 90);
    const seenFills = fillsOf(seen.flatMap((line) => line.events));
    expect(seenFills.length).toBeGreaterThan(5);

    const reopened = track(new SimVenue(scenarioConfig(), { statePath: path }));
    const kept = (await reopened.fetchFills(0)).map((f) => `${f.tradeId} ${f.clientOrderId} ${f.qty.toString()}@${f.price.toString()} t${f.ts}`);
    expect(kept.slice(0, seenFills.length)).toEqual(seenFills);
    const truth = fillsOf(runSteps(track(new SimVenue(scenarioConfig())), steps));
    expect(kept).toEqual(truth.slice(0, kept.length));
  }, 30_000);
});

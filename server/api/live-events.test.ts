import { TRPCError } from "@trpc/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventBus } from "../engine/bus";
import { runtimeState } from "../engine/runtime";
import type { DomainEvent } from "../engine/types";
import { createSession, hashToken, revokeSession, sessionStillValid } from "../auth/sessions";
import { FAST_SCRYPT, useFreshDb, type TestDb } from "../../test/auth-support";
import { createUser, disableUser, setPassword } from "../auth/users";
import { LiveConnections, liveEventStream, type LiveStreamOptions, type LiveTimers } from "./live-events";
import { openTestDesk } from "../../test/desk-support";
import { createCaller } from "./root";

const PW = "violet tractor harbour";

/** Timers fired by hand. */
class HandTimers implements LiveTimers {
  private pending: Array<{ fn: () => void; cancelled: boolean }> = [];
  after(_ms: number, fn: () => void): () => void {
    const t = { fn, cancelled: false };
    this.pending.push(t);
    return () => {
      t.cancelled = true;
    };
  }
  fireAll(): void {
    const due = this.pending;
    this.pending = [];
    for (const t of due) if (!t.cancelled) t.fn();
  }
}

const alert = (message: string): DomainEvent => ({ type: "alert", level: "info", message });

type Msg = { type: string; message?: string; seq?: number };

async function take(stream: AsyncGenerator<unknown>): Promise<{ id: string; data: Msg }> {
  const r = await stream.next();
  if (r.done) throw new Error("the stream ended");
  const [id, data] = r.value as [string, Msg];
  return { id, data };
}

async function refusal(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCError) return e;
    throw e;
  }
  throw new Error("expected a TRPCError");
}

describe("live events without a session (bounds)", () => {
  function open(bus: EventBus, extra: Partial<LiveStreamOptions<Msg>> = {}) {
    return liveEventStream<Msg>({
      bus,
      user: { id: "u1" },
      sessionId: null,
      stillValid: () => Promise.resolve(true),
      toLive: (e) => e,
      timers: new HandTimers(),
      connections: new LiveConnections(),
      ...extra,
    });
  }

  it("a slow reader's queue is bounded: overflow drops it and sends one resync, then newer events", async () => {
    const bus = new EventBus();
    const stream = open(bus, { limits: { maxQueue: 10 } });
    expect((await take(stream)).data).toEqual({ type: "hello", seq: 0 });
    for (let i = 1; i <= 25; i++) bus.publish(alert(`e${i}`));
    const got = [await take(stream), await take(stream), await take(stream), await take(stream)];
    expect(got.map((g) => [g.id, g.data.type, g.data.message])).toEqual([
      ["22", "resync", undefined],
      ["23", "alert", "e23"],
      ["24", "alert", "e24"],
      ["25", "alert", "e25"],
    ]);
    await stream.return(undefined);
  });

  it("caps open streams per user and in total, and frees the slot when a stream ends", async () => {
    const bus = new EventBus();
    const connections = new LiveConnections();
    const limits = { maxPerUser: 2, maxTotal: 3 };
    const a1 = open(bus, { connections, limits });
    const a2 = open(bus, { connections, limits });
    await take(a1);
    await take(a2);
    const a3 = open(bus, { connections, limits });
    const tooMany = await refusal(take(a3));
    expect(tooMany.code).toBe("TOO_MANY_REQUESTS");
    expect(tooMany.message).toBe("You already have 2 live connections open; close a tab and reload.");
    const b1 = open(bus, { connections, limits, user: { id: "u2" } });
    await take(b1);
    const b2 = open(bus, { connections, limits, user: { id: "u3" } });
    expect((await refusal(take(b2))).message).toBe("The server has too many live connections open; try again in a minute.");
    await a1.return(undefined);
    expect(connections.open).toBe(2);
    await take(open(bus, { connections, limits }));
    expect(connections.open).toBe(3);
  });
});

describe("live events end with their session", () => {
  let tdb: TestDb;
  let userId: string;
  let token: string;
  beforeEach(async () => {
    tdb = useFreshDb();
    userId = (await createUser({ username: "viewer1", password: PW, role: "viewer" }, { scrypt: FAST_SCRYPT })).id;
    await createUser({ username: "admin1", password: PW, role: "admin" }, { scrypt: FAST_SCRYPT });
    token = (await createSession(userId)).token;
  });
  afterEach(async () => tdb.close());

  function open(bus: EventBus, timers = new HandTimers()) {
    const sessionId = hashToken(token);
    return liveEventStream<Msg>({
      bus,
      user: { id: userId },
      sessionId,
      stillValid: () => sessionStillValid(sessionId, userId),
      toLive: (e) => e,
      timers,
      connections: new LiveConnections(),
    });
  }

  it.each([
    ["sign-out", () => revokeSession(token)],
    ["the account disabled", () => disableUser("viewer1").then(() => undefined)],
    ["a password change or reset", () => setPassword("viewer1", "granite orchard lantern", { scrypt: FAST_SCRYPT })],
  ])("%s ends a waiting stream with UNAUTHORIZED", async (_what, end) => {
    const bus = new EventBus();
    const stream = open(bus);
    await take(stream);
    const waiting = take(stream);
    await end();
    const e = await refusal(waiting);
    expect(e.code).toBe("UNAUTHORIZED");
    expect(e.message).toBe("Your session has ended; sign in again.");
  });

  it("re-reads the session on its timer (a session deleted behind its back)", async () => {
    const bus = new EventBus();
    const timers = new HandTimers();
    const stream = open(bus, timers);
    await take(stream);
    timers.fireAll();
    bus.publish(alert("still here"));
    expect((await take(stream)).data.message).toBe("still here");
    await tdb.client.session.deleteMany({}); // no announcement
    const waiting = take(stream);
    timers.fireAll();
    expect((await refusal(waiting)).code).toBe("UNAUTHORIZED");
  });
});

describe("overview.live (the router) uses the bounded stream", () => {
  it("scrubs exchange errors for a viewer, and ends when the caller signs out", async () => {
    const desk = await openTestDesk();
    try {
      const u = await createUser({ username: "watcher", password: PW, role: "viewer" }, { scrypt: FAST_SCRYPT });
      const { token } = await createSession(u.id);
      const ctx = {
        user: { id: u.id, username: u.username, role: u.role },
        sessionToken: token,
        ip: "unknown",
        resHeaders: new Headers(),
        secureCookies: false,
      };
      const abort = new AbortController();
      const stream = (await createCaller(ctx, { signal: abort.signal }).overview.live()) as AsyncGenerator<unknown>;
      expect((await take(stream)).data.type).toBe("hello");
      // a viewer's stream carries exchange errors scrubbed, like the viewer's queries
      runtimeState().runtime!.bus.publish(
        alert('binance POST https://api.binance.com/api/v3/order 400 {"code":-2010,"msg":"Account has insufficient balance. Balance 1234.56 USDT"}'),
      );
      expect((await take(stream)).data.message).toBe("The exchange reported an error (traders and admins see the details).");
      const waiting = take(stream);
      await createCaller(ctx).auth.signOut();
      expect((await refusal(waiting)).code).toBe("UNAUTHORIZED");
      abort.abort();
    } finally {
      await desk.close();
    }
  });
});

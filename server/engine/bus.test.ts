import { describe, expect, it } from "vitest";
import { EventBus } from "./bus";
import type { DomainEvent } from "./types";

const alert = (message: string): DomainEvent => ({ type: "alert", level: "info", message });

describe("EventBus", () => {
  it("numbers events, hands them to subscribers and keeps the recent ones for catch-up", () => {
    const bus = new EventBus(3);
    const seen: number[] = [];
    const unsubscribe = bus.subscribe((_event, seq) => seen.push(seq));
    for (let i = 1; i <= 4; i++) bus.publish(alert(`a${i}`));
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(bus.lastSeq).toBe(4);
    expect(bus.since(2)?.map((e) => e.seq)).toEqual([3, 4]);
    expect(bus.since(4)).toEqual([]);
    unsubscribe();
    bus.publish(alert("a5"));
    expect(seen).toHaveLength(4);
  });

  it("trims its history in batches and asks a client too far behind to refetch", () => {
    const bus = new EventBus(2);
    for (let i = 1; i <= 5; i++) bus.publish(alert(`a${i}`));
    // Trimmed to the last 2 when it passed 4: 4 and 5 remain, so a client at 1 has missed 2 and 3.
    expect(bus.since(1)).toBeNull();
    expect(bus.since(3)?.map((e) => e.seq)).toEqual([4, 5]);
  });

  it("keeps nothing with keep = 0 (a backtest's bus): a client behind must refetch, one up to date gets nothing", () => {
    const bus = new EventBus(0);
    const seen: string[] = [];
    bus.subscribe((event) => seen.push(event.type === "alert" ? event.message : event.type));
    bus.publish(alert("x"));
    bus.publish(alert("y"));
    expect(seen).toEqual(["x", "y"]);
    expect(bus.since(0)).toBeNull();
    expect(bus.since(2)).toEqual([]);
  });

  it("survives a subscriber that throws", () => {
    const bus = new EventBus();
    const seen: number[] = [];
    bus.subscribe(() => {
      throw new Error("broken subscriber");
    });
    bus.subscribe((_e, seq) => seen.push(seq));
    bus.publish(alert("z"));
    expect(seen).toEqual([1]);
  });
});

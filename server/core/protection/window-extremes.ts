/**
 * The minimum and maximum of the points seen within a sliding time window, in amortized O(1) per point:
 * two monotonic deques (a point that can never again be the extreme is dropped at once). Arrays with a head
 * index instead of shift(): shift copies the array, and a busy symbol sees many points per window.
 */

interface Point {
  ts: number;
  value: number;
}

class MonotonicDeque {
  private items: Point[] = [];
  private head = 0;

  /** `dominates(a, b)`: a makes b useless as an extreme (a is newer and at least as extreme). */
  constructor(private readonly dominates: (newer: number, older: number) => boolean) {}

  push(point: Point): void {
    while (this.items.length > this.head && this.dominates(point.value, this.items[this.items.length - 1]!.value)) this.items.pop();
    this.items.push(point);
  }

  /** Drops points older than `oldest` (exclusive bound: a point at exactly `oldest` stays). */
  evict(oldest: number): void {
    while (this.head < this.items.length && this.items[this.head]!.ts < oldest) this.head += 1;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  front(): Point | undefined {
    return this.items[this.head];
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

export class WindowExtremes {
  private readonly minimums = new MonotonicDeque((newer, older) => newer <= older);
  private readonly maximums = new MonotonicDeque((newer, older) => newer >= older);

  constructor(readonly windowMs: number) {
    if (!(windowMs > 0)) throw new RangeError(`window must be positive (got ${windowMs})`);
  }

  /** Adds a point and forgets what fell out of the window ending at `ts` (points at ts − window still count). */
  add(ts: number, value: number): void {
    this.minimums.push({ ts, value });
    this.maximums.push({ ts, value });
    this.minimums.evict(ts - this.windowMs);
    this.maximums.evict(ts - this.windowMs);
  }

  /** The lowest point in the window (the earliest of equals is dropped for the latest). */
  min(): Point | undefined {
    return this.minimums.front();
  }

  max(): Point | undefined {
    return this.maximums.front();
  }

  clear(): void {
    this.minimums.clear();
    this.maximums.clear();
  }
}

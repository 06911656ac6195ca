/** A token bucket on an injected clock: `capacity` sends at once after a quiet spell, refilled at `perMinute`. */
import { type Clock } from "../core/clock";

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {
    if (!(capacity >= 1) || !(perMinute > 0)) throw new RangeError(`a token bucket needs capacity ≥ 1 and a positive rate (got ${capacity}, ${perMinute})`);
    this.tokens = capacity;
    this.updatedAt = clock.now();
  }

  /** Takes a token if one is there. */
  tryTake(): boolean {
    const now = this.clock.now();
    // A clock that stepped back refills nothing (and takes nothing away).
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.perMinute) / 60_000);
    this.updatedAt = Math.max(now, this.updatedAt);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

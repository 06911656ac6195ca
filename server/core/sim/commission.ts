/**
 * Trading fees: maker/taker rates, 30-day volume tiers, rebates. Fees are exact Decimals in quote currency.
 */
import { DAY_MS } from "../clock";
import { D, ZERO, type Decimal, type DecimalInput } from "../money";

/** Rates are fractions of the notional (0.001 = 10 bps); a negative maker rate is a rebate. */
export interface FeeTier {
  /** The tier applies from this 30-day traded volume (quote currency) upwards. */
  minVolume30d: DecimalInput;
  maker: DecimalInput;
  taker: DecimalInput;
}

export interface CommissionConfig {
  maker: DecimalInput;
  taker: DecimalInput;
  tiers?: FeeTier[];
}

export interface FeeRates {
  maker: Decimal;
  taker: Decimal;
}

export type Liquidity = "MAKER" | "TAKER";

/** A parsed, checked fee schedule. */
export interface CommissionSchedule {
  base: FeeRates;
  /** Sorted by minVolume30d ascending. */
  tiers: { minVolume30d: Decimal; rates: FeeRates }[];
}

function checkRate(rate: Decimal, what: string): Decimal {
  if (rate.lessThanOrEqualTo(-1) || rate.greaterThanOrEqualTo(1))
    throw new RangeError(`${what} fee rate ${rate.toString()} must be a fraction between -1 and 1`);
  return rate;
}

/** Parses a commission config. Throws RangeError on nonsense (a configuration error, not a domain refusal). */
export function commissionSchedule(config: CommissionConfig): CommissionSchedule {
  const base = { maker: checkRate(D(config.maker), "maker"), taker: checkRate(D(config.taker), "taker") };
  const tiers = (config.tiers ?? [])
    .map((tier) => {
      const minVolume30d = D(tier.minVolume30d);
      if (minVolume30d.isNegative()) throw new RangeError(`fee tier volume ${minVolume30d.toString()} must not be negative`);
      return { minVolume30d, rates: { maker: checkRate(D(tier.maker), "maker"), taker: checkRate(D(tier.taker), "taker") } };
    })
    .sort((a, b) => a.minVolume30d.comparedTo(b.minVolume30d));
  return { base, tiers };
}

/** The rates for a 30-day volume: the highest tier whose threshold it reaches, else the base rates. */
export function feeRatesFor(schedule: CommissionSchedule, volume30d: DecimalInput = ZERO): FeeRates {
  const volume = D(volume30d);
  let rates = schedule.base;
  for (const tier of schedule.tiers) {
    if (volume.greaterThanOrEqualTo(tier.minVolume30d)) rates = tier.rates;
    else break;
  }
  return rates;
}

/** fee = qty × price × rate, exact, in quote currency (negative = rebate). */
export function commissionFor(qty: Decimal, price: Decimal, rate: Decimal): Decimal {
  return qty.times(price).times(rate);
}

/** The fee for one fill under a schedule. */
export function fillCommission(schedule: CommissionSchedule, qty: Decimal, price: Decimal, liquidity: Liquidity, volume30d?: DecimalInput): Decimal {
  const rates = feeRatesFor(schedule, volume30d);
  return commissionFor(qty, price, liquidity === "MAKER" ? rates.maker : rates.taker);
}

/** A RollingVolume's state in a simulator snapshot (snapshot.ts). */
export interface VolumeSnapshot {
  sum: string;
  /** [ts, notional], oldest first (entries that have not aged out yet). */
  entries: [number, string][];
}

/** Traded notional over a rolling 30-day window of (injected) time, for fee tiers. */
export class RollingVolume {
  private entries: { ts: number; notional: Decimal }[] = [];
  private head = 0;
  private sum: Decimal;

  constructor(
    initial: DecimalInput = 0,
    private readonly windowMs = 30 * DAY_MS,
  ) {
    // Volume traded before the simulation started; it never ages out.
    this.sum = D(initial);
  }

  add(ts: number, notional: Decimal): void {
    this.entries.push({ ts, notional });
    this.sum = this.sum.plus(notional);
  }

  /** Volume over the window ending at `now`. */
  total(now: number): Decimal {
    const cutoff = now - this.windowMs;
    while (this.head < this.entries.length && this.entries[this.head]!.ts <= cutoff) {
      this.sum = this.sum.minus(this.entries[this.head]!.notional);
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    return this.sum;
  }

  toSnapshot(): VolumeSnapshot {
    return { sum: this.sum.toString(), entries: this.entries.slice(this.head).map((e): [number, string] => [e.ts, e.notional.toString()]) };
  }

  static fromSnapshot(snapshot: VolumeSnapshot, windowMs?: number): RollingVolume {
    const volume = new RollingVolume(0, windowMs);
    volume.sum = D(snapshot.sum);
    volume.entries = snapshot.entries.map(([ts, notional]) => ({ ts, notional: D(notional) }));
    return volume;
  }
}

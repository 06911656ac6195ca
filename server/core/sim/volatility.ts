/** Rolling standard deviation of log returns over the last `window` prices: the σ of the REALISTIC slippage model. */
import { decodeNum, encodeNum, type VolatilitySnapshot } from "./snapshot";

export class RollingVolatility {
  private returns: number[];
  private index = 0;
  private count = 0;
  private sum = 0;
  private sumSq = 0;
  private previous: number | null = null;

  constructor(private readonly window = 20) {
    this.returns = new Array<number>(Math.max(2, window)).fill(0);
  }

  add(price: number): void {
    if (!(price > 0)) return;
    if (this.previous !== null) {
      const r = Math.log(price / this.previous);
      const size = this.returns.length;
      if (this.count === size) {
        const old = this.returns[this.index]!;
        this.sum -= old;
        this.sumSq -= old * old;
      } else {
        this.count += 1;
      }
      this.returns[this.index] = r;
      this.sum += r;
      this.sumSq += r * r;
      this.index = (this.index + 1) % size;
    }
    this.previous = price;
  }

  /** Sample standard deviation, or undefined with fewer than two returns. */
  value(): number | undefined {
    if (this.count < 2) return undefined;
    const mean = this.sum / this.count;
    const variance = (this.sumSq - this.count * mean * mean) / (this.count - 1);
    return variance > 0 ? Math.sqrt(variance) : 0;
  }

  toSnapshot(): VolatilitySnapshot {
    return {
      returns: this.returns.map((r) => encodeNum(r)),
      index: this.index,
      count: this.count,
      sum: encodeNum(this.sum),
      sumSq: encodeNum(this.sumSq),
      previous: this.previous === null ? null : encodeNum(this.previous),
    };
  }

  static fromSnapshot(snapshot: VolatilitySnapshot): RollingVolatility {
    const volatility = new RollingVolatility(snapshot.returns.length);
    volatility.returns = snapshot.returns.map((r) => decodeNum(r) ?? 0);
    volatility.index = snapshot.index;
    volatility.count = snapshot.count;
    volatility.sum = decodeNum(snapshot.sum) ?? 0;
    volatility.sumSq = decodeNum(snapshot.sumSq) ?? 0;
    volatility.previous = decodeNum(snapshot.previous) ?? null;
    return volatility;
  }
}

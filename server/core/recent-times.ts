/**
 * "How many of these times are after t?" for the append-only lists of order times that the breaker and the risk
 * gate ask on every order. A walk over the list made the 10,000th order of a busy hour cost 10,000 steps; the lists
 * are appended in clock order, so a binary search answers the same in O(log n).
 *
 * A list is searched only as far as it is known to be in non-decreasing order: that is checked once per element,
 * as elements are appended (remembered per array in a WeakMap, so callers keep plain arrays). A list that is out
 * of order anywhere (a clock set back) is counted by walking it, exactly as before. Arrays passed here must only
 * grow by push or be replaced: an element changed in place behind the checked prefix would not be seen.
 */

/** Per array: how many leading elements are known to be in non-decreasing order. */
const orderedPrefix = new WeakMap<readonly number[], number>();

function checkedPrefix(times: readonly number[]): number {
  let known = orderedPrefix.get(times) ?? 0;
  if (known > times.length) known = 0; // shrunk: check again from the start
  if (known === 0 && times.length > 0) known = 1;
  while (known < times.length && times[known]! >= times[known - 1]!) known++;
  orderedPrefix.set(times, known);
  return known;
}

/** How many entries of `times` are strictly greater than `bound`. */
export function countAfter(times: readonly number[], bound: number): number {
  const n = times.length;
  if (checkedPrefix(times) < n) {
    let count = 0;
    for (const t of times) if (t > bound) count++;
    return count;
  }
  // First index whose time is > bound; everything from there on is too.
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! > bound) hi = mid;
    else lo = mid + 1;
  }
  return n - lo;
}

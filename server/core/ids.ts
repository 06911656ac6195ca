/**
 * Ids are injected so that tests and backtests are reproducible.
 * clientOrderIds must fit every venue: Binance allows 36 characters of [.A-Za-z0-9:/_-], Bitget 40.
 */
export interface IdGenerator {
  /** A new unique id with the given short prefix, e.g. "ord", "pos", "bst". */
  next(prefix: string): string;
}

/** The characters of /^[A-Za-z0-9._:/-]{1,36}$/, by char code (every new order's id is checked: a table beats the regex). */
const ID_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/-") ID_CHAR[c.charCodeAt(0)] = 1;

export function isValidClientOrderId(id: string): boolean {
  const length = id.length;
  if (length === 0 || length > 36) return false;
  for (let i = 0; i < length; i++) if (ID_CHAR[id.charCodeAt(i)] !== 1) return false;
  return true;
}

/** Sequential ids: `prefix-1`, `prefix-2`, … (per prefix), optionally namespaced by a run tag. */
export function sequentialIds(namespace = ""): IdGenerator {
  const counters = new Map<string, number>();
  return {
    next(prefix: string): string {
      const n = (counters.get(prefix) ?? 0) + 1;
      counters.set(prefix, n);
      return namespace ? `${prefix}-${namespace}-${n}` : `${prefix}-${n}`;
    },
  };
}

/**
 * Ids that stay unique across process restarts: time (base36) + a random suffix + a counter.
 * `now` and `random` are injected (wall clock and crypto randomness in production).
 */
export function timeOrderedIds(now: () => number, random: () => number): IdGenerator {
  let counter = 0;
  return {
    next(prefix: string): string {
      counter = (counter + 1) % 1_679_616; // 36^4
      const rand = Math.floor(random() * 1_679_616)
        .toString(36)
        .padStart(4, "0");
      return `${prefix}-${now().toString(36)}${rand}${counter.toString(36).padStart(4, "0")}`;
    },
  };
}

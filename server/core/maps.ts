/** Small Map helpers. */

/** The value of `key` in `map`, made by `make` and stored on first use (a grouping's get-or-create). */
export function entryOf<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

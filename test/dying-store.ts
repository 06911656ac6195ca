/**
 * A store that dies as a killed process does: from the moment it is killed (by `kill()`, or by the call `diesAt` picks,
 * before that call runs), every call but `close` throws, so nothing more of the engine's reaches the database.
 */
export interface DyingStore<S> {
  store: S;
  kill(): void;
  readonly dead: boolean;
}

export function dyingStore<S extends object>(target: S, diesAt?: (key: PropertyKey, args: readonly unknown[]) => boolean): DyingStore<S> {
  let dead = false;
  const store = new Proxy(target, {
    get(object, key, receiver) {
      const value: unknown = Reflect.get(object, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (diesAt?.(key, args)) dead = true;
        if (dead && key !== "close") throw new Error("killed");
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
  return {
    store,
    kill: () => {
      dead = true;
    },
    get dead() {
      return dead;
    },
  };
}

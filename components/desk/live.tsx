"use client";
/**
 * Live updates: one SSE subscription (overview.live) for the whole desk. Each event invalidates the queries that
 * show it (at most twice a second per group); a reconnect resumes from the last event id, and a `resync` refetches
 * everything. While disconnected, a banner says the data is stale.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { trpcCode, useTRPC } from "../trpc/client";

interface LiveState {
  connected: boolean;
  lastEventAt: number | null;
}

const LiveContext = createContext<LiveState>({ connected: false, lastEventAt: null });

export function useLive(): LiveState {
  return useContext(LiveContext);
}

/** Which query groups (tRPC router names) an event makes stale. */
const GROUPS_FOR: Record<string, string[]> = {
  order: ["overview", "orders", "positions", "reconciliation"],
  fill: ["overview", "orders", "positions", "trades", "performance"],
  position: ["overview", "positions", "trades", "risk", "performance"],
  tradingState: ["overview", "breaker", "risk"],
  breaker: ["overview", "breaker", "risk", "alerts"],
  emergency: ["overview", "breaker", "orders", "positions"],
  equity: ["overview", "risk", "performance"],
  signal: ["signals", "overview"],
  drift: ["overview", "reconciliation", "alerts"],
  alert: ["overview", "alerts"],
  protection: ["alerts"],
  marks: ["overview", "positions", "risk"],
  resync: ["reconciliation", "overview", "orders", "positions", "trades", "risk", "breaker", "signals", "performance", "audit", "settings"],
};

export function LiveProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveState>({ connected: false, lastEventAt: null });
  const pending = useRef(new Set<string>());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const flush = () => {
    timer.current = null;
    for (const group of pending.current) void queryClient.invalidateQueries({ queryKey: [[group]] });
    pending.current.clear();
  };

  const subscription = useSubscription(
    trpc.overview.live.subscriptionOptions(undefined, {
      onStarted: () => setState((s) => ({ ...s, connected: true })),
      onData: (tracked) => {
        const event = tracked.data;
        setState({ connected: true, lastEventAt: Date.now() });
        for (const group of GROUPS_FOR[event.type] ?? []) pending.current.add(group);
        timer.current ??= setTimeout(flush, 500);
      },
      onError: (error) => {
        setState((s) => ({ ...s, connected: false }));
        // The server ends the stream when this session ends. After a password change the browser already holds
        // the new session: start again; when signed out for good, go to the sign-in page.
        if (trpcCode(error) !== "UNAUTHORIZED") return;
        void queryClient.fetchQuery({ ...trpc.auth.me.queryOptions(), staleTime: 0 }).then(
          (me) => (me ? restart.current() : window.location.assign("/signin")),
          () => undefined,
        );
      },
    }),
  );
  const restart = useRef(() => {});
  restart.current = subscription.reset;

  useEffect(() => {
    const connected = subscription.status === "pending";
    setState((s) => (s.connected === connected ? s : { ...s, connected }));
    // Coming back after a disconnect: refetch what is on screen (the server replays what it still has).
    if (connected) for (const group of GROUPS_FOR.resync!) void queryClient.invalidateQueries({ queryKey: [[group]] });
  }, [subscription.status, queryClient]);

  const value = useMemo(() => state, [state]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function StaleBanner() {
  const { connected } = useLive();
  const [shown, setShown] = useState(false);
  // Do not flash the banner during the first second of a page load.
  useEffect(() => {
    if (connected) {
      setShown(false);
      return;
    }
    const t = setTimeout(() => setShown(true), 1500);
    return () => clearTimeout(t);
  }, [connected]);
  if (!shown) return null;
  return (
    <div className="stale-banner" role="status">
      Live updates are disconnected: the figures below may be stale. Reconnecting…
    </div>
  );
}

"use client";
/** Who is signed in, for hiding what a role cannot do (the server enforces roles regardless). */
import { useQuery } from "@tanstack/react-query";
import { type ReactNode } from "react";
import { useTRPC } from "./client";
import type { RouterOutputs } from "./types";

export type Me = NonNullable<RouterOutputs["auth"]["me"]>;
/** A role, lowest to highest: viewer, trader, admin (the server says which the signed-in user has in `me.can`). */
export type Role = keyof Me["can"];

/** The signed-in user (null when signed out; undefined while loading). Needs TRPCReactProvider. */
export function useMe(): Me | null | undefined {
  const trpc = useTRPC();
  return useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 60_000 })).data;
}

/** True when the signed-in user has `role` or higher. */
export function useCan(role: Role): boolean {
  const me = useMe();
  return !!me && me.can[role];
}

/** Renders its children only for `role` or higher (else `fallback`). */
export function Can({ role, children, fallback = null }: { role: Role; children: ReactNode; fallback?: ReactNode }) {
  return useCan(role) ? <>{children}</> : <>{fallback}</>;
}

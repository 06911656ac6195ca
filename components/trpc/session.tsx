"use client";
/** Who is signed in, for hiding what a role cannot do (the server enforces roles regardless). */
import { useQuery } from "@tanstack/react-query";
import { type ReactNode } from "react";
import { hasRole, type Role } from "@/server/auth/roles";
import { useTRPC } from "./client";
import type { RouterOutputs } from "./types";

export type Me = NonNullable<RouterOutputs["auth"]["me"]>;

/** The signed-in user (null when signed out; undefined while loading). Needs TRPCReactProvider. */
export function useMe(): Me | null | undefined {
  const trpc = useTRPC();
  return useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 60_000 })).data;
}

/** True when the signed-in user has `role` or higher. */
export function useCan(role: Role): boolean {
  const me = useMe();
  return !!me && hasRole(me.role, role);
}

/** Renders its children only for `role` or higher (else `fallback`). */
export function Can({ role, children, fallback = null }: { role: Role; children: ReactNode; fallback?: ReactNode }) {
  return useCan(role) ? <>{children}</> : <>{fallback}</>;
}

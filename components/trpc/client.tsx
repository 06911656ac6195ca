"use client";
/**
 * The browser's tRPC client (v11, @trpc/tanstack-react-query):
 *
 *   const trpc = useTRPC();
 *   const me = useQuery(trpc.auth.me.queryOptions());
 *   const signOut = useMutation(trpc.auth.signOut.mutationOptions());
 *
 * Subscriptions go over SSE (httpSubscriptionLink), everything else through httpBatchLink; superjson both ways.
 * When a query or mutation answers UNAUTHORIZED (the session ended), the browser goes to /signin.
 */
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink, splitLink, TRPCClientError, type TRPCClient } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import type { AppRouter } from "@/server/api/root";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

function baseUrl(): string {
  if (typeof window !== "undefined") return "";
  return `http://127.0.0.1:${process.env.PORT ?? 3000}`;
}

/** A plain tRPC client (no React Query), e.g. for the sign-in form. */
export function makeTrpcClient(): TRPCClient<AppRouter> {
  const url = `${baseUrl()}/api/trpc`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url, transformer: superjson }),
        false: splitLink({
          // The server refuses auth.signIn inside a batch (one password check per request).
          condition: (op) => op.path === "auth.signIn",
          true: httpLink({ url, transformer: superjson }),
          // The server's maxBatchSize (MAX_TRPC_BATCH in server/api/front-door.ts); GET URLs under 4,000 characters (the server refuses over 8 KiB: server/api/url-limit.ts).
          false: httpBatchLink({ url, transformer: superjson, maxItems: 20, maxURLLength: 4_000 }),
        }),
      }),
    ],
  });
}

/** The tRPC error code of an error (UNAUTHORIZED, FORBIDDEN …), or null. */
export function trpcCode(error: unknown): string | null {
  if (!(error instanceof TRPCClientError)) return null;
  const data = (error as TRPCClientError<AppRouter>).data as { code?: unknown } | undefined;
  return typeof data?.code === "string" ? data.code : null;
}

/** Our domain code (BAD_CREDENTIALS, TRADING_HALTED, VALIDATION …), or null. */
export function domainCode(error: unknown): string | null {
  if (!(error instanceof TRPCClientError)) return null;
  const data = (error as TRPCClientError<AppRouter>).data as { domainCode?: unknown } | undefined;
  return typeof data?.domainCode === "string" ? data.domainCode : null;
}

/** A sentence to show a person. */
export function errorMessage(error: unknown): string {
  if (error instanceof TRPCClientError) {
    if (trpcCode(error) === null && /fetch|network/i.test(error.message)) return "The server cannot be reached; check that Bastion is running.";
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function onAuthError(error: unknown): void {
  if (typeof window !== "undefined" && trpcCode(error) === "UNAUTHORIZED" && window.location.pathname !== "/signin") {
    window.location.assign("/signin");
  }
}

function makeQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: onAuthError }),
    mutationCache: new MutationCache({ onError: onAuthError }),
    defaultOptions: {
      queries: {
        staleTime: 2_000,
        // refusals do not get better by asking again
        retry: (failures, error) => {
          const code = trpcCode(error);
          if (code && ["UNAUTHORIZED", "FORBIDDEN", "BAD_REQUEST", "NOT_FOUND", "PRECONDITION_FAILED"].includes(code)) return false;
          return failures < 2;
        },
      },
    },
  });
}

let browserQueryClient: QueryClient | undefined;

function getQueryClient(): QueryClient {
  if (typeof window === "undefined") return makeQueryClient(); // server render: a fresh one per request
  browserQueryClient ??= makeQueryClient();
  return browserQueryClient;
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createContext } from "@/server/api/context";
import { admitTrpcRequest, frontDoorOptionsFromEnv, MAX_TRPC_BATCH } from "@/server/api/front-door";
import { appRouter } from "@/server/api/root";
import { refuseLongUrl } from "@/server/api/url-limit";

export const dynamic = "force-dynamic";

async function handler(req: Request): Promise<Response> {
  const tooLong = refuseLongUrl(req);
  if (tooLong) return tooLong;
  // Host, content type, origin, sign-in batching and the body limit are checked before tRPC parses anything.
  const admitted = await admitTrpcRequest(req, frontDoorOptionsFromEnv());
  if (!admitted.ok) return admitted.response;
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: admitted.req,
    router: appRouter,
    createContext,
    maxBatchSize: MAX_TRPC_BATCH,
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"} failed:`, error.cause ?? error);
    },
    // Set-Cookie and friends travel in the context's resHeaders; answers are per user, never cached.
    responseMeta() {
      return { headers: new Headers({ "cache-control": "no-store" }) };
    },
  });
}

export { handler as GET, handler as POST };

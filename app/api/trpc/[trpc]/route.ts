import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createContext } from "@/server/api/context";
import { appRouter } from "@/server/api/root";
import { refuseLongUrl } from "@/server/api/url-limit";

export const dynamic = "force-dynamic";

function handler(req: Request): Promise<Response> {
  const tooLong = refuseLongUrl(req);
  if (tooLong) return Promise.resolve(tooLong);
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext,
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

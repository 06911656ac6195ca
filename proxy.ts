/**
 * Next.js 16 proxy (formerly middleware), for pages: refuses hosts this server does not serve (DNS rebinding) and
 * gives each page a fresh CSP nonce (server/api/security-headers.ts says why a nonce). API routes check the host
 * themselves (/api/trpc) or need no browser at all (/api/signals, /api/health); next.config.js gives them headers.
 */
import { NextResponse, type NextRequest } from "next/server";
import { allowedHostsFromEnv, hostAllowed } from "@/server/api/front-door";
import { pageContentSecurityPolicy } from "@/server/api/security-headers";

export function proxy(request: NextRequest): NextResponse {
  const host = request.headers.get("host") ?? request.nextUrl.host;
  if (!hostAllowed(host, allowedHostsFromEnv())) {
    return new NextResponse(
      `This server does not answer to the host "${host.slice(0, 100)}"; open it by the address it was started on, or add the name to BASTION_ALLOWED_HOSTS.\n`,
      {
        status: 421,
        headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
      },
    );
  }
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const csp = pageContentSecurityPolicy(nonce, { dev: process.env.NODE_ENV === "development" });
  // Next.js reads the nonce from the request's CSP header while rendering.
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", csp);
  return response;
}

export const config = {
  matcher: [
    {
      source: "/((?!api/|_next/static|_next/image|favicon.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};

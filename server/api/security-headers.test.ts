import { unstable_doesMiddlewareMatch } from "next/experimental/testing/server";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import nextConfig from "@/next.config.js";
import { config as proxyConfig, proxy } from "@/proxy";
import { API_CONTENT_SECURITY_POLICY, COMMON_SECURITY_HEADERS } from "./security-headers";

describe("page responses (proxy.ts)", () => {
  it("carry a CSP with a fresh nonce, no inline scripts without it, and no framing", () => {
    const a = proxy(new NextRequest("http://127.0.0.1:3000/orders", { headers: { host: "127.0.0.1:3000" } }));
    const b = proxy(new NextRequest("http://127.0.0.1:3000/orders", { headers: { host: "127.0.0.1:3000" } }));
    const csp = a.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(b.headers.get("content-security-policy")).not.toContain(nonce!);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).not.toContain("unsafe-eval"); // production
    // Next.js reads the nonce from the request's CSP header: the proxy must hand it on
    expect(a.headers.get("x-middleware-request-content-security-policy")).toBe(csp);
    expect(a.headers.get("x-middleware-request-x-nonce")).toBe(nonce);
  });

  it("refuse a host the server does not serve (DNS rebinding)", async () => {
    const res = proxy(new NextRequest("http://rebound.example:3000/", { headers: { host: "rebound.example:3000" } }));
    expect(res.status).toBe(421);
    expect(await res.text()).toMatch(/does not answer to the host "rebound\.example:3000"/);
    expect(proxy(new NextRequest("http://localhost:3000/", { headers: { host: "localhost:3000" } })).status).toBe(200);
  });
});

describe("where the proxy runs", () => {
  it.each([
    ["/", true],
    ["/signin", true],
    ["/orders/ord-1", true],
    // the webhook authenticates with its secret, not a browser origin: the page proxy stays out of its way
    ["/api/signals", false],
    ["/api/health", false],
    ["/api/trpc/auth.me", false],
    ["/_next/static/chunks/main.js", false],
  ])("%s → %s", (url, runs) => {
    expect(unstable_doesMiddlewareMatch({ config: proxyConfig, url })).toBe(runs);
  });
});

describe("every response (next.config.js)", () => {
  it("sets nosniff, a Referrer-Policy and no framing everywhere, and a locked CSP on API answers", async () => {
    const rules = await nextConfig.headers!();
    const all = rules.find((r) => r.source === "/:path*");
    expect(all?.headers).toEqual(COMMON_SECURITY_HEADERS);
    expect(Object.fromEntries(COMMON_SECURITY_HEADERS.map((h) => [h.key, h.value]))).toMatchObject({
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "X-Frame-Options": "DENY",
    });
    const api = rules.find((r) => r.source === "/api/:path*");
    expect(api?.headers).toEqual([{ key: "Content-Security-Policy", value: API_CONTENT_SECURITY_POLICY }]);
    expect(API_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });
});

describe("redirects (next.config.js)", () => {
  it("sends /login, the name people type from habit, to the sign-in page (temporarily: /login may become a page)", async () => {
    const rules = await nextConfig.redirects!();
    expect(rules).toEqual([{ source: "/login", destination: "/signin", permanent: false }]);
  });
});

/**
 * Headers on every response: no sniffing, no referrer, no framing (server/api/security-headers.ts holds the same
 * list and says why; a test keeps them equal). Pages get their CSP with a nonce from proxy.ts; API answers get one
 * that allows nothing to run.
 */
const COMMON_SECURITY_HEADERS = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "no-referrer" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
];
const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native/driver packages stay outside the server bundle (see STACK.md).
  serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3", "ccxt"],
  poweredByHeader: false,
  // A separate build directory when asked (several builds of one checkout side by side).
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  reactStrictMode: true,
  // `npm test` runs `tsc --noEmit` over the whole repo first; the build need not type-check twice.
  typescript: { ignoreBuildErrors: true },
  // The sign-in page is /signin; the name people type from habit leads there instead of to a 404.
  async redirects() {
    return [{ source: "/login", destination: "/signin", permanent: false }];
  },
  async headers() {
    return [
      { source: "/:path*", headers: COMMON_SECURITY_HEADERS },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_CONTENT_SECURITY_POLICY }] },
    ];
  },
};

export default nextConfig;

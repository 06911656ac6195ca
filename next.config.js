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
};

export default nextConfig;

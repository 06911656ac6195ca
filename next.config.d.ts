// Types for tests that import next.config.js (server/api/security-headers.test.ts).
import type { NextConfig } from "next";

declare const nextConfig: NextConfig;
export default nextConfig;

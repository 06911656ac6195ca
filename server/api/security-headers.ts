/**
 * Response headers that keep the desk's pages from being framed, sniffed or fed foreign scripts.
 *
 * Pages get a per-request nonce (proxy.ts): Next.js 16 streams its payload in inline `<script>` tags
 * (`self.__next_f.push(...)`) and reads the nonce from the request's CSP header to stamp them and its chunks, so
 * `'unsafe-inline'` is not needed for scripts; `'strict-dynamic'` lets those nonce'd scripts load the rest. Every
 * page is rendered per request (force-dynamic), which a nonce requires. Styles keep `'unsafe-inline'`: charts and
 * React set `style` attributes, which a nonce cannot cover, and a style cannot run code. Development adds
 * `'unsafe-eval'` (React's dev tooling reconstructs stacks with eval); production never does.
 */

export function pageContentSecurityPolicy(nonce: string, opts: { dev?: boolean } = {}): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** For JSON, SSE and file answers (API routes): nothing may run, nothing may frame them. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** On every response (next.config.js sets the same list; a test keeps the two equal). */
export const COMMON_SECURITY_HEADERS: ReadonlyArray<{ key: string; value: string }> = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "no-referrer" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
];

/**
 * The front door of /api/trpc: what a request must look like before tRPC parses it.
 *
 * - Host: the request names a host this server serves (loopback names, $HOST, BASTION_ALLOWED_HOSTS). A page on
 *   another name that resolves to us (DNS rebinding) is refused.
 * - Mutations (POST) carry `content-type: application/json` (an HTML form cannot send that without a CORS preflight,
 *   which we never grant) and, when the browser sends an Origin, it is this server's own origin. Clients without a
 *   browser (scripts, curl) send no Origin and pass on content type alone.
 * - `auth.signIn` is never batched (the browser sends it with httpLink): a batch must not multiply password checks
 *   behind one request.
 * - The body is read with a byte limit before anything parses it: 413 with a sentence above it.
 *
 * Refusals answer in tRPC's error shape (superjson envelope) so the browser's client shows the sentence.
 */
import { appConfig } from "../config";
import { readBodyLimited } from "./read-body";

export const MAX_TRPC_BODY_BYTES = 256 * 1024;
/** The server's maxBatchSize; the browser's httpBatchLink uses the same `maxItems`. */
export const MAX_TRPC_BATCH = 20;

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

export interface FrontDoorOptions {
  /** Host names (any port) or host:port pairs this server answers to, lower case. */
  allowedHosts: readonly string[];
  /**
   * Origins accepted besides the request's own host: the names configured in BASTION_ALLOWED_HOSTS (behind a
   * proxy that rewrites Host, the browser's origin is the public name). Loopback names are not in it: a page on
   * another local port is another site.
   */
  allowedOriginHosts: readonly string[];
  maxBodyBytes: number;
}

function configuredHosts(env: Readonly<Record<string, string | undefined>> | undefined): string[] {
  return [...appConfig(env).http.allowedHosts];
}

/** Loopback names, $HOST when it is a name (not a wildcard bind address), and BASTION_ALLOWED_HOSTS (comma-separated). */
export function allowedHostsFromEnv(env?: Readonly<Record<string, string | undefined>>): string[] {
  const extra = configuredHosts(env);
  const bind = appConfig(env).listen.host?.toLowerCase();
  const bound = bind && !["0.0.0.0", "::", "[::]"].includes(bind) ? [bind.includes(":") && !bind.startsWith("[") ? `[${bind}]` : bind] : [];
  return [...new Set([...LOOPBACK_NAMES, ...bound, ...extra])];
}

export function frontDoorOptionsFromEnv(env?: Readonly<Record<string, string | undefined>>): FrontDoorOptions {
  return { allowedHosts: allowedHostsFromEnv(env), allowedOriginHosts: configuredHosts(env), maxBodyBytes: MAX_TRPC_BODY_BYTES };
}

/** "Example.COM:3000" → { name: "example.com", port: "3000" }; "[::1]:3000" → { name: "[::1]", port: "3000" }. */
function splitHost(host: string): { name: string; port: string | null } {
  const h = host.trim().toLowerCase();
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h);
  return m ? { name: m[1]!, port: m[2] ?? null } : { name: h, port: null };
}

export function hostAllowed(host: string | null | undefined, allowed: readonly string[]): boolean {
  if (!host) return false;
  const { name, port } = splitHost(host);
  return allowed.some((entry) => {
    const e = splitHost(entry);
    return e.name === name && (e.port === null || e.port === port);
  });
}

/** The Host the client addressed (the header; a Request built in a test has only its URL). */
export function requestHost(req: Request): string {
  return req.headers.get("host") ?? new URL(req.url).host;
}

export type Refusal = { status: number; code: string; message: string };

function refusal(status: number, code: string, message: string): Refusal {
  return { status, code, message };
}

/** The checks that need no body: host, and for POST content type and origin, and sign-in batching. */
export function checkRequestHead(req: Request, opts: FrontDoorOptions): Refusal | null {
  const host = requestHost(req);
  if (!hostAllowed(host, opts.allowedHosts)) {
    return refusal(
      421,
      "MISDIRECTED",
      `This server does not answer to the host "${host.slice(0, 100)}"; open it by the address it was started on, or add the name to BASTION_ALLOWED_HOSTS.`,
    );
  }
  if (req.method === "POST") {
    const contentType = req.headers.get("content-type")?.split(";", 1)[0]?.trim().toLowerCase();
    if (contentType !== "application/json") {
      return refusal(415, "UNSUPPORTED_MEDIA_TYPE", "Changes are accepted only as JSON (content-type: application/json).");
    }
    const origin = req.headers.get("origin");
    if (origin !== null) {
      let originHost: string | null;
      try {
        originHost = origin === "null" ? null : new URL(origin).host;
      } catch {
        originHost = null;
      }
      const sameHost = originHost !== null && splitHost(originHost).name === splitHost(host).name && splitHost(originHost).port === splitHost(host).port;
      if (!sameHost && !(originHost !== null && hostAllowed(originHost, opts.allowedOriginHosts))) {
        return refusal(403, "CROSS_ORIGIN", "This change was sent from another site; Bastion accepts changes only from its own pages.");
      }
    }
    if (req.headers.get("sec-fetch-site") === "cross-site") {
      return refusal(403, "CROSS_ORIGIN", "This change was sent from another site; Bastion accepts changes only from its own pages.");
    }
  }
  const url = new URL(req.url);
  if (url.searchParams.get("batch") === "1") {
    const raw = url.pathname.replace(/^.*\/api\/trpc\/?/, "");
    let paths: string[];
    try {
      paths = decodeURIComponent(raw).split(",");
    } catch {
      paths = raw.split(",");
    }
    if (paths.includes("auth.signIn")) {
      return refusal(400, "BAD_REQUEST", "Sign in with a request of its own, not in a batch with other calls.");
    }
    if (paths.length > MAX_TRPC_BATCH) {
      return refusal(400, "BAD_REQUEST", `A batch holds at most ${MAX_TRPC_BATCH} calls; this one has ${paths.length}.`);
    }
  }
  return null;
}

/** A refusal in tRPC's error shape (one entry per call for a batch). */
export function refusalResponse(req: Request, r: Refusal): Response {
  const error = { json: { message: r.message, code: -32600, data: { code: r.code, httpStatus: r.status, domainCode: r.code, zodError: null, details: null } } };
  const url = new URL(req.url);
  const calls = url.searchParams.get("batch") === "1" ? url.pathname.replace(/^.*\/api\/trpc\/?/, "").split(",").length : 0;
  const body = calls > 0 ? Array.from({ length: Math.min(calls, MAX_TRPC_BATCH) }, () => ({ error })) : { error };
  return Response.json(body, { status: r.status, headers: { "cache-control": "no-store" } });
}

export type Admission = { ok: true; req: Request } | { ok: false; response: Response };

/** Admits a request to tRPC (with its body read and re-attached), or answers the refusal. */
export async function admitTrpcRequest(req: Request, opts: FrontDoorOptions): Promise<Admission> {
  const head = checkRequestHead(req, opts);
  if (head) return { ok: false, response: refusalResponse(req, head) };
  if (req.method !== "POST") return { ok: true, req };
  const body = await readBodyLimited(req, opts.maxBodyBytes);
  if (body === null) {
    const kib = Math.round(opts.maxBodyBytes / 1024);
    return { ok: false, response: refusalResponse(req, refusal(413, "PAYLOAD_TOO_LARGE", `The request is too large: at most ${kib} KiB is accepted.`)) };
  }
  return { ok: true, req: new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal }) };
}

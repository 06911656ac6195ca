/**
 * GET /api/strategies/export?format=json|csv&from=&to=&strategy=&buckets= — per-strategy metrics for a model's own
 * training loop. JSON: `{ window, truncated, strategies, outcomes }` (the Strategies page's metrics plus one row per
 * signal with the trade it opened); CSV (RFC 4180, CRLF): one row per signal. Needs a session (any role), like the
 * trades export; 401 without one, 400 with readable reasons for bad parameters. `from`/`to` are epoch ms.
 */
import { z } from "zod";
import { strategyMetricsInputSchema } from "@/server/api/routers/strategies";
import { readCookie, SESSION_COOKIE } from "@/server/auth/cookies";
import { resolveSession } from "@/server/auth/sessions";
import { strategyExportJson, strategyOutcomesCsv } from "@/server/services/strategy-metrics";

export const dynamic = "force-dynamic";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });

/** A whole number stays a number (and fails the schema's bounds readably); anything else goes through as text and fails there. */
const numberParam = (v: string | null) => (v === null || v === "" ? undefined : /^\d+$/.test(v) ? Number(v) : v);

export async function GET(req: Request): Promise<Response> {
  const token = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
  const session = token ? await resolveSession(token) : null;
  if (!session) return json(401, { error: "UNAUTHORIZED", message: "Sign in first." });

  const q = new URL(req.url).searchParams;
  const raw = {
    from: numberParam(q.get("from")),
    to: numberParam(q.get("to")),
    strategy: q.get("strategy") || undefined,
    buckets: numberParam(q.get("buckets")),
  };
  const parsed = strategyMetricsInputSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  const format = z.enum(["json", "csv"]).safeParse(q.get("format") ?? "json");
  if (!parsed.success || !format.success) {
    const issues = [...(parsed.error?.issues ?? []), ...(format.error ? [{ path: ["format"], message: "format must be json or csv" }] : [])];
    return json(400, { error: "VALIDATION", message: `Invalid parameters: ${issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` });
  }
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  const headers = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
  if (format.data === "csv") {
    return new Response(await strategyOutcomesCsv(parsed.data), {
      headers: { ...headers, "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="bastion-strategies-${stamp}.csv"` },
    });
  }
  return new Response(JSON.stringify(await strategyExportJson(parsed.data)), {
    headers: { ...headers, "content-type": "application/json", "content-disposition": `attachment; filename="bastion-strategies-${stamp}.json"` },
  });
}

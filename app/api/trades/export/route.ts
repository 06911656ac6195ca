/**
 * GET /api/trades/export?venue=&symbol=&strategy=&side=&outcome=&exitReason=&from=&to=&dir= — the filtered closed trades as CSV
 * (RFC 4180, CRLF, exact decimal strings, ISO 8601 UTC times), streamed in chunks so a million rows never sit in
 * memory. Needs a session (any role); 401 without one, 400 with readable reasons for bad filters.
 * `from`/`to` are epoch ms on the exit time (or ISO dates such as 2024-01-31); from inclusive, to exclusive.
 */
import { z } from "zod";
import { tradeFilterSchema } from "@/server/api/routers/trades";
import { readCookie, SESSION_COOKIE } from "@/server/auth/cookies";
import { resolveSession } from "@/server/auth/sessions";
import { tradesCsvStream } from "@/server/services/trades";

export const dynamic = "force-dynamic";

function timeParam(v: string | null): number | string | undefined {
  if (v === null || v === "") return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/.test(v) ? Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v) : NaN;
  return Number.isFinite(ms) ? ms : v; // a string fails validation with a readable message
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });

export async function GET(req: Request): Promise<Response> {
  const token = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
  const session = token ? await resolveSession(token) : null;
  if (!session) return json(401, { error: "UNAUTHORIZED", message: "Sign in first." });

  const q = new URL(req.url).searchParams;
  const text = (name: string) => q.get(name) || undefined;
  const raw = {
    venue: text("venue"),
    symbol: text("symbol"),
    strategy: text("strategy"),
    side: text("side"),
    outcome: text("outcome"),
    exitReason: text("exitReason"),
    from: timeParam(q.get("from")),
    to: timeParam(q.get("to")),
  };
  const parsed = tradeFilterSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  const dir = z.enum(["asc", "desc"]).safeParse(q.get("dir") ?? "desc");
  if (!parsed.success || !dir.success) {
    const issues = [...(parsed.error?.issues ?? []), ...(dir.error ? [{ path: ["dir"], message: "dir must be asc or desc" }] : [])];
    return json(400, { error: "VALIDATION", message: `Invalid filter: ${issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` });
  }
  if (parsed.data.from !== undefined && parsed.data.to !== undefined && parsed.data.from >= parsed.data.to) {
    return json(400, { error: "VALIDATION", message: "Invalid filter: 'from' must be before 'to'." });
  }
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return new Response(tradesCsvStream(parsed.data, dir.data), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="bastion-trades-${stamp}.csv"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}

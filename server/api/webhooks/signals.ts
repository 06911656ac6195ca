/**
 * The signal webhook behind POST /api/signals (app/api/signals/route.ts only hands the request here): secret check,
 * strict JSON validation, one call into the engine, plain-words answers with the HTTP status.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { appConfig } from "../../config";
import { isDomainError } from "../../core/errors";
import { capText } from "../../core/input-schemas";
import { submitSignal } from "../../services/signals";
import { readTextLimited } from "../read-body";
import { signalInputSchema } from "./signal-schema";

const MAX_BODY = 16 * 1024;

function json(status: number, body: Record<string, unknown>): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

function sameSecret(given: string, expected: string): boolean {
  // Hash both so the comparison takes the same time whatever the lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export async function handleSignalWebhook(request: Request, secret = appConfig().signalSecret?.reveal()): Promise<Response> {
  if (!secret) return json(503, { error: "WEBHOOK_DISABLED", message: "The signal webhook is off: set BASTION_SIGNAL_SECRET to enable it." });
  const header = request.headers.get("authorization");
  const given = header?.startsWith("Bearer ") ? header.slice(7) : (request.headers.get("x-bastion-secret") ?? "");
  if (!given || !sameSecret(given, secret)) return json(401, { error: "UNAUTHORIZED", message: "Missing or wrong signal secret." });
  const text = await readTextLimited(request, MAX_BODY);
  if (text === null) return json(413, { error: "TOO_LARGE", message: `A signal must be at most ${MAX_BODY} bytes.` });
  if (text === undefined) return json(400, { error: "MALFORMED_TEXT", message: "The body is not valid UTF-8 text." });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return json(400, { error: "MALFORMED_JSON", message: "The body is not valid JSON." });
  }
  const parsed = signalInputSchema.safeParse(body);
  if (!parsed.success) {
    // At most 20 problems of at most 300 characters each: an answer never echoes a large input back.
    const problems = parsed.error.issues.slice(0, 20).map((i) => capText(i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message, 300));
    return json(400, { error: "VALIDATION", message: `Invalid signal: ${problems.join("; ")}`, problems });
  }
  try {
    const result = await submitSignal(parsed.data, "webhook");
    if (result.ok) return json(202, { status: "ACCEPTED", message: result.message, clientOrderId: result.data?.clientOrderId ?? null });
    const status = result.error.code === "DUPLICATE_SIGNAL" ? 409 : 422;
    return json(status, { status: "DENIED", error: result.error.code, message: result.error.message });
  } catch (e) {
    if (isDomainError(e)) return json(e.code === "ENGINE_UNAVAILABLE" ? 503 : 422, { error: e.code, message: e.message });
    console.error("signal webhook failed", e);
    return json(500, { error: "INTERNAL", message: "Internal error; the server log has the details." });
  }
}

/** The signal webhook: secret check, strict JSON validation, one call into the engine, plain-words answers. */
import { createHash, timingSafeEqual } from "node:crypto";
import { isDomainError } from "../api/domain-error";
import { signalInputSchema } from "../api/schemas";
import { submitSignal } from "./signals";

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

export async function handleSignalWebhook(request: Request, secret = process.env.BASTION_SIGNAL_SECRET): Promise<Response> {
  if (!secret) return json(503, { error: "WEBHOOK_DISABLED", message: "The signal webhook is off: set BASTION_SIGNAL_SECRET to enable it." });
  const header = request.headers.get("authorization");
  const given = header?.startsWith("Bearer ") ? header.slice(7) : (request.headers.get("x-bastion-secret") ?? "");
  if (!given || !sameSecret(given, secret)) return json(401, { error: "UNAUTHORIZED", message: "Missing or wrong signal secret." });
  const text = await request.text();
  if (text.length > MAX_BODY) return json(413, { error: "TOO_LARGE", message: `A signal must be at most ${MAX_BODY} bytes.` });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return json(400, { error: "MALFORMED_JSON", message: "The body is not valid JSON." });
  }
  const parsed = signalInputSchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message));
    return json(400, { error: "VALIDATION", message: `Invalid signal: ${problems.join("; ")}`, problems });
  }
  try {
    const result = await submitSignal(parsed.data, "webhook");
    if (result.ok) return json(202, { status: "ACCEPTED", message: result.message, clientOrderId: result.data?.clientOrderId ?? null });
    const status = result.code === "DUPLICATE_SIGNAL" ? 409 : 422;
    return json(status, { status: "DENIED", error: result.code, message: result.message });
  } catch (e) {
    if (isDomainError(e)) return json(e.code === "ENGINE_UNAVAILABLE" ? 503 : 422, { error: e.code, message: e.message });
    console.error("signal webhook failed", e);
    return json(500, { error: "INTERNAL", message: "Internal error; the server log has the details." });
  }
}

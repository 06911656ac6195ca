/**
 * POST /api/signals — a JSON signal from a model or a webhook, authenticated by the shared secret in
 * BASTION_SIGNAL_SECRET (header `Authorization: Bearer <secret>` or `X-Bastion-Secret: <secret>`).
 */
import { handleSignalWebhook } from "@/server/api/webhooks/signals";

export const dynamic = "force-dynamic";

export function POST(request: Request): Promise<Response> {
  return handleSignalWebhook(request);
}

/**
 * Long URLs: a tRPC query carries its input in the URL, and a batch of them can grow past what the server takes.
 *
 * What we control: a request whose URL is over MAX_URL_BYTES gets a clear 414 JSON answer here, in tRPC's error
 * shape, before anything is parsed. What we do not: Node's HTTP parser (under `next start`) refuses a request whose
 * header section (the request line included) is over its --max-http-header-size (16 KiB by default) with an empty
 * 431 or a closed connection, before Next.js or this code sees it. The dashboard's client keeps its GET URLs under
 * CLIENT_MAX_URL_LENGTH (components/trpc/client.tsx) so it never meets either limit.
 */
import { DomainError } from "../core/errors";

/** Half of Node's default header limit: room left for cookies and the other headers. */
export const MAX_URL_BYTES = 8 * 1024;

/** The dashboard's httpBatchLink splits batches to keep a GET URL under this. */
export const CLIENT_MAX_URL_LENGTH = 4_000;

/** A 414 answer when the URL is too long, else null. */
export function refuseLongUrl(req: Request): Response | null {
  const length = Buffer.byteLength(req.url);
  if (length <= MAX_URL_BYTES) return null;
  const error = new DomainError(
    "URL_TOO_LONG",
    `The request's address is ${length} bytes long; at most ${MAX_URL_BYTES} are accepted. Send fewer queries in one request, or a smaller input.`,
  );
  return Response.json(
    {
      error: {
        json: {
          message: error.message,
          code: -32600,
          data: { code: "BAD_REQUEST", httpStatus: 414, domainCode: error.code, zodError: null, details: { maxBytes: MAX_URL_BYTES, length } },
        },
      },
    },
    { status: 414, headers: { "cache-control": "no-store" } },
  );
}

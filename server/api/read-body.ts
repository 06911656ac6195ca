/**
 * Reading a request body with a byte limit, for the edges that take bodies from anyone (the tRPC front door, the
 * signal webhook): the reading stops at the bound, so a large body is never held in memory.
 */

/** The body, at most `maxBytes` bytes, or null when it is longer (reading stops there). */
export async function readBodyLimited(req: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  // A declared length above the bound is refused unread (a missing or malformed header reads as NaN or 0: read and count).
  const declared = Number(req.headers.get("content-length"));
  if (declared > maxBytes) return null;
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

/**
 * The body as text, reading at most `maxBytes` bytes (UTF-8 bytes, not UTF-16 units: "é" is 2 bytes, an emoji 4);
 * null when it is longer (the rest is never read), undefined when it is not valid UTF-8.
 */
export async function readTextLimited(req: Request, maxBytes: number): Promise<string | null | undefined> {
  const body = await readBodyLimited(req, maxBytes);
  if (body === null) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}

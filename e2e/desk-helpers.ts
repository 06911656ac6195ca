import { expect, type APIRequestContext, type APIResponse, type Page } from "@playwright/test";
import { E2E_ADMIN_PASSWORD } from "./auth-helpers";

/** The signal webhook's shared secret on the e2e server (playwright.config.ts passes it as BASTION_SIGNAL_SECRET). */
export const E2E_SIGNAL_SECRET = "e2e-webhook-secret-walnut-harbour";

/** The viewer the e2e specs create through the admin API. */
export const E2E_VIEWER = { username: "e2e-viewer", password: "quiet meadow copper kestrel" } as const;

export const SYMBOL = "BTC/USDT";

let signalSeq = 0;

/** POST /api/signals with the shared secret; a fresh signal id each call (the engine dedupes by id). */
export function postSignal(request: APIRequestContext, action: "BUY" | "SELL" | "CLOSE", extra: Record<string, unknown> = {}): Promise<APIResponse> {
  signalSeq += 1;
  return request.post("/api/signals", {
    headers: { authorization: `Bearer ${E2E_SIGNAL_SECRET}` },
    data: { id: `e2e-${Date.now()}-${signalSeq}`, symbol: SYMBOL, action, confidence: 0.9, strategy: "e2e", ...extra },
  });
}

/**
 * A webhook signal the engine accepts (202). Right after the server starts the replay may not have priced the
 * symbol yet (NO_MARKET_PRICE): the signal is sent again until it is accepted.
 */
export async function acceptedSignal(request: APIRequestContext, action: "BUY" | "CLOSE"): Promise<{ clientOrderId: string | null }> {
  let body: { status?: string; error?: string; message?: string; clientOrderId?: string | null } = {};
  await expect(async () => {
    const res = await postSignal(request, action);
    body = (await res.json()) as typeof body;
    expect(body, `signal ${action}: ${body.error ?? ""} ${body.message ?? ""}`).toMatchObject({ status: "ACCEPTED" });
  }).toPass({ timeout: 20_000, intervals: [250, 500, 1000] });
  return { clientOrderId: body.clientOrderId ?? null };
}

interface OpenPositions {
  positions: { id: string; state: string; quantity: string }[];
}

/** Filled positions right now (an entry still on its way is not one yet). */
export async function filledPositions(request: APIRequestContext): Promise<OpenPositions["positions"]> {
  const list = await trpcQuery<OpenPositions>(request, "positions.list");
  return list.positions.filter((p) => Number(p.quantity) > 0);
}

/** A webhook BUY, then waits until its entry has filled (needs `request` signed in, for positions.list). */
export async function openLong(request: APIRequestContext): Promise<string> {
  await acceptedSignal(request, "BUY");
  let id = "";
  await expect(async () => {
    const open = await filledPositions(request);
    expect(open).toHaveLength(1);
    id = open[0]!.id;
  }).toPass({ timeout: 15_000 });
  return id;
}

/**
 * A webhook CLOSE (it closes the strategy's positions only); then, for what people left (their orders and positions
 * belong to `manual`), a person's "cancel all" and "close all"; then waits until no position is left (open or closing).
 */
export async function closeLong(request: APIRequestContext): Promise<void> {
  await acceptedSignal(request, "CLOSE");
  const left = await trpcQuery<OpenPositions>(request, "positions.list");
  if (left.positions.length > 0) {
    const key = () => `e2e-clean-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    await trpcMutation(request, "orders.cancelAll", { reason: "e2e: clean up what people left", idempotencyKey: key() });
    await trpcMutation(request, "positions.closeAll", { reason: "e2e: clean up what people left", idempotencyKey: key() });
  }
  await expect.poll(async () => (await trpcQuery<OpenPositions>(request, "positions.list")).positions.length, { timeout: 15_000 }).toBe(0);
}

interface TrpcError {
  error: { json: { message: string; code: number; data: { code: string; domainCode: string | null; httpStatus: number } } };
}

/** A tRPC mutation over HTTP (superjson envelope) with whatever session cookie `request` holds. */
export async function trpcMutation<T = unknown>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${path}`, { data: { json: input } });
  const body = (await res.json()) as { result?: { data: { json: T } } } & Partial<TrpcError>;
  if (!res.ok() || !body.result) throw new Error(`${path} refused (${res.status()}): ${body.error?.json.message ?? JSON.stringify(body)}`);
  return body.result.data.json;
}

/** A tRPC query over HTTP. */
export async function trpcQuery<T = unknown>(request: APIRequestContext, path: string, input?: unknown): Promise<T> {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await request.get(`/api/trpc/${path}${query}`);
  const body = (await res.json()) as { result?: { data: { json: T } } } & Partial<TrpcError>;
  if (!res.ok() || !body.result) throw new Error(`${path} failed (${res.status()}): ${body.error?.json.message ?? JSON.stringify(body)}`);
  return body.result.data.json;
}

/** Signs `request` (its own cookie jar) in over tRPC. */
export async function apiSignIn(request: APIRequestContext, username = "admin", password = E2E_ADMIN_PASSWORD): Promise<void> {
  await trpcMutation(request, "auth.signIn", { username, password });
}

/**
 * Exit rules that cannot fire during a test (the replay moves the price for real): a wide stop-loss and take-profit
 * (so the Positions page still shows levels), no trailing stop, no expiry.
 */
export async function calmExitRules(request: APIRequestContext): Promise<void> {
  await trpcMutation(request, "settings.setSymbol", {
    symbol: SYMBOL,
    settings: {
      stopLossPct: 30,
      takeProfitLevels: [{ pct: 40, closeFraction: 1 }],
      trailing: null,
      maxAgeMinutes: null,
      sizing: { method: "fixed_fraction", fraction: 0.1 },
    },
  });
}

/** The current mark of the symbol, from orders.open. */
export async function markPrice(request: APIRequestContext): Promise<number> {
  let mark = 0;
  await expect(async () => {
    const open = await trpcQuery<{ marks: Record<string, number> }>(request, "orders.open");
    mark = open.marks[SYMBOL] ?? 0;
    expect(mark).toBeGreaterThan(0);
  }).toPass({ timeout: 20_000 });
  return mark;
}

/** A resting GTC limit buy 30 % under the market (never fills during a test), placed as admin; its clientOrderId. */
export async function restingLimit(request: APIRequestContext): Promise<string> {
  const price = Math.floor((await markPrice(request)) * 0.7);
  const r = await trpcMutation<{ data?: { clientOrderId?: string } }>(request, "orders.place", {
    symbol: SYMBOL,
    side: "BUY",
    type: "LIMIT",
    quantity: "0.002",
    price: String(price),
    timeInForce: "GTC",
    reason: "e2e resting order",
  });
  const id = r.data?.clientOrderId;
  if (!id) throw new Error(`orders.place answered without a clientOrderId: ${JSON.stringify(r)}`);
  return id;
}

/** Fills a ConfirmAction / row dialog's Reason and clicks its confirm button. */
export async function confirmDialog(page: Page, title: string | RegExp, confirmLabel: string, reason?: string): Promise<void> {
  const dialog = page.getByRole("dialog", { name: title, exact: typeof title === "string" });
  await expect(dialog).toBeVisible();
  if (reason !== undefined) await dialog.getByLabel("Reason").fill(reason);
  await dialog.getByRole("button", { name: confirmLabel, exact: true }).click();
  await expect(dialog).toBeHidden();
}

/** Where the spec's screenshots go (`test-results/screenshots/<name>.png`). */
export function shot(name: string): string {
  return `test-results/screenshots/${name}.png`;
}

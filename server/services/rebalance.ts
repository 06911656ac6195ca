/**
 * risk.rebalance / risk.sendRebalance: the orders that would bring the book to an allocation method's target weights
 * (core/risk/rebalance.ts, on the engine's own target weights — the ones `target_weight` sizing uses), and sending
 * the orders an operator reviewed. Never sent silently: a viewer sees the proposal, a trader sends it, and each order
 * is a manual MARKET order through the risk gate, audited with the operator's name and reason like any other.
 */
import { resultMessage } from "../engine/context";
import { z } from "zod";
import { D, Decimal, ZERO } from "../core/money";
import { proposeRebalance, type RebalanceHolding } from "../core/risk";
import { ALLOCATION_METHODS } from "../core/risk/portfolio-report";
import type { Actor } from "../engine/types";
import { idempotencyKeySchema } from "../core/input-schemas";
import { requireEngine } from "./engine";

export const rebalanceInputSchema = z
  .object({
    method: z.enum(ALLOCATION_METHODS, { error: `method must be one of ${ALLOCATION_METHODS.join(", ")}` }).default("risk_parity"),
    fraction: z
      .number({ error: "fraction must be a share of equity from 0.01 to 1" })
      .min(0.01, "fraction must be at least 0.01")
      .max(1, "fraction must be at most 1")
      .default(1),
  })
  .strict();

export type RebalanceProposalView = Awaited<ReturnType<typeof rebalanceProposal>>;

export function rebalanceProposal(input: z.infer<typeof rebalanceInputSchema>) {
  const engine = requireEngine();
  const targets = engine.targetWeights(input.method);
  const base = { method: input.method, fraction: input.fraction };
  if (!targets.ok) return { ...base, orders: [], skipped: [], book: null, targets: {}, reason: targets.error.message };
  const state = engine.state();
  const holdings: RebalanceHolding[] = state.positions
    .filter((p) => p.position.quantity.greaterThan(0))
    .map((p) => ({
      symbol: p.position.symbol,
      netQty: p.position.side === "LONG" ? p.position.quantity : p.position.quantity.negated(),
      markPrice: p.mark !== null ? new Decimal(p.mark) : (p.position.avgEntryPrice ?? ZERO),
    }));
  const prices = Object.fromEntries(Object.entries(state.marks).map(([symbol, m]) => [symbol, new Decimal(m.last)]));
  const minNotional = engine.riskSettings().limits.minNotional;
  const proposal = proposeRebalance({
    targetWeights: targets.value,
    bookFraction: input.fraction,
    equity: state.equity.equity,
    holdings,
    instruments: engine.instrumentList(),
    prices,
    ...(minNotional !== undefined && { minNotional: D(minNotional) }),
  });
  return {
    ...base,
    orders: proposal.orders.map((o) => ({
      symbol: o.symbol,
      side: o.side,
      quantity: o.quantity.toString(),
      price: o.price.toString(),
      notional: o.notional.toString(),
      reduceOnly: o.reduceOnly,
      currentNotional: o.currentNotional.toString(),
      targetNotional: o.targetNotional.toString(),
      targetWeight: o.targetWeight,
    })),
    skipped: proposal.skipped,
    book: proposal.book.toString(),
    targets: targets.value,
    reason: null,
  };
}

const quantityText = z.string().regex(/^\d{1,15}(\.\d{1,12})?$/, "quantity must be a positive decimal such as 0.015");

export const sendRebalanceInputSchema = z
  .object({
    orders: z
      .array(
        z
          .object({
            symbol: z.string().min(1).max(50),
            side: z.enum(["BUY", "SELL"], { error: "side must be BUY or SELL" }),
            quantity: quantityText,
            reduceOnly: z.boolean(),
          })
          .strict(),
      )
      .min(1, "there are no orders to send")
      .max(50, "at most 50 orders at once"),
    reason: z.string().trim().min(1, "say why you rebalance").max(500, "the reason must be at most 500 characters"),
    /** Taken off by the idempotency middleware (a second click on the same dialog does not send twice). */
    idempotencyKey: idempotencyKeySchema,
  })
  .strict();

/**
 * Sends the reviewed orders one by one, sells first (as proposed), each a manual order through the gate. A refusal
 * does not stop the rest: every order's outcome is returned so the operator sees what went out and what did not.
 */
export async function sendRebalance(input: z.infer<typeof sendRebalanceInputSchema>, actor: Actor) {
  const engine = requireEngine();
  const results: { symbol: string; side: "BUY" | "SELL"; quantity: string; ok: boolean; code: string | null; message: string }[] = [];
  for (const order of input.orders) {
    const result = await engine.execute({
      kind: "manualOrder",
      order: { symbol: order.symbol, side: order.side, type: "MARKET", quantity: order.quantity, ...(order.reduceOnly && { reduceOnly: true }) },
      actor,
      reason: `rebalance: ${input.reason}`,
    });
    results.push({ ...order, ok: result.ok, code: result.ok ? null : result.error.code, message: resultMessage(result) });
  }
  return { sent: results.filter((r) => r.ok).length, refused: results.filter((r) => !r.ok).length, results };
}

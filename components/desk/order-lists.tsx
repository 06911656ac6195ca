"use client";
/**
 * Order lists on the Orders page: the lists as one unit each (a header row and its legs, grouped in one <table>),
 * Cancel list (confirmed), the bracket / OCO form for traders (checked before the confirmation, refusals in plain
 * words), and the amend dialog of a working order (new price and/or quantity, confirmed and audited).
 */
import { FormOutcome, useReviewedForm } from "../ui/form-outcome";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { InstrumentOut, OrderOut } from "@/components/trpc/types";
import { domainCode, errorMessage, useTRPC } from "../trpc/client";
import { decimalsOf, fmtNum, fmtTime } from "../ui/format";
import { Badge, Empty, ErrorText, Loading, Panel, type BadgeTone } from "../ui/kit";
import { RowActionDialog } from "./row-action-dialog";

const ROLE_LABEL: Record<string, string> = {
  entry: "entry",
  stop_loss: "stop-loss",
  take_profit: "take-profit",
  first: "first leg",
  second: "second leg",
  primary: "primary",
  secondary: "secondary",
};

function listTone(status: string): BadgeTone {
  return status === "WORKING" ? "info" : status === "DONE" ? "ok" : "muted";
}

function orderTone(status: string): BadgeTone {
  if (status === "FILLED") return "ok";
  if (status === "REJECTED" || status === "DENIED") return "bad";
  if (status === "CANCELED" || status === "EXPIRED") return "muted";
  if (status === "PARTIALLY_FILLED" || status.startsWith("PENDING")) return "warn";
  return "info";
}

const typeLabel = (type: string) => type.replace(/_/g, " ").toLowerCase();
const DEC = /^\d+(\.\d+)?$/;

interface Dp {
  price: number;
  qty: number;
}

export function OrderListsPanel({ dp, canTrade }: { dp: (symbol: string) => Dp; canTrade: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const lists = useQuery(trpc.orders.lists.queryOptions({ all: true, limit: 20 }));
  const cancel = useMutation(trpc.orders.cancelList.mutationOptions());
  const [pending, setPending] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const rows = lists.data?.lists ?? [];
  const working = rows.filter((l) => l.status === "WORKING").length;
  return (
    <Panel title={`Order lists${lists.data ? ` (${working} working)` : ""}`}>
      {notice ? (
        <p className="po-notice" role="status">
          {notice}
        </p>
      ) : null}
      {lists.error ? (
        <ErrorText error={lists.error} />
      ) : !lists.data ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty>No order lists yet: a bracket or an OCO placed below shows here as one unit.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="data po-orders ol-table" aria-label="Order lists">
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">Order</th>
                <th scope="col">Side</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Qty
                </th>
                <th scope="col" className="num">
                  Filled
                </th>
                <th scope="col" className="num">
                  Price
                </th>
                <th scope="col" className="num">
                  Trigger
                </th>
              </tr>
            </thead>
            {rows.map((list) => (
              <tbody key={list.listId} aria-label={`${list.kind} list ${list.listId}`}>
                <tr className="ol-head">
                  <th scope="rowgroup" colSpan={9}>
                    <span className="ol-title">
                      <strong>{list.kind === "BRACKET" ? "Bracket" : list.kind}</strong> <span className="mono">{list.listId}</span> · {list.symbol}{" "}
                      <Badge tone={listTone(list.status)}>{list.status}</Badge>{" "}
                      <Badge
                        tone={list.execution === "native" ? "info" : "muted"}
                        label={list.execution === "native" ? "Execution: native order list at the venue" : "Execution: emulated by the engine"}
                      >
                        {list.execution}
                      </Badge>{" "}
                      <span className="muted">
                        {list.execution === "native" ? "held by the venue as one order list" : "the engine links the legs"} · {fmtTime(list.createdAt)} ·{" "}
                        {list.createdBy}
                        {list.endReason ? ` · ${list.endReason}` : ""}
                      </span>
                    </span>
                    {canTrade && list.status === "WORKING" ? (
                      <button type="button" className="btn small danger" onClick={() => setPending(list.listId)} aria-label={`Cancel list ${list.listId}`}>
                        Cancel list
                      </button>
                    ) : null}
                  </th>
                </tr>
                {list.legs.map((leg) => {
                  const o = leg.order;
                  const d = dp(list.symbol);
                  return (
                    <tr key={leg.role} className="ol-leg">
                      <td>{ROLE_LABEL[leg.role] ?? leg.role}</td>
                      <td className="mono">
                        {o ? (
                          <Link href={`/orders/${encodeURIComponent(o.clientOrderId)}`}>{o.clientOrderId}</Link>
                        ) : (
                          <span className="muted">
                            {leg.note ?? (list.status === "WORKING" ? `sent when the ${list.kind === "OTO" ? "primary" : "entry"} fills` : "never sent")}
                          </span>
                        )}
                        {leg.replaced.length > 0 ? <span className="muted"> · replaces {leg.replaced.join(", ")}</span> : null}
                      </td>
                      <td className={o?.side === "BUY" ? "side-buy" : "side-sell"}>{o?.side ?? ""}</td>
                      <td>{o ? typeLabel(o.type) : ""}</td>
                      <td>{o ? <Badge tone={orderTone(o.status)}>{o.status}</Badge> : <span className="muted">waiting</span>}</td>
                      <td className="num">{o ? fmtNum(o.quantity, d.qty) : ""}</td>
                      <td className="num">{o ? fmtNum(o.filledQty, d.qty) : ""}</td>
                      <td className="num">{o ? fmtNum(o.price, d.price) : ""}</td>
                      <td className="num">{o ? fmtNum(o.triggerPrice, d.price) : ""}</td>
                    </tr>
                  );
                })}
              </tbody>
            ))}
          </table>
        </div>
      )}
      {pending ? (
        <RowActionDialog
          key={`cancel-list-${pending}`}
          title={`Cancel list ${pending}`}
          description={<>Cancels every working order of the list; nothing more is sent for it. A filled entry&apos;s position stays open.</>}
          confirmLabel="Cancel list"
          destructive
          reason="optional"
          onClose={() => setPending(null)}
          onConfirm={async (reason, idempotencyKey) => {
            const r = await cancel.mutateAsync({ listId: pending, ...(reason ? { reason } : {}), idempotencyKey });
            setNotice(r.message);
            void queryClient.invalidateQueries();
          }}
        />
      ) : null}
    </Panel>
  );
}

type ListKind = "BRACKET" | "OCO";

/** The bracket and OCO form: what is asked is checked here first (sides of the market), then by the engine. */
export function PlaceListForm({ instruments, marks }: { instruments: InstrumentOut[]; marks: Record<string, number> }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const place = useMutation(trpc.orders.placeList.mutationOptions());
  const [kind, setKind] = useState<ListKind>("BRACKET");
  const [symbol, setSymbol] = useState("");
  const [side, setSide] = useState<"BUY" | "SELL">("BUY");
  const [entryType, setEntryType] = useState<"MARKET" | "LIMIT">("LIMIT");
  const [quantity, setQuantity] = useState("");
  const [entryPrice, setEntryPrice] = useState("");
  const [stop, setStop] = useState("");
  const [profit, setProfit] = useState("");
  const form = useReviewedForm(() => check());

  const chosen = symbol || instruments[0]?.symbol || "";
  const instrument = instruments.find((i) => i.symbol === chosen);
  const mark = marks[chosen];
  const dpPrice = decimalsOf(instrument?.priceTick);
  // A bracket's exits are on the other side of the entry; an OCO here is a take-profit limit and a stop on the side given.
  const long = kind === "BRACKET" ? side === "BUY" : side === "SELL";
  const reference = kind === "BRACKET" && entryType === "LIMIT" && Number(entryPrice) > 0 ? Number(entryPrice) : (mark ?? null);

  const check = (): string | null => {
    if (!instrument) return "Choose a symbol.";
    if (!DEC.test(quantity.trim()) || Number(quantity) <= 0) return "Quantity must be a positive number such as 0.015.";
    if (kind === "BRACKET" && entryType === "LIMIT" && (!DEC.test(entryPrice.trim()) || Number(entryPrice) <= 0))
      return "A limit entry needs a positive limit price.";
    if (!DEC.test(stop.trim()) || Number(stop) <= 0) return "The stop-loss needs a positive trigger price.";
    if (!DEC.test(profit.trim()) || Number(profit) <= 0) return "The take-profit needs a positive limit price.";
    const s = Number(stop);
    const p = Number(profit);
    if (long && !(s < p)) return "Protecting a long: the stop-loss must be below the take-profit.";
    if (!long && !(s > p)) return "Protecting a short: the stop-loss must be above the take-profit.";
    if (reference !== null && long && !(s < reference && reference < p))
      return `The stop-loss must be below ${kind === "BRACKET" ? "the entry" : "the market"} (${fmtNum(reference, dpPrice)}) and the take-profit above it.`;
    if (reference !== null && !long && !(s > reference && reference > p))
      return `The stop-loss must be above ${kind === "BRACKET" ? "the entry" : "the market"} (${fmtNum(reference, dpPrice)}) and the take-profit below it.`;
    return null;
  };

  const exitSide = side === "BUY" ? "SELL" : "BUY";
  const summary =
    kind === "BRACKET"
      ? `${side} ${quantity || "?"} ${chosen} ${entryType === "MARKET" ? "at market" : `limit @ ${entryPrice || "?"}`} → stop-loss ${stop || "?"} / take-profit ${profit || "?"} (${exitSide})`
      : `OCO ${side} ${quantity || "?"} ${chosen}: take-profit limit @ ${profit || "?"} or stop @ ${stop || "?"} (reduce-only)`;

  return (
    <Panel title="Place a bracket or an OCO">
      <form className="po-form" aria-label="Bracket or OCO order" onSubmit={form.onSubmit}>
        <fieldset className="po-choice" aria-label="List kind">
          <legend>Kind</legend>
          <label className="check">
            <input type="radio" name="list-kind" checked={kind === "BRACKET"} onChange={() => setKind("BRACKET")} /> Bracket (entry, then stop-loss +
            take-profit)
          </label>
          <label className="check">
            <input type="radio" name="list-kind" checked={kind === "OCO"} onChange={() => setKind("OCO")} /> OCO (take-profit or stop on a position)
          </label>
        </fieldset>
        <label className="field">
          <span>Symbol</span>
          <select value={chosen} onChange={(e) => setSymbol(e.target.value)} aria-label="List symbol">
            {instruments.map((i) => (
              <option key={i.symbol} value={i.symbol}>
                {i.symbol}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{kind === "BRACKET" ? "Entry side" : "Exit side"}</span>
          <select value={side} onChange={(e) => setSide(e.target.value as "BUY" | "SELL")} aria-label={kind === "BRACKET" ? "Entry side" : "Exit side"}>
            <option value="BUY">Buy</option>
            <option value="SELL">Sell</option>
          </select>
        </label>
        <label className="field">
          <span>Quantity{instrument ? ` (step ${instrument.qtyStep})` : ""}</span>
          <input value={quantity} onChange={(e) => setQuantity(e.target.value)} inputMode="decimal" aria-label="List quantity" />
        </label>
        {kind === "BRACKET" ? (
          <>
            <label className="field">
              <span>Entry type</span>
              <select value={entryType} onChange={(e) => setEntryType(e.target.value as "MARKET" | "LIMIT")} aria-label="Entry type">
                <option value="LIMIT">Limit</option>
                <option value="MARKET">Market</option>
              </select>
            </label>
            {entryType === "LIMIT" ? (
              <label className="field">
                <span>Entry limit price</span>
                <input
                  value={entryPrice}
                  onChange={(e) => setEntryPrice(e.target.value)}
                  inputMode="decimal"
                  aria-label="Entry limit price"
                  placeholder={mark ? mark.toFixed(dpPrice) : ""}
                />
              </label>
            ) : null}
          </>
        ) : null}
        <label className="field">
          <span>Stop-loss trigger</span>
          <input value={stop} onChange={(e) => setStop(e.target.value)} inputMode="decimal" aria-label="Stop-loss trigger price" />
        </label>
        <label className="field">
          <span>Take-profit limit</span>
          <input value={profit} onChange={(e) => setProfit(e.target.value)} inputMode="decimal" aria-label="Take-profit limit price" />
        </label>
        <button type="submit" className="btn primary" disabled={!instrument}>
          Review {kind === "BRACKET" ? "bracket" : "OCO"}
        </button>
        <p className="muted po-preview">
          Last {mark !== undefined ? fmtNum(mark, dpPrice) : "—"} ·{" "}
          {kind === "BRACKET"
            ? "the stop-loss and take-profit are sent as the entry fills, sized to what filled; one executing cancels the other."
            : "both legs reduce the position; one executing cancels the other."}
        </p>
        <FormOutcome problem={form.problem} result={form.result} />
      </form>
      {form.review ? (
        <RowActionDialog
          title={kind === "BRACKET" ? "Place this bracket?" : "Place this OCO?"}
          description={
            <>
              <strong className="mono">{summary}</strong>
              <br />
              Every leg passes the risk gate like any other order; the list is recorded in the audit log.
            </>
          }
          confirmLabel={kind === "BRACKET" ? "Place bracket" : "Place OCO"}
          reason="optional"
          onClose={form.closeReview}
          onConfirm={async (reason, idempotencyKey) => {
            const q = quantity.trim();
            try {
              const r = await place.mutateAsync(
                kind === "BRACKET"
                  ? {
                      kind: "BRACKET",
                      idempotencyKey,
                      entry: { symbol: chosen, side, type: entryType, quantity: q, ...(entryType === "LIMIT" && { price: entryPrice.trim() }) },
                      stopLoss: { type: "STOP_MARKET", triggerPrice: stop.trim() },
                      takeProfit: { type: "LIMIT", price: profit.trim() },
                      ...(reason ? { reason } : {}),
                    }
                  : {
                      kind: "OCO",
                      idempotencyKey,
                      first: { symbol: chosen, side, type: "LIMIT", quantity: q, price: profit.trim(), reduceOnly: true },
                      second: { symbol: chosen, side, type: "STOP_MARKET", quantity: q, triggerPrice: stop.trim(), reduceOnly: true },
                      ...(reason ? { reason } : {}),
                    },
              );
              form.setResult({ ok: true, text: r.message });
              void queryClient.invalidateQueries();
            } catch (e) {
              const code = domainCode(e);
              throw new Error(code && code !== "VALIDATION" ? `Refused (${code}): ${errorMessage(e)}` : errorMessage(e), { cause: e });
            }
          }}
        />
      ) : null}
    </Panel>
  );
}

/** Amend a working order: a new limit (or trigger) price and/or a new total quantity; native modify or cancel-replace. */
export function AmendOrderDialog({ order, dp, onClose, onDone }: { order: OrderOut; dp: Dp; onClose: () => void; onDone: (message: string) => void }) {
  const trpc = useTRPC();
  const amend = useMutation(trpc.orders.amend.mutationOptions());
  const current = order.price ?? order.triggerPrice;
  const [price, setPrice] = useState(current ?? "");
  const [quantity, setQuantity] = useState(order.quantity);
  return (
    <RowActionDialog
      key={`amend-${order.clientOrderId}`}
      title={`Amend order ${order.clientOrderId}`}
      description={
        <>
          {order.side} {fmtNum(order.quantity, dp.qty)} {order.symbol} {typeLabel(order.type)}
          {current ? ` @ ${fmtNum(current, dp.price)}` : ""} — filled so far {fmtNum(order.filledQty, dp.qty)}. Where the venue cannot modify, the order is
          canceled first and the replacement sent once the cancel is confirmed (less anything that filled meanwhile).
        </>
      }
      confirmLabel="Amend order"
      reason="optional"
      onClose={onClose}
      onConfirm={async (reason, idempotencyKey) => {
        const newPrice = price.trim();
        const newQty = quantity.trim();
        if (newPrice && !DEC.test(newPrice)) throw new Error("The new price must be a positive number.");
        if (!DEC.test(newQty) || Number(newQty) <= 0) throw new Error("The new quantity must be a positive number.");
        if (Number(newQty) <= Number(order.filledQty)) throw new Error(`The new quantity must exceed what has filled (${order.filledQty}).`);
        const priceChanged = current !== null && newPrice !== "" && Number(newPrice) !== Number(current);
        const qtyChanged = Number(newQty) !== Number(order.quantity);
        if (!priceChanged && !qtyChanged) throw new Error("Change the price or the quantity first.");
        const r = await amend.mutateAsync({
          clientOrderId: order.clientOrderId,
          idempotencyKey,
          ...(priceChanged && { price: newPrice }),
          ...(qtyChanged && { quantity: newQty }),
          ...(reason ? { reason } : {}),
        });
        onDone(r.message);
      }}
    >
      {current !== null ? (
        <label className="field">
          <span>New {order.price ? "limit" : "trigger"} price</span>
          <input value={price} onChange={(e) => setPrice(e.target.value)} inputMode="decimal" aria-label="New price" />
        </label>
      ) : null}
      <label className="field">
        <span>New total quantity</span>
        <input value={quantity} onChange={(e) => setQuantity(e.target.value)} inputMode="decimal" aria-label="New quantity" />
      </label>
    </RowActionDialog>
  );
}

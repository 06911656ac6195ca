"use client";
/**
 * The manual order form of the Orders page (traders only): symbol, side, type and the fields that type needs, checked in
 * plain words before a confirmation dialog sends it through the same risk gate as any other order.
 */
import { FormOutcome, useReviewedForm } from "../ui/form-outcome";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { InstrumentOut } from "@/components/trpc/types";
import { domainCode, errorMessage, useTRPC } from "../trpc/client";
import { decimalsOf, fmtMoney, fmtNum, fmtTime } from "../ui/format";
import { Panel } from "../ui/kit";
import { RowActionDialog } from "./row-action-dialog";
import { lastPriceAt, ROUTED, venueChoices, venueField, venueWords } from "./venue-picker";

const TYPES = ["MARKET", "LIMIT", "STOP_MARKET", "STOP_LIMIT", "TAKE_PROFIT_MARKET", "TAKE_PROFIT_LIMIT", "LIMIT_IF_TOUCHED", "TRAILING_STOP_MARKET"] as const;
type ManualType = (typeof TYPES)[number];
const NEEDS_PRICE: ReadonlySet<ManualType> = new Set(["LIMIT", "STOP_LIMIT", "TAKE_PROFIT_LIMIT", "LIMIT_IF_TOUCHED"]);
const NEEDS_TRIGGER: ReadonlySet<ManualType> = new Set(["STOP_MARKET", "STOP_LIMIT", "TAKE_PROFIT_MARKET", "TAKE_PROFIT_LIMIT", "LIMIT_IF_TOUCHED"]);

type Tif = "GTC" | "IOC" | "FOK" | "GTD";
/** GTD bounds the form checks before the engine does (it refuses an expiry not after now, or more than 90 days ahead). */
const GTD_MIN_LEAD_MS = 60_000;
const GTD_MAX_AHEAD_MS = 90 * 86_400_000;

export function typeLabel(type: string): string {
  return type.replace(/_/g, " ").toLowerCase();
}

/** `venues`: the desk's venues; with several, a menu names one or leaves the order to routing (`venueMarks`: each one's prices). */
export function PlaceOrder({
  instruments,
  marks,
  venues = [],
  venueMarks = {},
}: {
  instruments: InstrumentOut[];
  marks: Record<string, number>;
  venues?: string[];
  venueMarks?: Record<string, Record<string, number>>;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const place = useMutation(trpc.orders.place.mutationOptions());
  const [symbol, setSymbol] = useState("");
  const [venue, setVenue] = useState(ROUTED);
  const venueOptions = venueChoices(venues);
  const [side, setSide] = useState<"BUY" | "SELL">("BUY");
  const [type, setType] = useState<ManualType>("MARKET");
  const [quantity, setQuantity] = useState("");
  const [price, setPrice] = useState("");
  const [trigger, setTrigger] = useState("");
  const [tif, setTif] = useState<Tif>("GTC");
  const [expires, setExpires] = useState("");
  const [postOnly, setPostOnly] = useState(false);
  const [reduceOnly, setReduceOnly] = useState(false);
  const [trailOffset, setTrailOffset] = useState("");
  const [trailUnit, setTrailUnit] = useState<"PRICE" | "BASIS_POINTS">("PRICE");
  const [activation, setActivation] = useState("");
  /** Smart routing over a desk's venues (MARKET and LIMIT entries): "" is the desk's own choice. */
  const [route, setRoute] = useState<"" | "split" | "best">("");
  const form = useReviewedForm(() => check());

  const chosen = symbol || instruments[0]?.symbol || "";
  const instrument = instruments.find((i) => i.symbol === chosen);
  const dpPrice = decimalsOf(instrument?.priceTick);
  const dpQty = decimalsOf(instrument?.qtyStep, 5);
  const mark = lastPriceAt(chosen, venue, marks, venueMarks);
  const needsPrice = NEEDS_PRICE.has(type);
  const needsTrigger = NEEDS_TRIGGER.has(type);
  const trailing = type === "TRAILING_STOP_MARKET";
  const gtd = type !== "MARKET" && tif === "GTD";
  // Routing is offered only where there is a choice: several venues, none named in the Venue menu.
  const routable = venueOptions.length > 0 && venue === ROUTED && (type === "MARKET" || type === "LIMIT") && !gtd && !reduceOnly;
  const routed = routable && route !== "" ? route : null;
  const expireAt = gtd ? utcInputMs(expires) : undefined;
  const refPrice = needsPrice && Number(price) > 0 ? Number(price) : (mark ?? null);
  const notional = Number(quantity) > 0 && refPrice ? Number(quantity) * refPrice : null;

  const summary = `${side} ${quantity || "?"} ${chosen} ${typeLabel(type)}${needsPrice ? ` @ ${price || "?"}` : ""}${needsTrigger ? ` trigger ${trigger || "?"}` : ""}${type === "MARKET" ? "" : ` ${tif}`}${gtd && expireAt !== undefined ? ` until ${fmtTime(expireAt, false)} UTC` : ""}${postOnly && needsPrice ? " post-only" : ""}${reduceOnly ? " reduce-only" : ""}${routed ? ` routed: ${routed}` : ""}${trailing ? ` trailing ${trailOffset || "?"}${trailUnit === "BASIS_POINTS" ? " bps" : ""}${activation ? ` from ${activation}` : ""}` : ""}${venueWords(venue, venues)}`;

  const check = (): string | null => {
    if (!instrument) return "Choose a symbol.";
    const dec = /^\d+(\.\d+)?$/;
    if (!dec.test(quantity.trim()) || Number(quantity) <= 0) return "Quantity must be a positive number such as 0.015.";
    if (needsPrice && (!dec.test(price.trim()) || Number(price) <= 0)) return `A ${typeLabel(type)} order needs a positive limit price.`;
    if (needsTrigger && (!dec.test(trigger.trim()) || Number(trigger) <= 0)) return `A ${typeLabel(type)} order needs a positive trigger price.`;
    if (trailing && (!dec.test(trailOffset.trim()) || Number(trailOffset) <= 0))
      return "A trailing stop needs a positive trailing offset (a price distance, or basis points).";
    if (trailing && activation.trim() !== "" && (!dec.test(activation.trim()) || Number(activation) <= 0))
      return "The activation price must be a positive number, or left empty.";
    if (gtd) {
      // The desk runs on the wall clock (also in replay), so the browser's clock is a fair first check; the engine checks again.
      if (expireAt === undefined) return "A GTD order needs an expiry: choose the date and time (UTC) it expires at.";
      if (expireAt <= Date.now() + GTD_MIN_LEAD_MS) return "The expiry must be at least a minute from now (UTC).";
      if (expireAt > Date.now() + GTD_MAX_AHEAD_MS) return "The expiry must be at most 90 days ahead.";
    }
    return null;
  };

  return (
    <Panel title="Place order">
      <form className="po-form" onSubmit={form.onSubmit}>
        <label className="field">
          <span>Symbol</span>
          <select value={chosen} onChange={(e) => setSymbol(e.target.value)}>
            {instruments.map((i) => (
              <option key={i.symbol} value={i.symbol}>
                {i.symbol}
              </option>
            ))}
          </select>
        </label>
        {venueOptions.length > 0 ? (
          <label className="field">
            <span>Venue</span>
            <select value={venue} onChange={(e) => setVenue(e.target.value)} aria-label="Venue">
              {venueOptions.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <fieldset className="po-side" aria-label="Side">
          <legend>Side</legend>
          {(["BUY", "SELL"] as const).map((s) => (
            <label key={s} className={`po-side-opt ${s === "BUY" ? "buy" : "sell"}${side === s ? " on" : ""}`}>
              <input type="radio" name="side" value={s} checked={side === s} onChange={() => setSide(s)} /> {s}
            </label>
          ))}
        </fieldset>
        <label className="field">
          <span>Type</span>
          <select value={type} onChange={(e) => setType(e.target.value as ManualType)}>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {typeLabel(t)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Quantity{instrument ? ` (step ${instrument.qtyStep})` : ""}</span>
          <input value={quantity} onChange={(e) => setQuantity(e.target.value)} inputMode="decimal" placeholder={instrument?.minQty ?? ""} />
        </label>
        {needsPrice ? (
          <label className="field">
            <span>Limit price{instrument ? ` (tick ${instrument.priceTick})` : ""}</span>
            <input value={price} onChange={(e) => setPrice(e.target.value)} inputMode="decimal" placeholder={mark ? mark.toFixed(dpPrice) : ""} />
          </label>
        ) : null}
        {needsTrigger ? (
          <label className="field">
            <span>Trigger price</span>
            <input value={trigger} onChange={(e) => setTrigger(e.target.value)} inputMode="decimal" placeholder={mark ? mark.toFixed(dpPrice) : ""} />
          </label>
        ) : null}
        {trailing ? (
          <>
            <label className="field">
              <span>Trailing offset</span>
              <input value={trailOffset} onChange={(e) => setTrailOffset(e.target.value)} inputMode="decimal" aria-label="Trailing offset" />
            </label>
            <label className="field">
              <span>Offset unit</span>
              <select value={trailUnit} onChange={(e) => setTrailUnit(e.target.value as "PRICE" | "BASIS_POINTS")} aria-label="Trailing offset unit">
                <option value="PRICE">Price distance</option>
                <option value="BASIS_POINTS">Basis points</option>
              </select>
            </label>
            <label className="field">
              <span>Activation price (optional)</span>
              <input value={activation} onChange={(e) => setActivation(e.target.value)} inputMode="decimal" aria-label="Activation price" />
            </label>
          </>
        ) : null}
        {type !== "MARKET" ? (
          <label className="field">
            <span>Time in force</span>
            <select value={tif} onChange={(e) => setTif(e.target.value as Tif)}>
              <option value="GTC">GTC — good till canceled</option>
              <option value="IOC">IOC — immediate or cancel</option>
              <option value="FOK">FOK — fill or kill</option>
              <option value="GTD">GTD — good till date</option>
            </select>
          </label>
        ) : null}
        {gtd ? (
          <label className="field">
            <span>Expires at (UTC)</span>
            <input type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} aria-label="Expires at (UTC)" />
          </label>
        ) : null}
        {routable ? (
          <label className="field">
            <span>Routing</span>
            <select value={route} onChange={(e) => setRoute(e.target.value as "" | "split" | "best")} aria-label="Routing over venues">
              <option value="">Desk default (best quoted price)</option>
              <option value="split">Split over the venues&apos; books</option>
              <option value="best">Whole to the best venue by its book</option>
            </select>
          </label>
        ) : null}
        <div className="po-flags">
          {needsPrice ? (
            <label className="check">
              <input type="checkbox" checked={postOnly} onChange={(e) => setPostOnly(e.target.checked)} /> Post-only
            </label>
          ) : null}
          <label className="check">
            <input type="checkbox" checked={reduceOnly} onChange={(e) => setReduceOnly(e.target.checked)} /> Reduce-only
          </label>
        </div>
        <button type="submit" className={`btn ${side === "BUY" ? "primary" : "danger"}`} disabled={!instrument}>
          Review {side === "BUY" ? "buy" : "sell"} order
        </button>
        <p className="muted po-preview">
          Last {mark !== undefined ? fmtNum(mark, dpPrice) : "—"} · notional ≈ {notional !== null ? fmtMoney(notional, instrument?.quote) : "—"}{" "}
          {instrument?.quote ?? ""}
          {instrument ? ` · min ${fmtMoney(instrument.minNotional, instrument.quote)}` : ""}
        </p>
        <FormOutcome problem={form.problem} result={form.result} />
      </form>
      {form.review ? (
        <RowActionDialog
          title="Send this order?"
          description={
            <>
              <strong className="mono">{summary}</strong>
              <br />
              It passes the risk gate like any other order and is recorded in the audit log.
              {notional !== null ? ` Notional ≈ ${fmtMoney(notional, instrument?.quote)} ${instrument?.quote ?? ""}.` : ""}
              {quantity ? ` Quantity in ${instrument?.base ?? ""}: ${fmtNum(quantity, dpQty)}.` : ""}
            </>
          }
          confirmLabel={`Send ${side === "BUY" ? "buy" : "sell"} order`}
          destructive={side === "SELL"}
          reason="optional"
          onClose={form.closeReview}
          onConfirm={async (reason, idempotencyKey) => {
            try {
              const r = await place.mutateAsync({
                idempotencyKey,
                symbol: chosen,
                ...venueField(venue, venues),
                side,
                type,
                quantity: quantity.trim(),
                ...(needsPrice && { price: price.trim() }),
                ...(needsTrigger && { triggerPrice: trigger.trim() }),
                ...(trailing && { trailingOffset: trailOffset.trim(), trailingOffsetType: trailUnit }),
                ...(trailing && activation.trim() !== "" && { activationPrice: activation.trim() }),
                ...(type !== "MARKET" && { timeInForce: tif }),
                ...(gtd && expireAt !== undefined && { expireAt }),
                ...(needsPrice && postOnly && { postOnly: true }),
                ...(reduceOnly && { reduceOnly: true }),
                ...(routed && { route: routed }),
                ...(reason ? { reason } : {}),
              });
              form.setResult({ ok: true, text: r.message });
              setQuantity("");
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

/** A datetime-local value read as UTC (the desk shows every time in UTC): "YYYY-MM-DDTHH:mm[:ss]" → epoch ms, or undefined. */
function utcInputMs(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value)) return undefined;
  const ms = Date.parse(`${value}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

"use client";
/**
 * Parent orders on the Orders page: each algorithm's progress (filled / target, slices done and left, next slice time,
 * average price, shortfall against the arrival price) with its child orders under it, pause / resume / cancel for
 * traders (cancel asks first), and a form that starts one (TWAP, VWAP, iceberg, POV, chaser).
 */
import { FormOutcome, useReviewedForm } from "../ui/form-outcome";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { Fragment, useState } from "react";
import type { InstrumentOut, RouterOutputs } from "@/components/trpc/types";
import { errorMessage, useTRPC } from "../trpc/client";
import { fmtNum, fmtTime } from "../ui/format";
import { Badge, Empty, ErrorText, Loading, Panel, type BadgeTone } from "../ui/kit";
import { RowActionDialog } from "./row-action-dialog";

type ParentOut = RouterOutputs["orders"]["parents"]["parents"][number];
type Kind = "twap" | "vwap" | "iceberg" | "pov" | "chaser";
const KINDS: [Kind, string][] = [
  ["twap", "TWAP — even slices over a horizon"],
  ["vwap", "VWAP — slices follow the volume profile"],
  ["iceberg", "Iceberg — a visible part refilled as it fills"],
  ["pov", "POV — a share of traded volume"],
  ["chaser", "Chaser — a limit re-priced toward the touch"],
];

function parentTone(status: string): BadgeTone {
  if (status === "done") return "ok";
  if (status === "failed") return "bad";
  if (status === "cancelled") return "muted";
  if (status === "paused" || status === "completing") return "warn";
  return "info";
}

const isLive = (p: ParentOut) => p.status === "working" || p.status === "paused" || p.status === "completing";

export function ParentOrders({ canTrade, instruments }: { canTrade: boolean; instruments: InstrumentOut[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Polled: slices go out on the engine's clock, not on a person's click.
  const list = useQuery(trpc.orders.parents.queryOptions(undefined, { refetchInterval: 2000 }));
  const act = useMutation(trpc.orders.parentAction.mutationOptions());
  const [open, setOpen] = useState<string | null>(null);
  const [pending, setPending] = useState<ParentOut | null>(null);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const parents = list.data?.parents ?? [];
  const run = async (parent: ParentOut, action: "pause" | "resume") => {
    try {
      const r = await act.mutateAsync({ parentId: parent.id, action });
      setNotice({ ok: true, text: r.message });
    } catch (e) {
      setNotice({ ok: false, text: errorMessage(e) });
    }
    void queryClient.invalidateQueries();
  };
  return (
    <>
      <Panel title={`Parent orders${list.data ? ` (${parents.filter(isLive).length} working)` : ""}`}>
        {notice ? (
          <p className={notice.ok ? "po-notice" : "error"} role={notice.ok ? "status" : "alert"}>
            {notice.text}
          </p>
        ) : null}
        {list.error ? (
          <ErrorText error={list.error} />
        ) : !list.data ? (
          <Loading />
        ) : parents.length === 0 ? (
          <Empty>No parent orders yet.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="data parent-orders" aria-label="Parent orders">
              <thead>
                <tr>
                  <th scope="col">Parent</th>
                  <th scope="col">Algorithm</th>
                  <th scope="col">Symbol</th>
                  <th scope="col">Side</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Filled / target
                  </th>
                  <th scope="col" className="num">
                    Slices done / left
                  </th>
                  <th scope="col">Next slice (UTC)</th>
                  <th scope="col" className="num">
                    Avg price
                  </th>
                  <th scope="col" className="num">
                    Arrival
                  </th>
                  <th scope="col" className="num">
                    Shortfall (bps)
                  </th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {parents.map((p) => (
                  <Fragment key={p.id}>
                    <tr data-parent={p.id}>
                      <th scope="row" className="mono">
                        {p.id}
                      </th>
                      <td>{p.label}</td>
                      <td>{p.symbol}</td>
                      <td className={p.side === "BUY" ? "side-buy" : "side-sell"}>{p.side}</td>
                      <td>
                        <Badge tone={parentTone(p.status)}>{p.status}</Badge>
                        {p.reason ? <span className="muted"> · {p.reason}</span> : null}
                      </td>
                      <td className="num" data-testid="parent-progress">
                        {p.filledQty} / {p.targetQty}
                      </td>
                      <td className="num">
                        {p.childrenSent} / {p.slicesLeft ?? "—"}
                      </td>
                      <td className="mono">{p.nextSliceAt ? fmtTime(p.nextSliceAt) : "—"}</td>
                      <td className="num">{p.avgPrice ?? "—"}</td>
                      <td className="num">{p.arrivalPrice}</td>
                      <td className="num">{p.shortfallBps === null ? "—" : fmtNum(p.shortfallBps, 2)}</td>
                      <td className="po-nowrap">
                        <button
                          type="button"
                          className="btn small"
                          aria-expanded={open === p.id}
                          aria-label={`${open === p.id ? "Hide" : "Show"} children of ${p.id}`}
                          onClick={() => setOpen(open === p.id ? null : p.id)}
                        >
                          Children ({p.children.length})
                        </button>
                        {canTrade && p.status === "working" ? (
                          <button type="button" className="btn small" aria-label={`Pause ${p.id}`} onClick={() => void run(p, "pause")}>
                            Pause
                          </button>
                        ) : null}
                        {canTrade && p.status === "paused" ? (
                          <button type="button" className="btn small" aria-label={`Resume ${p.id}`} onClick={() => void run(p, "resume")}>
                            Resume
                          </button>
                        ) : null}
                        {canTrade && isLive(p) ? (
                          <button type="button" className="btn small danger" aria-label={`Cancel ${p.id}`} onClick={() => setPending(p)}>
                            Cancel
                          </button>
                        ) : null}
                      </td>
                    </tr>
                    {open === p.id ? (
                      <tr className="parent-children">
                        <td colSpan={12}>
                          <ChildTable parent={p} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {pending ? (
          <RowActionDialog
            key={`cancel-parent-${pending.id}`}
            title={`Cancel parent order ${pending.id}`}
            description={
              <>
                {pending.label} {pending.side} {pending.targetQty} {pending.symbol} — filled so far {pending.filledQty}. Its working child is canceled first; no
                further slice is sent. What filled stays filled.
              </>
            }
            confirmLabel="Cancel parent order"
            destructive
            reason="optional"
            onClose={() => setPending(null)}
            onConfirm={async (reason, idempotencyKey) => {
              const r = await act.mutateAsync({ parentId: pending.id, action: "cancel", ...(reason ? { reason } : {}), idempotencyKey });
              setNotice({ ok: true, text: r.message });
              void queryClient.invalidateQueries();
            }}
          />
        ) : null}
      </Panel>
      {canTrade ? <StartParent instruments={instruments} /> : null}
    </>
  );
}

function ChildTable({ parent }: { parent: ParentOut }) {
  if (parent.children.length === 0) return <Empty>No child order sent yet.</Empty>;
  return (
    <table className="data parent-child-table" aria-label={`Child orders of ${parent.id}`}>
      <thead>
        <tr>
          <th scope="col">Child order</th>
          <th scope="col">Purpose</th>
          <th scope="col">Type</th>
          <th scope="col" className="num">
            Qty
          </th>
          <th scope="col" className="num">
            Price
          </th>
          <th scope="col" className="num">
            Filled
          </th>
          <th scope="col">Status</th>
          <th scope="col">Placed (UTC)</th>
        </tr>
      </thead>
      <tbody>
        {parent.children.map((c) => (
          <tr key={c.clientOrderId}>
            <th scope="row" className="mono">
              <Link href={`/orders/${encodeURIComponent(c.clientOrderId)}`}>{c.clientOrderId}</Link>
            </th>
            <td>{c.purpose}</td>
            <td>{c.type.toLowerCase()}</td>
            <td className="num">{c.qty}</td>
            <td className="num">{c.price ?? "market"}</td>
            <td className="num">{c.filledQty}</td>
            <td>
              {c.status}
              {c.reason ? <span className="muted"> · {c.reason}</span> : null}
            </td>
            <td className="mono">{fmtTime(c.placedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function StartParent({ instruments }: { instruments: InstrumentOut[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const start = useMutation(trpc.orders.startParent.mutationOptions());
  const [symbol, setSymbol] = useState("");
  const [side, setSide] = useState<"BUY" | "SELL">("BUY");
  const [kind, setKind] = useState<Kind>("twap");
  const [quantity, setQuantity] = useState("");
  const [limitPrice, setLimitPrice] = useState("");
  const [horizonMinutes, setHorizonMinutes] = useState("30");
  const [intervalSeconds, setIntervalSeconds] = useState("60");
  const [displayQty, setDisplayQty] = useState("");
  const [rate, setRate] = useState("0.1");
  const [endBehaviour, setEndBehaviour] = useState<"cross" | "cancel" | "leave">("cross");
  const form = useReviewedForm(() => check());
  const chosen = symbol || instruments[0]?.symbol || "";
  const dec = /^\d+(\.\d+)?$/;

  const algo = () => {
    const horizonSeconds = Math.round(Number(horizonMinutes) * 60);
    switch (kind) {
      case "twap":
      case "vwap":
        return { kind, horizonSeconds, intervalSeconds: Math.round(Number(intervalSeconds)) };
      case "iceberg":
        return { kind, displayQty: displayQty.trim() };
      case "pov":
        return { kind, rate: Number(rate), maxSliceQty: displayQty.trim() || quantity.trim() };
      case "chaser":
        return { kind, ...(limitPrice.trim() ? { entryPrice: limitPrice.trim() } : {}) };
    }
  };
  const check = (): string | null => {
    if (!chosen) return "Choose a symbol.";
    if (!dec.test(quantity.trim()) || Number(quantity) <= 0) return "Quantity must be a positive number such as 0.05.";
    if (limitPrice.trim() && !dec.test(limitPrice.trim())) return "The limit price must be a positive number, or empty for none.";
    if ((kind === "twap" || kind === "vwap") && !(Number(horizonMinutes) > 0 && Number(intervalSeconds) >= 1))
      return "Give a horizon in minutes and an interval of at least 1 second.";
    if (kind === "iceberg" && (!dec.test(displayQty.trim()) || !limitPrice.trim())) return "An iceberg needs a visible quantity and a limit price.";
    if (kind === "pov" && !(Number(rate) > 0 && Number(rate) <= 1)) return "The participation rate must be above 0 and at most 1.";
    return null;
  };
  const summary = `${kind.toUpperCase()} ${side} ${quantity || "?"} ${chosen}${limitPrice ? ` limit ${limitPrice}` : ""}${
    kind === "twap" || kind === "vwap" ? ` over ${horizonMinutes} min, every ${intervalSeconds} s` : kind === "iceberg" ? ` showing ${displayQty}` : ""
  }`;

  return (
    <Panel title="Start an algorithm">
      <form className="po-form" aria-label="Start an algorithm" onSubmit={form.onSubmit}>
        <label className="field">
          <span>Symbol</span>
          <select value={chosen} onChange={(e) => setSymbol(e.target.value)} aria-label="Algorithm symbol">
            {instruments.map((i) => (
              <option key={i.symbol} value={i.symbol}>
                {i.symbol}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Side</span>
          <select value={side} onChange={(e) => setSide(e.target.value as "BUY" | "SELL")} aria-label="Algorithm side">
            <option value="BUY">BUY</option>
            <option value="SELL">SELL</option>
          </select>
        </label>
        <label className="field">
          <span>Algorithm</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as Kind)} aria-label="Algorithm">
            {KINDS.map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Total quantity</span>
          <input value={quantity} onChange={(e) => setQuantity(e.target.value)} inputMode="decimal" aria-label="Total quantity" />
        </label>
        <label className="field">
          <span>{kind === "chaser" ? "Entry price (empty: the touch)" : "Limit price guard (optional)"}</span>
          <input value={limitPrice} onChange={(e) => setLimitPrice(e.target.value)} inputMode="decimal" aria-label="Limit price" />
        </label>
        {kind === "twap" || kind === "vwap" ? (
          <>
            <label className="field">
              <span>Horizon (minutes)</span>
              <input value={horizonMinutes} onChange={(e) => setHorizonMinutes(e.target.value)} inputMode="decimal" />
            </label>
            <label className="field">
              <span>Interval (seconds)</span>
              <input value={intervalSeconds} onChange={(e) => setIntervalSeconds(e.target.value)} inputMode="numeric" />
            </label>
          </>
        ) : null}
        {kind === "iceberg" || kind === "pov" ? (
          <label className="field">
            <span>{kind === "iceberg" ? "Visible quantity" : "Largest slice"}</span>
            <input value={displayQty} onChange={(e) => setDisplayQty(e.target.value)} inputMode="decimal" />
          </label>
        ) : null}
        {kind === "pov" ? (
          <label className="field">
            <span>Participation rate (0–1)</span>
            <input value={rate} onChange={(e) => setRate(e.target.value)} inputMode="decimal" />
          </label>
        ) : null}
        <label className="field">
          <span>At the end, what is left</span>
          <select value={endBehaviour} onChange={(e) => setEndBehaviour(e.target.value as "cross" | "cancel" | "leave")}>
            <option value="cross">is crossed (taken at market, within the guard)</option>
            <option value="cancel">is cancelled</option>
            <option value="leave">stays working (last child)</option>
          </select>
        </label>
        <button type="submit" className={`btn ${side === "BUY" ? "primary" : "danger"}`} disabled={!chosen}>
          Review algorithm
        </button>
        <FormOutcome problem={form.problem} result={form.result} />
      </form>
      {form.review ? (
        <RowActionDialog
          title="Start this algorithm?"
          description={
            <>
              <strong className="mono">{summary}</strong>
              <br />
              Every child order passes the risk gate like any other order; the start is recorded in the audit log.
            </>
          }
          confirmLabel="Start algorithm"
          destructive={side === "SELL"}
          reason="optional"
          onClose={form.closeReview}
          onConfirm={async (reason, idempotencyKey) => {
            try {
              const r = await start.mutateAsync({
                symbol: chosen,
                side,
                quantity: quantity.trim(),
                ...(limitPrice.trim() && kind !== "chaser" ? { limitPrice: limitPrice.trim() } : {}),
                algo: algo(),
                endBehaviour,
                ...(reason ? { reason } : {}),
                idempotencyKey,
              });
              form.setResult({ ok: true, text: r.message });
            } catch (e) {
              form.setResult({ ok: false, text: errorMessage(e) });
            }
            void queryClient.invalidateQueries();
          }}
        />
      ) : null}
    </Panel>
  );
}

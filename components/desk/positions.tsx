"use client";
/**
 * Positions: one row per open position — symbol, side, quantity, entry, mark, notional, unrealized PnL (value and %),
 * stop-loss, take-profit levels, trailing stop, age — with totals, and for traders: Close, Partial close, Edit SL/TP
 * per row and Close all. Refreshed live by the `marks` and `position` events (components/desk/live.tsx).
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { memo, useCallback, useMemo, useState } from "react";
import type { InstrumentOut, PositionOut } from "@/components/trpc/types";
import { useTRPC } from "../trpc/client";
import { useCan } from "../trpc/session";
import { fmtDuration, fmtNum, fmtPct, instrumentDecimals } from "../ui/format";
import { Badge, Empty, ErrorText, Loading, Money, Panel, Pnl, Stat } from "../ui/kit";
import { Pager, usePaged } from "../ui/pager";
import { AttributionFilterBar, useAttributionFilter } from "./attribution-filters";
import { RowActionDialog } from "./row-action-dialog";

type Pending = { kind: "close" | "partial" | "exits"; position: PositionOut } | { kind: "closeAll" } | null;

interface Decimals {
  price: number;
  qty: number;
}

function decimalsFor(instruments: InstrumentOut[], symbol: string): Decimals {
  const i = instruments.find((x) => x.symbol === symbol);
  // Without an instrument a price still gets its quote's precision (ETH/BTC: 8 decimals).
  const d = instrumentDecimals(i, symbol);
  return { price: d.price, qty: d.qty };
}

export function PositionsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canTrade = useCan("trader");
  const filter = useAttributionFilter();
  const list = useQuery(trpc.positions.list.queryOptions(filter.input, { placeholderData: keepPreviousData }));
  const [pending, setPending] = useState<Pending>(null);
  const close = useMutation(trpc.positions.close.mutationOptions());
  const partial = useMutation(trpc.positions.partialClose.mutationOptions());
  const exits = useMutation(trpc.positions.setExits.mutationOptions());
  const closeAll = useMutation(trpc.positions.closeAll.mutationOptions());
  const [notice, setNotice] = useState<string | null>(null);
  const instrumentList = list.data?.instruments;
  const dpBySymbol = useMemo(() => new Map((instrumentList ?? []).map((i) => [i.symbol, decimalsFor(instrumentList ?? [], i.symbol)])), [instrumentList]);
  const onAction = useCallback((kind: "close" | "partial" | "exits", position: PositionOut) => setPending({ kind, position }), []);
  // 50 rows a page: a desk with 500 positions stays quick to render and to read (the totals still cover every row).
  const paged = usePaged(list.data?.positions ?? [], undefined, JSON.stringify(filter.value));

  if (list.error) return <ErrorText error={list.error} />;
  if (!list.data) return <Loading />;
  const { positions, instruments, totals, facets } = list.data;

  const done = (message: string) => {
    setNotice(message);
    void queryClient.invalidateQueries();
  };
  const dismiss = () => setPending(null);

  return (
    <>
      <h1 className="page-title">Positions</h1>
      <div className="stats po-stats">
        <Stat label="Open positions" hint={`${totals.long} long · ${totals.short} short`}>
          {totals.count}
        </Stat>
        <Stat label="Exposure" hint="Σ quantity × mark">
          <Money value={totals.exposure} />
        </Stat>
        <Stat label="Unrealized PnL">
          <Pnl value={totals.unrealized} />
        </Stat>
      </div>
      <AttributionFilterBar label="Position filters" value={filter.value} facets={facets} onChange={filter.set} />
      <Panel
        title={`Open positions (${totals.count}${filter.active ? ", filtered" : ""})`}
        actions={
          canTrade && positions.length > 0 ? (
            <button type="button" className="btn danger" onClick={() => setPending({ kind: "closeAll" })}>
              Close all
            </button>
          ) : null
        }
      >
        {notice ? (
          <p className="po-notice" role="status">
            {notice}
          </p>
        ) : null}
        {positions.length === 0 ? (
          <Empty>{filter.active ? "No open positions match these filters." : "No open positions."}</Empty>
        ) : (
          <div className="table-wrap">
            <table className="data po-table">
              <thead>
                <tr>
                  <th scope="col">Venue</th>
                  <th scope="col">Symbol</th>
                  <th scope="col">Strategy</th>
                  <th scope="col">Side</th>
                  <th scope="col" className="num">
                    Qty
                  </th>
                  <th scope="col" className="num">
                    Entry
                  </th>
                  <th scope="col" className="num">
                    Mark
                  </th>
                  <th scope="col" className="num">
                    Unrealized
                  </th>
                  <th scope="col" className="num">
                    Unrl. %
                  </th>
                  <th scope="col" className="num">
                    Notional
                  </th>
                  <th scope="col" className="num">
                    Stop-loss
                  </th>
                  <th scope="col" className="num">
                    Take-profit
                  </th>
                  <th scope="col" className="num">
                    Trailing
                  </th>
                  <th scope="col" className="num">
                    Age
                  </th>
                  {canTrade ? (
                    <th scope="col" className="sticky-actions">
                      Actions
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {paged.rows.map((p) => (
                  <PositionRow key={p.id} p={p} dp={dpBySymbol.get(p.symbol) ?? decimalsFor([], p.symbol)} canTrade={canTrade} onAction={onAction} />
                ))}
              </tbody>
              <tfoot>
                <tr className="po-totals">
                  <th scope="row" colSpan={4}>
                    Total · {totals.long} long / {totals.short} short
                  </th>
                  <td colSpan={3} />
                  <td className="num">
                    <Pnl value={totals.unrealized} />
                  </td>
                  <td />
                  <td className="num">
                    <Money value={totals.exposure} />
                  </td>
                  <td colSpan={canTrade ? 5 : 4} />
                </tr>
              </tfoot>
            </table>
          </div>
        )}
        <Pager slice={paged} label="open positions" onPage={paged.setPage} />
      </Panel>

      {pending?.kind === "close" ? (
        <RowActionDialog
          key={`close-${pending.position.id}`}
          title={`Close ${pending.position.symbol} ${pending.position.side.toLowerCase()}`}
          description={
            <>
              Sends a reduce-only market order for the whole position:{" "}
              {fmtNum(pending.position.quantity, decimalsFor(instruments, pending.position.symbol).qty)} {pending.position.symbol} ({pending.position.id}). The
              trade is recorded with exit reason “manual”.
            </>
          }
          confirmLabel="Close at market"
          destructive
          reason="optional"
          onClose={dismiss}
          onConfirm={async (reason, idempotencyKey) => {
            const r = await close.mutateAsync({ positionId: pending.position.id, ...(reason ? { reason } : {}), idempotencyKey });
            done(r.message);
          }}
        />
      ) : null}
      {pending?.kind === "partial" ? (
        <PartialCloseDialog
          key={`partial-${pending.position.id}`}
          position={pending.position}
          dp={decimalsFor(instruments, pending.position.symbol)}
          onClose={dismiss}
          onConfirm={async (input) => {
            const r = await partial.mutateAsync({ positionId: pending.position.id, ...input });
            done(r.message);
          }}
        />
      ) : null}
      {pending?.kind === "exits" ? (
        <ExitsDialog
          key={`exits-${pending.position.id}`}
          position={pending.position}
          dp={decimalsFor(instruments, pending.position.symbol)}
          onClose={dismiss}
          onConfirm={async (input) => {
            const r = await exits.mutateAsync({ positionId: pending.position.id, ...input });
            done(r.message);
          }}
        />
      ) : null}
      {pending?.kind === "closeAll" ? (
        <RowActionDialog
          key="close-all"
          title="Close all positions"
          description={<>Sends a reduce-only market order for each of the {totals.count} open position(s). Each trade is recorded with exit reason “manual”.</>}
          confirmLabel="Close all at market"
          destructive
          reason="required"
          onClose={dismiss}
          onConfirm={async (reason, idempotencyKey) => {
            const r = await closeAll.mutateAsync({ reason, idempotencyKey });
            done(r.message);
          }}
        />
      ) : null}
    </>
  );
}

const PositionRow = memo(function PositionRow({
  p,
  dp,
  canTrade,
  onAction,
}: {
  p: PositionOut;
  dp: Decimals;
  canTrade: boolean;
  onAction: (kind: "close" | "partial" | "exits", position: PositionOut) => void;
}) {
  const filled = Number(p.quantity) > 0;
  const label = `${p.symbol} ${p.side.toLowerCase()} ${p.id}`;
  return (
    <tr>
      <td>{p.venue}</td>
      <td>
        {p.symbol}
        {p.state !== "OPEN" ? (
          <>
            {" "}
            <Badge tone="warn">{p.state.toLowerCase()}</Badge>
          </>
        ) : null}
      </td>
      <td className="strategy-cell">{p.strategy}</td>
      <td className={p.side === "LONG" ? "side-buy" : "side-sell"}>{p.side}</td>
      <td className="num">{fmtNum(p.quantity, dp.qty)}</td>
      <td className="num">{fmtNum(p.avgEntryPrice, dp.price)}</td>
      <td className="num">{fmtNum(p.mark, dp.price)}</td>
      <td className="num">
        <Pnl value={p.unrealizedPnl} />
      </td>
      <td className="num">
        <span className={`pnl ${signClass(p.unrealizedPnlPct)}`}>{fmtPct(p.unrealizedPnlPct, 2, true)}</span>
      </td>
      <td className="num">
        <Money value={p.notional} />
      </td>
      <td className="num">{fmtNum(p.stopLoss, dp.price)}</td>
      <td className="num">
        <TakeProfit p={p} dp={dp.price} />
      </td>
      <td className="num">{fmtNum(p.trailingStop, dp.price)}</td>
      <td className="num">{fmtDuration(p.ageMs)}</td>
      {canTrade ? (
        <td className="sticky-actions">
          <div className="po-actions">
            <button type="button" className="btn small danger" onClick={() => onAction("close", p)} disabled={!filled} aria-label={`Close ${label}`}>
              Close
            </button>
            <button type="button" className="btn small" onClick={() => onAction("partial", p)} disabled={!filled} aria-label={`Partial close ${label}`}>
              Partial
            </button>
            <button type="button" className="btn small" onClick={() => onAction("exits", p)} aria-label={`Edit stop-loss and take-profit of ${label}`}>
              SL/TP
            </button>
          </div>
        </td>
      ) : null}
    </tr>
  );
});

function signClass(n: number | null): string {
  return n === null || n === 0 ? "flat" : n > 0 ? "up" : "down";
}

/** The single take-profit, or the ladder's pending levels (price and the share of the rest each one closes). */
function TakeProfit({ p, dp }: { p: PositionOut; dp: number }) {
  if (p.ladder.length === 0) return <>{fmtNum(p.takeProfit, dp)}</>;
  return (
    <span className="po-ladder" title="Take-profit ladder: levels not yet reached">
      {p.takeProfit !== null ? <span>{fmtNum(p.takeProfit, dp)}</span> : null}
      {p.ladder.map((l) => (
        <span key={l.level}>
          {fmtNum(l.price, dp)} <span className="muted">{l.closeFraction >= 1 ? "rest" : `${Math.round(l.closeFraction * 100)}%`}</span>
        </span>
      ))}
    </span>
  );
}

function PartialCloseDialog({
  position,
  dp,
  onConfirm,
  onClose,
}: {
  position: PositionOut;
  dp: Decimals;
  onConfirm: (input: { percent?: number; quantity?: string; reason?: string; idempotencyKey: string }) => Promise<void>;
  onClose: () => void;
}) {
  const [mode, setMode] = useState<"percent" | "quantity">("percent");
  const [value, setValue] = useState("50");
  const held = Number(position.quantity);
  const preview =
    mode === "percent" && Number(value) > 0 && Number(value) < 100
      ? `≈ ${fmtNum((held * Number(value)) / 100, dp.qty)} of ${fmtNum(held, dp.qty)} (rounded down to the quantity step)`
      : mode === "quantity" && Number(value) > 0
        ? `${fmtNum(value, dp.qty)} of ${fmtNum(held, dp.qty)}`
        : "";
  return (
    <RowActionDialog
      title={`Partial close ${position.symbol} ${position.side.toLowerCase()}`}
      description={<>Sends a reduce-only market order for part of {position.id}; the rest stays open with its exit rules.</>}
      confirmLabel="Close part at market"
      destructive
      reason="optional"
      onClose={onClose}
      onConfirm={async (reason, idempotencyKey) => {
        const text = value.trim();
        const r = { ...(reason ? { reason } : {}), idempotencyKey };
        if (mode === "percent") {
          const n = Number(text);
          if (!Number.isFinite(n) || n <= 0 || n >= 100) throw new Error("Give a percentage above 0 and below 100 (use Close for the whole position).");
          await onConfirm({ percent: n, ...r });
        } else {
          if (!/^\d+(\.\d+)?$/.test(text) || Number(text) <= 0) throw new Error("Give a positive quantity such as 0.015.");
          await onConfirm({ quantity: text, ...r });
        }
      }}
    >
      <fieldset className="po-choice">
        <legend>Amount</legend>
        <label className="check">
          <input type="radio" name="amount" checked={mode === "percent"} onChange={() => (setMode("percent"), setValue("50"))} /> Percent of the position
        </label>
        <label className="check">
          <input type="radio" name="amount" checked={mode === "quantity"} onChange={() => (setMode("quantity"), setValue(""))} /> Quantity
        </label>
      </fieldset>
      <label className="field">
        <span>{mode === "percent" ? "Percent (0–100, exclusive)" : `Quantity (holds ${fmtNum(held, dp.qty)})`}</span>
        <input
          value={value}
          onChange={(e) => setValue(e.target.value)}
          inputMode="decimal"
          autoFocus
          aria-label={mode === "percent" ? "Percent to close" : "Quantity to close"}
        />
      </label>
      {mode === "percent" ? (
        <div className="po-quick" role="group" aria-label="Quick percentages">
          {[25, 50, 75].map((n) => (
            <button key={n} type="button" className="btn small" onClick={() => setValue(String(n))}>
              {n}%
            </button>
          ))}
        </div>
      ) : null}
      {preview ? <p className="muted po-preview">{preview}</p> : null}
    </RowActionDialog>
  );
}

/** A price field's new value: undefined = unchanged, null = remove, number = set. */
function parseExit(text: string, initial: string, what: string): number | null | undefined {
  const t = text.trim();
  if (t === initial) return undefined;
  if (t === "") return initial === "" ? undefined : null;
  const n = Number(t);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive price (or empty to remove it).`);
  return n;
}

function ExitsDialog({
  position,
  dp,
  onConfirm,
  onClose,
}: {
  position: PositionOut;
  dp: Decimals;
  onConfirm: (input: { stopLoss?: number | null; takeProfit?: number | null; reason?: string; idempotencyKey: string }) => Promise<void>;
  onClose: () => void;
}) {
  const initialSl = position.stopLoss !== null ? position.stopLoss.toFixed(dp.price) : "";
  const initialTp = position.takeProfit !== null ? position.takeProfit.toFixed(dp.price) : "";
  const [sl, setSl] = useState(initialSl);
  const [tp, setTp] = useState(initialTp);
  const ladder = position.ladder.length > 0;
  return (
    <RowActionDialog
      title={`Stop-loss and take-profit · ${position.symbol} ${position.side.toLowerCase()}`}
      description={
        <>
          Entry {fmtNum(position.avgEntryPrice, dp.price)} · mark {fmtNum(position.mark, dp.price)}. Empty removes a level.
        </>
      }
      confirmLabel="Save exits"
      reason="optional"
      onClose={onClose}
      onConfirm={async (reason, idempotencyKey) => {
        const stopLoss = parseExit(sl, initialSl, "Stop-loss");
        const takeProfit = parseExit(tp, initialTp, "Take-profit");
        if (stopLoss === undefined && takeProfit === undefined) throw new Error("Nothing changed.");
        await onConfirm({
          ...(stopLoss !== undefined && { stopLoss }),
          ...(takeProfit !== undefined && { takeProfit }),
          ...(reason ? { reason } : {}),
          idempotencyKey,
        });
      }}
    >
      <div className="po-exit-fields">
        <label className="field">
          <span>Stop-loss</span>
          <input value={sl} onChange={(e) => setSl(e.target.value)} inputMode="decimal" placeholder="none" autoFocus aria-label="Stop-loss price" />
        </label>
        <label className="field">
          <span>Take-profit</span>
          <input
            value={tp}
            onChange={(e) => setTp(e.target.value)}
            inputMode="decimal"
            placeholder={ladder ? "ladder (kept)" : "none"}
            aria-label="Take-profit price"
          />
        </label>
      </div>
      {ladder ? (
        <p className="muted po-preview">
          Take-profit ladder:{" "}
          {position.ladder.map((l) => `${fmtNum(l.price, dp.price)} (${l.closeFraction >= 1 ? "rest" : `${Math.round(l.closeFraction * 100)}%`})`).join(", ")}.
          A single take-profit price replaces the ladder; leaving it empty keeps the ladder.
        </p>
      ) : null}
    </RowActionDialog>
  );
}

"use client";
/**
 * The Arbitrage page: each pair (its two markets' live quotes, its settings, how often it took or skipped), the recent
 * opportunities (taken, or skipped with the reason — a run of one reason is one row with a count), and the round
 * trips with their legs, repairs and PnL net of fees. Traders turn a pair on or off (asked first, audited).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import type { RouterOutputs } from "@/components/trpc/types";
import { useCan } from "../trpc/session";
import { useTRPC } from "../trpc/client";
import { fmtNum, fmtTime, moneyCurrencyOf } from "../ui/format";
import { asPnl, Badge, ByCurrency, currencyHint, Empty, ErrorText, Loading, Money, Panel, Pnl, Stat, type BadgeTone } from "../ui/kit";
import { RowActionDialog } from "./row-action-dialog";

type View = RouterOutputs["arbitrage"]["view"];
type PairOut = View["pairs"][number];
type TripOut = View["roundTrips"][number];

function tripTone(status: string): BadgeTone {
  if (status === "done") return "ok";
  if (status === "escalated" || status === "failed") return "bad";
  if (status === "halted") return "warn";
  return "info";
}

/** A round trip's fees and PnL are in its market's quote currency (core/algos/arbitrage.ts). */
function tripCurrency(trip: TripOut): string | undefined {
  return moneyCurrencyOf(trip.buySymbol);
}

/** Where a pair's two quotes stand against each other: the larger quote over the smaller, in bps (display only). */
function quoteGapBps(pair: PairOut): number | null {
  const [a, b] = pair.quotes;
  if (!a || !b || a.bid === null || a.ask === null || b.bid === null || b.ask === null) return null;
  const midA = (a.bid + a.ask) / 2;
  const midB = (b.bid + b.ask) / 2;
  return ((midA - midB) / midB) * 10_000;
}

export function ArbitrageView() {
  const trpc = useTRPC();
  const canTrade = useCan("trader");
  // Polled: opportunities come with the market, not with a click.
  const view = useQuery(trpc.arbitrage.view.queryOptions({ opportunities: 50, roundTrips: 100 }, { refetchInterval: 2000 }));
  if (view.error) return <ErrorText error={view.error} />;
  if (!view.data) return <Loading />;
  const data = view.data;
  return (
    <>
      <h1 className="page-title">Arbitrage</h1>
      <div className="stats" aria-label="Arbitrage totals">
        <Stat label="Round trips" hint={`${data.totals.open} open`}>
          {data.totals.roundTrips}
        </Stat>
        <Stat label="PnL net of fees" hint={currencyHint(data.totals.pnlByCurrency, "over the round trips listed (a halted one: what matched)")}>
          <ByCurrency rows={data.totals.pnlByCurrency} total={data.totals.pnl} pick={(c) => c.pnl} render={asPnl} />
        </Stat>
        <Stat label="Opportunities seen" hint={`${data.totals.taken} taken`}>
          {data.totals.seen}
        </Stat>
        <Stat label="Skipped" hint={data.totals.skippedByCode.map((c) => `${c.code} ${c.count}`).join(" · ") || "none"}>
          {data.totals.skipped}
        </Stat>
        <Stat label="Engine clock (UTC)" hint="the times below are on it">
          {data.now ? fmtTime(data.now) : "—"}
        </Stat>
      </div>
      <Pairs pairs={data.pairs} canTrade={canTrade} />
      <Opportunities rows={data.opportunities} />
      <RoundTrips trips={data.roundTrips} />
    </>
  );
}

function Pairs({ pairs, canTrade }: { pairs: PairOut[]; canTrade: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const setPair = useMutation(trpc.arbitrage.setPair.mutationOptions());
  const [pending, setPending] = useState<PairOut | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <Panel title={`Pairs (${pairs.length})`} id="arb-pairs">
      {notice ? (
        <p className="po-notice" role="status">
          {notice}
        </p>
      ) : null}
      {pairs.length === 0 ? (
        <Empty>No arbitrage pair on this desk: add an arbitrage: section to the desk file (see config/desk.arbitrage.example.yaml).</Empty>
      ) : (
        <div className="table-wrap">
          <table className="data" aria-label="Arbitrage pairs">
            <thead>
              <tr>
                <th scope="col">Pair</th>
                <th scope="col">State</th>
                <th scope="col">Markets (bid / ask)</th>
                <th scope="col" className="num">
                  Gap (bps)
                </th>
                <th scope="col">Settings</th>
                <th scope="col" className="num">
                  Taken
                </th>
                <th scope="col" className="num">
                  Skipped
                </th>
                <th scope="col">Last skip</th>
                {canTrade ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {pairs.map((p) => {
                const gap = quoteGapBps(p);
                return (
                  <tr key={p.id}>
                    <th scope="row" className="mono">
                      {p.id}
                    </th>
                    <td>
                      <Badge tone={p.enabled ? "ok" : "muted"}>{p.enabled ? "enabled" : "disabled"}</Badge>
                      {p.openRoundTrip ? <span className="muted"> · open {p.openRoundTrip}</span> : null}
                      <div className="muted" data-testid="pair-changed-by">
                        {p.changedBy
                          ? `${p.enabled ? "enabled" : "disabled"} by ${p.changedBy.by} at ${fmtTime(p.changedBy.at)}${p.changedBy.reason ? ` (${p.changedBy.reason})` : ""}`
                          : "as the desk file says"}
                      </div>
                    </td>
                    <td>
                      {p.quotes.map((q) => (
                        <div key={`${q.venue}-${q.symbol}`}>
                          {q.venue} {q.symbol}: <span className="mono">{q.bid === null ? "—" : fmtNum(q.bid, 2)}</span> /{" "}
                          <span className="mono">{q.ask === null ? "—" : fmtNum(q.ask, 2)}</span>
                        </div>
                      ))}
                    </td>
                    <td className="num">{gap === null ? "—" : fmtNum(gap, 1)}</td>
                    <td className="muted">
                      {p.legs}, threshold {p.thresholdBps} bps net, slippage {p.slippageBps} bps, max {p.maxQty}, legs within {p.legTimeoutSeconds} s,{" "}
                      {p.repair} first
                    </td>
                    <td className="num">{p.taken}</td>
                    <td className="num">{p.skipped}</td>
                    <td>{p.lastSkip ? `${p.lastSkip.code} ×${p.lastSkip.count}` : "—"}</td>
                    {canTrade ? (
                      <td>
                        <button
                          type="button"
                          className="btn small"
                          aria-label={`${p.enabled ? "Disable" : "Enable"} pair ${p.id}`}
                          onClick={() => setPending(p)}
                        >
                          {p.enabled ? "Disable" : "Enable"}
                        </button>
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {pending ? (
        <RowActionDialog
          key={`pair-${pending.id}`}
          title={`${pending.enabled ? "Disable" : "Enable"} arbitrage pair ${pending.id}`}
          description={
            pending.enabled
              ? "No new round trip is opened while it is off; a round trip already open finishes its legs and repairs."
              : "It takes opportunities again as soon as the spread beats its threshold net of fees."
          }
          confirmLabel={pending.enabled ? "Disable pair" : "Enable pair"}
          destructive={pending.enabled}
          reason="optional"
          onClose={() => setPending(null)}
          onConfirm={async (reason, idempotencyKey) => {
            const r = await setPair.mutateAsync({ pairId: pending.id, enabled: !pending.enabled, ...(reason ? { reason } : {}), idempotencyKey });
            setNotice(r.message);
            void queryClient.invalidateQueries();
          }}
        />
      ) : null}
    </Panel>
  );
}

function Opportunities({ rows }: { rows: View["opportunities"] }) {
  return (
    <Panel title="Opportunities" id="arb-opportunities">
      <p className="muted">Taken ones one per row; skips of one reason in a row are counted on one row (written at most once a minute).</p>
      {rows.length === 0 ? (
        <Empty>No opportunity looked at yet: the pairs wait for both markets&apos; quotes.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="data" aria-label="Arbitrage opportunities">
            <thead>
              <tr>
                <th scope="col">Last seen (UTC)</th>
                <th scope="col">Pair</th>
                <th scope="col">Outcome</th>
                <th scope="col" className="num">
                  Count
                </th>
                <th scope="col" className="num">
                  Best net (bps)
                </th>
                <th scope="col">Why</th>
                <th scope="col">Round trip</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((o, i) => (
                <tr key={o.id ?? `pending-${o.pairId}-${i}`} data-outcome={o.outcome}>
                  <td className="mono">{fmtTime(o.lastTs)}</td>
                  <td className="nowrap">{o.pairId}</td>
                  <td>
                    <Badge tone={o.outcome === "taken" ? "ok" : "muted"}>{o.outcome}</Badge> <span className="mono">{o.code}</span>
                  </td>
                  <td className="num">{o.count}</td>
                  <td className="num">{o.bestNetBps === null ? "—" : fmtNum(o.bestNetBps, 1)}</td>
                  <td className="arb-why">{o.reason}</td>
                  <td className="mono">{o.roundTripId ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

function RoundTrips({ trips }: { trips: TripOut[] }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <Panel title={`Round trips (${trips.length})`} id="arb-round-trips">
      {trips.length === 0 ? (
        <Empty>No round trip yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="data" aria-label="Arbitrage round trips">
            <thead>
              <tr>
                <th scope="col">Round trip</th>
                <th scope="col">Opened (UTC)</th>
                <th scope="col">Status</th>
                <th scope="col">Buy</th>
                <th scope="col">Sell</th>
                <th scope="col" className="num">
                  Bought / sold
                </th>
                <th scope="col" className="num">
                  Net at entry (bps)
                </th>
                <th scope="col" className="num">
                  Fees
                </th>
                <th scope="col" className="num">
                  PnL net of fees
                </th>
                <th scope="col">Legs</th>
              </tr>
            </thead>
            <tbody>
              {trips.map((t) => (
                <Fragment key={t.id}>
                  <tr data-round-trip={t.id}>
                    <th scope="row" className="mono">
                      {t.id}
                    </th>
                    <td className="mono">{fmtTime(t.openedAt)}</td>
                    <td>
                      <Badge tone={tripTone(t.status)}>{t.status}</Badge>
                      {t.repairs.length > 0 ? <span className="muted"> · {t.repairs.join(", ")}</span> : null}
                      {t.halt && t.halt.openQty !== "0" ? (
                        <div className="muted" data-testid="round-trip-halt">
                          {t.halt.openQty} left open to the emergency stop ({t.halt.flattened ? "flattened by it" : "not flattened"}); PnL on what matched
                        </div>
                      ) : null}
                    </td>
                    <td>
                      {t.buyVenue} {t.buySymbol}
                    </td>
                    <td>
                      {t.sellVenue} {t.sellSymbol}
                    </td>
                    <td className="num">
                      {t.boughtQty} / {t.soldQty}
                    </td>
                    <td className="num">{fmtNum(t.netBps, 1)}</td>
                    <td className="num">
                      <Money value={t.fees} currency={tripCurrency(t)} />
                    </td>
                    <td className="num" data-testid="round-trip-pnl">
                      {t.pnl === null ? "—" : <Pnl value={t.pnl} currency={tripCurrency(t)} />}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="btn small"
                        aria-expanded={open === t.id}
                        aria-label={`${open === t.id ? "Hide" : "Show"} legs of ${t.id}`}
                        onClick={() => setOpen(open === t.id ? null : t.id)}
                      >
                        Legs ({t.legs.length})
                      </button>
                    </td>
                  </tr>
                  {open === t.id ? (
                    <tr>
                      <td colSpan={10}>
                        <Legs trip={t} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

function Legs({ trip }: { trip: TripOut }) {
  return (
    <>
      <table className="data" aria-label={`Legs of ${trip.id}`}>
        <thead>
          <tr>
            <th scope="col">Leg</th>
            <th scope="col">Order</th>
            <th scope="col">Market</th>
            <th scope="col">Side</th>
            <th scope="col">Type</th>
            <th scope="col" className="num">
              Filled / qty
            </th>
            <th scope="col" className="num">
              Limit
            </th>
            <th scope="col" className="num">
              Avg price
            </th>
            <th scope="col" className="num">
              Fees
            </th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {trip.legs.map((l) => (
            <tr key={l.clientOrderId}>
              <th scope="row">{l.role}</th>
              <td className="mono">{l.clientOrderId}</td>
              <td>
                {l.venue} {l.symbol}
              </td>
              <td className={l.side === "BUY" ? "side-buy" : "side-sell"}>{l.side}</td>
              <td>{l.type}</td>
              <td className="num">
                {l.filledQty} / {l.qty}
              </td>
              <td className="num">{l.price ?? "market"}</td>
              <td className="num">{l.avgPrice ?? "—"}</td>
              <td className="num">
                <Money value={l.fees} currency={moneyCurrencyOf(l.symbol)} />
              </td>
              <td>
                {l.status}
                {l.reason ? <span className="muted"> · {l.reason}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ol className="arb-events" aria-label={`What happened in ${trip.id}`}>
        {trip.events.map((e, i) => (
          <li key={i}>
            <span className="mono">{fmtTime(e.ts)}</span> {e.text}
          </li>
        ))}
      </ol>
    </>
  );
}

"use client";
/**
 * Risk page, Rebalancing (risk.rebalance / risk.sendRebalance): the orders that would bring the book to an allocation
 * method's target weights, in a table an operator reviews. Nothing is sent until a trader presses Send and confirms
 * with a reason; each order then goes through the risk gate, and the outcome of every order is shown.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "../trpc/client";
import { useCan } from "../trpc/session";
import { ConfirmAction } from "../ui/confirm-dialog";
import { fmtNum, fmtPct } from "../ui/format";
import { ErrorText, Loading, Panel } from "../ui/kit";

type RouterOutputs = inferRouterOutputs<AppRouter>;
type Proposal = RouterOutputs["risk"]["rebalance"];
type Sent = RouterOutputs["risk"]["sendRebalance"];
type Method = Proposal["method"];

const METHODS: { method: Method; label: string }[] = [
  { method: "risk_parity", label: "Risk parity" },
  { method: "min_variance", label: "Min variance" },
  { method: "max_sharpe", label: "Max Sharpe" },
  { method: "kelly", label: "Half Kelly" },
];

export function RebalanceSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canTrade = useCan("trader");
  const [method, setMethod] = useState<Method>("risk_parity");
  const [fractionPct, setFractionPct] = useState(100);
  const [sent, setSent] = useState<Sent | null>(null);
  const input = { method, fraction: Math.min(1, Math.max(0.01, fractionPct / 100)) };
  const proposal = useQuery(trpc.risk.rebalance.queryOptions(input, { refetchInterval: 15_000, placeholderData: (prev) => prev }));
  const send = useMutation(trpc.risk.sendRebalance.mutationOptions());
  return (
    <Panel
      title="Rebalancing"
      id="rebalancing"
      actions={
        <div className="risk-windows">
          <label>
            Target weights{" "}
            <select value={method} onChange={(e) => setMethod(e.target.value as Method)}>
              {METHODS.map((m) => (
                <option key={m.method} value={m.method}>
                  {m.label}
                </option>
              ))}
            </select>
          </label>{" "}
          <label>
            Book (% of equity){" "}
            <input
              type="number"
              min={1}
              max={100}
              step={1}
              value={fractionPct}
              onChange={(e) => setFractionPct(Number(e.target.value) || 100)}
              style={{ width: 64 }}
            />
          </label>
        </div>
      }
    >
      {proposal.error ? (
        <ErrorText error={proposal.error} />
      ) : !proposal.data ? (
        <Loading />
      ) : (
        <ProposalBody
          p={proposal.data}
          canTrade={canTrade}
          onSend={async (reason, idempotencyKey) => {
            const orders = proposal.data.orders.map((o) => ({ symbol: o.symbol, side: o.side, quantity: o.quantity, reduceOnly: o.reduceOnly }));
            const result = await send.mutateAsync({ orders, reason, idempotencyKey });
            setSent(result);
            await queryClient.invalidateQueries();
          }}
        />
      )}
      {sent ? <SentResults sent={sent} /> : null}
    </Panel>
  );
}

function ProposalBody({ p, canTrade, onSend }: { p: Proposal; canTrade: boolean; onSend: (reason: string, key: string) => Promise<void> }) {
  if (p.reason !== null) {
    return (
      <p className="portfolio-reason" role="status">
        {p.reason}
      </p>
    );
  }
  return (
    <>
      <p className="muted risk-note">
        A proposal only: the orders that bring each symbol to its target weight of a book of {fmtNum(p.book ?? "0", 8)} ({fmtPct(p.fraction * 100, 0)} of
        equity). Sells first; a sale of a long is reduce-only. Each order goes through the risk gate when sent.
      </p>
      {p.orders.length === 0 ? (
        <p className="muted" role="status">
          Every symbol is within 1 % of the book of its target: nothing to rebalance.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="data" aria-label="Proposed rebalancing orders">
            <thead>
              <tr>
                <th scope="col">Symbol</th>
                <th scope="col">Side</th>
                <th scope="col" className="num">
                  Quantity
                </th>
                <th scope="col" className="num">
                  Notional
                </th>
                <th scope="col" className="num">
                  Now
                </th>
                <th scope="col" className="num">
                  Target
                </th>
                <th scope="col" className="num">
                  Weight
                </th>
              </tr>
            </thead>
            <tbody>
              {p.orders.map((o) => (
                <tr key={o.symbol}>
                  <th scope="row">{o.symbol}</th>
                  <td className={o.side === "BUY" ? "pos" : "neg"}>
                    {o.side}
                    {o.reduceOnly ? <span className="muted"> (reduce-only)</span> : null}
                  </td>
                  <td className="num">{o.quantity}</td>
                  <td className="num">{fmtNum(o.notional, 8)}</td>
                  <td className="num">{fmtNum(o.currentNotional, 8)}</td>
                  <td className="num">{fmtNum(o.targetNotional, 8)}</td>
                  <td className="num">{fmtPct(o.targetWeight * 100, 1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {p.skipped.map((s) => (
        <p key={s.symbol} className="muted risk-note">
          {s.reason}
        </p>
      ))}
      {p.orders.length > 0 ? (
        canTrade ? (
          <ConfirmAction
            label={`Send ${p.orders.length} order${p.orders.length === 1 ? "" : "s"}`}
            className="btn primary"
            title="Send the rebalancing orders"
            description={`${p.orders.length} market order${p.orders.length === 1 ? "" : "s"} as listed, each through the risk gate; a refused order does not stop the others.`}
            confirmLabel="Send orders"
            reason="required"
            onConfirm={onSend}
          />
        ) : (
          <p className="muted">Sending needs the trader role.</p>
        )
      ) : null}
    </>
  );
}

function SentResults({ sent }: { sent: Sent }) {
  return (
    <div role="status" aria-label="Rebalancing result">
      <p>
        Sent {sent.sent}, refused {sent.refused}.
      </p>
      <ul className="risk-note">
        {sent.results.map((r) => (
          <li key={`${r.symbol}-${r.side}`} className={r.ok ? "" : "neg"}>
            {r.side} {r.quantity} {r.symbol}: {r.ok ? r.message : `${r.code ?? "refused"} — ${r.message}`}
          </li>
        ))}
      </ul>
    </div>
  );
}

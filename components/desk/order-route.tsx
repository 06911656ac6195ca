"use client";
/**
 * The routing decision of an order (its detail page): for a routed child, every round of the route — what each venue
 * offered (best price, visible quantity within the limit, taker fee, what the whole quantity would cost there), what
 * was chosen and why — the sibling children with their status, and the venues skipped with their reasons; for an
 * order sent to one venue by quoted price, that choice in words.
 */
import Link from "next/link";
import type { RouterOutputs } from "@/components/trpc/types";
import { fmtNum, fmtTime } from "../ui/format";
import { DataTable } from "../ui/data-table";
import { Badge, Panel } from "../ui/kit";
import { statusTone } from "./orders";

type Detail = RouterOutputs["orders"]["detail"];
type Route = NonNullable<Detail["route"]>;

const VENUE_TONE = { allocated: "ok", unused: "muted", skipped: "warn" } as const;

export function OrderRouteView({
  route,
  venueChoice,
  clientOrderId,
  pdp,
  qdp,
}: {
  route: Route | null;
  venueChoice: string | null;
  clientOrderId: string;
  pdp: number;
  qdp: number;
}) {
  if (!route)
    return venueChoice ? (
      <Panel title="Venue choice">
        <p>{venueChoice}</p>
      </Panel>
    ) : null;
  return (
    <Panel title={`Routing decision (${route.mode}) · ${route.routeId}`}>
      <p>
        <Badge tone={route.status === "ROUTED" ? "ok" : route.status === "FAILED" ? "bad" : "warn"}>{route.status}</Badge> {fmtNum(route.routedQty, qdp)} of{" "}
        {fmtNum(route.requestedQty, qdp)} routed <span className="muted">at {fmtTime(route.createdAt)} UTC</span>
      </p>
      {route.refused.length > 0 ? <p>Skipped after refusing: {route.refused.map((r) => `${r.venue} (${r.reason})`).join("; ")}</p> : null}
      {route.stopped ? <p className="error">Stopped: {route.stopped}</p> : null}
      {route.rounds.map((round) => (
        <section key={round.round} aria-label={`Round ${round.round}`}>
          <h3>
            Round {round.round}: {round.cause} — {fmtNum(round.qty, qdp)}
          </h3>
          <p className="muted">{round.summary}</p>
          <DataTable
            rows={round.venues}
            rowKey={(v) => v.venue}
            columns={[
              { key: "venue", header: "Venue", cell: (v) => v.venue },
              { key: "status", header: "Decision", cell: (v) => <Badge tone={VENUE_TONE[v.status]}>{v.status}</Badge> },
              { key: "best", header: "Best price", numeric: true, cell: (v) => fmtNum(v.bestPrice, pdp) },
              { key: "visible", header: "Visible qty", numeric: true, cell: (v) => fmtNum(v.visibleQty, qdp) },
              { key: "fee", header: "Taker fee", numeric: true, cell: (v) => `${fmtNum(Number(v.takerFee) * 100, 3)} %` },
              { key: "whole", header: "All here, net", numeric: true, cell: (v) => fmtNum(v.wholeQtyNetAmount, 2) },
              { key: "allocated", header: "Allocated", numeric: true, cell: (v) => fmtNum(v.allocatedQty, qdp) },
              { key: "why", header: "Why", cell: (v) => v.reason },
            ]}
          />
          <DataTable
            rows={round.children}
            rowKey={(c) => c.clientOrderId}
            columns={[
              {
                key: "id",
                header: "Child order",
                cellClassName: "mono",
                cell: (c) =>
                  c.clientOrderId === clientOrderId ? (
                    <strong>{c.clientOrderId} (this order)</strong>
                  ) : (
                    <Link href={`/orders/${encodeURIComponent(c.clientOrderId)}`}>{c.clientOrderId}</Link>
                  ),
              },
              { key: "venue", header: "Venue", cell: (c) => c.venue },
              { key: "qty", header: "Qty", numeric: true, cell: (c) => fmtNum(c.qty, qdp) },
              { key: "avg", header: "Expected avg", numeric: true, cell: (c) => fmtNum(c.avgPrice, pdp) },
              { key: "status", header: "Status", cell: (c) => (c.status ? <Badge tone={statusTone(c.status)}>{c.status}</Badge> : "not placed") },
              { key: "filled", header: "Filled", numeric: true, cell: (c) => fmtNum(c.filledQty, qdp) },
              { key: "reason", header: "Refusal", cell: (c) => c.reason ?? "—" },
            ]}
          />
        </section>
      ))}
    </Panel>
  );
}

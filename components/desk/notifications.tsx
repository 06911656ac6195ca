"use client";
/**
 * Notifications: the outbound channels (webhook, Telegram, email) with what each delivers, its receiver's host (never
 * a full URL or a secret), its last delivery and last error, a "Send test message" button per channel (admin, audited),
 * and every recorded delivery attempt, newest first.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { newIdempotencyKey } from "../ui/confirm-dialog";
import { useTRPC } from "../trpc/client";
import { useCan } from "../trpc/session";
import { fmtTime } from "../ui/format";
import { Badge, Empty, ErrorText, Loading, Panel } from "../ui/kit";
import { LoadMore } from "../ui/pager";

const PAGE = 50;

const OUTCOME_TONE = { delivered: "ok", failed: "warn", gave_up: "bad", rate_limited: "muted", dropped: "bad" } as const;
const OUTCOME_WORDS: Record<string, string> = {
  delivered: "delivered",
  failed: "failed, retrying",
  gave_up: "gave up",
  rate_limited: "rate limited",
  dropped: "dropped (queue full)",
};

function OutcomeBadge({ outcome }: { outcome: string }) {
  const tone = OUTCOME_TONE[outcome as keyof typeof OUTCOME_TONE] ?? "muted";
  return <Badge tone={tone}>{OUTCOME_WORDS[outcome] ?? outcome}</Badge>;
}

function SendTestButton({ channel, disabled }: { channel: string; disabled: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const send = useMutation(trpc.notifications.sendTest.mutationOptions());
  const [answer, setAnswer] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <div className="notify-test">
      <button
        type="button"
        className="btn"
        aria-label={`Send test message to ${channel}`}
        disabled={disabled || send.isPending}
        onClick={() => {
          setAnswer(null);
          send.mutate(
            { channel, idempotencyKey: newIdempotencyKey() },
            {
              onSuccess: (result) => setAnswer({ ok: true, text: result.message }),
              onError: (error) => setAnswer({ ok: false, text: error.message }),
              // The delivery is recorded a moment later: both tables refresh (and poll) to show it.
              onSettled: () => void queryClient.invalidateQueries({ queryKey: trpc.notifications.pathKey() }),
            },
          );
        }}
      >
        {send.isPending ? "Sending…" : "Send test message"}
      </button>
      {answer ? (
        <span role="status" className={answer.ok ? "muted" : "error"}>
          {answer.text}
        </span>
      ) : null}
    </div>
  );
}

function ChannelsPanel() {
  const trpc = useTRPC();
  const isAdmin = useCan("admin");
  const channels = useQuery(trpc.notifications.channels.queryOptions(undefined, { refetchInterval: 2_000 }));
  return (
    <Panel title="Channels">
      {channels.error ? <ErrorText error={channels.error} /> : null}
      {!channels.data ? (
        channels.error ? null : (
          <Loading />
        )
      ) : channels.data.channels.length === 0 ? (
        <Empty>
          No channel is configured. Set BASTION_NOTIFY_WEBHOOK_URL and BASTION_NOTIFY_WEBHOOK_SECRET, or add channels under notifications in the desk file, then
          restart.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Target host</th>
                <th scope="col">Filter</th>
                <th scope="col">Rate limit</th>
                <th scope="col">Last delivery (UTC)</th>
                <th scope="col">Last error</th>
                {isAdmin ? <th scope="col">Test</th> : null}
              </tr>
            </thead>
            <tbody>
              {channels.data.channels.map((c) => (
                <tr key={c.name}>
                  <td className="nowrap">
                    {c.name} {c.enabled ? null : <Badge tone="muted">disabled</Badge>}
                  </td>
                  <td>{c.type}</td>
                  <td className="mono">{c.target}</td>
                  <td>
                    {c.kinds.join(", ")}
                    {c.defaultKinds ? <span className="muted"> (default)</span> : null}
                    <span className="muted">
                      {" "}
                      · {c.minSeverity} and above{c.symbols ? ` · ${c.symbols.join(", ")}` : ""}
                    </span>
                  </td>
                  <td className="nowrap">{c.rateLimit ? `${c.rateLimit.capacity} burst, ${c.rateLimit.perMinute}/min` : "none"}</td>
                  <td className="mono">{c.lastDeliveredAt !== null ? fmtTime(c.lastDeliveredAt) : <span className="muted">never</span>}</td>
                  <td className="audit-text">
                    {c.lastError ? (
                      <>
                        <span className="mono">{fmtTime(c.lastError.ts)}</span> {c.lastError.message}
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  {isAdmin ? (
                    <td>
                      <SendTestButton channel={c.name} disabled={!c.enabled} />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

function DeliveriesPanel() {
  const trpc = useTRPC();
  const list = useInfiniteQuery(
    trpc.notifications.deliveries.infiniteQueryOptions({ limit: PAGE }, { getNextPageParam: (last) => last.nextCursor ?? undefined, refetchInterval: 2_000 }),
  );
  const rows = list.data?.pages.flatMap((p) => p.rows) ?? [];
  return (
    <Panel title="Recent deliveries">
      {list.error ? <ErrorText error={list.error} /> : null}
      {!list.data ? (
        list.error ? null : (
          <Loading />
        )
      ) : rows.length === 0 ? (
        <Empty>No notification has been sent yet.</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Time (UTC)</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id}>
                    <td className="mono">{fmtTime(r.ts)}</td>
                    <td>{r.channel}</td>
                    <td>{r.kind}</td>
                    <td>{r.severity}</td>
                    <td>
                      <OutcomeBadge outcome={r.outcome} />
                    </td>
                    <td className="num">{r.attempt}</td>
                    <td className="audit-text">{r.error ?? <span className="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore
            list={list}
            shown={
              <>
                {rows.length.toLocaleString("en-US")} {rows.length === 1 ? "attempt" : "attempts"} shown{list.hasNextPage ? "" : " · end of the kept history"}
              </>
            }
          />
        </>
      )}
    </Panel>
  );
}

export function NotificationsView() {
  return (
    <>
      <h1 className="page-title">Notifications</h1>
      <p className="muted perf-note">
        What leaves the desk: each channel gets the events its filter names (by default the emergency stop, a breaker trip and a protection firing), within its
        rate limit, retried with backoff when its receiver is down — a channel that is down never slows the engine. Every attempt is recorded below.
      </p>
      <ChannelsPanel />
      <DeliveriesPanel />
    </>
  );
}

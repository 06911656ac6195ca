"use client";
/** The desk frame: mode banner, trading state, breaker and alert badges, global controls, navigation, stale-data banner. */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState, type ReactNode } from "react";
import { SignOutButton } from "./sign-out-button";
import { TRPCReactProvider, useTRPC } from "../trpc/client";
import { Badge } from "../ui/kit";
import { DeskCurrencyProvider } from "../ui/currency";
import { fmtDuration } from "../ui/format";
import { AlertBadge } from "./alerts";
import { EmergencyStopButton, TradingControls } from "./controls";
import { LiveProvider, StaleBanner } from "./live";

const NAV: [href: string, label: string][] = [
  ["/", "Overview"],
  ["/positions", "Positions"],
  ["/orders", "Orders"],
  ["/history", "History"],
  ["/risk", "Risk"],
  ["/performance", "Performance"],
  ["/strategies", "Strategies"],
  ["/arbitrage", "Arbitrage"],
  ["/reconciliation", "Reconciliation"],
  ["/alerts", "Alerts"],
  ["/notifications", "Notifications"],
  ["/audit", "Audit"],
  ["/backtests", "Backtests"],
];

export function DeskShell({ user, mode, children }: { user: { username: string; role: string }; mode: string; children: ReactNode }) {
  return (
    <TRPCReactProvider>
      <LiveProvider>
        <DeskCurrencyProvider>
          <TopBar user={user} mode={mode} />
          <StaleBanner />
          <Nav />
          <main className="desk-main">{children}</main>
        </DeskCurrencyProvider>
      </LiveProvider>
    </TRPCReactProvider>
  );
}

function TopBar({ user, mode }: { user: { username: string; role: string }; mode: string }) {
  const trpc = useTRPC();
  const status = useQuery(trpc.breaker.status.queryOptions(undefined, { retry: false }));
  const state = status.data?.tradingState ?? null;
  const breaker = status.data?.breaker ?? null;
  const tone = state === "ACTIVE" ? "ok" : state === "REDUCING" ? "warn" : "bad";
  const modeLabel = mode.toUpperCase();
  return (
    <header className={`topbar${mode === "live" ? " live" : ""}`}>
      <span className="brand">BASTION</span>
      <span className={`mode-banner mode-${mode}`} aria-label={`mode ${mode}`}>
        {modeLabel}
      </span>
      {state ? (
        <Badge tone={tone} label="trading state">
          {state}
        </Badge>
      ) : (
        <Badge tone="muted" label="trading state">
          {status.error ? "ENGINE DOWN" : "…"}
        </Badge>
      )}
      {breaker ? (
        <span
          className={`breaker-badge ${breaker.state === "OPEN" ? "open" : "closed"}`}
          aria-label="breaker status"
          title={breaker.message ?? "Breaker closed: trading allowed"}
        >
          BREAKER {breaker.state === "OPEN" ? `TRIPPED · ${breaker.reason ?? ""}` : "OK"}
          {breaker.state === "OPEN" && breaker.cooldownRemainingMs > 0 ? ` · ${fmtDuration(breaker.cooldownRemainingMs)}` : ""}
        </span>
      ) : null}
      <AlertBadge />
      <span className="spacer" />
      <TradingControls />
      <EmergencyStopButton />
      <span className="user" aria-label="signed in as">
        {user.username} · {user.role}
      </span>
      <SignOutButton />
    </header>
  );
}

/** The page links; on a phone (≤ 700 px, globals.css) they fold behind a Menu button that names the current page. */
function Nav() {
  const path = usePathname();
  const [open, setOpen] = useState(false);
  const current = NAV.find(([href]) => (href === "/" ? path === "/" : path.startsWith(href)))?.[1] ?? "Menu";
  return (
    <nav className={`desk-nav${open ? " open" : ""}`} aria-label="Desk">
      <button type="button" className="desk-nav-toggle" aria-expanded={open} aria-controls="desk-nav-links" onClick={() => setOpen((o) => !o)}>
        <span aria-hidden="true">☰</span> {current}
      </button>
      <div className="desk-nav-links" id="desk-nav-links">
        {NAV.map(([href, label]) => {
          const active = href === "/" ? path === "/" : path.startsWith(href);
          return (
            <Link key={href} href={href} className={active ? "active" : undefined} aria-current={active ? "page" : undefined} onClick={() => setOpen(false)}>
              {label}
            </Link>
          );
        })}
      </div>
    </nav>
  );
}

import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { SESSION_COOKIE } from "@/server/auth/cookies";
import { resolveSession } from "@/server/auth/sessions";
import { healthReport } from "@/server/health/health";
import { SignOutButton } from "./signin/sign-out-button";

export const dynamic = "force-dynamic";

const PARTS: Array<[string, string]> = [
  ["Orders", "every order type, time in force, OCO and brackets, one state machine"],
  ["Positions", "long and short, scale in and out, exact PnL net of fees, exit rules"],
  ["Risk", "pre-trade limits, TradingState gate, position sizing, drawdown, VaR"],
  ["Circuit breaker", "daily loss, drawdown, loss streaks, order rate and error trips, latched"],
  ["Simulator", "slippage and market impact, partial fills, triggers, latency, balances"],
];

export default async function HomePage() {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  const signedIn = token ? await resolveSession(token) : null;
  if (!signedIn) redirect("/signin");
  const health = await healthReport();
  const dbOk = health.db === "ok";
  return (
    <>
      <header className="topbar">
        <span className="brand">BASTION</span>
        <span className="badge mode" aria-label={`mode ${health.mode}`}>
          {health.mode.toUpperCase()}
        </span>
        <span className={`badge ${health.tradingState === "ACTIVE" ? "ok" : "bad"}`} aria-label="trading state">
          {health.tradingState}
        </span>
        <span className={`badge ${dbOk ? "ok" : "bad"}`}>DB {dbOk ? "OK" : "ERROR"}</span>
        <span className="user" aria-label="signed in as">
          {signedIn.user.username} · {signedIn.user.role}
        </span>
        <SignOutButton />
      </header>
      <main className="shell">
        <h1 style={{ fontSize: 20, margin: "8px 0" }}>Execution desk</h1>
        <p className="muted">
          The engine and the dashboard are being built. This page reports the health of the process; the execution core below is
          in place and tested.
        </p>
        <section className="panel" aria-labelledby="health-title">
          <h2 id="health-title">Health</h2>
          <table>
            <tbody>
              <tr><th scope="row">Status</th><td>{health.status}</td></tr>
              <tr><th scope="row">Mode</th><td>{health.mode}</td></tr>
              <tr><th scope="row">Trading state</th><td>{health.tradingState}</td></tr>
              <tr><th scope="row">Database</th><td>{dbOk ? "ok" : `error: ${health.dbError ?? "unknown"}`}</td></tr>
              <tr><th scope="row">Checked at</th><td className="num">{health.time}</td></tr>
            </tbody>
          </table>
        </section>
        <section className="panel" aria-labelledby="core-title">
          <h2 id="core-title">Execution core</h2>
          <table>
            <thead>
              <tr><th scope="col">Part</th><th scope="col">What it does</th></tr>
            </thead>
            <tbody>
              {PARTS.map(([name, what]) => (
                <tr key={name}><td>{name}</td><td className="muted">{what}</td></tr>
              ))}
            </tbody>
          </table>
        </section>
      </main>
    </>
  );
}

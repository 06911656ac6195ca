"use client";
/** The desk's small UI kit: numbers, PnL with a non-colour cue, panels, badges, stats, errors. */
import type { ReactNode } from "react";
import { errorMessage } from "../trpc/client";
import { useDeskCurrency } from "./currency";
import { currencyDecimals, fmtNum, fmtPct, fmtSigned, signOf } from "./format";

/** A right-aligned number with fixed decimals (use inside <td className="num">, or alone). */
export function Num({ value, dp = 2, suffix }: { value: string | number | null | undefined; dp?: number; suffix?: string }) {
  return (
    <span className="num-text">
      {fmtNum(value, dp)}
      {suffix && value !== null && value !== undefined ? ` ${suffix}` : ""}
    </span>
  );
}

/** An amount of money at its currency's precision: `currency` when given, else the desk's (BTC 8 decimals, USDT 2). */
export function Money({ value, currency, suffix = false }: { value: string | number | null | undefined; currency?: string | null; suffix?: boolean }) {
  const desk = useDeskCurrency();
  const c = currency === undefined ? desk : currency;
  return <Num value={value} dp={currencyDecimals(c)} suffix={suffix && c ? c : undefined} />;
}

/**
 * Profit and loss: green/red plus ▲/▼ and a sign, so colour is never the only cue. Money by default (the desk's
 * currency precision, or `currency`'s); pass `dp` for a percentage or a ratio.
 */
export function Pnl({ value, dp, pct, currency }: { value: string | number | null | undefined; dp?: number; pct?: number | null; currency?: string | null }) {
  const desk = useDeskCurrency();
  const decimals = dp ?? currencyDecimals(currency === undefined ? desk : currency);
  const sign = signOf(value);
  const cls = sign > 0 ? "up" : sign < 0 ? "down" : "flat";
  const arrow = sign > 0 ? "▲" : sign < 0 ? "▼" : "•";
  return (
    <span className={`pnl ${cls}`}>
      <span aria-hidden="true">{arrow} </span>
      {fmtSigned(value, decimals)}
      {pct !== undefined && pct !== null ? <span className="muted"> ({fmtPct(pct, 2, true)})</span> : null}
    </span>
  );
}

/**
 * A figure that is per quote currency (a trade's money is in its symbol's quote): the one figure (`total`) at its
 * currency's precision when `rows` are in one currency (or none: the desk's; another is named after the figure), else a
 * line per currency from `pick`.
 * Without `pick` — an average or a ratio, which does not add across currencies — several currencies show "mixed".
 */
export function ByCurrency<T extends { currency: string }, V>({
  rows,
  total,
  pick,
  render,
  ratio = false,
}: {
  rows: readonly T[];
  total: V;
  pick?: (row: T) => NoInfer<V>;
  render: (value: NoInfer<V>, currency: string | undefined) => ReactNode;
  /** A ratio or a share (no amount of money): its one figure names no currency. */
  ratio?: boolean;
}) {
  const desk = useDeskCurrency();
  const named = (value: NoInfer<V>, currency: string) => (
    <>
      {render(value, currency || undefined)} <span className="muted">{currency || "?"}</span>
    </>
  );
  if (rows.length <= 1) {
    const currency = rows[0]?.currency || undefined;
    // Money named when it is not the desk's: a USDT figure on a BTC desk, beside rows that name theirs, must not read as BTC.
    if (ratio || currency === undefined || currency === desk) return <>{render(total, currency)}</>;
    return named(total, currency);
  }
  if (!pick) {
    return (
      <span className="muted" title="Its trades are in several quote currencies: see the figures per symbol">
        mixed
      </span>
    );
  }
  return (
    <span className="per-currency">
      {rows.map((row) => (
        <span key={row.currency}>{named(pick(row), row.currency)}</span>
      ))}
    </span>
  );
}

/** ByCurrency's renderers: a PnL ("—" for none) and an amount of money. */
export const asPnl = (value: string | number | null, currency: string | undefined): ReactNode =>
  value === null ? "—" : <Pnl value={value} currency={currency} />;
export const asMoney = (value: string | number | null, currency: string | undefined): ReactNode => <Money value={value} currency={currency} />;

/**
 * A hint that says which currency rows' figures are in: `base` then "per quote currency" or "in USDT" (nothing more
 * when there are none, or the desk's currency).
 */
export function currencyHint(rows: readonly { currency: string }[], base?: string): string | undefined {
  const phrase = rows.length > 1 ? "per quote currency" : rows[0]?.currency ? `in ${rows[0].currency}` : "";
  return [base, phrase].filter(Boolean).join(", ") || undefined;
}

export function Panel({ title, children, actions, id }: { title: string; children: ReactNode; actions?: ReactNode; id?: string }) {
  const headingId = id ?? `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>{title}</h2>
        {actions ? <div className="panel-actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

export type BadgeTone = "ok" | "bad" | "warn" | "info" | "muted";

export function Badge({ tone, children, label }: { tone: BadgeTone; children: ReactNode; label?: string }) {
  return (
    <span className={`badge ${tone}`} {...(label ? { "aria-label": label } : {})}>
      {children}
    </span>
  );
}

export function Stat({ label, children, hint }: { label: string; children: ReactNode; hint?: ReactNode }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{children}</div>
      {hint ? <div className="stat-hint muted">{hint}</div> : null}
    </div>
  );
}

/** A refused or failed request in plain words (the server's code and message). */
export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {errorMessage(error)}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty muted">{children}</p>;
}

export function Loading() {
  return <p className="muted">Loading…</p>;
}

"use client";
/** Settings on the risk page: portfolio limits, per-symbol settings and the breaker config — read-only, or edited by admins. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { SettingsOut as SettingsSnapshot } from "@/components/trpc/types";

type SymbolSettingsRow = SettingsSnapshot["symbols"][number];
import { useTRPC } from "../trpc/client";
import { useCan } from "../trpc/session";
import { fmtTime } from "../ui/format";
import { DataTable } from "../ui/data-table";
import { Badge, Panel } from "../ui/kit";
import { collect, EditDialog, Field, scalarText, toFormValue, type FieldSpec, type FormValues } from "./risk-form";

type Limits = SettingsSnapshot["limits"];
type BreakerConfig = NonNullable<SettingsSnapshot["breakerConfig"]>;
type SymbolSettings = SymbolSettingsRow["settings"];

export const LIMIT_FIELDS: readonly FieldSpec[] = [
  { key: "maxOpenPositions", label: "Max open positions", kind: "int", hint: "whole number; empty = no limit" },
  { key: "maxPortfolioExposurePct", label: "Max portfolio exposure (% of equity)", kind: "number", hint: "e.g. 100 = exposure up to the equity" },
  { key: "maxPortfolioExposure", label: "Max portfolio exposure (amount)", kind: "decimal" },
  { key: "maxSymbolExposurePct", label: "Max exposure per symbol (% of equity)", kind: "number" },
  { key: "minNotional", label: "Min order notional", kind: "decimal" },
  { key: "maxNotionalPerOrder", label: "Max notional per order", kind: "decimal" },
  { key: "maxSlippageBps", label: "Max expected slippage (bps)", kind: "number" },
  { key: "maxOrdersPerMinute", label: "Max orders per minute", kind: "int" },
  { key: "minConfidence", label: "Min signal confidence (0–1)", kind: "number", hint: "a symbol's own minimum wins" },
  {
    key: "maxCorrelatedExposurePct",
    label: "Max correlated exposure (% of equity)",
    kind: "number",
    hint: "gross exposure cap of a cluster of correlated symbols; empty = off",
  },
  { key: "correlationThreshold", label: "Correlation threshold (0.1–0.99)", kind: "number", hint: "symbols correlated above this form a cluster; default 0.7" },
  { key: "correlationWindowBars", label: "Correlation window (bars)", kind: "int", hint: "default 720; window × bar size at most 34 days" },
  { key: "correlationBarMinutes", label: "Correlation bar size (minutes)", kind: "int", hint: "5, 15, 60, 240 or 1440; default 60" },
  {
    key: "maxVarPct",
    label: "Max portfolio VaR (99 %, 1 day, % of equity)",
    kind: "number",
    hint: "entries that would raise VaR above it are refused; empty = off",
  },
];

export const BREAKER_FIELDS: readonly FieldSpec[] = [
  { key: "maxDailyLossPct", label: "Max daily loss (% of day-start equity)", kind: "number", empty: "null", hint: "above 0, at most 100; empty = off" },
  { key: "maxDailyLossAbs", label: "Max daily loss (amount)", kind: "number", empty: "null" },
  { key: "maxWeeklyLossPct", label: "Max weekly loss (% of week-start equity)", kind: "number", empty: "null", hint: "UTC week from Monday; empty = off" },
  { key: "maxDrawdownPct", label: "Max drawdown from peak (%)", kind: "number", empty: "null" },
  { key: "maxDrawdownAbs", label: "Max drawdown (amount)", kind: "number", empty: "null" },
  {
    key: "maxPortfolioVarPct",
    label: "Trip at portfolio VaR (99 %, 1 day, % of equity)",
    kind: "number",
    empty: "null",
    hint: "halts the desk when the VaR measured with each equity update reaches it; empty = off",
  },
  { key: "maxConsecutiveLosses", label: "Max consecutive losses", kind: "int", empty: "null" },
  { key: "maxOrdersPerMinute", label: "Max orders per minute", kind: "int", empty: "null" },
  { key: "maxOrdersPerHour", label: "Max orders per hour", kind: "int", empty: "null" },
  { key: "maxConsecutiveErrors", label: "Max consecutive errors", kind: "int", empty: "null" },
  {
    key: "tripAction",
    label: "On trip",
    kind: "select",
    options: ["HALT", "HALT_CANCEL", "HALT_CANCEL_FLATTEN"],
    hint: "halt; also cancel orders; also close positions",
  },
  {
    key: "autoResetAfterMinutes",
    label: "Auto reset after (minutes)",
    kind: "number",
    empty: "null",
    hint: "empty = never; ignored while a manual reset is required",
  },
  { key: "cooldownMinutes", label: "Cooldown before any reset (minutes)", kind: "number", empty: 0 },
  { key: "requireManualReset", label: "Require a manual reset by an admin", kind: "bool" },
];

const SYMBOL_FIELDS: readonly FieldSpec[] = [
  { key: "enabled", label: "Trading enabled", kind: "bool" },
  { key: "minConfidence", label: "Min signal confidence (0–1)", kind: "number" },
  { key: "maxPositionQty", label: "Max position (quantity)", kind: "decimal", hint: "empty = no limit" },
  { key: "maxPositionNotional", label: "Max position (notional)", kind: "decimal", hint: "empty = no limit" },
  { key: "sizing.method", label: "Sizing", kind: "select", options: ["fixed_fraction", "confidence", "fixed_risk", "all_in", "kelly", "atr", "target_weight"] },
  {
    key: "sizing.amount",
    label: "Sizing fraction (0–1)",
    kind: "number",
    hint: "share of equity (fixed_fraction, confidence; kelly: until it has enough trades), of equity risked (fixed_risk, atr: ≤ 0.2) or of equity the whole book holds (target_weight)",
  },
  {
    key: "sizing.allocation",
    label: "Target weights from",
    kind: "select",
    options: ["risk_parity", "min_variance", "max_sharpe", "kelly"],
    hint: "target_weight only: the allocation method whose weight the entry sizes toward",
  },
  { key: "stopLossPct", label: "Stop-loss (%)", kind: "number", empty: "null", hint: "empty = none" },
  { key: "takeProfitLevels", label: "Take-profit ladder", kind: "select" },
  { key: "trailing.activationPct", label: "Trailing: activates at (% profit)", kind: "number", hint: "empty = no trailing stop" },
  { key: "trailing.distancePct", label: "Trailing: distance (%)", kind: "number" },
  { key: "maxAgeMinutes", label: "Max position age (minutes)", kind: "int", empty: "null", hint: "empty = no limit" },
];

const off = <span className="muted">off</span>;
const show = (v: unknown, suffix = "") => (v === null || v === undefined || v === "" ? off : `${scalarText(v)}${suffix}`);

function useSaved() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: [["settings"]] });
    void queryClient.invalidateQueries({ queryKey: [["risk"]] });
    void queryClient.invalidateQueries({ queryKey: [["breaker"]] });
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Portfolio limits

export function RiskLimitsPanel({ limits }: { limits: Limits }) {
  const isAdmin = useCan("admin");
  const trpc = useTRPC();
  const saved = useSaved();
  const mutation = useMutation(trpc.settings.setRiskLimits.mutationOptions());
  const [values, setValues] = useState<FormValues>({});
  const record = limits as Record<string, unknown>;
  return (
    <Panel
      title="Risk limits"
      actions={
        isAdmin ? (
          <EditDialog
            label="Edit limits"
            title="Edit the risk limits"
            description="The risk gate checks every new order against these. An empty box is no limit. The change applies to the next order and is recorded in the audit log."
            onOpen={() => setValues(Object.fromEntries(LIMIT_FIELDS.map((f) => [f.key, toFormValue(f, record[f.key])])))}
            onSave={async () => {
              await mutation.mutateAsync(collect(LIMIT_FIELDS, values));
              saved();
            }}
          >
            {(errors) =>
              LIMIT_FIELDS.map((f) => (
                <Field key={f.key} spec={f} value={values[f.key]} errors={errors[f.key]} onChange={(v) => setValues((s) => ({ ...s, [f.key]: v }))} />
              ))
            }
          </EditDialog>
        ) : null
      }
    >
      <table className="data risk-kv">
        <tbody>
          {LIMIT_FIELDS.map((f) => (
            <tr key={f.key}>
              <th scope="row">{f.label}</th>
              <td className="num">{show(record[f.key])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Breaker config

export function BreakerConfigTable({ config }: { config: BreakerConfig }) {
  const record = config as Record<string, unknown>;
  return (
    <table className="data risk-kv">
      <tbody>
        {BREAKER_FIELDS.map((f) => (
          <tr key={f.key}>
            <th scope="row">{f.label}</th>
            <td className="num">{f.kind === "bool" ? (record[f.key] ? "yes" : "no") : show(record[f.key])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EditBreakerConfig({ config }: { config: BreakerConfig }) {
  const trpc = useTRPC();
  const saved = useSaved();
  const mutation = useMutation(trpc.settings.setBreakerConfig.mutationOptions());
  const [values, setValues] = useState<FormValues>({});
  const record = config as Record<string, unknown>;
  return (
    <EditDialog
      label="Edit config"
      ariaLabel="Edit the breaker configuration"
      title="Edit the circuit breaker"
      description="A limit trips the breaker when it is reached. An empty box turns that limit off. The breaker evaluates the new limits on its next check; the change is recorded in the audit log."
      onOpen={() => setValues(Object.fromEntries(BREAKER_FIELDS.map((f) => [f.key, toFormValue(f, record[f.key])])))}
      onSave={async () => {
        await mutation.mutateAsync(collect(BREAKER_FIELDS, values) as never);
        saved();
      }}
    >
      {(errors) =>
        BREAKER_FIELDS.map((f) => (
          <Field key={f.key} spec={f} prefix="brk-" value={values[f.key]} errors={errors[f.key]} onChange={(v) => setValues((s) => ({ ...s, [f.key]: v }))} />
        ))
      }
    </EditDialog>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Per-symbol settings

function sizingText(s: SymbolSettings["sizing"]): string {
  switch (s.method) {
    case "all_in":
      return "all in";
    case "fixed_risk":
      return `risk ${s.riskFraction * 100}% / trade`;
    case "confidence":
      return `${s.fraction * 100}% × confidence`;
    case "kelly":
      return `${s.multiplier} Kelly, ≤ ${s.maxFraction * 100}% (${s.fallbackFraction * 100}% until ${s.minTrades} trades)`;
    case "atr":
      return `risk ${s.riskFraction * 100}% / ${s.atrMultiple} × ATR(${s.period})`;
    case "target_weight":
      return `${s.allocation} weight of ${s.fraction * 100}% of equity`;
    default:
      return `${s.fraction * 100}% of equity`;
  }
}

const ladderText = (levels: SymbolSettings["takeProfitLevels"]) =>
  levels.length === 0 ? "none" : levels.map((l) => `${l.pct}%→${Math.round(l.closeFraction * 100)}%`).join(", ");

/** "2:0.33, 4:0.5, 8:1" ⇄ levels. */
function ladderToText(levels: SymbolSettings["takeProfitLevels"]): string {
  return levels.map((l) => `${l.pct}:${l.closeFraction}`).join(", ");
}

function ladderFromText(text: string): { pct: number; closeFraction: number }[] | string {
  const parts = text
    .split(/[,;]/)
    .map((p) => p.trim())
    .filter(Boolean);
  const levels: { pct: number; closeFraction: number }[] = [];
  for (const part of parts) {
    const m = /^([^:]+):([^:]+)$/.exec(part);
    if (!m) return `"${part}" is not a level: write pct:fraction pairs such as 2:0.33, 4:0.5, 8:1.`;
    levels.push({ pct: Number(m[1]!.trim()), closeFraction: Number(m[2]!.trim()) });
  }
  return levels;
}

/** The one number the form edits for a sizing method. */
function sizingAmount(s: SymbolSettings["sizing"]): string {
  switch (s.method) {
    case "all_in":
      return "";
    case "fixed_risk":
    case "atr":
      return String(s.riskFraction);
    case "kelly":
      return String(s.fallbackFraction);
    default:
      return String(s.fraction);
  }
}

function symbolForm(s: SymbolSettings): FormValues {
  return {
    enabled: s.enabled,
    minConfidence: String(s.minConfidence),
    maxPositionQty: s.maxPositionQty ?? "",
    maxPositionNotional: s.maxPositionNotional ?? "",
    "sizing.method": s.sizing.method,
    "sizing.amount": sizingAmount(s.sizing),
    "sizing.allocation": s.sizing.method === "target_weight" ? s.sizing.allocation : "risk_parity",
    stopLossPct: s.stopLossPct === null ? "" : String(s.stopLossPct),
    takeProfitLevels: ladderToText(s.takeProfitLevels),
    "trailing.activationPct": s.trailing ? String(s.trailing.activationPct) : "",
    "trailing.distancePct": s.trailing ? String(s.trailing.distancePct) : "",
    maxAgeMinutes: s.maxAgeMinutes === null ? "" : String(s.maxAgeMinutes),
  };
}

const num = (v: string | boolean | undefined) => Number(typeof v === "string" ? v.trim() : "");
const text = (v: string | boolean | undefined) => (typeof v === "string" ? v.trim() : "");

/** The settings object the server validates; a string is a problem found before sending. */
function symbolFromForm(values: FormValues): Record<string, unknown> | { problem: string; field: string } {
  const method = text(values["sizing.method"]);
  const amount = num(values["sizing.amount"]);
  // kelly and atr keep their other parameters' defaults here (the desk file sets them all).
  const sizing =
    method === "all_in"
      ? { method }
      : method === "fixed_risk" || method === "atr"
        ? { method, riskFraction: amount }
        : method === "kelly"
          ? { method, fallbackFraction: amount }
          : method === "target_weight"
            ? { method, fraction: amount, allocation: text(values["sizing.allocation"]) || "risk_parity" }
            : { method, fraction: amount };
  const ladder = ladderFromText(text(values.takeProfitLevels));
  if (typeof ladder === "string") return { problem: ladder, field: "takeProfitLevels" };
  const activation = text(values["trailing.activationPct"]);
  const distance = text(values["trailing.distancePct"]);
  const fields = SYMBOL_FIELDS.filter((f) =>
    ["enabled", "minConfidence", "maxPositionQty", "maxPositionNotional", "stopLossPct", "maxAgeMinutes"].includes(f.key),
  );
  return {
    ...collect(fields, values),
    sizing,
    takeProfitLevels: ladder,
    trailing: activation === "" && distance === "" ? null : { activationPct: Number(activation), distancePct: Number(distance) },
  };
}

/** What the form does not edit is kept: expectedReturn scaling, and the kelly / atr parameters while the method stays. */
function keepUnedited(current: SymbolSettings, next: Record<string, unknown>): Record<string, unknown> {
  const sizing = next.sizing as { method: string };
  const merged = current.sizing.method === sizing.method ? { ...current.sizing, ...sizing } : sizing;
  return { ...next, sizing: merged, ...(current.expectedReturnScaling && { expectedReturnScaling: current.expectedReturnScaling }) };
}

function EditSymbol({ row }: { row: SymbolSettingsRow }) {
  const trpc = useTRPC();
  const saved = useSaved();
  const mutation = useMutation(trpc.settings.setSymbol.mutationOptions());
  const [values, setValues] = useState<FormValues>({});
  const [localError, setLocalError] = useState<Record<string, string[]>>({});
  const prefix = `sym-${row.symbol}-`;
  return (
    <EditDialog
      label="Edit"
      ariaLabel={`Edit the settings of ${row.symbol}`}
      title={`Settings of ${row.symbol}`}
      description="Signals on this symbol are checked and sized with these, and new positions get these exits. The change is recorded in the audit log."
      onOpen={() => {
        setValues(symbolForm(row.settings));
        setLocalError({});
      }}
      onSave={async () => {
        const formSettings = symbolFromForm(values);
        const settings = "problem" in formSettings ? formSettings : keepUnedited(row.settings, formSettings);
        if ("problem" in settings) {
          setLocalError({ [`settings.${String(settings.field)}`]: [String(settings.problem)] });
          throw new Error(String(settings.problem));
        }
        setLocalError({});
        await mutation.mutateAsync({ symbol: row.symbol, settings } as never);
        saved();
      }}
    >
      {(errors) => {
        const all = { ...errors, ...localError };
        return SYMBOL_FIELDS.map((f) => {
          const fieldErrors = [
            ...(all[`settings.${f.key}`] ?? []),
            ...(f.key === "sizing.amount"
              ? [...(all["settings.sizing.fraction"] ?? []), ...(all["settings.sizing.riskFraction"] ?? []), ...(all["settings.sizing"] ?? [])]
              : []),
            ...(f.key.startsWith("trailing.") ? (all["settings.trailing"] ?? []) : []),
            ...(f.key === "takeProfitLevels"
              ? Object.entries(all).flatMap(([k, v]) => (k.startsWith("settings.takeProfitLevels.") ? v.map((m) => `${k.slice(27)}: ${m}`) : []))
              : []),
          ];
          const spec =
            f.key === "takeProfitLevels"
              ? {
                  ...f,
                  kind: "decimal" as const,
                  hint: "pct:fraction pairs, e.g. 2:0.33, 4:0.5, 8:1 (fraction of the position closed at each level); empty = none",
                }
              : f;
          return (
            <Field
              key={f.key}
              spec={spec}
              prefix={prefix}
              value={values[f.key]}
              errors={fieldErrors}
              onChange={(v) => setValues((s) => ({ ...s, [f.key]: v }))}
            />
          );
        });
      }}
    </EditDialog>
  );
}

export function SymbolSettingsPanel({ symbols }: { symbols: SymbolSettingsRow[] }) {
  const isAdmin = useCan("admin");
  return (
    <Panel title="Per-symbol settings">
      <DataTable
        rows={symbols}
        rowKey={(r) => r.symbol}
        columns={[
          { key: "symbol", header: "Symbol", rowHeader: true, cell: (r) => r.symbol },
          { key: "trading", header: "Trading", cell: (r) => (r.settings.enabled ? <Badge tone="ok">✓ on</Badge> : <Badge tone="bad">✕ off</Badge>) },
          { key: "minConf", header: "Min conf.", numeric: true, cell: (r) => r.settings.minConfidence.toFixed(2) },
          { key: "sizing", header: "Sizing", cell: (r) => sizingText(r.settings.sizing) },
          { key: "maxQty", header: "Max qty", numeric: true, cell: (r) => show(r.settings.maxPositionQty) },
          { key: "maxNotional", header: "Max notional", numeric: true, cell: (r) => show(r.settings.maxPositionNotional) },
          { key: "stopLoss", header: "Stop-loss", numeric: true, cell: (r) => show(r.settings.stopLossPct, "%") },
          { key: "ladder", header: "Take-profit ladder", cellClassName: "mono", cell: (r) => ladderText(r.settings.takeProfitLevels) },
          {
            key: "trailing",
            header: "Trailing",
            cell: (r) => (r.settings.trailing ? `from +${r.settings.trailing.activationPct}%, ${r.settings.trailing.distancePct}% behind` : off),
          },
          { key: "maxAge", header: "Max age", numeric: true, cell: (r) => (r.settings.maxAgeMinutes === null ? off : `${r.settings.maxAgeMinutes} min`) },
          {
            key: "source",
            header: "Source",
            cellClassName: "risk-source",
            cell: (r) => (r.stored ? `${r.updatedBy ?? "?"}, ${fmtTime(r.updatedAt, false)}` : <span className="muted">defaults</span>),
          },
          ...(isAdmin
            ? [{ key: "actions", header: <span className="visually-hidden">Actions</span>, cell: (r: SymbolSettingsRow) => <EditSymbol row={r} /> }]
            : []),
        ]}
      />
    </Panel>
  );
}

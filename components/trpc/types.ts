/**
 * What the API returns and accepts, as the browser sees it: inferred from the app router, so a component never
 * imports a server module for a type and never keeps a hand copy of a row.
 */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

/** A traded symbol's rules, for decimals and order checks (the same shape wherever a view lists instruments). */
export type InstrumentOut = RouterOutputs["orders"]["open"]["instruments"][number];
/** A working or past order, with its in-doubt marker. */
export type OrderOut = RouterOutputs["orders"]["open"]["orders"][number];
/** An open position with its mark and exits. */
export type PositionOut = RouterOutputs["positions"]["list"]["positions"][number];
export type RiskSummaryOut = RouterOutputs["risk"]["summary"];
export type SettingsOut = RouterOutputs["settings"]["get"];

"use client";
/**
 * The desk's money currency for every page: the shell reads it once (overview.currency) and <Money>, <Pnl> and
 * useMoney() format amounts at its precision (BTC to 8 decimals, USDT to 2). Outside the shell, or before the first
 * answer, amounts fall back to 2 decimals.
 */
import { useQuery } from "@tanstack/react-query";
import { createContext, useContext, type ReactNode } from "react";
import { useTRPC } from "../trpc/client";
import { currencyDecimals, fmtMoney, fmtMoneySigned } from "./format";

/** Exported for tests and pages outside the shell; the shell fills it through DeskCurrencyProvider. */
export const DeskCurrencyContext = createContext<string | null>(null);

export function DeskCurrencyProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  // The books' currency changes only with a restart; no need to poll it.
  const currency = useQuery(trpc.overview.currency.queryOptions(undefined, { staleTime: Infinity, retry: false })).data?.currency ?? null;
  return <DeskCurrencyContext.Provider value={currency}>{children}</DeskCurrencyContext.Provider>;
}

/** The desk's currency (null until known). */
export function useDeskCurrency(): string | null {
  return useContext(DeskCurrencyContext);
}

/** Formatters bound to the desk's currency: `money.fmt(x)`, `money.signed(x)`, `money.dp`, `money.currency`. */
export function useMoney() {
  const currency = useDeskCurrency();
  return {
    currency,
    dp: currencyDecimals(currency),
    fmt: (value: string | number | null | undefined) => fmtMoney(value, currency),
    signed: (value: string | number | null | undefined) => fmtMoneySigned(value, currency),
  };
}

"use client";
/**
 * Venue, symbol and strategy filters kept in the URL's query string (`?venue=&symbol=&strategy=`), so that a filtered
 * view can be shared: a hook that reads and writes them (other parameters are kept), and the three labelled select
 * boxes whose options come from the data (each page's facets). A value in the URL that the data no longer has stays
 * selectable, so the page says "nothing matches" instead of silently showing everything.
 */
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useMemo } from "react";

export interface AttributionFilter {
  venue: string;
  symbol: string;
  strategy: string;
}

export const ATTRIBUTION_KEYS = ["venue", "symbol", "strategy"] as const;

/** The filter in the URL, its API input (empty values left out), and a setter that rewrites the URL in place. */
export function useAttributionFilter(keys: readonly (keyof AttributionFilter)[] = ATTRIBUTION_KEYS) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const value = useMemo<AttributionFilter>(
    () => ({ venue: params.get("venue") ?? "", symbol: params.get("symbol") ?? "", strategy: params.get("strategy") ?? "" }),
    [params],
  );
  const input = useMemo(() => {
    const out: Partial<AttributionFilter> = {};
    for (const k of keys) if (value[k]) out[k] = value[k];
    return out;
  }, [value, keys]);
  const set = (next: Partial<AttributionFilter>) => {
    const p = new URLSearchParams(params.toString());
    for (const [k, v] of Object.entries(next)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    const s = p.toString();
    router.replace(`${pathname}${s ? `?${s}` : ""}`, { scroll: false });
  };
  const active = keys.some((k) => value[k] !== "");
  return { value, input, set, active };
}

export interface AttributionFacets {
  venues?: readonly string[];
  symbols?: readonly string[];
  strategies?: readonly string[];
}

const LABELS: Record<keyof AttributionFilter, { label: string; all: string; facet: keyof AttributionFacets }> = {
  venue: { label: "Venue", all: "All venues", facet: "venues" },
  symbol: { label: "Symbol", all: "All symbols", facet: "symbols" },
  strategy: { label: "Strategy", all: "All strategies", facet: "strategies" },
};

/** The select boxes (a `<label>` each, so each has an accessible name), and Clear when one is set. */
export function AttributionSelects({
  value,
  facets,
  onChange,
  keys = ATTRIBUTION_KEYS,
  idPrefix,
  clearButton = true,
}: {
  value: AttributionFilter;
  facets: AttributionFacets;
  onChange: (next: Partial<AttributionFilter>) => void;
  keys?: readonly (keyof AttributionFilter)[];
  /** Distinguishes the boxes when a page shows two sets. */
  idPrefix?: string;
  /** False when the surrounding form has its own Clear. */
  clearButton?: boolean;
}) {
  return (
    <>
      {keys.map((k) => {
        const { label, all, facet } = LABELS[k];
        const options = [...new Set([...(facets[facet] ?? []), ...(value[k] ? [value[k]] : [])])].sort();
        return (
          <label className="field" key={k}>
            <span>{label}</span>
            <select value={value[k]} onChange={(e) => onChange({ [k]: e.target.value })} data-filter={idPrefix ? `${idPrefix}-${k}` : k}>
              <option value="">{all}</option>
              {options.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </label>
        );
      })}
      {clearButton && keys.some((k) => value[k]) ? (
        <button type="button" className="btn" onClick={() => onChange(Object.fromEntries(keys.map((k) => [k, ""])))}>
          Clear filters
        </button>
      ) : null}
    </>
  );
}

/** A filter form around the selects (wraps on a narrow screen: `.filters` is a wrapping flex row). */
export function AttributionFilterBar(props: Parameters<typeof AttributionSelects>[0] & { label: string }) {
  const { label, ...rest } = props;
  return (
    <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label={label}>
      <AttributionSelects {...rest} />
    </form>
  );
}

"use client";
/**
 * A filter's select over the values a list has (its facets), with an "All …" choice first. The value in force stays a
 * choice even when the list no longer has it, so a shared link never shows a select that lies about its filter.
 * The label wraps the select: its text is the select's accessible name.
 */
export function FacetSelect({
  label,
  allLabel,
  value,
  values,
  optionLabel = (v) => v,
  onChange,
}: {
  label: string;
  allLabel: string;
  value: string;
  values: readonly string[];
  optionLabel?: (value: string) => string;
  onChange: (value: string) => void;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{allLabel}</option>
        {[...new Set([...values, ...(value ? [value] : [])])].map((v) => (
          <option key={v} value={v}>
            {optionLabel(v)}
          </option>
        ))}
      </select>
    </label>
  );
}

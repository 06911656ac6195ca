"use client";
/**
 * DataTable: the desk's list table — a real `<table>` with a `<thead>` of `<th scope="col">` headers and one `<tr>` per
 * row, inside the scrolling `table-wrap`. Pages describe columns (header, cell, alignment) instead of repeating the
 * markup; the classes (`data`, `num`, the page's own) stay what the styles and the Playwright specs select on.
 * Key–value tables (`<th scope="row">`) are not lists and keep their own markup.
 */
import type { HTMLAttributes, ReactNode, TdHTMLAttributes, ThHTMLAttributes } from "react";

export interface Column<T> {
  /** Unique among the table's columns (React's key). */
  key: string;
  header: ReactNode;
  /** A number: right-aligned (`num` on the header and the cells). */
  numeric?: boolean;
  /** Extra attributes of the header cell (e.g. `aria-sort` on a sortable column). */
  headerProps?: Omit<ThHTMLAttributes<HTMLTableCellElement>, "scope" | "children">;
  /** The row's name: its cells are `<th scope="row">` instead of `<td>`. */
  rowHeader?: boolean;
  /** A class for the cells, fixed or per row (added after `num`). */
  cellClassName?: string | ((row: T) => string | undefined);
  /** Other attributes of a cell (e.g. a `title`), from the row. */
  cellProps?: (row: T) => Omit<TdHTMLAttributes<HTMLTableCellElement>, "className" | "children">;
  cell: (row: T) => ReactNode;
}

export interface DataTableProps<T> {
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  /** Classes after `data` (the page's own, e.g. `history-table`). */
  className?: string;
  /** Classes after `table-wrap`. */
  wrapClassName?: string;
  /** The table's accessible name when no caption gives one. */
  label?: string;
  caption?: ReactNode;
  /** Attributes of a row (class, aria-*, data-*), from the row. */
  rowProps?: (row: T) => Omit<HTMLAttributes<HTMLTableRowElement>, "children">;
  /** Rows of a `<tfoot>` after the data (e.g. a totals row). */
  foot?: ReactNode;
}

function classes(...names: (string | false | null | undefined)[]): string | undefined {
  const out = names.filter(Boolean).join(" ");
  return out === "" ? undefined : out;
}

export function DataTable<T>({ columns, rows, rowKey, className, wrapClassName, label, caption, rowProps, foot }: DataTableProps<T>) {
  return (
    <div className={classes("table-wrap", wrapClassName)}>
      <table className={classes("data", className)} {...(label ? { "aria-label": label } : {})}>
        {caption ? <caption>{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" {...c.headerProps} className={classes(c.numeric && "num", c.headerProps?.className)}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} {...rowProps?.(row)}>
              {columns.map((c) => {
                const className = classes(c.numeric && "num", typeof c.cellClassName === "function" ? c.cellClassName(row) : c.cellClassName);
                return c.rowHeader ? (
                  <th key={c.key} scope="row" {...c.cellProps?.(row)} className={className}>
                    {c.cell(row)}
                  </th>
                ) : (
                  <td key={c.key} {...c.cellProps?.(row)} className={className}>
                    {c.cell(row)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
        {foot ? <tfoot>{foot}</tfoot> : null}
      </table>
    </div>
  );
}

/**
 * Client-side pages for lists the server sends whole (open positions, working orders): a desk with 500 positions
 * renders 50 rows at a time instead of 500 rows of buttons. The page index is clamped, so a filter that shrinks the
 * list never leaves the table on an empty page.
 */
export const DEFAULT_PAGE_SIZE = 50;

export interface PageSlice<T> {
  rows: T[];
  /** 0-based page shown (after clamping). */
  page: number;
  pages: number;
  /** 1-based positions of the first and last row shown (0 and 0 for an empty list). */
  from: number;
  to: number;
  total: number;
}

/** The rows of `page` (clamped to the last page), `size` a page. */
export function pageOf<T>(rows: readonly T[], page: number, size = DEFAULT_PAGE_SIZE): PageSlice<T> {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const p = Math.min(Math.max(0, Math.floor(page)), pages - 1);
  const start = p * size;
  const slice = rows.slice(start, start + size);
  return { rows: slice, page: p, pages, from: slice.length === 0 ? 0 : start + 1, to: start + slice.length, total: rows.length };
}

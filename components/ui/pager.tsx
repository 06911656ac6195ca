"use client";
/**
 * Previous/next for a client-side page (./paging.ts): "Rows 51–100 of 500", with accessible names; and "Load more"
 * under a server-paged (infinite) list.
 */
import { useState, type ReactNode } from "react";
import { DEFAULT_PAGE_SIZE, pageOf, type PageSlice } from "./paging";

/**
 * The rows of the current page and the page setter; `size` rows a page. A new `resetKey` (the filter, say) goes back
 * to the first page; a list that merely grows or shrinks under a poll keeps its page.
 */
export function usePaged<T>(rows: readonly T[], size = DEFAULT_PAGE_SIZE, resetKey = ""): PageSlice<T> & { setPage: (page: number) => void } {
  const [state, setState] = useState({ page: 0, key: resetKey });
  const page = state.key === resetKey ? state.page : 0;
  return { ...pageOf(rows, page, size), setPage: (next: number) => setState({ page: next, key: resetKey }) };
}

export function Pager({ slice, label, onPage }: { slice: PageSlice<unknown>; label: string; onPage: (page: number) => void }) {
  if (slice.pages <= 1) return null;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <span className="muted" aria-live="polite">
        Rows {slice.from.toLocaleString("en-US")}–{slice.to.toLocaleString("en-US")} of {slice.total.toLocaleString("en-US")}
      </span>
      <button type="button" className="btn" onClick={() => onPage(slice.page - 1)} disabled={slice.page === 0} aria-label={`Previous page of ${label}`}>
        ← Prev
      </button>
      <span className="num-text">
        {slice.page + 1} / {slice.pages}
      </span>
      <button
        type="button"
        className="btn"
        onClick={() => onPage(slice.page + 1)}
        disabled={slice.page >= slice.pages - 1}
        aria-label={`Next page of ${label}`}
      >
        Next →
      </button>
    </nav>
  );
}

/** An infinite query's paging, as TanStack Query's useInfiniteQuery returns it. */
export interface MorePages {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => Promise<unknown>;
}

/** What a server-paged list shows (`shown`: "120 entries shown · end of the log") and a button for the next page while there is one. */
export function LoadMore({ shown, list }: { shown: ReactNode; list: MorePages }) {
  return (
    <div className="pager">
      <span className="muted">{shown}</span>
      {list.hasNextPage ? (
        <button type="button" className="btn" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      ) : null}
    </div>
  );
}

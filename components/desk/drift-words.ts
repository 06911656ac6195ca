/**
 * A recorded drift's detail in one sentence a person reads, for the kinds whose key=value detail alone does not say
 * what happened to the money (fills on ended orders, ended orders still working, balances, futures positions, orders in doubt).
 * Unknown kinds or details of another shape give null: the page then shows the detail as it is.
 */

type Detail = Record<string, unknown>;

const text = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : null);

/** "+250" / "−250" (a real minus sign), from a decimal string. */
function signed(v: string): string {
  return v.startsWith("-") ? `−${v.slice(1)}` : `+${v}`;
}

const SENTENCES: Record<string, (d: Detail, subject: string) => string | null> = {
  LATE_FILL: (d) => {
    const [qty, price, status] = [text(d.qty), text(d.price), text(d.status)];
    if (!qty || !price || !status) return null;
    const position = text(d.positionId);
    return `The venue filled ${qty} at ${price} after the books had the order ${status}; booked${position ? ` to position ${position}` : ""}.`;
  },
  ENDED_ORDER_OPEN_AT_VENUE: (d) => {
    const [ours, venue, side, qty, symbol] = [text(d.ours), text(d.venue), text(d.side), text(d.qty), text(d.symbol)];
    if (!ours || !venue || !side || !qty || !symbol) return null;
    const filled = text(d.filled);
    const there = `(${venue}${filled && filled !== "0" ? `, ${filled} filled` : ""})`;
    if (ours === "FILLED")
      return `The books have ${side} ${qty} ${symbol} as FILLED, but the venue still lists it open ${there}: left as it is in the books; check it at the venue.`;
    return `The books had ${side} ${qty} ${symbol} as ${ours}, but the venue still works it ${there}: tracked again.`;
  },
  QUOTE_BALANCE_MISMATCH: (d, currency) => {
    const [expected, actual, difference] = [text(d.expected), text(d.actual), text(d.difference)];
    if (!expected || !actual || !difference) return null;
    const tolerance = text(d.tolerance);
    return `The venue holds ${actual} ${currency}; the books expected ${expected} (${signed(difference)}${tolerance ? `, more than the ${tolerance} allowed for fees and dust` : ""}).`;
  },
  POSITION_MISMATCH: (d, symbol) => {
    const [books, venue] = [text(d.books), text(d.venue)];
    if (!books || !venue) return null;
    return `${symbol}: the venue's position is ${venue}, the books' ${books}. Nothing was traded to fix it.`;
  },
  ORDER_IN_DOUBT: (d, coid) => {
    // The venue's reason is long and shown under the sentence (the raw detail): not repeated here.
    const symbol = text(d.symbol);
    if (!symbol) return null;
    const fence =
      typeof d.fenceMs === "number" && d.fenceMs > 0 ? ` Not found after ${d.fenceMs / 1000} s (the venue's receive window) it counts as never placed.` : "";
    return `${symbol} order ${coid}: the venue did not say whether it was placed. It is not re-sent; it is looked up by its id.${fence}`;
  },
  IN_DOUBT_RESOLVED: (d, coid) => {
    const resolves = (d.resolves ?? {}) as Detail;
    return text(resolves.kind) === "ORDER_IN_DOUBT" ? `Order ${coid} is no longer in doubt (see the resolution).` : null;
  },
  OVERFILL: (d) => {
    const [status, quantity, filled] = [text(d.status), text(d.quantity), text(d.filled)];
    const event = (d.event ?? {}) as Detail;
    const [qty, price, tradeId] = [text(event.qty), text(event.price), text(event.tradeId)];
    if (!status || !quantity || !filled || !qty || !price) return null;
    return `A fill of ${qty} at ${price}${tradeId ? ` (trade ${tradeId})` : ""} came for an order of ${quantity} already ${filled} filled (${status}): not booked — it may be a fill already booked, reported again.`;
  },
};

export function driftSentence(kind: string, subject: string, detail: unknown): string | null {
  const make = SENTENCES[kind];
  if (!make || detail === null || typeof detail !== "object" || Array.isArray(detail)) return null;
  return make(detail as Detail, subject);
}

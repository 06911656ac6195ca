/**
 * The order form's venue menu: on a desk with several venues a person may name one, or leave it to the desk's routing
 * (the best quoted price net of the taker fee). A desk with one venue shows no menu: there is nothing to choose.
 */

/** The menu's value for "let the desk route it". */
export const ROUTED = "";

/** The menu's options: "best (routed)" first, then every venue; none with fewer than two venues. */
export function venueChoices(venues: readonly string[]): { value: string; label: string }[] {
  const unique = [...new Set(venues)];
  if (unique.length < 2) return [];
  return [{ value: ROUTED, label: "best (routed)" }, ...unique.map((venue) => ({ value: venue, label: venue }))];
}

/** What the order input carries for the chosen option: the venue when one of the desk's is named, nothing when routed. */
export function venueField(chosen: string, venues: readonly string[]): { venue?: string } {
  return chosen !== ROUTED && venues.includes(chosen) ? { venue: chosen } : {};
}

/** The last price the form shows: the named venue's own (its market may differ), else the desk-level mark. */
export function lastPriceAt(
  symbol: string,
  chosen: string,
  marks: Readonly<Record<string, number>>,
  venueMarks: Readonly<Record<string, Readonly<Record<string, number>>>>,
): number | undefined {
  return (chosen !== ROUTED ? venueMarks[chosen]?.[symbol] : undefined) ?? marks[symbol];
}

/** How the confirmation reads it: " at sim-b", " (routed to the best venue)", or nothing on a one-venue desk. */
export function venueWords(chosen: string, venues: readonly string[]): string {
  if (venueChoices(venues).length === 0) return "";
  const field = venueField(chosen, venues);
  return field.venue !== undefined ? ` at ${field.venue}` : " (routed to the best venue)";
}

/** Which notifications a channel wants: its kinds (the default set when none are named), a minimum severity, symbols. */
import { DEFAULT_KINDS, type Notification, type NotificationKind, type Severity, severityRank } from "./types";

export interface ChannelFilter {
  /** null: DEFAULT_KINDS (emergency stop, breaker, protection, test messages). */
  kinds: readonly NotificationKind[] | null;
  minSeverity: Severity;
  /** null: every symbol. A notification about no symbol (an emergency stop) always passes this part. */
  symbols: readonly string[] | null;
}

export const OPEN_FILTER: ChannelFilter = { kinds: null, minSeverity: "info", symbols: null };

export function matchesFilter(filter: ChannelFilter, notification: Notification): boolean {
  // The "send test message" button must reach the channel whatever its filter says.
  if (notification.kind === "test") return true;
  if (!(filter.kinds ?? DEFAULT_KINDS).includes(notification.kind)) return false;
  if (severityRank(notification.severity) < severityRank(filter.minSeverity)) return false;
  if (filter.symbols !== null && notification.symbol != null && !filter.symbols.includes(notification.symbol)) return false;
  return true;
}

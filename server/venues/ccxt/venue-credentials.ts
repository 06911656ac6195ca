/**
 * The names of a desk-file venue's credential variables (BASTION_VENUE_<ID>_API_KEY …), shared by config.ts (which fills
 * them from the secrets file's `venues:` map and hands them over) and live-config.ts (which checks them per venue).
 */

export type VenueCredential = "API_KEY" | "API_SECRET" | "API_PASSWORD";

/** BASTION_VENUE_BINANCE_MAIN_API_KEY for binance-main: the id upper-cased, anything but A–Z and 0–9 as _. */
export function venueVariable(venueId: string, what: VenueCredential): string {
  return `BASTION_VENUE_${venueId.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_${what}`;
}

/** Every per-venue credential variable matches this. */
export const VENUE_VARIABLE = /^BASTION_VENUE_[A-Z0-9_]+_API_(KEY|SECRET|PASSWORD)$/;

/** The secrets file's keys under `venues.<id>` and the credential each stands for. */
export const VENUE_SECRET_KEYS: Record<string, VenueCredential> = { api_key: "API_KEY", api_secret: "API_SECRET", api_password: "API_PASSWORD" };

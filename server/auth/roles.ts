/** Roles, lowest to highest. No imports: the UI uses this too to hide what a role cannot do. */
export const ROLES = ["viewer", "trader", "admin"] as const;
export type Role = (typeof ROLES)[number];

/**
 * - viewer: sees everything, changes nothing.
 * - trader: also closes and partially closes positions, cancels, places manual orders, pauses/resumes, emergency stop.
 * - admin: also resets the breaker, edits limits and per-symbol settings, manages users.
 */
export const ROLE_DESCRIPTIONS: Readonly<Record<Role, string>> = {
  viewer: "sees everything, changes nothing",
  trader: "closes positions, cancels orders, places manual orders, pauses and resumes, pulls the emergency stop",
  admin: "everything a trader does, and resets the breaker, edits limits and settings, manages users",
};

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

/** True when `actual` is `required` or higher. An unknown role (a corrupted row) has no rights. */
export function hasRole(actual: string, required: Role): boolean {
  return isRole(actual) && roleRank(actual) >= roleRank(required);
}

/** "a viewer", "an admin". */
export function withArticle(role: string): string {
  return `${/^[aeiou]/i.test(role) ? "an" : "a"} ${role}`;
}

/**
 * DESIGN.md's folder table as lint rules: one entry per row, each naming the folders that row may not import.
 * "May import" is read transitively (a folder may use what the folders it may import may use), so each row forbids
 * exactly the folders above it in the table and its siblings; a rule that fails is the documentation.
 *
 * Specifiers are matched in both spellings the code uses: `@/server/<folder>/…` and relative `../<folder>/…` (folder
 * names are unique across server/, so a relative hop that lands on `<folder>/` can only mean that folder).
 */

const server = (folders) => `^(@/server/|(\\.\\./)+)(${folders.join("|")})(/|$)`;
const topLevel = (folders) => `^(@/|(\\.\\./)+)(${folders.join("|")})(/|$)`;
const ui = topLevel(["app", "components"]);

/** The engine's files that wire server/notify into the process (runtime, its notifications start, the desk file's section). */
const NOTIFY_WIRING = ["server/engine/runtime.ts", "server/engine/notifications.ts", "server/engine/desk-file.ts"];

/** [row, files, forbidden server folders, why, files of the row left to another row] — in the order of DESIGN.md's table. */
const rows = [
  [
    "server/core",
    ["server/core/**/*.ts"],
    ["api", "auth", "db", "engine", "health", "notify", "services", "venues", "config"],
    "server/core imports nothing above it: it is the pure domain every other folder builds on.",
  ],
  [
    "server/engine",
    ["server/engine/**/*.ts"],
    ["api", "auth", "health", "notify", "services"],
    "server/engine may import core, venues (the port) and db (the store port) only.",
    NOTIFY_WIRING,
  ],
  [
    // The runtime hands server/notify what it needs (DESIGN.md: "the runtime hands it what it needs"): only the process
    // wiring and the desk file (whose notifications section notify's schema checks) import it, never the engine's rooms.
    "server/engine (notification wiring)",
    NOTIFY_WIRING,
    ["api", "auth", "health", "services"],
    "server/engine's runtime wiring may import core, venues, db and notify only.",
  ],
  [
    "server/venues",
    ["server/venues/**/*.ts"],
    ["api", "auth", "db", "engine", "health", "notify", "services", "config"],
    "server/venues (the Venue port and its adapters) may import core only.",
  ],
  [
    "server/db",
    ["server/db/**/*.ts"],
    ["api", "auth", "engine", "health", "notify", "services", "venues"],
    "server/db (the store and the read side) may import core only.",
  ],
  ["server/services", ["server/services/**/*.ts"], ["api", "auth", "health", "notify"], "server/services may import engine, db and core only."],
  [
    "server/health",
    ["server/health/**/*.ts"],
    ["api", "auth", "notify", "services"],
    "server/health reads the engine and the database like a service; it serves the API, never the reverse.",
  ],
  ["server/auth", ["server/auth/**/*.ts"], ["api", "engine", "health", "notify", "services", "venues"], "server/auth may import db and core only."],
  [
    "server/notify",
    ["server/notify/**/*.ts"],
    ["api", "auth", "db", "engine", "health", "services", "venues", "config"],
    "server/notify may import core only: the runtime hands it what it needs.",
  ],
  ["server/api", ["server/api/**/*.ts"], [], "server/api sits under the app: it never imports pages or components."],
];

/** @param {Record<string, {regex: string, message: string}[]>} extra more patterns for a row (e.g. core's I/O ban) */
export const layerRules = (extra = {}) => [
  ...rows.map(([row, files, forbidden, why, elsewhere = []]) => ({
    name: `layers/${row}`,
    files,
    ignores: ["**/*.test.ts", ...elsewhere],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...(extra[row] ?? []),
            ...(forbidden.length > 0 ? [{ regex: server(forbidden), message: `${why} (DESIGN.md, folder table)` }] : []),
            { regex: ui, message: `${row} never imports app/ or components/ (DESIGN.md, folder table).` },
            { regex: "(^|/)test/", message: "Test support lives in test/ and production code never imports it (DESIGN.md)." },
          ],
        },
      ],
    },
  })),
  {
    name: "layers/components",
    files: ["components/**/*.ts", "components/**/*.tsx"],
    ignores: ["**/*.test.ts", "**/*.test.tsx"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(@/server/(?!api/root$)|(\\.\\./)+server/(?!api/root$))",
              message: "Components take their types from the tRPC RouterOutputs (server/api/root) only (DESIGN.md, folder table).",
            },
            { regex: topLevel(["app"]), message: "Components never import pages (DESIGN.md, folder table)." },
            { regex: "(^|/)test/", message: "Test support lives in test/ and production code never imports it (DESIGN.md)." },
          ],
        },
      ],
    },
  },
];

import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import { layerRules } from "./eslint/layers.js";

// server/core is pure domain logic: no framework, database, exchange, file or network imports.
const forbiddenInCore = "^(next|react|react-dom|@trpc|@prisma|ccxt|better-sqlite3|(node:)?(fs|net|http|https|child_process))(/.*)?$";

// test/ holds fakes, exchange test servers and crash children: production folders never import them.
const testSupport = "(^|/)test/";

export default tseslint.config(
  { ignores: ["node_modules/", ".next/", ".next-*/", "server/db/generated/", "next-env.d.ts", "playwright-report/", "test-results/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "react-hooks": reactHooks },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
    },
  },
  {
    files: ["server/core/**/*.ts"],
    // Tests may read fixture files; the code under test may not.
    ignores: ["server/core/**/*.test.ts"],
    rules: {
      "no-restricted-globals": [
        "error",
        { name: "fetch", message: "server/core does no network I/O." },
        { name: "setTimeout", message: "server/core takes time from an injected Clock." },
        { name: "setInterval", message: "server/core takes time from an injected Clock." },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "Inject a Clock instead of reading the wall clock." },
        { object: "Math", property: "random", message: "Inject a seeded Rng instead." },
      ],
    },
  },
  {
    files: ["server/**/*.ts", "app/**/*.ts", "app/**/*.tsx", "components/**/*.ts", "components/**/*.tsx"],
    ignores: ["server/core/**", "**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ regex: testSupport, message: "Test support lives in test/ and production code never imports it (DESIGN.md)." }] },
      ],
    },
  },
  // DESIGN.md's folder table, one rule per row (eslint/layers.js); core's row also bans I/O imports.
  ...layerRules({
    "server/core": [{ regex: forbiddenInCore, message: "server/core is pure: no I/O, framework or database imports (see DESIGN.md)." }],
    // It does network I/O (webhook, Telegram, SMTP), but takes the engine's bus by shape and no framework.
    "server/notify": [
      {
        regex: "^(next|react|react-dom|@trpc|@prisma|ccxt|better-sqlite3)(/.*)?$",
        message: "server/notify imports only server/core (DESIGN.md folder table).",
      },
    ],
  }),
  {
    // Bastion's variables are read in one place, server/config.ts, which checks them: nowhere else reads the raw strings.
    files: ["server/**/*.ts", "app/**/*.ts", "app/**/*.tsx", "components/**/*.ts", "components/**/*.tsx", "instrumentation.ts", "proxy.ts"],
    // client.tsx is a client module: only its server-side render reads PORT, to call its own server.
    ignores: ["server/config.ts", "**/*.test.ts", "components/trpc/client.tsx"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "MemberExpression[object.type='MemberExpression'][object.object.name='process'][object.property.name='env'][property.name=/^(BASTION_|HOST$|PORT$|DATABASE_URL$)/]",
          message: "Read configuration through appConfig() (server/config.ts): it is checked there, once.",
        },
        {
          selector: "MemberExpression[object.type='MemberExpression'][object.object.name='process'][object.property.name='env'][computed=true]",
          message: "Read configuration through appConfig() (server/config.ts): it is checked there, once.",
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    files: ["**/*.test.ts"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off", "@typescript-eslint/unbound-method": "off" },
  },
);

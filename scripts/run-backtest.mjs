/**
 * `npm run backtest`'s launcher: runs scripts/backtest.ts from a prebuilt bundle (scripts/bundle-cache.mjs, in
 * `node_modules/.cache/bastion-backtest/`, rebuilt whenever a source it was built from changes, with V8's code cache
 * beside it), so a cold run does not spend ~0.3 s starting tsx and transpiling ~60 TypeScript files, nor compiling
 * the engine's functions again, before its first candle.
 *
 * `--save` (Prisma, whose generated client locates itself from its own file) and any failure to build run the
 * TypeScript through tsx as before: the same program, only slower to start. The process runs with `-C react-server`
 * (package.json) because the configuration that `--save` reads is server-only.
 * `BASTION_BACKTEST_NO_BUNDLE=1` always runs through tsx (to compare, or to rule the bundle out).
 *
 * package.json starts it with `--min-semi-space-size=16` (MB): V8's young generation starts at 1 MB and doubles only
 * after collections, so a cold run spent ~10 young collections growing it while it loads the bundle, the candles and the
 * engine's first orders; starting at 16 MB cuts the run's CPU by ~4 % (14 of 15 alternating pairs on the 1-minute file).
 * It is a heap setting (read when the process starts), so it cannot be set from here.
 *
 * And with `--max-inlined-bytecode-size-cumulative=200` (V8's default is 920): a cold run's engine code is optimized by
 * TurboFan on the second core while the first runs it unoptimized, and smaller inlining budgets make each of those
 * compiles shorter, so the optimized code arrives sooner. On the 30,240-candle file a cold run's in-process time drops
 * ~8 % and its CPU ~11 % (medians of 15 alternating pairs); on the 302,400-candle file ~1 % and ~6 %. 100 did no better;
 * a smaller per-function limit (`--max-inlined-bytecode-size`) did worse.
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { bundledEntry, runBundle } from "./bundle-cache.mjs";

const ROOT = resolve(import.meta.dirname, "..");
const ENTRY = join(ROOT, "scripts", "backtest.ts");

/**
 * better-sqlite3 loaded on first use: the simulator's durable state file (sim-state.ts) imports it, a backtest never
 * opens one, and loading its JavaScript costs a cold run ~6 ms. Only the default export (the Database class) is
 * imported anywhere the bundle reaches; `new` on this function returns the real Database.
 */
const lazySqlite = {
  name: "lazy-better-sqlite3",
  setup(build) {
    build.onResolve({ filter: /^better-sqlite3$/ }, (args) =>
      args.namespace === "lazy-sqlite" ? { path: args.path, external: true } : { path: "better-sqlite3", namespace: "lazy-sqlite" },
    );
    build.onLoad({ filter: /.*/, namespace: "lazy-sqlite" }, () => ({
      contents: "export default function Database(...args) { return new (require('better-sqlite3'))(...args); }",
      loader: "js",
    }));
  },
};

const viaTsx = process.env.BASTION_BACKTEST_NO_BUNDLE === "1" || process.argv.slice(2).includes("--save");
let bundle = null;
if (!viaTsx) {
  try {
    bundle = await bundledEntry({
      root: ROOT,
      entry: ENTRY,
      cacheDir: join(ROOT, "node_modules", ".cache", "bastion-backtest"),
      // Native addons and Prisma stay packages; zod and decimal.js are bundled (one file loads faster than many).
      external: ["better-sqlite3", "@prisma/*", "prisma"],
      conditions: ["react-server"], // as the process runs
      // `--save`'s import stays out of the bundle (Prisma's generated client locates itself from its own file):
      // --save runs through tsx, so the bundle never reaches it.
      plugins: [
        { name: "save-through-tsx", setup: (build) => build.onResolve({ filter: /\/db\/backtests$/ }, (args) => ({ path: args.path, external: true })) },
        lazySqlite,
      ],
    });
  } catch (error) {
    process.stderr.write(`backtest: running without the prebuilt bundle (${error instanceof Error ? error.message.split("\n")[0] : String(error)})\n`);
  }
}
if (bundle) {
  runBundle(bundle);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(ENTRY).href);
}

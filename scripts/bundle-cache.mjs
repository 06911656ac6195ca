/**
 * A TypeScript entry point as one prebuilt bundle, cached outside git and keyed by the content of every file it
 * was built from (esbuild's own list of inputs, packages included). Used by scripts/run-backtest.mjs so that a cold
 * `npm run backtest` does not start tsx and transpile ~60 files before its first candle.
 *
 * A cached bundle is used only while every input still has the content it was built from: each input's size and
 * modification time are compared (a stat each), and an input whose size or time moved is hashed again. Any change
 * of content means a new build (esbuild, which tsx already brings; nothing is downloaded). Builds are written to a
 * temp dir and renamed into place, and the manifest is replaced atomically, so two runs at once never see half a bundle.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { basename, dirname, extname, join, relative } from "node:path";
import vm from "node:vm";

/** Bumped when the build options below change, so a bundle built differently is not reused. */
const BUILD_VERSION = 3;

/**
 * node:crypto on first use: a cached bundle whose inputs kept their size and time is run without hashing anything, and
 * loading the module cost a cold run ~3 ms before its first candle.
 */
const createHash = (/** @type {string} */ algorithm) => createRequire(import.meta.url)("node:crypto").createHash(algorithm);

const hashFile = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");

/**
 * @typedef {{ root: string, entry: string, cacheDir: string, external?: string[], conditions?: string[], plugins?: import("esbuild").Plugin[] }} BundleOptions
 * `entry` is an absolute path under `root`; `external` packages stay imports (native addons, Prisma).
 */

/** @param {BundleOptions} options @returns {string} */
const manifestPath = (options) => join(options.cacheDir, "manifest.json");
/** @param {BundleOptions} options @returns {string} */
const entryFileName = (options) => `${basename(options.entry, extname(options.entry))}.cjs`;
/** @param {BundleOptions} options */
const optionsKey = (options) =>
  JSON.stringify([
    BUILD_VERSION,
    relative(options.root, options.entry),
    options.external ?? [],
    options.conditions ?? [],
    (options.plugins ?? []).map((plugin) => plugin.name), // a plugin added or removed builds differently
  ]);

/** The cached bundle's entry file when every input still has the content it was built from; else null. */
export function cachedBundle(/** @type {BundleOptions} */ options) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath(options), "utf8"));
  } catch {
    return null;
  }
  if (manifest?.options !== optionsKey(options) || !Array.isArray(manifest.inputs) || typeof manifest.dir !== "string") return null;
  for (const [file, hash, size, mtimeMs] of manifest.inputs) {
    try {
      const path = join(options.root, file);
      // Unchanged size and modification time: the content is the one hashed at build time (git's index assumes the
      // same); only a file that was touched is read and hashed again.
      const stat = statSync(path);
      if (stat.size === size && stat.mtimeMs === mtimeMs) continue;
      if (hashFile(path) !== hash) return null;
    } catch {
      return null; // an input was removed or renamed
    }
  }
  const entry = join(options.cacheDir, manifest.dir, entryFileName(options));
  return existsSync(entry) ? entry : null;
}

/** Builds the bundle into the cache; returns its entry file. */
export async function buildBundle(/** @type {BundleOptions} */ options) {
  const { build } = await import("esbuild");
  // Precise (file times are finer than Date.now()'s milliseconds).
  const started = performance.timeOrigin + performance.now();
  mkdirSync(options.cacheDir, { recursive: true });
  const tmp = join(options.cacheDir, `tmp-${process.pid}-${Math.round(started)}`);
  const result = await build({
    entryPoints: [options.entry],
    absWorkingDir: options.root,
    bundle: true,
    platform: "node",
    // CommonJS, so that runBundle can compile it as a vm.Script with V8's code cache (Node 20 has no code cache for
    // ES modules). The sources are still ES modules: esbuild hoists them into one scope, as for an ESM bundle.
    format: "cjs",
    outExtension: { ".js": ".cjs" },
    mainFields: ["module", "main"], // packages' ES module builds, which esbuild can trim
    target: "node20",
    conditions: options.conditions ?? [],
    outdir: tmp,
    external: options.external ?? [],
    plugins: options.plugins ?? [],
    metafile: true,
    logLevel: "error",
  });
  const inputs = Object.keys(result.metafile.inputs)
    .filter((file) => !file.includes(":")) // esbuild's virtual modules, if any
    .sort()
    .map((file) => {
      const path = join(options.root, file);
      const { size, mtimeMs } = statSync(path);
      return [file, hashFile(path), size, mtimeMs];
    });
  const key = createHash("sha256")
    .update(JSON.stringify([optionsKey(options), inputs.map(([file, hash]) => [file, hash])]))
    .digest("hex")
    .slice(0, 16);
  const dir = join(options.cacheDir, key);
  if (existsSync(dir)) rmSync(tmp, { recursive: true, force: true });
  else renameSync(tmp, dir);
  // A file edited while the build ran may or may not be in the bundle: use the bundle this once, but do not cache it.
  const editedDuringBuild = inputs.some(([, , , mtimeMs]) => mtimeMs >= started);
  if (!editedDuringBuild) {
    const tmpManifest = `${manifestPath(options)}.${process.pid}`;
    writeFileSync(tmpManifest, JSON.stringify({ options: optionsKey(options), dir: key, inputs }));
    renameSync(tmpManifest, manifestPath(options));
    // Older builds are never used again: one bundle stays, not one per edit. (A run still going from an old one has
    // read its bundle already; at worst its code cache is not written.)
    for (const entry of readdirSync(options.cacheDir)) {
      if (entry !== key && /^[0-9a-f]{16}$/.test(entry)) rmSync(join(options.cacheDir, entry), { recursive: true, force: true });
    }
  }
  return join(dir, entryFileName(options));
}

/**
 * Runs a bundle built here. Its compiled code comes from V8's code cache beside it (`<bundle>.v8-cache`) when there
 * is one that V8 accepts; otherwise the cache is written as the process exits, holding every function the run
 * compiled, so the next cold run skips parsing and compiling them.
 * A cache holds only what its run compiled: one written by `--help` or a usage error lacks the engine, and every
 * later backtest would compile it again (~20 ms of CPU on the 1-minute file). So the CPU time of the run that wrote
 * the cache is kept beside it (`<bundle>.v8-cache.cpu`), and a run that used half as much again rewrites the cache
 * once (a longer run has compiled at least what a shorter one did, in practice more).
 */
export function runBundle(/** @type {string} */ file) {
  const cacheFile = `${file}.v8-cache`;
  const cpuFile = `${cacheFile}.cpu`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined; // no cache yet: this run writes it
  }
  const script = new vm.Script(Module.wrap(readFileSync(file, "utf8")), { filename: file, cachedData });
  const fresh = cachedData === undefined || script.cachedDataRejected;
  let writtenByCpuMs = 0;
  if (!fresh) {
    try {
      writtenByCpuMs = Number(readFileSync(cpuFile, "utf8")) || 0;
    } catch {
      writtenByCpuMs = 0; // a cache from before the CPU note: rewritten once by the next run long enough
    }
  }
  process.once("exit", () => {
    const cpu = process.cpuUsage();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (!fresh && cpuMs < 1.5 * writtenByCpuMs) return;
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
      writeFileSync(cpuFile, String(Math.round(cpuMs)));
    } catch {
      // Only an optimization: without the cache file the next run compiles as this one did.
    }
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/** The bundle's entry file: the cached one, or a fresh build. */
export async function bundledEntry(/** @type {BundleOptions} */ options) {
  return cachedBundle(options) ?? (await buildBundle(options));
}

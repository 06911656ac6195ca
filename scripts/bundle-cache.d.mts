/** Types of scripts/bundle-cache.mjs (plain JS so that the launcher runs without tsx). */
import type { Plugin } from "esbuild";

export interface BundleOptions {
  /** The project root: input paths in the manifest are relative to it. */
  root: string;
  /** Absolute path of the TypeScript entry point. */
  entry: string;
  /** Where bundles and the manifest are kept (outside git). */
  cacheDir: string;
  /** Packages left as imports (native addons, Prisma). */
  external?: string[];
  /** Package export conditions, as the process runs with -C. */
  conditions?: string[];
  /** esbuild plugins (e.g. to leave an import out of the bundle). */
  plugins?: Plugin[];
}
export function cachedBundle(options: BundleOptions): string | null;
export function buildBundle(options: BundleOptions): Promise<string>;
export function bundledEntry(options: BundleOptions): Promise<string>;
/** Runs a built bundle (CommonJS) with V8's code cache beside it; returns its exports. */
export function runBundle(file: string): unknown;

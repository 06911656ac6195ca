/** Types of scripts/bundle-cache.mjs (plain JS so that the launcher runs without tsx). */
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
}
export function cachedBundle(options: BundleOptions): string | null;
export function buildBundle(options: BundleOptions): Promise<string>;
export function bundledEntry(options: BundleOptions): Promise<string>;

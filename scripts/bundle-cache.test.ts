import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { buildBundle, bundledEntry, cachedBundle } from "./bundle-cache.mjs";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A two-file TypeScript program in a temp dir: main.ts exports what answer.ts says. */
function program(answer: string) {
  const root = mkdtempSync(join(tmpdir(), "bastion-bundle-"));
  dirs.push(root);
  writeFileSync(join(root, "answer.ts"), `export const answer: string = ${JSON.stringify(answer)};\n`);
  writeFileSync(join(root, "main.ts"), `import { answer } from "./answer";\nexport const said: string = answer;\n`);
  // Written well before the build starts (a file written during a build is not cached).
  for (const file of ["answer.ts", "main.ts"]) utimesSync(join(root, file), new Date(1999, 0, 1), new Date(1999, 0, 1));
  return { root, entry: join(root, "main.ts"), cacheDir: join(root, "cache") };
}

const said = async (file: string) => ((await import(`${pathToFileURL(file).href}?t=${Math.random()}`)) as { said: string }).said;

/** Runs a built bundle with runBundle in a fresh node process (the code cache is written as that process exits). */
function runInChild(file: string): string {
  const loader = pathToFileURL(join(import.meta.dirname, "bundle-cache.mjs")).href;
  const code = `import { runBundle } from ${JSON.stringify(loader)}; process.stdout.write(String(runBundle(${JSON.stringify(file)}).said));`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
  if (child.status !== 0) throw new Error(child.stderr);
  return child.stdout;
}

describe("bundle cache", () => {
  it("reuses the bundle while no input changed, and rebuilds when one did", async () => {
    const options = program("first");
    expect(cachedBundle(options)).toBeNull();
    const built = await buildBundle(options);
    expect(await said(built)).toBe("first");
    expect(cachedBundle(options)).toBe(built);

    // Same size, new content: the changed time makes it hash the file again, and the hash differs.
    writeFileSync(join(options.root, "answer.ts"), `export const answer: string = "other";\n`);
    utimesSync(join(options.root, "answer.ts"), new Date(2000, 0, 1), new Date(2000, 0, 1));
    expect(cachedBundle(options)).toBeNull();
    const rebuilt = await bundledEntry(options);
    expect(rebuilt).not.toBe(built);
    expect(await said(rebuilt)).toBe("other");
    expect(cachedBundle(options)).toBe(rebuilt);
    expect(existsSync(built)).toBe(false); // the old build is gone: one bundle is kept, not one per edit
  });

  it("keeps the bundle when a file was touched but its content is the same", async () => {
    const options = program("same");
    const built = await buildBundle(options);
    const content = `export const answer: string = ${JSON.stringify("same")};\n`;
    writeFileSync(join(options.root, "answer.ts"), content);
    utimesSync(join(options.root, "answer.ts"), new Date(2001, 0, 1), new Date(2001, 0, 1));
    expect(cachedBundle(options)).toBe(built);
  });

  it("runs a bundle with V8's code cache: written by the first run, used by the next, rewritten when V8 refuses it", async () => {
    const options = program("cached");
    const built = await buildBundle(options);
    const cacheFile = `${built}.v8-cache`;
    expect(existsSync(cacheFile)).toBe(false);
    expect(runInChild(built)).toBe("cached");
    expect(readFileSync(cacheFile).length).toBeGreaterThan(0);
    expect(runInChild(built)).toBe("cached");
    writeFileSync(cacheFile, "not a code cache");
    expect(runInChild(built)).toBe("cached");
    expect(readFileSync(cacheFile, "utf8")).not.toBe("not a code cache");
  });

  it("rewrites a code cache written by a run that did far less (--help lacks the engine), and keeps one from a run as long", async () => {
    const options = program("longer");
    const built = await buildBundle(options);
    const cacheFile = `${built}.v8-cache`;
    expect(runInChild(built)).toBe("longer");
    const firstCpu = Number(readFileSync(`${cacheFile}.cpu`, "utf8"));
    expect(firstCpu).toBeGreaterThan(0);
    // As if a far longer run had written it: this one is not long enough to replace it.
    writeFileSync(`${cacheFile}.cpu`, String(firstCpu * 100));
    const kept = readFileSync(cacheFile);
    expect(runInChild(built)).toBe("longer");
    expect(readFileSync(cacheFile).equals(kept)).toBe(true);
    expect(readFileSync(`${cacheFile}.cpu`, "utf8")).toBe(String(firstCpu * 100));
    // As if a run of next to nothing had written it: this run writes it again, with its own CPU time.
    writeFileSync(`${cacheFile}.cpu`, "0.001");
    expect(runInChild(built)).toBe("longer");
    expect(Number(readFileSync(`${cacheFile}.cpu`, "utf8"))).toBeGreaterThan(0.001);
  });

  it("does not use a bundle whose input is gone", async () => {
    const options = program("gone");
    await buildBundle(options);
    rmSync(join(options.root, "answer.ts"));
    expect(cachedBundle(options)).toBeNull();
  });
});

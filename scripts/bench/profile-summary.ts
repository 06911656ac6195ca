/**
 * Summarizes a V8 .cpuprofile: self time by function and by file, and inclusive time by function.
 *
 *   node -C react-server --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof scripts/bench.ts --only backtest_candles
 *   npx tsx scripts/bench/profile-summary.ts /tmp/prof/CPU.*.cpuprofile [top=30]
 *
 * (tsx compiles each file to one line, so functions are named with their file, not their line.)
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  if (url.includes("node_modules/")) return url.split("node_modules/").at(-1)!.split("/")[0]!;
  return url.split("/").slice(-2).join("/");
}

export function summarize(profile: CpuProfile, top = 30): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const sampled = new Map<number, number>();
  profile.samples.forEach((id, i) => sampled.set(id, (sampled.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const name = (n: ProfileNode) => `${n.callFrame.functionName || "(anonymous)"} ${shortUrl(n.callFrame.url)}`;
  const self = new Map<string, number>();
  const files = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const add = (m: Map<string, number>, k: string, t: number) => m.set(k, (m.get(k) ?? 0) + t);
  for (const [id, t] of sampled) {
    const node = byId.get(id)!;
    total += t;
    add(self, name(node), t);
    add(files, shortUrl(node.callFrame.url) || "(native / vm)", t);
    const seen = new Set<string>();
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const k = name(byId.get(x)!);
      if (!seen.has(k)) add(inclusive, k, t);
      seen.add(k);
    }
  }
  const table = (title: string, m: Map<string, number>, n: number) =>
    [
      `== ${title}`,
      ...[...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}% ${(t / 1000).toFixed(1).padStart(9)} ms  ${k}`),
    ].join("\n");
  return [
    `total ${(total / 1000).toFixed(0)} ms`,
    table("self time by function", self, top),
    table("self time by file", files, 20),
    table("inclusive time by function", inclusive, top),
  ].join("\n\n");
}

if (process.argv[1]?.endsWith("profile-summary.ts")) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: npx tsx scripts/bench/profile-summary.ts FILE.cpuprofile [top]\n");
    process.exit(2);
  }
  process.stdout.write(`${summarize(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, top ? Number(top) : 30)}\n`);
}

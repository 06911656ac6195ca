/**
 * The parent's side of the crash tests (server/engine/crash.test.ts, crash-exchange.test.ts): how many kills a run
 * makes, and one child process run — spawned from the repository root, its READY and TICK lines counted, SIGKILLed
 * when the plan says so, never left behind (a guard kills it after `guardMs`).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const ROOT = join(import.meta.dirname, "..", "..");

/** BASTION_CRASH_KILLS (`npm run chaos` sets 100), else the test's own default. */
export function crashKills(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1_000) throw new RangeError(`BASTION_CRASH_KILLS must be a whole number from 1 to 1000, got ${raw}`);
  return n;
}

export interface RunOutcome {
  ready: boolean;
  ticks: number;
  stdout: string[];
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * When to SIGKILL the child: as its `afterTicks`-th TICK line is read, or `afterMs` after READY (0 of either: as READY
 * is read); null: let it finish.
 */
export type KillPlan = { afterTicks: number } | { afterMs: number } | null;

/** Runs `node <nodeArgs> <child> <args>` from the repository root until it exits or is killed. */
export function runCrashChild(child: string, args: string[], options: { nodeArgs: string[]; guardMs: number; kill: KillPlan }): Promise<RunOutcome> {
  const { kill } = options;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...options.nodeArgs, child, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const outcome: RunOutcome = { ready: false, ticks: 0, stdout: [], stderr: "", code: null, signal: null };
    proc.stderr.on("data", (chunk: Buffer) => (outcome.stderr += chunk.toString()));
    const guard = setTimeout(() => proc.kill("SIGKILL"), options.guardMs); // never leave a child behind
    createInterface({ input: proc.stdout }).on("line", (line) => {
      outcome.stdout.push(line);
      if (line.startsWith("TICK ")) {
        outcome.ticks++;
        if (kill && "afterTicks" in kill && outcome.ticks === kill.afterTicks) proc.kill("SIGKILL");
      }
      if (line.startsWith("READY") && !outcome.ready) {
        outcome.ready = true;
        if (kill && "afterTicks" in kill && kill.afterTicks === 0) proc.kill("SIGKILL");
        if (kill && "afterMs" in kill) {
          if (kill.afterMs === 0) proc.kill("SIGKILL");
          else setTimeout(() => proc.kill("SIGKILL"), kill.afterMs);
        }
      }
    });
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      clearTimeout(guard);
      outcome.code = code;
      outcome.signal = signal;
      resolve(outcome);
    });
  });
}

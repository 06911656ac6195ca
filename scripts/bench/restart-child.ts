/**
 * Child process of the restart bench: a real restart is a fresh process (cold JIT, nothing cached in the
 * heap). Opens the store and the venue over the given files, starts an engine, prints the timings as JSON.
 * Usage: node --import tsx scripts/bench/restart-child.ts <dbPath> <venuePath> <clockNow>
 */
import { timeRestart } from "./restart-timing";

const [dbPath, venuePath, now] = process.argv.slice(2);
if (!dbPath || !venuePath || !now) {
  process.stderr.write("usage: restart-child.ts <dbPath> <venuePath> <clockNow>\n");
  process.exit(2);
}
timeRestart({ dbPath, venuePath }, Number(now)).then(
  (timing) => process.stdout.write(`${JSON.stringify(timing)}\n`),
  (e: unknown) => {
    process.stderr.write(`restart failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);

/**
 * `npm run sim -- --book FILE [--trades FILE] --orders ORDERS.json [--json]` — replays recorded data with a list of
 * orders through the simulated venue and prints each order's fills (server/engine/sim-run.ts; arguments: sim-args.ts).
 */
import { SIM_USAGE, parseSimArgs } from "../server/engine/sim-args";
import { formatSimTable, runSim } from "../server/engine/sim-run";

async function main(): Promise<number> {
  const parsed = parseSimArgs(process.argv.slice(2));
  if (!parsed.ok) {
    await writeWhole(process.stderr, `${parsed.error.message}\n\n${SIM_USAGE}\n`);
    return 2;
  }
  if (parsed.value.help) {
    await writeWhole(process.stdout, `${SIM_USAGE}\n`);
    return 0;
  }
  const result = runSim(parsed.value);
  if (!result.ok) {
    await writeWhole(process.stderr, `${result.error.message}\n`);
    return 2;
  }
  await writeWhole(process.stdout, parsed.value.json ? `${JSON.stringify(result.value)}\n` : `${formatSimTable(result.value)}\n`);
  return 0;
}

/** Resolves once `text` has been handed to the OS (process.exit() right after a write can drop what a pipe has not taken). */
function writeWhole(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolveWrite) => {
    stream.write(text, () => resolveWrite());
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => writeWhole(process.stderr, `sim failed: ${e instanceof Error ? e.message : String(e)}\n`).then(() => process.exit(1)),
);

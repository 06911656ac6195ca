/**
 * Test helper run as a child process (node --import tsx): plays the shared scenario on a durable
 * SimVenue and prints one JSON line per step (after the step returned, i.e. after it was saved). The
 * test kills it with SIGKILL. Args: <statePath> <stopAfter: steps to run before idling, or "all">.
 */
import { SimVenue } from "../../server/venues/sim/sim-venue";
import { applyStep, scenarioConfig, scenarioSteps } from "./test-scenario";

const [statePath, stopAfterArg] = process.argv.slice(2);
if (statePath === undefined) throw new Error("usage: crash-child <statePath> [stopAfter]");
const steps = scenarioSteps();
const stopAfter = stopAfterArg === undefined || stopAfterArg === "all" ? steps.length : Number(stopAfterArg);

const venue = new SimVenue(scenarioConfig(), { statePath });
for (let i = 0; i < stopAfter; i++) {
  const events = applyStep(venue, steps[i]!);
  process.stdout.write(`${JSON.stringify({ step: i, events })}\n`);
}
process.stdout.write("READY\n");
// Idle until killed; never closes the venue.
setInterval(() => undefined, 60_000);

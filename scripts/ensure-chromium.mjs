// Playwright drives Debian's chromium (it downloads no browser of its own). Make sure it is there.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (existsSync(path)) process.exit(0);

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
function hasApt() {
  try {
    execSync("command -v apt-get", { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
if (isRoot && hasApt() && !process.env.CHROMIUM_PATH) {
  console.error("chromium is missing: installing Debian's chromium with apt-get (this takes a minute)…");
  execSync("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium", { stdio: "inherit" });
  if (existsSync(path)) process.exit(0);
}
console.error(
  `The browser tests need chromium at ${path}, and it is not there.\n` +
    `Install it with:  sudo apt-get update && sudo apt-get install -y chromium\n` +
    `or point CHROMIUM_PATH at a Chromium binary.`,
);
process.exit(1);

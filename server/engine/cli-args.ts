/**
 * What the command lines of `npm run backtest` and `npm run sim` share: splitting argv into options (values as the next
 * argument or after "="), the zod pieces that check a value, and where relative paths point. Each CLI keeps its own
 * options, defaults and usage text (backtest-args.ts, sim-args.ts); the messages here are the ones both print.
 */
import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { type Decimal, parseDecimal } from "../core/money";

/** A value option takes the next argument (or `--name=value`); a flag takes none. */
export type OptionKind = "value" | "flag";

export interface CliPathOptions {
  /** Directory relative paths are resolved against (default: INIT_CWD, else the current directory). */
  cwd?: string;
  /** Whether a path is an existing file (default: the file system). */
  isFile?: (path: string) => boolean;
}

/** Quotes what the user typed, so that empty and odd values are visible. */
export function shown(value: string): string {
  return `'${value}'`;
}

export function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function resolvePath(cwd: string, s: string): string {
  return isAbsolute(s) ? s : resolve(cwd, s);
}

/** npm sets INIT_CWD to the directory it was started from: a path the user typed is relative to that. */
export function cliPaths(options: CliPathOptions): { cwd: string; isFile: (path: string) => boolean } {
  return { cwd: options.cwd ?? process.env.INIT_CWD ?? process.cwd(), isFile: options.isFile ?? fileExists };
}

/**
 * Splits argv by the option table: `raw` holds each value (or `true` for a flag), `repeated` each value of a
 * repeatable option in order; `problems` says what is wrong, one sentence each (unknown, twice, missing value…).
 */
export function splitOptions<Name extends string>(
  argv: readonly string[],
  options: Readonly<Record<Name, OptionKind>>,
  repeatable: readonly Name[] = [],
): { problems: string[]; raw: Record<string, string | boolean>; repeated: Record<string, string[]> } {
  const isOption = (name: string): name is Name => Object.hasOwn(options, name);
  const problems: string[] = [];
  const raw: Record<string, string | boolean> = {};
  const repeated: Record<string, string[]> = Object.fromEntries(repeatable.map((name) => [name, []]));
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith("--")) {
      problems.push(`Unexpected argument ${shown(token)}: options start with -- (see --help).`);
      continue;
    }
    const eq = token.indexOf("=");
    const name = token.slice(2, eq === -1 ? undefined : eq);
    if (!isOption(name)) {
      problems.push(`Unknown option --${name} (see --help).`);
      continue;
    }
    if (Object.hasOwn(raw, name)) {
      problems.push(`--${name} was given twice.`);
      if (options[name] === "value" && eq === -1) i++;
      continue;
    }
    if (options[name] === "flag") {
      if (eq !== -1) problems.push(`--${name} takes no value, got ${shown(token.slice(eq + 1))}.`);
      else raw[name] = true;
      continue;
    }
    let value: string;
    if (eq !== -1) {
      value = token.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) {
        problems.push(`--${name} needs a value.`);
        continue;
      }
      value = next;
      i++;
    }
    if (Object.hasOwn(repeated, name)) repeated[name]!.push(value);
    else raw[name] = value;
  }
  return { problems, raw, repeated };
}

/** A whole number from `min` (to `max`, when given); the message names the bounds the same way. */
export function wholeNumber(flag: string, min: number, max?: number) {
  return z.string().transform((s, ctx) => {
    const n = Number(s);
    if (!/^\d+$/.test(s.trim()) || !Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
      const bounds = max === undefined ? `≥ ${min}` : `from ${min} to ${max}`;
      ctx.addIssue({ code: "custom", message: `--${flag} must be a whole number ${bounds}, got ${shown(s)}.` });
      return z.NEVER;
    }
    return n;
  });
}

/** A decimal that passes `check`; `what` says in words what is expected. */
export function decimal(flag: string, what: string, check: (d: Decimal) => boolean) {
  return z.string().transform((s, ctx) => {
    const d = parseDecimal(s);
    if (d === null || !check(d)) {
      ctx.addIssue({ code: "custom", message: `--${flag} must be ${what}, got ${shown(s)}.` });
      return z.NEVER;
    }
    return d;
  });
}

/** An existing file, resolved against `cwd`; `required` is the sentence when the option is missing. */
export function existingFile(flag: string, required: string, cwd: string, isFile: (path: string) => boolean) {
  return z.string({ error: required }).transform((s, ctx) => {
    const path = resolvePath(cwd, s);
    if (s.trim() === "" || !isFile(path)) {
      ctx.addIssue({ code: "custom", message: `--${flag} must be an existing file, got ${shown(s)} (looked for ${path}).` });
      return z.NEVER;
    }
    return path;
  });
}

/** --symbol, matched by the CLI's own pattern (the backtest also takes a settle currency). */
export function symbolOption(pattern: RegExp) {
  return z
    .string()
    .default("BTC/USDT")
    .transform((s, ctx) => {
      if (!pattern.test(s)) {
        ctx.addIssue({ code: "custom", message: `--symbol must look like BASE/QUOTE in capitals (e.g. BTC/USDT), got ${shown(s)}.` });
        return z.NEVER;
      }
      return s;
    });
}

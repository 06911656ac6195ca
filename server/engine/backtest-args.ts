/**
 * The command line of `npm run backtest -- …`: parsing and checking, with errors a person understands.
 *
 *   npm run backtest -- --data FILE --symbol BTC/USDT --strategy sma-cross --fast 10 --slow 30 --capital 10000 \
 *     --fee-bps 0 --slippage none --json
 *
 * Options take their value as the next argument or after "=" (--fast=10). A relative --data path is resolved against
 * the directory npm was started from (INIT_CWD, which npm sets), else the current directory.
 */
import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { type Decimal, parseDecimal } from "../core/money";
import { type Result, err, ok } from "../core/result";
import { STRATEGY_NAMES } from "../core/strategies";
import { type SlippageSpec } from "../core/backtest";
import { type BacktestRunArgs } from "../core/backtest/run-args";

export type BacktestArgs = BacktestRunArgs | { help: true };

export type BacktestArgsErrorCode = "BACKTEST_ARGS_INVALID";

export const BACKTEST_USAGE = `Usage: npm run backtest -- --data FILE [options]

Runs a strategy through the engine over recorded candles on a simulated clock and prints a report.

  --data FILE          candle CSV (ts,open,high,low,close,volume); required
  --symbol SYMBOL      instrument, BASE/QUOTE (default BTC/USDT)
  --strategy NAME      ${STRATEGY_NAMES.join(" | ")} (default sma-cross)
  --fast N             fast moving average, in candles, a whole number ≥ 1 (default 10)
  --slow N             slow moving average, in candles, greater than --fast (default 30)
  --capital AMOUNT     starting equity in quote currency, > 0 (default 10000)
  --fee-bps N          fee per fill in basis points of its notional, ≥ 0 (default 0)
  --slippage MODEL     none, or fixed:N to move every fill N bps against the trader (default none)
  --qty-step STEP      round quantities down to a multiple of STEP (default: no rounding)
  --seed N             seed for the simulator's random choices, a whole number ≥ 0 (default 0)
  --json               print the report as one JSON object on stdout
  --deterministic      write elapsedMs as 0 so that identical runs print identical bytes
  --save               store the run and its report in the database
  --help               show this text`;

type OptionKind = "value" | "flag";
const OPTIONS = {
  data: "value",
  symbol: "value",
  strategy: "value",
  fast: "value",
  slow: "value",
  capital: "value",
  "fee-bps": "value",
  slippage: "value",
  "qty-step": "value",
  seed: "value",
  json: "flag",
  deterministic: "flag",
  save: "flag",
  help: "flag",
} as const satisfies Record<string, OptionKind>;
type OptionName = keyof typeof OPTIONS;

function isOption(name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name);
}

/** Quotes what the user typed, so that empty and odd values are visible. */
function shown(value: string): string {
  return `'${value}'`;
}

function wholeNumber(flag: string, min: number) {
  return z.string().transform((s, ctx) => {
    const n = Number(s);
    if (!/^\d+$/.test(s.trim()) || !Number.isSafeInteger(n) || n < min) {
      ctx.addIssue({ code: "custom", message: `--${flag} must be a whole number ≥ ${min}, got ${shown(s)}.` });
      return z.NEVER;
    }
    return n;
  });
}

/** A decimal that passes `check`; `what` says in words what is expected. */
function decimal(flag: string, what: string, check: (d: Decimal) => boolean) {
  return z.string().transform((s, ctx) => {
    const d = parseDecimal(s);
    if (d === null || !check(d)) {
      ctx.addIssue({ code: "custom", message: `--${flag} must be ${what}, got ${shown(s)}.` });
      return z.NEVER;
    }
    return d;
  });
}

const SYMBOL = /^[A-Z0-9]+\/[A-Z0-9]+(:[A-Z0-9]+)?$/;

function makeSchema(cwd: string, isFile: (path: string) => boolean) {
  return z
    .object({
      data: z
        .string({ error: "--data is required: the candle CSV to test on (e.g. --data ../shared/data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv)." })
        .transform((s, ctx) => {
          const path = isAbsolute(s) ? s : resolve(cwd, s);
          if (s.trim() === "" || !isFile(path)) {
            ctx.addIssue({ code: "custom", message: `--data must be an existing file, got ${shown(s)} (looked for ${path}).` });
            return z.NEVER;
          }
          return path;
        }),
      symbol: z
        .string()
        .default("BTC/USDT")
        .transform((s, ctx) => {
          if (!SYMBOL.test(s)) {
            ctx.addIssue({ code: "custom", message: `--symbol must look like BASE/QUOTE in capitals (e.g. BTC/USDT), got ${shown(s)}.` });
            return z.NEVER;
          }
          return s;
        }),
      strategy: z
        .string()
        .default("sma-cross")
        .transform((s, ctx) => {
          const name = STRATEGY_NAMES.find((n) => n === s);
          if (!name) {
            ctx.addIssue({ code: "custom", message: `--strategy must be one of: ${STRATEGY_NAMES.join(", ")}; got ${shown(s)}.` });
            return z.NEVER;
          }
          return name;
        }),
      fast: wholeNumber("fast", 1).default(10),
      slow: wholeNumber("slow", 2).default(30),
      capital: decimal("capital", "an amount greater than 0", (d) => d.greaterThan(0)).default(() => parseDecimal("10000")!),
      "fee-bps": decimal("fee-bps", "a number of basis points from 0 to below 10000", (d) => !d.isNegative() && d.lessThan(10_000)).default(() =>
        parseDecimal("0")!,
      ),
      slippage: z
        .string()
        .default("none")
        .transform((s, ctx): SlippageSpec => {
          if (s === "none") return { kind: "none" };
          const m = /^fixed:(.*)$/.exec(s);
          const bps = m ? parseDecimal(m[1]) : null;
          if (bps === null || bps.isNegative() || bps.greaterThanOrEqualTo(10_000)) {
            ctx.addIssue({
              code: "custom",
              message: `--slippage must be 'none' or 'fixed:N' with N basis points from 0 to below 10000 (e.g. fixed:5), got ${shown(s)}.`,
            });
            return z.NEVER;
          }
          return { kind: "fixed", bps };
        }),
      "qty-step": decimal("qty-step", "a quantity greater than 0", (d) => d.greaterThan(0)).optional(),
      seed: wholeNumber("seed", 0).default(0),
      json: z.boolean().default(false),
      deterministic: z.boolean().default(false),
      save: z.boolean().default(false),
    })
    .superRefine((args, ctx) => {
      if (args.slow <= args.fast) {
        ctx.addIssue({ code: "custom", message: `--slow must be greater than --fast (${args.fast}), got ${args.slow}.`, path: ["slow"] });
      }
    });
}

export interface ParseBacktestArgsOptions {
  /** Directory a relative --data path is resolved against (default: INIT_CWD, else the current directory). */
  cwd?: string;
  /** Whether a path is an existing file (default: the file system). */
  isFile?: (path: string) => boolean;
}

function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Parses `process.argv.slice(2)`. `--help` anywhere wins over every other problem. */
export function parseBacktestArgs(argv: readonly string[], options: ParseBacktestArgsOptions = {}): Result<BacktestArgs, BacktestArgsErrorCode> {
  if (argv.includes("--help") || argv.includes("-h")) return ok({ help: true });

  const problems: string[] = [];
  const raw: Record<string, string | boolean> = {};
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
      if (OPTIONS[name] === "value" && eq === -1) i++;
      continue;
    }
    if (OPTIONS[name] === "flag") {
      if (eq !== -1) problems.push(`--${name} takes no value, got ${shown(token.slice(eq + 1))}.`);
      else raw[name] = true;
      continue;
    }
    if (eq !== -1) {
      raw[name] = token.slice(eq + 1);
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) {
      problems.push(`--${name} needs a value.`);
      continue;
    }
    raw[name] = next;
    i++;
  }
  if (problems.length > 0) return err("BACKTEST_ARGS_INVALID", problems.join("\n"), { problems });

  const cwd = options.cwd ?? process.env.INIT_CWD ?? process.cwd();
  const parsed = makeSchema(cwd, options.isFile ?? fileExists).safeParse(raw);
  if (!parsed.success) {
    const messages = parsed.error.issues.map((issue) => issue.message);
    return err("BACKTEST_ARGS_INVALID", messages.join("\n"), { problems: messages });
  }
  const a = parsed.data;
  return ok({
    help: false,
    data: a.data,
    symbol: a.symbol,
    strategy: a.strategy,
    fast: a.fast,
    slow: a.slow,
    capital: a.capital,
    feeBps: a["fee-bps"],
    slippage: a.slippage,
    json: a.json,
    seed: a.seed,
    qtyStep: a["qty-step"] ?? null,
    deterministic: a.deterministic,
    save: a.save,
  });
}

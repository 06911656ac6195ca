/**
 * The command line of `npm run backtest -- …`: parsing and checking, with errors a person understands.
 *
 *   npm run backtest -- --data FILE --symbol BTC/USDT --strategy sma-cross --fast 10 --slow 30 --capital 10000 \
 *     --fee-bps 0 --slippage none --json
 *
 * The portfolio form (several files, one symbol each, several strategies, one shared equity) is chosen by any of: more
 * than one --data or --symbol, a FILE:SYMBOL item, more than one --strategy, a NAME:SYM1+SYM2 strategy, --alloc,
 * --notional or --compare-correlation-limit. Everything else is the single-symbol form, parsed exactly as before (same result, same messages).
 *
 * Options take their value as the next argument or after "=" (--fast=10). A relative --data path is resolved against
 * the directory npm was started from (INIT_CWD, which npm sets), else the current directory.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseExecSpec, type ExecSpec } from "../core/algos/exec-spec";
import { parseDecimal } from "../core/money";
import { type Result, err, ok } from "../core/errors";
import { STRATEGY_NAMES } from "../core/strategies";
import { type SlippageSpec } from "../core/backtest";
import { type BacktestRunArgs, type PortfolioLegArg, type PortfolioRunArgs, type PortfolioStrategyArg } from "../core/backtest/run-args";
import { symbolOfFile } from "../venues/replay/portfolio";
import { DeskFileError, parseDeskFile } from "./desk-file";
import { type CliPathOptions, type OptionKind, cliPaths, decimal, existingFile, resolvePath, shown, splitOptions, symbolOption, wholeNumber } from "./cli-args";

export type BacktestArgs = BacktestRunArgs | PortfolioRunArgs | { help: true };

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
  --exec ALGO          work every entry and exit with an algorithm on the simulated clock: market (one order, the
                       default), twap:DURATION or vwap:DURATION (e.g. twap:30m), iceberg:FRACTION (visible share),
                       pov:RATE; the JSON report then has execution and each trade's entry/exit shortfall in bps
  --json               print the report as one JSON object on stdout
  --deterministic      write elapsedMs as 0 so that identical runs print identical bytes
  --save               store the run and its report in the database
  --help               show this text

Portfolio form: several symbols, one file each, traded with one equity in their common quote currency.

  --data FILE --symbol SYMBOL   repeated, paired in order (without any --symbol, a file's name gives its symbol:
                                eth-btc_5m_….csv is ETH/BTC); or --data FILE:SYMBOL,FILE:SYMBOL,…
                                a file whose name says another symbol is refused
  --strategy NAME      repeated; each runs on every symbol. NAME:SYM1+SYM2 runs it on those symbols only.
                       One position per symbol: it belongs to the strategy that opened it; others' entries wait.
  --alloc FRACTION     each entry is all in of equity × FRACTION, 0 < FRACTION ≤ 1 (default 1 / number of symbols)
  --notional AMOUNT    each entry is all in of AMOUNT quote currency instead (symbols never share capital while
                       capital ≥ symbols × AMOUNT × (1 + fee))
  --config FILE        a desk file (config/desk.example.yaml): the run uses its risk limits, breaker and protections,
                       and the report lists protectionsFired [{ rule, symbol, ts, action }]. Picks the portfolio form
                       (one symbol: --data FILE:SYMBOL).
  --compare-correlation-limit PCT
                       run it twice, without and with correlation clusters (ρ > 0.5 over 5 days of hourly bars) capped
                       at PCT % of equity, 0 < PCT ≤ 10000, and print the comparison after the report
  --exec ALGO          as above, for every symbol's entries and exits
  Files of the shipped portfolio set (data/market/portfolio, X/BTC) trade on Bittrex's rules of the time (price and
  quantity step 0.00000001 BTC, minimum order 0.0005 BTC, fee 25 bps); symbols of the recorded Binance market snapshot
  on Binance's precision, limits and fee (as the desk does); --fee-bps and --qty-step apply to other symbols only,
  which trade without rounding. Without --json a text report with
  per-symbol and per-strategy tables is printed.`;

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
  alloc: "value",
  notional: "value",
  config: "value",
  exec: "value",
  "compare-correlation-limit": "value",
} as const satisfies Record<string, OptionKind>;

/** Options the portfolio form repeats. */
const REPEATABLE = ["data", "symbol", "strategy"] as const;

const SYMBOL = /^[A-Z0-9]+\/[A-Z0-9]+(:[A-Z0-9]+)?$/;

/** The options both forms share, in the order their messages are listed. */
function commonShape() {
  return {
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
    exec: z
      .string()
      .optional()
      .transform((s, ctx): ExecSpec | undefined => {
        if (s === undefined) return undefined;
        const parsed = parseExecSpec(s);
        if (!parsed.ok) {
          ctx.addIssue({ code: "custom", message: parsed.error.message });
          return z.NEVER;
        }
        return parsed.value;
      }),
  };
}

type CommonOptions = z.output<z.ZodObject<ReturnType<typeof commonShape>>>;

/** The shared options as both forms return them (exec apart: it is present only when given). */
function commonArgs(a: CommonOptions) {
  return {
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
  };
}

function slowAboveFast(args: { fast: number; slow: number }, ctx: z.RefinementCtx): void {
  if (args.slow <= args.fast) {
    ctx.addIssue({ code: "custom", message: `--slow must be greater than --fast (${args.fast}), got ${args.slow}.`, path: ["slow"] });
  }
}

function makePortfolioSchema() {
  return z
    .object({
      ...commonShape(),
      alloc: decimal("alloc", "a fraction greater than 0 and at most 1", (d) => d.greaterThan(0) && d.lessThanOrEqualTo(1)).optional(),
      notional: decimal("notional", "an amount greater than 0", (d) => d.greaterThan(0)).optional(),
      "compare-correlation-limit": decimal(
        "compare-correlation-limit",
        "a percentage of equity greater than 0 and at most 10000",
        (d) => d.greaterThan(0) && d.lessThanOrEqualTo(10_000),
      ).optional(),
    })
    .superRefine(slowAboveFast);
}

function makeSchema(cwd: string, isFile: (path: string) => boolean) {
  return z
    .object({
      data: existingFile(
        "data",
        "--data is required: the candle CSV to test on (e.g. --data ../shared/data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv).",
        cwd,
        isFile,
      ),
      symbol: symbolOption(SYMBOL),
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
      ...commonShape(),
    })
    .superRefine(slowAboveFast);
}

export interface ParseBacktestArgsOptions extends CliPathOptions {
  /** Reads a --config desk file (default: the file system). */
  readFile?: (path: string) => string;
}

/** `FILE:SYMBOL` (the symbol as --symbol takes it); the file part may itself hold colons. */
const FILE_SYMBOL = /^(.+):([A-Z0-9]+\/[A-Z0-9]+(?::[A-Z0-9]+)?)$/;

/** A --data value in the list form: some comma-separated item is FILE:SYMBOL. */
function isFileSymbolList(value: string): boolean {
  return value.split(",").some((item) => FILE_SYMBOL.test(item));
}

/** Parses `process.argv.slice(2)`. `--help` anywhere wins over every other problem. */
export function parseBacktestArgs(argv: readonly string[], options: ParseBacktestArgsOptions = {}): Result<BacktestArgs, BacktestArgsErrorCode> {
  if (argv.includes("--help") || argv.includes("-h")) return ok({ help: true });

  const { problems, raw, repeated } = splitOptions(argv, OPTIONS, REPEATABLE);
  if (problems.length > 0) return err("BACKTEST_ARGS_INVALID", problems.join("\n"), { problems });

  const { cwd, isFile } = cliPaths(options);
  const { data, symbol, strategy } = repeated as { data: string[]; symbol: string[]; strategy: string[] };
  const isPortfolio =
    data.length > 1 ||
    symbol.length > 1 ||
    strategy.length > 1 ||
    data.some(isFileSymbolList) ||
    strategy.some((s) => s.includes(":")) ||
    Object.hasOwn(raw, "alloc") ||
    Object.hasOwn(raw, "notional") ||
    Object.hasOwn(raw, "config") ||
    Object.hasOwn(raw, "compare-correlation-limit");
  if (isPortfolio) return parsePortfolio(raw, data, symbol, strategy, cwd, isFile, options.readFile ?? ((path) => readFileSync(path, "utf8")));
  if (data[0] !== undefined) raw.data = data[0];
  if (symbol[0] !== undefined) raw.symbol = symbol[0];
  if (strategy[0] !== undefined) raw.strategy = strategy[0];

  const parsed = makeSchema(cwd, isFile).safeParse(raw);
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
    ...commonArgs(a),
    ...(a.exec && { exec: a.exec }),
  });
}

/** The portfolio form: legs (file + symbol), strategies (+ the symbols each runs on), sizing, then the shared options. */
function parsePortfolio(
  raw: Record<string, string | boolean>,
  data: readonly string[],
  symbols: readonly string[],
  strategies: readonly string[],
  cwd: string,
  isFile: (path: string) => boolean,
  readFile: (path: string) => string,
): Result<BacktestArgs, BacktestArgsErrorCode> {
  const problems: string[] = [];
  const legs: PortfolioLegArg[] = [];
  // The desk file is checked here, so that its problems (with their lines) come back as a usage error.
  let config: string | null = null;
  if (typeof raw.config === "string") {
    const path = resolvePath(cwd, raw.config);
    if (raw.config.trim() === "" || !isFile(path)) problems.push(`--config must be an existing desk file, got ${shown(raw.config)} (looked for ${path}).`);
    else {
      try {
        parseDeskFile(readFile(path), { source: raw.config });
        config = path;
      } catch (e) {
        if (!(e instanceof DeskFileError)) throw e;
        problems.push(...e.problems.map((p) => `--config: ${p}`));
      }
    }
  }
  delete raw.config;
  const plainFiles = data.filter((d) => !isFileSymbolList(d));
  if (data.length === 0)
    problems.push("--data is required: one candle CSV per symbol (--data FILE --symbol SYMBOL, repeated, or --data FILE:SYMBOL,FILE:SYMBOL).");
  if (symbols.length > 0 && symbols.length !== plainFiles.length) {
    problems.push(
      `Give one --symbol per --data FILE, in the same order (${plainFiles.length} plain files, ${symbols.length} symbols); or write --data FILE:SYMBOL.`,
    );
  }
  let plainIndex = 0;
  for (const value of data) {
    const items = isFileSymbolList(value) ? value.split(",") : [value];
    for (const item of items) {
      const match = FILE_SYMBOL.exec(item);
      let file: string;
      let symbol: string | null;
      if (match) {
        file = match[1]!;
        symbol = match[2]!;
      } else if (items.length > 1) {
        problems.push(`--data ${shown(value)}: every item of a list must be FILE:SYMBOL (e.g. eth-btc.csv:ETH/BTC), got ${shown(item)}.`);
        continue;
      } else {
        file = item;
        symbol = symbols.length > 0 ? (symbols[plainIndex] ?? null) : symbolOfFile(item);
        plainIndex++;
        if (symbol === null) {
          if (symbols.length === 0)
            problems.push(`--data ${shown(item)}: its name does not say its symbol; add --symbol SYMBOL after it or write FILE:SYMBOL.`);
          continue;
        }
      }
      const path = resolvePath(cwd, file);
      if (file.trim() === "" || !isFile(path)) {
        problems.push(`--data must be an existing file, got ${shown(file)} (looked for ${path}).`);
        continue;
      }
      if (!SYMBOL.test(symbol)) {
        problems.push(`--symbol must look like BASE/QUOTE in capitals (e.g. BTC/USDT), got ${shown(symbol)}.`);
        continue;
      }
      const named = symbolOfFile(path);
      if (named !== null && named !== symbol.split(":")[0]) {
        problems.push(`${file} holds ${named}, not ${symbol}: a backtest of ${symbol} on it would trade one market on another's prices.`);
        continue;
      }
      if (legs.some((l) => l.symbol === symbol)) {
        problems.push(`${symbol} is given twice: one file per symbol.`);
        continue;
      }
      legs.push({ data: path, symbol });
    }
  }
  const quotes = [...new Set(legs.map((l) => l.symbol.split(/[/:]/)[1]))];
  if (quotes.length > 1) {
    problems.push(`The symbols are quoted in ${quotes.join(" and ")}: one portfolio keeps one equity, so every symbol needs the same quote currency.`);
  }

  const chosen: PortfolioStrategyArg[] = [];
  for (const value of strategies.length > 0 ? strategies : ["sma-cross"]) {
    const colon = value.indexOf(":");
    const name = STRATEGY_NAMES.find((n) => n === (colon === -1 ? value : value.slice(0, colon)));
    if (!name) {
      problems.push(`--strategy must be one of: ${STRATEGY_NAMES.join(", ")} (optionally NAME:SYM1+SYM2); got ${shown(value)}.`);
      continue;
    }
    if (chosen.some((c) => c.name === name)) {
      problems.push(`--strategy ${name} is given twice: list its symbols once (${name}:SYM1+SYM2).`);
      continue;
    }
    let only: string[] | null = null;
    if (colon !== -1) {
      only = value
        .slice(colon + 1)
        .split("+")
        .map((s) => s.trim());
      const unknown = only.filter((s) => !legs.some((l) => l.symbol === s));
      if (only.length === 0 || unknown.length > 0) {
        problems.push(
          `--strategy ${shown(value)}: ${unknown.join(", ") || "no symbol"} is not among the --data symbols (${legs.map((l) => l.symbol).join(", ")}).`,
        );
        continue;
      }
    }
    chosen.push({ name, symbols: only });
  }

  const parsed = makePortfolioSchema().safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => issue.message));
  else if (parsed.data.alloc !== undefined && parsed.data.notional !== undefined) problems.push("Give --alloc or --notional, not both.");
  if (problems.length > 0 || !parsed.success) return err("BACKTEST_ARGS_INVALID", problems.join("\n"), { problems });
  const a = parsed.data;
  return ok({
    help: false,
    legs,
    strategies: chosen,
    sizing: a.notional !== undefined ? { kind: "notional", notional: a.notional } : { kind: "share", fraction: a.alloc ?? null },
    ...(a["compare-correlation-limit"] !== undefined && { compareCorrelationLimitPct: a["compare-correlation-limit"].toNumber() }),
    ...commonArgs(a),
    config,
    ...(a.exec && { exec: a.exec }),
  });
}

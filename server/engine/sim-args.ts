/**
 * The command line of `npm run sim -- …` and its orders file: parsing and checking, with errors a person understands.
 *
 *   npm run sim -- --book FILE [--trades FILE] --orders ORDERS.json [--latency MS] [--jitter MS] [--seed N] --json
 *
 * Options take their value as the next argument or after "=" (--latency=20). Relative paths are resolved against the
 * directory npm was started from (INIT_CWD, which npm sets), else the current directory. The orders file is a JSON
 * array of `{ ts, side, type, qty, price? }` (ts in epoch ms, side BUY/SELL, type MARKET/LIMIT, qty and price as
 * numbers or decimal strings); parseSimOrders checks it.
 */
import { z } from "zod";
import { type Decimal, parseDecimal } from "../core/money";
import { type Result, err, ok } from "../core/errors";
import { type CliPathOptions, type OptionKind, cliPaths, decimal, existingFile, shown, splitOptions, symbolOption, wholeNumber } from "./cli-args";

export interface SimRunArgs {
  help: false;
  /** Absolute paths of existing files. */
  book: string;
  trades: string | null;
  orders: string;
  symbol: string;
  priceTick: Decimal;
  qtyStep: Decimal;
  /** Signal-to-arrival latency: a fixed part and a uniform jitter in [0, jitterMs] drawn from the seeded Rng. */
  latencyMs: number;
  jitterMs: number;
  seed: number;
  /** η of the impact beyond the shown depth in bps (core/sim/book-fidelity.ts); null: the shown book's own width. */
  impactBps: number | null;
  json: boolean;
}

export type SimArgs = SimRunArgs | { help: true };

export type SimArgsErrorCode = "SIM_ARGS_INVALID";
export type SimOrdersErrorCode = "SIM_ORDERS_INVALID";

export const SIM_USAGE = `Usage: npm run sim -- --book FILE --orders ORDERS.json [options]

Replays a recorded order book (and its trades) through the simulated venue with a list of orders and prints each
order's fills: market orders walk the recorded book, resting limits fill only when recorded trades reach them.

  --book FILE          book snapshots CSV (exchange,symbol,timestamp,local_timestamp,asks[0].price,…); required
  --trades FILE        trades CSV (ts,trade_id,price,quantity,buyer_maker); without it resting limits fill only
                       when a later book crosses them
  --orders FILE        JSON array of { ts, side, type, qty, price? }: ts in epoch ms, side BUY | SELL,
                       type MARKET | LIMIT (price required for LIMIT only); required
  --symbol SYMBOL      instrument, BASE/QUOTE (default BTC/USDT)
  --price-tick TICK    price tick, > 0 (default 0.01)
  --qty-step STEP      quantity step, > 0 (default 0.00001); quantities must be multiples of it
  --latency MS         fixed latency from an order's ts to its arrival at the venue, whole ms ≥ 0 (default 0)
  --jitter MS          extra random latency, uniform in [0, MS] whole ms, drawn from --seed (default 0)
  --seed N             seed for the latency jitter, a whole number ≥ 0 (default 0)
  --impact-bps N       impact beyond the shown depth: the remainder r fills at the last shown price moved by
                       N × √(r / shown depth) bps (default: the shown side's own width in bps, at least 1)
  --json               print the result as one JSON object on stdout (default: a table)
  --help               show this text`;

const OPTIONS = {
  book: "value",
  trades: "value",
  orders: "value",
  symbol: "value",
  "price-tick": "value",
  "qty-step": "value",
  latency: "value",
  jitter: "value",
  seed: "value",
  "impact-bps": "value",
  json: "flag",
  help: "flag",
} as const satisfies Record<string, OptionKind>;

function positiveDecimal(flag: string) {
  return decimal(flag, "a number greater than 0", (d) => d.greaterThan(0));
}

const SYMBOL = /^[A-Z0-9]+\/[A-Z0-9]+$/;

function makeSchema(cwd: string, isFile: (path: string) => boolean) {
  const file = (flag: string, example: string) => existingFile(flag, `--${flag} is required: ${example}.`, cwd, isFile);
  return z.object({
    book: file("book", "the book snapshots CSV (e.g. --book ../shared/data/market/microstructure/btc-usdt_binance-spot_book-snapshot-25_….csv)"),
    trades: file("trades", "").optional(),
    orders: file("orders", "a JSON file with the orders to simulate, [{ ts, side, type, qty, price? }]"),
    symbol: symbolOption(SYMBOL),
    "price-tick": positiveDecimal("price-tick").default(() => parseDecimal("0.01")!),
    "qty-step": positiveDecimal("qty-step").default(() => parseDecimal("0.00001")!),
    latency: wholeNumber("latency", 0, 3_600_000).default(0),
    jitter: wholeNumber("jitter", 0, 3_600_000).default(0),
    seed: wholeNumber("seed", 0, Number.MAX_SAFE_INTEGER).default(0),
    "impact-bps": z
      .string()
      .transform((s, ctx) => {
        const n = Number(s);
        if (s.trim() === "" || !Number.isFinite(n) || n < 0 || n > 10_000) {
          ctx.addIssue({ code: "custom", message: `--impact-bps must be a number of basis points from 0 to 10000, got ${shown(s)}.` });
          return z.NEVER;
        }
        return n;
      })
      .optional(),
    json: z.boolean().default(false),
  });
}

export type ParseSimArgsOptions = CliPathOptions;

/** Parses `process.argv.slice(2)`. `--help` anywhere wins over every other problem. */
export function parseSimArgs(argv: readonly string[], options: ParseSimArgsOptions = {}): Result<SimArgs, SimArgsErrorCode> {
  if (argv.includes("--help") || argv.includes("-h")) return ok({ help: true });

  const { problems, raw } = splitOptions(argv, OPTIONS);
  if (problems.length > 0) return err("SIM_ARGS_INVALID", problems.join("\n"), { problems });

  const { cwd, isFile } = cliPaths(options);
  const parsed = makeSchema(cwd, isFile).safeParse(raw);
  if (!parsed.success) {
    const messages = parsed.error.issues.map((issue) => issue.message);
    return err("SIM_ARGS_INVALID", messages.join("\n"), { problems: messages });
  }
  const a = parsed.data;
  return ok({
    help: false,
    book: a.book,
    trades: a.trades ?? null,
    orders: a.orders,
    symbol: a.symbol,
    priceTick: a["price-tick"],
    qtyStep: a["qty-step"],
    latencyMs: a.latency,
    jitterMs: a.jitter,
    seed: a.seed,
    impactBps: a["impact-bps"] ?? null,
    json: a.json,
  });
}

/** One order of the orders file, checked. */
export interface SimOrderInput {
  /** Its position in the file, from 0. */
  index: number;
  /** The file's `id`, or `o<index + 1>`. */
  id: string;
  /** When the signal came (epoch ms); it reaches the venue after the latency. */
  ts: number;
  side: "BUY" | "SELL";
  type: "MARKET" | "LIMIT";
  qty: Decimal;
  price: Decimal | null;
  timeInForce: "GTC" | "IOC" | "FOK";
}

const positiveAmount = (what: string) =>
  z.union([z.number(), z.string()], { error: `${what} must be a number or a decimal string` }).transform((value, ctx) => {
    const d = parseDecimal(typeof value === "number" ? String(value) : value);
    if (d === null || !d.greaterThan(0)) {
      ctx.addIssue({ code: "custom", message: `${what} must be greater than 0, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return d;
  });

const upper = <T extends string>(values: readonly [T, ...T[]], what: string) =>
  z
    .string({ error: `${what} must be one of ${values.join(", ")}` })
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(values, { error: `${what} must be one of ${values.join(", ")}` }));

const ORDER = z
  .object(
    {
      id: z
        .string()
        .regex(/^[A-Za-z0-9._:-]{1,64}$/, "id must be 1–64 letters, digits or ._:-")
        .optional(),
      ts: z.number({ error: "ts must be a number (epoch ms)" }).int("ts must be a whole number of epoch ms").nonnegative("ts must be ≥ 0"),
      side: upper(["BUY", "SELL"], "side"),
      type: upper(["MARKET", "LIMIT"], "type"),
      qty: positiveAmount("qty"),
      price: positiveAmount("price").optional(),
      timeInForce: upper(["GTC", "IOC", "FOK"], "timeInForce").optional(),
    },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `unknown field ${issue.keys.join(", ")}: an order has ts, side, type, qty, price, id, timeInForce`
          : "each order must be an object { ts, side, type, qty, price? }",
    },
  )
  .strict()
  .superRefine((order, ctx) => {
    if (order.type === "LIMIT" && order.price === undefined) ctx.addIssue({ code: "custom", message: "a LIMIT order needs a price", path: ["price"] });
    if (order.type === "MARKET" && order.price !== undefined) ctx.addIssue({ code: "custom", message: "a MARKET order takes no price", path: ["price"] });
  });

const ORDERS = z.array(ORDER, { error: "the file must hold a JSON array of orders" }).min(1, "the file holds no orders").max(100_000, "at most 100000 orders");

/** Checks the text of an orders file; `file` names it in errors, each problem names the order (`[2].price: …`). */
export function parseSimOrders(text: string, file: string): Result<SimOrderInput[], SimOrdersErrorCode> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return err("SIM_ORDERS_INVALID", `SIM_ORDERS_INVALID: ${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}).`);
  }
  const parsed = ORDERS.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("");
      return where === "" ? issue.message : `${where.replace(/^\./, "")}: ${issue.message}`;
    });
    return err("SIM_ORDERS_INVALID", `SIM_ORDERS_INVALID: ${file}: ${problems.join("; ")}.`, { problems });
  }
  const ids = new Set<string>();
  const orders: SimOrderInput[] = [];
  for (const [index, order] of parsed.data.entries()) {
    const id = order.id ?? `o${index + 1}`;
    if (ids.has(id)) return err("SIM_ORDERS_INVALID", `SIM_ORDERS_INVALID: ${file}: [${index}].id: ${id} is used twice.`);
    ids.add(id);
    orders.push({
      index,
      id,
      ts: order.ts,
      side: order.side,
      type: order.type,
      qty: order.qty,
      price: order.price ?? null,
      timeInForce: order.timeInForce ?? "GTC",
    });
  }
  return ok(orders);
}

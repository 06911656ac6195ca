/**
 * Where a desk-file problem is, in words: the YAML document as plain data (aliases and merge keys refused, exact
 * decimal text kept), the line of a key path, the "did you mean" for an unknown key, and the secret-looking keys.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode } from "yaml";
import { z } from "zod";
import { got } from "./desk-file-schema";

/** Keys that name a secret: refused anywhere in the desk file (its value is never shown). */
const SECRET_KEY = /(api[_-]?key|secret|passw(or)?d|passphrase|private[_-]?key|token|^key$|^uid$|^pass$)/i;

/** "did you mean" among `known`, for a key a few typos away. */
export function closestKey(key: string, known: readonly string[]): string | null {
  let best: { key: string; distance: number } | null = null;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  if (!best) return null;
  return best.distance <= Math.max(2, Math.floor(key.length / 4)) ? best.key : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The keys a strict object of the schema knows at `path` (records and lists are stepped through). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = schema;
  const unwrap = (t: z.ZodType): z.ZodType => {
    const def = (t as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
    if ((def.type === "optional" || def.type === "nullable" || def.type === "default") && def.innerType) return unwrap(def.innerType);
    if (def.type === "pipe" && def.in) return unwrap(def.in);
    return t;
  };
  for (const step of path) {
    if (!node) return [];
    const current = unwrap(node);
    if (current instanceof z.ZodObject) node = (current.shape as Record<string, z.ZodType>)[String(step)];
    else if (current instanceof z.ZodRecord) node = current._zod.def.valueType as z.ZodType;
    else if (current instanceof z.ZodArray) node = current._zod.def.element as z.ZodType;
    else return [];
  }
  if (!node) return [];
  const last = unwrap(node);
  if (last instanceof z.ZodObject) return Object.keys(last.shape);
  if (last instanceof z.ZodDiscriminatedUnion) {
    return [...new Set(last.options.flatMap((o) => (o instanceof z.ZodObject ? Object.keys(o.shape as object) : [])))];
  }
  return [];
}

/** `risk.max_portfolio_exposure`, `strategies[1].kind`. */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const step of path) out += typeof step === "number" ? `[${step}]` : out === "" ? String(step) : `.${String(step)}`;
  return out || "(the whole file)";
}

/** Where the problems of one parse are placed: the document, its line counter, the file's name. */
export class Locator {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    private readonly source: string,
  ) {}

  /** The line of every key in the document, by key path (`desk.symbols`, `strategies[0].params.fast`). */
  keyLines(): Record<string, number> {
    const out: Record<string, number> = {};
    const walk = (node: unknown, path: PropertyKey[]) => {
      if (isMap(node)) {
        for (const pair of node.items) {
          if (!isScalar(pair.key)) continue;
          const keyPathHere = [...path, String(pair.key.value)];
          const line = this.lineOf(pair.key);
          if (line !== null) out[keyPath(keyPathHere)] = line;
          walk(pair.value, keyPathHere);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => walk(item, [...path, i]));
      }
    };
    walk(this.doc.contents, []);
    return out;
  }

  private lineOf(node: YamlNode | null | undefined): number | null {
    const offset = node?.range?.[0];
    return offset === undefined ? null : this.lines.linePos(offset).line;
  }

  /** The node at `path`, or the nearest ancestor that exists. */
  nodeAt(path: readonly PropertyKey[]): YamlNode | null {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n) as unknown[], true);
      if (node && typeof node === "object" && "range" in node) return node as YamlNode;
    }
    return null;
  }

  /** The key node of `key` in the map at `path`. */
  keyNode(path: readonly PropertyKey[], key: string): YamlNode | null {
    const map = this.nodeAt(path);
    if (!isMap(map)) return null;
    const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    return pair && isScalar(pair.key) ? pair.key : null;
  }

  say(node: YamlNode | null, path: readonly PropertyKey[], message: string): string {
    const line = this.lineOf(node);
    return `${this.source}${line === null ? "" : ` line ${line}`}, ${keyPath(path)}: ${message}`;
  }
}

/** The document as plain data; numbers keep their exact text when a float would round them. */
export function plain(node: unknown, locator: Locator, path: PropertyKey[], problems: string[]): unknown {
  if (isAlias(node)) {
    problems.push(locator.say(node, path, "anchors and aliases (*name) are not used in a desk file; write the value out"));
    return undefined;
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      if (!isScalar(pair.key) || (typeof pair.key.value !== "string" && typeof pair.key.value !== "number")) {
        problems.push(locator.say((pair.key as YamlNode | null) ?? node, path, "keys must be plain names"));
        continue;
      }
      const key = String(pair.key.value);
      if (key === "<<") {
        problems.push(locator.say(pair.key, path, "merge keys (<<) are not used in a desk file; write the values out"));
        continue;
      }
      out[key] = plain(pair.value, locator, [...path, key], problems);
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item, i) => plain(item, locator, [...path, i], problems));
  if (isScalar(node)) {
    const value = node.value;
    if (typeof value === "number" && typeof node.source === "string" && /^[+-]?\d+(\.\d+)?$/.test(node.source.trim())) {
      const source = node.source.trim().replace(/^\+/, "");
      // A YAML float rounds long decimals; the exact text is kept for the decimal fields (number fields refuse it).
      if (String(value) !== source && String(value) !== source.replace(/\.?0+$/, "")) return source;
    }
    return typeof value === "bigint" ? Number(value) : value;
  }
  return node == null ? null : undefined;
}

/** Every key anywhere that names a secret, with its path. */
export function secretKeys(value: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => secretKeys(item, [...path, i]));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, inner]) => (SECRET_KEY.test(key) ? [[...path, key]] : secretKeys(inner, [...path, key])));
  }
  return [];
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const step of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[step];
  }
  return value;
}

export function messageOf(issue: z.core.$ZodIssue, data: unknown): string {
  // Issues do not carry their input: a key that is absent is said as such, not as a type problem.
  if (issue.code === "invalid_type" && valueAt(data, issue.path) === undefined) return "is required";
  if (issue.code === "invalid_key") return issue.issues[0]?.message ?? issue.message;
  // A discriminated union's unknown tag (sizing.method: martingale): the issue carries no input, the file does.
  if (issue.code === "invalid_union") return `is not valid (got ${got(issue.input ?? valueAt(data, issue.path))})`;
  return issue.message;
}

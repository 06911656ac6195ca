/**
 * Password hashing with scrypt (node:crypto), a per-password random salt, and the parameters stored in the hash
 * string so they can be raised later without breaking existing hashes:
 *
 *   scrypt$N=32768,r=8,p=1$<salt, base64url>$<key, base64url>
 *
 * N=2^15, r=8, p=1 costs 32 MiB and ≈ 0.1 s per hash on a small server: slow enough for guessing, cheap enough
 * for a desk with a handful of users (sign-in is rate limited too). `needsRehash` tells when a stored hash uses
 * weaker parameters than the current ones.
 */
import "server-only";
import { randomBytes, randomInt, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { DomainError } from "../core/errors";

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Limits on parameters read back from a stored hash (a corrupted row must not exhaust memory). */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/**
 * A counting semaphore with a bounded waiting line: at most `limit` tasks run, at most `maxWaiting` wait, and
 * anyone beyond that is refused at once (a flood of sign-ins must not queue unbounded 32 MiB hashes).
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(
    readonly limit: number,
    readonly maxWaiting: number,
  ) {}

  get running(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `task` when a slot is free; null (without running it) when the waiting line is full. */
  run<T>(task: () => Promise<T>): Promise<T> | null {
    if (this.active >= this.limit && this.waiting.length >= this.maxWaiting) return null;
    const start = async (): Promise<T> => {
      try {
        return await task();
      } finally {
        const next = this.waiting.shift();
        if (next) next();
        else this.active--;
      }
    };
    if (this.active < this.limit) {
      this.active++;
      return start();
    }
    // the slot passes directly from the finishing task to the next one (active stays the same)
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(start);
  }
}

/** Every scrypt in the process: 2 at a time (each takes a core and 32 MiB), 32 waiting. */
export const scryptGate = new Semaphore(2, 32);

export const PASSWORD_CHECKS_BUSY = "The server is busy checking other passwords; try again in a moment.";

function scrypt(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  const run = scryptGate.run(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scryptCb(password.normalize("NFKC"), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
      }),
  );
  return run ?? Promise.reject(new DomainError("RATE_LIMITED", PASSWORD_CHECKS_BUSY, { retryAfterMs: 1000 }));
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scrypt(password, salt, KEY_LENGTH, params);
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

const HASH_FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

export function parseHash(hash: string): ParsedHash | null {
  const m = HASH_FORMAT.exec(hash);
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > MAX_N || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return null;
  const salt = Buffer.from(m[4]!, "base64url");
  const key = Buffer.from(m[5]!, "base64url");
  if (salt.length < 8 || key.length < 16) return null;
  return { params: { N, r, p }, salt, key };
}

/** Constant-time check of a password against a stored hash. A malformed hash never verifies. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (!parsed) return false;
  const key = await scrypt(password, parsed.salt, parsed.key.length, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** True when the hash was made with weaker parameters than `current` (rehash after the next successful sign-in). */
export function needsRehash(hash: string, current: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parseHash(hash);
  if (!parsed) return true;
  const { N, r, p } = parsed.params;
  return N < current.N || r < current.r || p < current.p;
}

let dummyHash: Promise<string> | undefined;
/** Spend the same time as a real check when the user does not exist, so timing does not reveal usernames. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword("bastion-dummy-password-for-timing");
  await verifyPassword(password, await dummyHash);
}

// ---------------------------------------------------------------------------------------------------------------
// Policy

/** A short list of the most common passwords and words that make passwords guessable (checked case-insensitively). */
const COMMON = new Set([
  "password",
  "password1",
  "password12",
  "password123",
  "password1234",
  "passw0rd",
  "p@ssw0rd",
  "p@ssword",
  "123456",
  "1234567",
  "12345678",
  "123456789",
  "1234567890",
  "12345678910",
  "123456789012",
  "1234567890123",
  "qwerty",
  "qwerty123",
  "qwertyuiop",
  "qwertyuiop123",
  "asdfghjkl",
  "asdfghjkl123",
  "zxcvbnm",
  "1q2w3e4r",
  "1q2w3e4r5t6y",
  "iloveyou",
  "letmein",
  "letmein123",
  "welcome",
  "welcome1",
  "welcome123",
  "admin",
  "admin123",
  "admin1234",
  "administrator",
  "changeme",
  "changeme123",
  "default",
  "secret",
  "secret123",
  "trustno1",
  "monkey",
  "dragon",
  "football",
  "baseball",
  "sunshine",
  "princess",
  "master",
  "superman",
  "batman",
  "starwars",
  "whatever",
  "bastion",
  "bastion123",
  "trading",
  "trader",
  "trader123",
  "bitcoin",
  "bitcoin123",
  "ethereum",
  "crypto",
  "crypto123",
  "satoshi",
  "nakamoto",
  "hodl",
  "tothemoon",
  "lambo",
  "blockchain",
  "binance",
  "coinbase",
  "correcthorsebatterystaple",
  "opensesame",
  "abc123",
  "abcdef",
  "abcd1234",
  "aaaaaa",
  "111111",
  "000000",
  "666666",
  "121212",
  "654321",
  "987654321",
  "passwordpassword",
  "qazwsx",
  "qazwsxedc",
  "1qaz2wsx",
  "zaq12wsx",
  "mypassword",
  "yourpassword",
  "thisisapassword",
  "thisismypassword",
  "test",
  "test1234",
  "testing",
  "testtest",
  "guest",
  "user",
  "root",
  "toor",
  "login",
  "access",
  "shadow",
  "michael",
  "jennifer",
  "hunter2",
]);

const SEQUENCES = ["abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv"];

/** True when every character follows the previous one in one sequence (forwards or backwards, wrapping around). */
function isSequential(lower: string): boolean {
  return SEQUENCES.some((seq) =>
    [1, -1].some((dir) => {
      for (let i = 1; i < lower.length; i++) {
        const a = seq.indexOf(lower[i - 1]!);
        const b = seq.indexOf(lower[i]!);
        if (a < 0 || b < 0 || (a + dir + seq.length) % seq.length !== b) return false;
      }
      return true;
    }),
  );
}

/** Smallest unit whose repetition gives the whole string ("abcabcabcabc" → "abc"). */
function repeatedUnit(s: string): string {
  for (let len = 1; len <= s.length / 2; len++) {
    if (s.length % len === 0 && s.slice(0, len).repeat(s.length / len) === s) return s.slice(0, len);
  }
  return s;
}

function unleet(s: string): string {
  return s.replace(/[@4]/g, "a").replace(/3/g, "e").replace(/[1!|]/g, "i").replace(/0/g, "o").replace(/[$5]/g, "s").replace(/7/g, "t");
}

function stripEnds(s: string): string {
  return s.replace(/^[^a-z]+|[^a-z]+$/g, "");
}

/** The words a guesser would start from: lower case, with digits/symbols around it removed, leetspeak undone. */
function coreWords(lower: string): string[] {
  const stripped = stripEnds(lower);
  const words = [lower, stripped, unleet(stripped), stripEnds(unleet(lower))];
  return [...new Set([...words, ...words.map(repeatedUnit)])].filter((w) => w.length > 0);
}

export type PolicyResult = { ok: true } | { ok: false; message: string };

/**
 * The password policy: at least 12 characters (at most 256), not a common or trivial password (one repeated
 * character or block, a keyboard or alphabet run, a well-known password with digits, symbols or leetspeak around
 * it, or only well-known words), not built on the username, and with at least 5 different characters.
 */
export function checkPasswordPolicy(password: string, username?: string): PolicyResult {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return { ok: false, message: `The password is too short: use at least ${MIN_PASSWORD_LENGTH} characters (a few unrelated words work well).` };
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return { ok: false, message: `The password is too long: use at most ${MAX_PASSWORD_LENGTH} characters.` };
  }
  const lower = password.toLowerCase();
  const unit = repeatedUnit(lower);
  if (unit.length <= 4 || new Set(lower).size < 5) {
    return { ok: false, message: "The password repeats too few characters; it is trivial to guess. Choose a longer mix, for example a few unrelated words." };
  }
  if (isSequential(lower) || isSequential(unit)) {
    return { ok: false, message: "The password is a keyboard or alphabet sequence; it is trivial to guess." };
  }
  const words = coreWords(lower);
  const onlyCommonWords = [lower, unleet(lower)].some((variant) => {
    const tokens = variant.split(/[^a-z]+/).filter(Boolean);
    return tokens.length > 0 && tokens.every((t) => COMMON.has(t));
  });
  if (onlyCommonWords || words.some((w) => COMMON.has(w))) {
    return { ok: false, message: "The password is too common; it is among the first ones attackers try." };
  }
  if (username) {
    const u = username.toLowerCase();
    if (u.length >= 3 && words.some((w) => w.includes(u))) {
      return { ok: false, message: "The password must not contain the username." };
    }
  }
  return { ok: true };
}

const ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no 0/O, 1/l/I

/** The digits the policy reads as letters (see unleet), by the letter they stand for. */
const LEET_DIGITS: Readonly<Record<string, string>> = { a: "4", e: "3", s: "5", t: "7" };

/**
 * Picks one character of `alphabet`; the default draws uniformly with node:crypto. Tests inject their own to prove
 * the result never depends on luck.
 */
export type PickCharacter = (alphabet: string) => string;

const cryptoPick: PickCharacter = (alphabet) => alphabet[randomInt(alphabet.length)]!;

/**
 * The alphabet without the username's first character (either case, and the digit the policy reads as it): a
 * password made from it can never contain the username, even undoing leetspeak (the policy refuses that).
 */
function alphabetFor(username: string | undefined): string {
  const first = username?.trim().toLowerCase()[0];
  if (first === undefined) return ALPHABET;
  const leet = LEET_DIGITS[first];
  return [...ALPHABET].filter((c) => c.toLowerCase() !== first && c !== leet).join("");
}

const MAX_GENERATE_ATTEMPTS = 100;

/**
 * A strong random password that the policy accepts for `username`: 4 groups of 5 characters from a 54–56-letter
 * alphabet (≈ 115 bits), e.g. "Xk3pa-…". It cannot contain the username (see alphabetFor); anything else the
 * policy might refuse (a run, too few different characters) is drawn again.
 */
export function generatePassword(username?: string, pick: PickCharacter = cryptoPick): string {
  const alphabet = alphabetFor(username);
  for (let attempt = 0; attempt < MAX_GENERATE_ATTEMPTS; attempt++) {
    const groups: string[] = [];
    for (let g = 0; g < 4; g++) {
      let s = "";
      for (let i = 0; i < 5; i++) s += pick(alphabet);
      groups.push(s);
    }
    const password = groups.join("-");
    if (checkPasswordPolicy(password, username).ok) return password;
  }
  // Only a broken random source gets here (the odds of 100 refusals in a row are nil): better no password than a weak one.
  throw new Error(`generatePassword: ${MAX_GENERATE_ATTEMPTS} passwords in a row failed the policy; the random source is broken.`);
}

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { createLiveExchange, loadLiveConfig, loadLiveVenueConfigs, LIVE_OPT_IN_VALUE, overrideApiUrls, type LiveConfig } from "./live-config";

const KEY = "live-key-AAAA1111BBBB2222CCCC3333wxyz";
const SECRET = "live-secret-ZZZZ9999YYYY8888XXXX7777s3cr3t";
const PASSPHRASE = "live-pass-phrase-42";
const NO_FILE_DIR = "/nonexistent-bastion-dir";

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bastion-live-config-"));
  dirs.push(dir);
  return dir;
}

const full = { BASTION_EXCHANGE: "binance", BASTION_API_KEY: KEY, BASTION_API_SECRET: SECRET, BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE };

function load(env: Record<string, string | undefined>, cwd = NO_FILE_DIR): ReturnType<typeof loadLiveConfig> {
  return loadLiveConfig(env, { cwd });
}

function mustLoad(env: Record<string, string | undefined>, cwd = NO_FILE_DIR): LiveConfig {
  const result = load(env, cwd);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe("loadLiveConfig refuses, in plain words", () => {
  it.each([
    {
      name: "no keys",
      env: { BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE },
      code: "LIVE_NO_KEYS",
      says: ["LIVE mode needs BASTION_API_KEY and BASTION_API_SECRET"],
    },
    {
      name: "a key without a secret",
      env: { BASTION_API_KEY: KEY, BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE },
      code: "LIVE_NO_KEYS",
      says: ["BASTION_API_SECRET"],
    },
    {
      name: "no opt-in",
      env: { BASTION_API_KEY: KEY, BASTION_API_SECRET: SECRET },
      code: "LIVE_NO_OPT_IN",
      says: ["set BASTION_LIVE_OPT_IN=I_UNDERSTAND_REAL_MONEY to trade real money"],
    },
    { name: "a wrong opt-in", env: { ...full, BASTION_LIVE_OPT_IN: "yes" }, code: "LIVE_NO_OPT_IN", says: ["I_UNDERSTAND_REAL_MONEY"] },
    { name: "neither keys nor opt-in (both said)", env: {}, code: "LIVE_NO_KEYS", says: ["BASTION_API_KEY", "BASTION_LIVE_OPT_IN"] },
    {
      name: "an unknown exchange",
      env: { ...full, BASTION_EXCHANGE: "mtgox" },
      code: "LIVE_UNKNOWN_EXCHANGE",
      says: ['no exchange "mtgox"', "BASTION_EXCHANGE"],
    },
    {
      name: "bitget without its passphrase",
      env: { ...full, BASTION_EXCHANGE: "bitget" },
      code: "LIVE_NO_PASSWORD",
      says: ["bitget also needs BASTION_API_PASSWORD"],
    },
    {
      name: "a testnet the exchange does not have",
      env: { ...full, BASTION_EXCHANGE: "bitstamp", BASTION_SANDBOX: "1" },
      code: "LIVE_NO_SANDBOX",
      says: ["no testnet for bitstamp"],
    },
    {
      name: "a sandbox switch that is not a switch",
      env: { ...full, BASTION_SANDBOX: "maybe" },
      code: "LIVE_BAD_SETTING",
      says: ["BASTION_SANDBOX must be 1 or 0"],
    },
    { name: "plain http to a remote host", env: { ...full, BASTION_API_URL: "http://proxy.example.com" }, code: "LIVE_BAD_URL", says: ["must use https"] },
    {
      name: "a URL with credentials",
      env: { ...full, BASTION_API_URL: `https://user:${SECRET}@proxy.example.com` },
      code: "LIVE_BAD_URL",
      says: ["must not carry credentials"],
    },
    { name: "a URL that is not one", env: { ...full, BASTION_API_URL: "not a url" }, code: "LIVE_BAD_URL", says: ["not a valid URL"] },
    {
      name: "a named config file that is missing",
      env: { ...full, BASTION_LIVE_CONFIG: "/nonexistent-bastion-dir/live.json" },
      code: "LIVE_BAD_FILE",
      says: ["does not exist"],
    },
  ])("$name", ({ env, code, says }) => {
    const result = load(env);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(code);
    expect(result.error.message.startsWith(`${code}: `)).toBe(true);
    for (const phrase of says) expect(result.error.message.toLowerCase()).toContain(phrase.toLowerCase());
    expect(result.error.message).not.toContain(SECRET);
    expect(JSON.stringify(result.error)).not.toContain(SECRET);
  });
});

describe("loadLiveConfig reads", () => {
  it("environment variables, with binance on spot markets by default", () => {
    const config = mustLoad({ ...full, BASTION_API_URL: "http://127.0.0.1:4010/" });
    expect(config.toJSON()).toEqual({
      exchangeId: "binance",
      sandbox: false,
      apiUrl: "http://127.0.0.1:4010",
      marketTypes: ["spot"],
      keyHint: "****wxyz",
      hasPassword: false,
      file: null,
    });
  });

  it("bitget with a passphrase and testnet", () => {
    const config = mustLoad({ ...full, BASTION_EXCHANGE: "Bitget", BASTION_API_PASSWORD: PASSPHRASE, BASTION_SANDBOX: "true" });
    expect(config).toMatchObject({ exchangeId: "bitget", sandbox: true, hasPassword: true, marketTypes: [] });
  });

  it("a git-ignored file, with variables winning over it, and warns when others can read it", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "data"));
    const file = path.join(dir, "data", "live.json");
    writeFileSync(
      file,
      JSON.stringify({ exchange: "bitget", apiKey: KEY, secret: SECRET, password: PASSPHRASE, optIn: LIVE_OPT_IN_VALUE, marketTypes: ["spot", "swap"] }),
    );
    chmodSync(file, 0o644);
    const fromFile = mustLoad({}, dir);
    expect(fromFile).toMatchObject({ exchangeId: "bitget", hasPassword: true, file, marketTypes: ["spot", "swap"] });
    expect(fromFile.warnings.join(" ")).toContain("chmod 600");
    chmodSync(file, 0o600);
    const overridden = mustLoad({ BASTION_EXCHANGE: "binance", BASTION_MARKET_TYPES: "spot" }, dir);
    expect(overridden).toMatchObject({ exchangeId: "binance", marketTypes: ["spot"], warnings: [] });
  });

  it("the file named by BASTION_LIVE_CONFIG, and never repeats a broken file's content", () => {
    const dir = tempDir();
    const file = path.join(dir, "elsewhere.json");
    writeFileSync(file, `{"apiKey": "${KEY}", "secret": ${SECRET} }`);
    const broken = load({ BASTION_LIVE_CONFIG: file });
    expect(broken.ok).toBe(false);
    if (broken.ok) return;
    expect(broken.error).toMatchObject({ code: "LIVE_BAD_FILE" });
    expect(broken.error.message).toContain("is not valid JSON");
    expect(broken.error.message).not.toContain(SECRET);
    writeFileSync(file, JSON.stringify({ apiKey: KEY, secret: SECRET, optIn: LIVE_OPT_IN_VALUE }));
    expect(mustLoad({ BASTION_LIVE_CONFIG: file }).file).toBe(file);
  });
});

describe("secrets stay secret", () => {
  it("the config shows no key, secret or passphrase through JSON, inspect, String or spread", () => {
    const config = mustLoad({ ...full, BASTION_EXCHANGE: "bitget", BASTION_API_PASSWORD: PASSPHRASE });
    const renderings = [
      JSON.stringify(config),
      JSON.stringify({ nested: { config } }),
      inspect(config, { depth: 10 }),
      inspect(config, { depth: 10, showHidden: true }),
      String(config),
      `${String(config)}`,
      [config].join(","),
      JSON.stringify({ ...config }),
      Object.values(config).map(String).join(" "),
    ];
    for (const text of renderings) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(PASSPHRASE);
    }
    expect(String(config)).toBe("LiveConfig(bitget, key ****wxyz)");
  });

  it("the ccxt instances sign with the keys but do not show them", () => {
    const config = mustLoad({ ...full, BASTION_EXCHANGE: "bitget", BASTION_API_PASSWORD: PASSPHRASE });
    const { exchange, emergency } = createLiveExchange(config);
    for (const ex of [exchange, emergency]) {
      expect(ex.apiKey).toBe(KEY);
      expect(ex.secret).toBe(SECRET);
      expect(ex.password).toBe(PASSPHRASE);
      expect(ex.checkRequiredCredentials(false)).toBe(true);
      expect(Object.keys(ex)).not.toContain("secret");
      const shown = inspect(ex, { depth: 2 });
      expect(shown).not.toContain(SECRET);
      expect(shown).not.toContain(PASSPHRASE);
    }
  });

  it("refuses a config object that did not come from loadLiveConfig", () => {
    const fake: LiveConfig = { ...mustLoad(full) };
    expect(() => createLiveExchange(fake)).toThrow("needs a configuration returned by loadLiveConfig");
  });
});

describe("createLiveExchange", () => {
  it("builds two separate binance instances: rate limiter on, no ccxt retries, spot only, no sapi at load", () => {
    const { exchange, emergency } = createLiveExchange(mustLoad(full), { timeoutMs: 5_000, emergencyTimeoutMs: 2_000 });
    expect(exchange).not.toBe(emergency);
    expect(exchange.throttler).not.toBe(emergency.throttler);
    for (const ex of [exchange, emergency]) {
      expect(ex.id).toBe("binance");
      expect(ex.enableRateLimit).toBe(true);
      expect(ex.options).toMatchObject({
        maxRetriesOnFailure: 0,
        fetchCurrencies: false,
        fetchMargins: false,
        warnOnFetchOpenOrdersWithoutSymbol: false,
        fetchMarkets: { types: ["spot"] },
      });
      expect((ex.urls.api as Record<string, string>).public).toBe("https://api.binance.com/api/v3");
    }
    expect([exchange.timeout, emergency.timeout]).toEqual([5_000, 2_000]);
  });

  it("points binance at its testnet with BASTION_SANDBOX", () => {
    const { exchange } = createLiveExchange(mustLoad({ ...full, BASTION_SANDBOX: "1" }));
    expect((exchange.urls.api as Record<string, string>).private).toBe("https://testnet.binance.vision/api/v3");
  });

  it("rewrites every API origin onto BASTION_API_URL (spot, sapi, futures alike)", () => {
    const { exchange, emergency } = createLiveExchange(mustLoad({ ...full, BASTION_API_URL: "http://127.0.0.1:4010" }));
    for (const ex of [exchange, emergency]) {
      const api = ex.urls.api as Record<string, string>;
      expect(api.public).toBe("http://127.0.0.1:4010/api/v3");
      expect(api.private).toBe("http://127.0.0.1:4010/api/v3");
      expect(api.sapi).toBe("http://127.0.0.1:4010/sapi/v1");
      expect(api.fapiPublic).toBe("http://127.0.0.1:4010/fapi/v1");
      expect(Object.values(api).every((u) => u.startsWith("http://127.0.0.1:4010/"))).toBe(true);
    }
  });

  it("rewrites bitget's templated origins too, and keeps its passphrase", () => {
    const { exchange } = createLiveExchange(
      mustLoad({ ...full, BASTION_EXCHANGE: "bitget", BASTION_API_PASSWORD: PASSPHRASE, BASTION_API_URL: "https://proxy.example.com/bitget" }),
    );
    expect((exchange.urls.api as Record<string, string>).spot).toBe("https://proxy.example.com/bitget");
    expect(overrideApiUrls({ a: "https://api.{hostname}/x", b: { c: "https://b.example/y" }, n: 3 }, "http://127.0.0.1:1")).toEqual({
      a: "http://127.0.0.1:1/x",
      b: { c: "http://127.0.0.1:1/y" },
      n: 3,
    });
  });

  it("hands a fetchImplementation to both instances: signed requests go through it, keys in the header only", async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const fetchImplementation = (url: string, init?: Record<string, unknown>): Promise<Response> => {
      seen.push({ url, headers: (init?.headers ?? {}) as Record<string, string> });
      return Promise.resolve(new Response(JSON.stringify({ code: -2015, msg: "Invalid API-key, IP, or permissions for action." }), { status: 401 }));
    };
    const { exchange, emergency } = createLiveExchange(mustLoad({ ...full, BASTION_API_URL: "http://127.0.0.1:9" }), {
      fetchImplementation,
      options: { adjustForTimeDifference: false },
    });
    for (const ex of [exchange, emergency]) {
      ex.markets = {} as typeof ex.markets; // skip loadMarkets
      await expect(ex.fetchBalance()).rejects.toThrow("-2015");
    }
    expect(seen).toHaveLength(2);
    for (const { url, headers } of seen) {
      expect(url.startsWith("http://127.0.0.1:9/api/v3/account?timestamp=")).toBe(true);
      expect(url).not.toContain(SECRET);
      expect(headers["X-MBX-APIKEY"]).toBe(KEY);
    }
  });

  it("does not let options re-enable retries or smuggle credentials", () => {
    const config = mustLoad(full);
    expect(() => createLiveExchange(config, { options: { maxRetriesOnFailure: 3 } })).toThrow("cannot be overridden");
    expect(() => createLiveExchange(config, { options: { secret: "x" } })).toThrow("cannot be overridden");
  });
});

describe("loadLiveVenueConfigs: each ccxt venue of a desk file with its own keys", () => {
  const binance = { id: "binance-main", exchange: "binance", testnet: false, apiUrl: "http://127.0.0.1:9001" };
  const bitget = { id: "bitget-1", exchange: "bitget", testnet: false, apiUrl: null };

  it("reads BASTION_VENUE_<ID>_API_* per venue, with the venue's exchange and api_url", () => {
    const result = loadLiveVenueConfigs(
      {
        BASTION_VENUE_BINANCE_MAIN_API_KEY: KEY,
        BASTION_VENUE_BINANCE_MAIN_API_SECRET: SECRET,
        BASTION_VENUE_BITGET_1_API_KEY: `${KEY}-2`,
        BASTION_VENUE_BITGET_1_API_SECRET: SECRET,
        BASTION_VENUE_BITGET_1_API_PASSWORD: PASSPHRASE,
        // The single-exchange keys are not a venue's.
        BASTION_API_KEY: "other-key-0000",
        BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE,
      },
      [binance, bitget],
    );
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.map(({ id, config }) => [id, config.exchangeId, config.apiUrl, config.keyHint, config.hasPassword])).toEqual([
      ["binance-main", "binance", "http://127.0.0.1:9001", "****wxyz", false],
      ["bitget-1", "bitget", null, "****yz-2", true],
    ]);
  });

  it("refuses naming every venue without keys and the variables to set, the opt-in said once, no value shown", () => {
    const result = loadLiveVenueConfigs({ BASTION_VENUE_BITGET_1_API_KEY: KEY, BASTION_VENUE_BITGET_1_API_SECRET: SECRET }, [binance, bitget]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("LIVE_NO_KEYS");
    expect(result.error.message).toBe(
      "LIVE_NO_KEYS: venue binance-main needs BASTION_VENUE_BINANCE_MAIN_API_KEY and BASTION_VENUE_BINANCE_MAIN_API_SECRET (or api_key and api_secret under venues.binance-main in the secrets file). " +
        "venue bitget-1 (bitget) also needs BASTION_VENUE_BITGET_1_API_PASSWORD (or api_password under venues.bitget-1 in the secrets file): the API passphrase set when the key was created. " +
        `Set BASTION_LIVE_OPT_IN=${LIVE_OPT_IN_VALUE} to trade real money.`,
    );
    expect(result.error.details).toEqual({ problems: ["LIVE_NO_KEYS", "LIVE_NO_OPT_IN", "LIVE_NO_PASSWORD"] });
    expect(result.error.message).not.toContain(SECRET);
  });

  it("names the venue whose api_url is unsafe, and reads no settings file", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "data"));
    writeFileSync(path.join(dir, "data", "live.json"), "not json");
    const result = loadLiveVenueConfigs(
      { BASTION_VENUE_BINANCE_MAIN_API_KEY: KEY, BASTION_VENUE_BINANCE_MAIN_API_SECRET: SECRET, BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE },
      [{ ...binance, apiUrl: "http://exchange.example" }],
    );
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: "LIVE_BAD_URL",
        message: "LIVE_BAD_URL: the api_url of venue binance-main must use https; plain http is allowed only for 127.0.0.1 and localhost.",
      },
    });
  });
});

/**
 * User administration from the shell (works with the server stopped or running):
 *
 *   npm run user -- create <username> --role <viewer|trader|admin> [--password-stdin]
 *   npm run user -- reset-password <username> [--password-stdin]
 *   npm run user -- set-role <username> <viewer|trader|admin>
 *   npm run user -- disable <username>
 *   npm run user -- enable <username>
 *   npm run user -- list
 *
 * Without --password-stdin a strong password is generated and printed once. Uses DATABASE_URL like the server.
 * Exit codes: 0 done, 1 refused or failed (the reason is printed), 2 bad usage. Every change is audited (actor "cli").
 */
import { userInfo } from "node:os";
import { pathToFileURL } from "node:url";
import { audited } from "../server/db/audit";
import { generatePassword } from "../server/auth/password";
import { ROLES, isRole, type Role } from "../server/auth/roles";
import { createUser, disableUser, enableUser, listUsers, normalizeUsername, setPassword, setRole } from "../server/auth/users";
import { isDomainError } from "../server/core/errors";

export const USAGE = `Usage: npm run user -- <command>
  create <username> --role <${ROLES.join("|")}> [--password-stdin]
  reset-password <username> [--password-stdin]
  set-role <username> <${ROLES.join("|")}>
  disable <username>
  enable <username>
  list
Without --password-stdin a strong password is generated and printed once.`;

export type Command =
  | { kind: "create"; username: string; role: Role; passwordStdin: boolean }
  | { kind: "reset-password"; username: string; passwordStdin: boolean }
  | { kind: "set-role"; username: string; role: Role }
  | { kind: "disable"; username: string }
  | { kind: "enable"; username: string }
  | { kind: "list" }
  | { kind: "help" };

export type Parsed = { ok: true; command: Command } | { ok: false; message: string };

function fail(message: string): Parsed {
  return { ok: false, message };
}

function parseRole(value: string | undefined, where: string): { role: Role } | { problem: string } {
  if (value === undefined) return { problem: `${where} needs a role: one of ${ROLES.join(", ")}.` };
  return isRole(value) ? { role: value } : { problem: `Unknown role "${value}": use one of ${ROLES.join(", ")}.` };
}

export function parseArgs(argv: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") continue;
    if (arg === "-h" || arg === "--help") return { ok: true, command: { kind: "help" } };
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (name === "role") {
        const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined || value.startsWith("--")) return fail(`--role needs a value: one of ${ROLES.join(", ")}.`);
        flags.set("role", value);
      } else if (name === "password-stdin" && eq < 0) {
        flags.set("password-stdin", true);
      } else {
        return fail(`Unknown option "${arg}".`);
      }
    } else {
      positional.push(arg);
    }
  }
  const [cmd, ...rest] = positional;
  const allow = (...names: string[]): string | null => {
    for (const name of flags.keys()) if (!names.includes(name)) return `"${cmd}" does not take --${name}.`;
    return null;
  };
  const arity = (n: number, shape: string): string | null =>
    rest.length === n ? null : `"${cmd}" takes ${shape}${rest.length > n ? `; unexpected "${rest[n]}"` : ""}.`;

  switch (cmd) {
    case undefined:
      return fail("No command given.");
    case "create": {
      const problem = allow("role", "password-stdin") ?? arity(1, "one username");
      if (problem) return fail(problem);
      const role = parseRole(flags.get("role") as string | undefined, "create");
      if ("problem" in role) return fail(role.problem);
      return { ok: true, command: { kind: "create", username: rest[0]!, role: role.role, passwordStdin: flags.has("password-stdin") } };
    }
    case "reset-password": {
      const problem = allow("password-stdin") ?? arity(1, "one username");
      if (problem) return fail(problem);
      return { ok: true, command: { kind: "reset-password", username: rest[0]!, passwordStdin: flags.has("password-stdin") } };
    }
    case "set-role": {
      const problem = allow() ?? arity(2, "a username and a role");
      if (problem) return fail(problem);
      const role = parseRole(rest[1], "set-role");
      if ("problem" in role) return fail(role.problem);
      return { ok: true, command: { kind: "set-role", username: rest[0]!, role: role.role } };
    }
    case "disable":
    case "enable": {
      const problem = allow() ?? arity(1, "one username");
      if (problem) return fail(problem);
      return { ok: true, command: { kind: cmd, username: rest[0]! } };
    }
    case "list": {
      const problem = allow() ?? arity(0, "no arguments");
      if (problem) return fail(problem);
      return { ok: true, command: { kind: "list" } };
    }
    case "help":
      return { ok: true, command: { kind: "help" } };
    default:
      return fail(`Unknown command "${cmd}".`);
  }
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
  readStdin(): Promise<string>;
}

async function passwordFrom(stdin: boolean, username: string, io: Io): Promise<{ password: string; generated: boolean }> {
  if (!stdin) return { password: generatePassword(normalizeUsername(username)), generated: true };
  const text = (await io.readStdin()).replace(/\r?\n$/, "");
  if (text.length === 0) throw new UsageError("--password-stdin was given but stdin was empty.");
  return { password: text, generated: false };
}

class UsageError extends Error {}

function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/** Runs the CLI; returns the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.err(`${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const command = parsed.command;
  const cli = { username: cliActor(), role: "cli" };
  try {
    switch (command.kind) {
      case "help":
        io.out(USAGE);
        return 0;
      case "list": {
        const users = await listUsers();
        if (users.length === 0) {
          io.out('No users yet. The server creates "admin" on its first start, or: npm run user -- create <name> --role admin');
          return 0;
        }
        io.out(`${pad("USERNAME", 24)}${pad("ROLE", 8)}STATUS`);
        for (const u of users) io.out(`${pad(u.username, 24)}${pad(u.role, 8)}${u.disabled ? "disabled" : "active"}`);
        return 0;
      }
      case "create": {
        const { password, generated } = await passwordFrom(command.passwordStdin, command.username, io);
        await audited(cli, "user_create", normalizeUsername(command.username), { role: command.role, generated }, async () => {
          await createUser({ username: command.username, password, role: command.role });
        });
        const name = normalizeUsername(command.username);
        io.out(`Created user "${name}" with role ${command.role}.`);
        if (generated) io.out(`Password (shown only this once): ${password}`);
        return 0;
      }
      case "reset-password": {
        const { password, generated } = await passwordFrom(command.passwordStdin, command.username, io);
        await audited(cli, "user_reset_password", normalizeUsername(command.username), { generated }, () => setPassword(command.username, password));
        io.out(`New password set for "${normalizeUsername(command.username)}"; their sessions were ended.`);
        if (generated) io.out(`Password (shown only this once): ${password}`);
        return 0;
      }
      case "set-role":
        await audited(cli, "user_set_role", normalizeUsername(command.username), { role: command.role }, async () => {
          await setRole(command.username, command.role);
        });
        io.out(`"${normalizeUsername(command.username)}" now has the role ${command.role}.`);
        return 0;
      case "disable":
        await audited(cli, "user_disable", normalizeUsername(command.username), null, async () => {
          await disableUser(command.username);
        });
        io.out(`Disabled "${normalizeUsername(command.username)}" and ended their sessions.`);
        return 0;
      case "enable":
        await audited(cli, "user_enable", normalizeUsername(command.username), null, async () => {
          await enableUser(command.username);
        });
        io.out(`Enabled "${normalizeUsername(command.username)}".`);
        return 0;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(e.message);
      return 2;
    }
    if (isDomainError(e)) {
      io.err(`Refused (${e.code}): ${e.message}`);
      return 1;
    }
    const message = e instanceof Error ? e.message : String(e);
    if (/no such table/i.test(message)) {
      io.err("The database has no users table yet; run `npm run db:migrate` first (DATABASE_URL selects the file).");
    } else {
      io.err(`Failed: ${message}`);
    }
    return 1;
  }
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const io: Io = { out: (l) => console.log(l), err: (l) => console.error(l), readStdin: readAllStdin };
  const code = await run(process.argv.slice(2), io);
  const { db } = await import("../server/db/client");
  await db().$disconnect();
  process.exit(code);
}

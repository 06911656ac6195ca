/**
 * First start: when there is no user at all, create `admin` (role admin) with BASTION_ADMIN_PASSWORD, or with a
 * generated password printed once in the server log. A BASTION_ADMIN_PASSWORD that fails the password policy
 * stops the start (BootstrapError) rather than creating a weak admin. Once any user exists this does nothing
 * (the variable is then ignored: use `npm run user -- reset-password admin`).
 */
import "server-only";
import { appConfig } from "../config";
import { type Clock } from "../core/clock";
import { checkPasswordPolicy, generatePassword, type ScryptParams } from "./password";
import { countUsers, createUser } from "./users";
import { isDomainError } from "../core/errors";

export const ADMIN_USERNAME = "admin";

export class BootstrapError extends Error {
  override readonly name = "BootstrapError";
}

export interface BootstrapLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface BootstrapOptions {
  log: BootstrapLogger;
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  scrypt?: ScryptParams;
}

export type BootstrapResult = { created: false } | { created: true; username: string; passwordSource: "env" | "generated" };

export async function ensureAdminUser(opts: BootstrapOptions): Promise<BootstrapResult> {
  if ((await countUsers()) > 0) return { created: false };

  const fromEnv = appConfig(opts.env).adminPassword?.reveal();
  if (fromEnv !== undefined && fromEnv !== "") {
    const policy = checkPasswordPolicy(fromEnv, ADMIN_USERNAME);
    if (!policy.ok) {
      throw new BootstrapError(
        `BASTION_ADMIN_PASSWORD is refused: ${policy.message} Bastion did not start. Set a stronger password, or unset the variable to have one generated.`,
      );
    }
  }
  const password = fromEnv || generatePassword(ADMIN_USERNAME);
  try {
    await createUser({ username: ADMIN_USERNAME, password, role: "admin" }, { clock: opts.clock, scrypt: opts.scrypt });
  } catch (e) {
    // Another process created it in the meantime: nothing to do.
    if (isDomainError(e) && e.code === "ALREADY_EXISTS") return { created: false };
    throw e;
  }
  if (fromEnv) {
    opts.log.info(`Bastion: created the first user "${ADMIN_USERNAME}" (role admin) with the password from BASTION_ADMIN_PASSWORD.`);
    return { created: true, username: ADMIN_USERNAME, passwordSource: "env" };
  }
  const line = "=".repeat(72);
  opts.log.warn(
    [
      line,
      ` Bastion: created the first user "${ADMIN_USERNAME}" (role admin).`,
      ` Password: ${password}`,
      " It is shown only this once. Sign in at /signin, then keep it safe or change it:",
      `   npm run user -- reset-password ${ADMIN_USERNAME}`,
      line,
    ].join("\n"),
  );
  return { created: true, username: ADMIN_USERNAME, passwordSource: "generated" };
}

/** For instrumentation-node.ts: ensure the first admin; a refused BASTION_ADMIN_PASSWORD exits the process (code 1). */
export async function bootstrapOnStart(): Promise<void> {
  try {
    await ensureAdminUser({ log: { info: (m) => console.log(m), warn: (m) => console.warn(m) } });
  } catch (e) {
    if (e instanceof BootstrapError) {
      console.error(e.message);
      process.exit(1);
    }
    // e.g. `next dev` before `npm run db:migrate`: say so and keep serving (health shows the database error).
    console.error(`Bastion: could not check for the first admin user: ${e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e)}`);
  }
}

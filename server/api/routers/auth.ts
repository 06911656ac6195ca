/**
 * auth: sign in/out, who am I, change my password, and user management (admin). Every change is audited.
 */
import { z } from "zod";
import { audited, recordAudit } from "../../db/audit";
import { clearSessionCookie, serializeSessionCookie } from "../../auth/cookies";
import { deviceIdFor, issueDeviceToken, serializeDeviceCookie } from "../../auth/device";
import { generatePassword } from "../../auth/password";
import { signInLimiter } from "../../auth/rate-limit";
import { refusedSignInAudit } from "../../auth/sign-in-audit";
import { hasRole, ROLES } from "../../auth/roles";
import { createSession, purgeExpiredSessions, revokeSession } from "../../auth/sessions";
import { createUser, disableUser, enableUser, listUsers, normalizeUsername, setPassword, setRole, verifyCredentials, type UserInfo } from "../../auth/users";
import { DomainError, isDomainError } from "../errors";
import { isPersonText, isWellFormed } from "../../core/input-schemas";
import { adminProcedure, publicProcedure, router, viewerProcedure } from "../trpc";

const username = z
  .string({ error: "Enter a username." })
  .trim()
  .min(1, "Enter a username.")
  // A coarse size guard before anything else runs; the username rule itself (3–32 characters) is auth/users.ts's.
  .max(64, "A username has at most 32 characters.")
  .refine(isPersonText, "A username is letters, digits and punctuation: no control or broken characters.");
const password = z
  .string({ error: "Enter a password." })
  .min(1, "Enter a password.")
  .max(1024, "The password is too long.")
  .refine(isWellFormed, "The password contains a broken character (a lone UTF-16 surrogate).");
const role = z.enum(ROLES, { error: `The role must be one of ${ROLES.join(", ")}.` });

function publicUser(u: { id: string; username: string; role: string }): { id: string; username: string; role: string } {
  return { id: u.id, username: u.username, role: u.role };
}

const usersRouter = router({
  list: adminProcedure.query(async (): Promise<UserInfo[]> => listUsers()),

  /** Without a password, one is generated and returned once. */
  create: adminProcedure.input(z.object({ username, role, password: password.optional() })).mutation(({ ctx, input }) =>
    audited(ctx.actor, "user_create", normalizeUsername(input.username), { role: input.role, generated: !input.password }, async () => {
      const pw = input.password ?? generatePassword(normalizeUsername(input.username));
      const user = await createUser({ username: input.username, password: pw, role: input.role });
      return { user, generatedPassword: input.password ? null : pw };
    }),
  ),

  setRole: adminProcedure
    .input(z.object({ username, role }))
    .mutation(({ ctx, input }) =>
      audited(ctx.actor, "user_set_role", normalizeUsername(input.username), { role: input.role }, () => setRole(input.username, input.role)),
    ),

  /** Without a password, one is generated and returned once. Signs the user out everywhere. */
  resetPassword: adminProcedure.input(z.object({ username, password: password.optional() })).mutation(({ ctx, input }) =>
    audited(ctx.actor, "user_reset_password", normalizeUsername(input.username), { generated: !input.password }, async () => {
      const pw = input.password ?? generatePassword(normalizeUsername(input.username));
      await setPassword(input.username, pw);
      return { username: normalizeUsername(input.username), generatedPassword: input.password ? null : pw };
    }),
  ),

  disable: adminProcedure.input(z.object({ username })).mutation(({ ctx, input }) =>
    audited(ctx.actor, "user_disable", normalizeUsername(input.username), null, async () => {
      if (normalizeUsername(input.username) === ctx.user.username) {
        throw new DomainError("CONFLICT", "You cannot disable your own account; ask another admin.");
      }
      return disableUser(input.username);
    }),
  ),

  enable: adminProcedure
    .input(z.object({ username }))
    .mutation(({ ctx, input }) => audited(ctx.actor, "user_enable", normalizeUsername(input.username), null, () => enableUser(input.username))),
});

export const authRouter = router({
  /** The signed-in user, or null. */
  /** `can` says what the role may do, so the UI hides what it cannot without knowing the role order itself. */
  me: publicProcedure.query(({ ctx }) =>
    ctx.user
      ? {
          ...publicUser(ctx.user),
          can: { viewer: hasRole(ctx.user.role, "viewer"), trader: hasRole(ctx.user.role, "trader"), admin: hasRole(ctx.user.role, "admin") },
        }
      : null,
  ),

  signIn: publicProcedure.input(z.object({ username, password })).mutation(async ({ ctx, input }) => {
    const name = normalizeUsername(input.username).slice(0, 64);
    const attempt = { actor: name, role: "none", action: "sign_in", target: name, params: { ip: ctx.ip } };
    const refusals = refusedSignInAudit();
    const refuse = async (code: string, message: string, details?: Record<string, unknown>): Promise<never> => {
      await refusals.refused({ username: name, ip: ctx.ip, detail: message });
      throw new DomainError(code, message, details);
    };
    // Counted here, before the password is checked (rate-limit.ts has the rule).
    const gate = signInLimiter().begin(name, ctx.ip, deviceIdFor(ctx.deviceToken, name));
    if (!gate.ok) return refuse("RATE_LIMITED", gate.message, { retryAfterMs: gate.retryAfterMs });
    let check: Awaited<ReturnType<typeof verifyCredentials>>;
    try {
      check = await verifyCredentials(name, input.password);
    } catch (e) {
      gate.attempt.abandoned();
      if (isDomainError(e) && e.code === "RATE_LIMITED") return refuse(e.code, e.message, e.details);
      throw e;
    }
    if (!check.ok) {
      gate.attempt.failed();
      const message = check.code === "BAD_CREDENTIALS" ? "Wrong username or password." : "This account is disabled; ask an admin to enable it.";
      return refuse(check.code, message);
    }
    gate.attempt.succeeded();
    if (ctx.sessionToken) await revokeSession(ctx.sessionToken);
    const { token } = await createSession(check.user.id);
    ctx.resHeaders.append("set-cookie", serializeSessionCookie(token, { secure: ctx.secureCookies }));
    if (!deviceIdFor(ctx.deviceToken, name)) ctx.resHeaders.append("set-cookie", serializeDeviceCookie(issueDeviceToken(name), { secure: ctx.secureCookies }));
    await recordAudit({ ...attempt, role: check.user.role, result: "OK" });
    await refusals.flushDue();
    await purgeExpiredSessions();
    return { user: publicUser(check.user) };
  }),

  signOut: viewerProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await revokeSession(ctx.sessionToken);
    ctx.resHeaders.append("set-cookie", clearSessionCookie({ secure: ctx.secureCookies }));
    await recordAudit({ actor: ctx.actor.username, role: ctx.actor.role, action: "sign_out", target: ctx.user.username, result: "OK" });
    return { ok: true as const };
  }),

  /** Change my own password (needs the current one). Other sessions end; this one is renewed. */
  changePassword: viewerProcedure.input(z.object({ currentPassword: password, newPassword: password })).mutation(({ ctx, input }) =>
    audited(ctx.actor, "password_change", ctx.user.username, null, async () => {
      const gate = signInLimiter().begin(ctx.user.username, ctx.ip, deviceIdFor(ctx.deviceToken, ctx.user.username));
      if (!gate.ok) throw new DomainError("RATE_LIMITED", gate.message, { retryAfterMs: gate.retryAfterMs });
      let check: Awaited<ReturnType<typeof verifyCredentials>>;
      try {
        check = await verifyCredentials(ctx.user.username, input.currentPassword);
      } catch (e) {
        gate.attempt.abandoned();
        throw e;
      }
      if (!check.ok) {
        gate.attempt.failed();
        throw new DomainError("BAD_CREDENTIALS", "The current password is wrong.");
      }
      gate.attempt.succeeded();
      await setPassword(ctx.user.username, input.newPassword);
      const { token } = await createSession(ctx.user.id);
      ctx.resHeaders.append("set-cookie", serializeSessionCookie(token, { secure: ctx.secureCookies }));
      return { ok: true as const };
    }),
  ),

  users: usersRouter,
});

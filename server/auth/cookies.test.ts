import { describe, expect, it } from "vitest";
import { clearSessionCookie, readCookie, serializeSessionCookie, wantsSecureCookie } from "./cookies";

describe("session cookie", () => {
  it("is HttpOnly, SameSite=Strict, Path=/ with a Max-Age of 7 days", () => {
    expect(serializeSessionCookie("tok", { secure: false })).toBe("bastion_session=tok; HttpOnly; SameSite=Strict; Path=/; Max-Age=604800");
    expect(serializeSessionCookie("tok", { secure: true })).toMatch(/; Secure$/);
    expect(clearSessionCookie({ secure: false })).toBe("bastion_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
  });

  it.each([
    [null, null],
    ["", null],
    ["a=1; bastion_session=abc; b=2", "abc"],
    ["bastion_session=abc", "abc"],
    ["xbastion_session=abc", null],
    ["bastion_session=a%2Bb", "a+b"],
  ])("readCookie(%j) = %j", (header, value) => {
    expect(readCookie(header, "bastion_session")).toBe(value);
  });

  it.each([
    ["http://127.0.0.1:3000/api/trpc", {}, {}, false],
    ["https://desk.example/api/trpc", {}, {}, true],
    ["http://127.0.0.1:3000/api/trpc", {}, { BASTION_COOKIE_SECURE: "1" }, true],
    ["http://127.0.0.1:3000/api/trpc", { "x-forwarded-proto": "https" }, {}, false],
    ["http://127.0.0.1:3000/api/trpc", { "x-forwarded-proto": "https" }, { BASTION_TRUST_PROXY: "1" }, true],
  ])("Secure for %s %j %j: %s", (url, headers, env, secure) => {
    expect(wantsSecureCookie({ url, headers: new Headers(headers) }, env)).toBe(secure);
  });
});
